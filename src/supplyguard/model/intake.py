"""Turning what a client sent into a valid :class:`Declaration`, or a list of precise field errors.

One parser for every way in: API JSON, NDJSON lines and CSV rows (via :mod:`kcs` for the KCS layout)
all become a mapping with the wire field names and go through :func:`parse_declaration`.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.containers import container_problem, normalise_container
from supplyguard.model.declarations import Declaration, DeclarationItem, PartyRef
from supplyguard.model.refdata import ReferenceData

MAX_TEXT = 200
MAX_ITEMS = 999
MAX_CONTAINERS = 200
EARLIEST_DATE = date(1990, 1, 1)
FUTURE_LIMIT = timedelta(days=366)

Loc = tuple[str | int, ...]


class _Errors:
    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, loc: Loc, message: str) -> None:
        self.items.append(FieldError(loc, message))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _text(data: Mapping[str, Any], key: str, errors: _Errors, loc: Loc = (), *, required: bool) -> str | None:
    value = data.get(key)
    if type(value) is str:  # the common case, kept short: printable text has no control characters
        text = value.strip()
        if text and len(text) <= MAX_TEXT and text.isprintable():
            return text
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add((*loc, key), "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.add((*loc, key), f"must be text, got {type(value).__name__}")
        return None
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        errors.add((*loc, key), f"is longer than {MAX_TEXT} characters")
        return None
    if _CONTROL.search(text):
        errors.add((*loc, key), "contains control characters or invalid Unicode")
        return None
    return text


def _number(
    data: Mapping[str, Any],
    key: str,
    errors: _Errors,
    loc: Loc,
    *,
    required: bool,
    maximum: float | None = None,
) -> float | None:
    value = data.get(key)
    kind = type(value)
    if kind is float or kind is str or kind is int:
        try:
            number = float(value)  # type: ignore[arg-type]
        except ValueError:
            number = -1.0 if value != "" else math.nan
        if 0.0 <= number < math.inf and (maximum is None or number <= maximum):
            return number
    if value is None or value == "":
        if required:
            errors.add((*loc, key), "is required")
        return None
    if isinstance(value, bool):
        errors.add((*loc, key), "must be a number, got a boolean")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add((*loc, key), f"must be a number, got {str(value)[:40]!r}")
        return None
    if not math.isfinite(number):
        errors.add((*loc, key), "must be a finite number")
        return None
    if number < 0:
        errors.add((*loc, key), f"must not be negative, got {number:g}")
        return None
    if maximum is not None and number > maximum:
        errors.add((*loc, key), f"must be at most {maximum:g}, got {number:g}")
        return None
    return number


def _country(
    data: Mapping[str, Any], key: str, errors: _Errors, loc: Loc, refdata: ReferenceData, *, required: bool
) -> str | None:
    code = _text(data, key, errors, loc, required=required)
    if code is None:
        return None
    if code in refdata.countries:
        return code
    code = code.upper()
    if not refdata.is_country(code):
        errors.add((*loc, key), f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        return None
    return code


def _date(data: Mapping[str, Any], key: str, errors: _Errors, today: date) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        errors.add((key,), "is required")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            errors.add((key,), f"must be a date YYYY-MM-DD, got {str(value)[:40]!r}")
            return None
    if parsed < EARLIEST_DATE:
        errors.add((key,), f"{parsed.isoformat()} is before {EARLIEST_DATE.isoformat()}")
        return None
    if parsed > today + FUTURE_LIMIT:
        errors.add((key,), f"{parsed.isoformat()} is more than a year in the future")
        return None
    return parsed


def _party(
    data: Mapping[str, Any], key: str, errors: _Errors, refdata: ReferenceData, *, required: bool
) -> PartyRef | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors.add((key,), "is required")
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        code = _text(data, key, errors, (), required=required)
        return PartyRef(code=code) if code else None
    if not isinstance(value, Mapping):
        errors.add((key,), "must be a party code or an object with a code")
        return None
    code = _text(value, "code", errors, (key,), required=True)
    name = _text(value, "name", errors, (key,), required=False)
    country = _country(value, "country", errors, (key,), refdata, required=False)
    return PartyRef(code=code, name=name, country=country) if code else None


def _hs_code(
    item: Mapping[str, Any], errors: _Errors, loc: Loc, refdata: ReferenceData, on: date | None
) -> str | None:
    raw = _text(item, "hs_code", errors, loc, required=True)
    if raw is None:
        return None
    code = raw.replace(".", "").replace(" ", "")
    if code.isdigit() and len(code) == 5:
        code = "0" + code  # leading zero lost by spreadsheets: 10121 -> 010121
    if not (code.isdigit() and len(code) == 6):
        errors.add((*loc, "hs_code"), f"{raw!r} is not a six-digit HS code")
        return None
    if on is not None and code not in refdata.hs_codes(on):
        errors.add(
            (*loc, "hs_code"),
            f"{code} is not an {refdata.hs_edition(on)} subheading "
            f"(the edition in force on {on.isoformat()})",
        )
        return None
    return code


def _items(
    raw_items: Any, errors: _Errors, refdata: ReferenceData, on: date | None
) -> tuple[DeclarationItem, ...]:
    if not isinstance(raw_items, Sequence) or isinstance(raw_items, str | bytes) or not raw_items:
        errors.add(("items",), "must be a non-empty list of items")
        return ()
    if len(raw_items) > MAX_ITEMS:
        errors.add(("items",), f"has more than {MAX_ITEMS} items")
        return ()
    items: list[DeclarationItem] = []
    for index, raw in enumerate(raw_items):
        loc: Loc = ("items", index)
        if not isinstance(raw, Mapping):
            errors.add(loc, "must be an object")
            continue
        before = len(errors.items)
        hs_code = _hs_code(raw, errors, loc, refdata, on)
        origin = _country(raw, "origin_country", errors, loc, refdata, required=True)
        departure = _country(raw, "departure_country", errors, loc, refdata, required=False)
        net_mass = _number(raw, "net_mass_kg", errors, loc, required=True)
        value = _number(raw, "value", errors, loc, required=True)
        tax_rate = _number(raw, "tax_rate_pct", errors, loc, required=False, maximum=1000.0)
        duty = _number(raw, "duty", errors, loc, required=False)
        tax_type = _text(raw, "tax_type", errors, loc, required=False)
        indicator = _text(raw, "origin_indicator", errors, loc, required=False)
        description = _text(raw, "description", errors, loc, required=False)
        if len(errors.items) > before:
            continue
        assert hs_code is not None and origin is not None
        assert net_mass is not None and value is not None
        rate = tax_rate or 0.0
        items.append(
            DeclarationItem(
                line_no=index + 1,
                hs_code=hs_code,
                origin_country=origin,
                departure_country=departure,
                net_mass_kg=net_mass,
                value=value,
                tax_rate_pct=rate,
                duty=duty if duty is not None else round(value * rate / 100.0, 2),
                tax_type=tax_type,
                origin_indicator=indicator,
                description=description,
            )
        )
    return tuple(items)


def _containers(raw: Any, errors: _Errors) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        raw = [part for part in raw.replace(";", " ").replace(",", " ").split() if part]
    if not isinstance(raw, Sequence) or len(raw) > MAX_CONTAINERS:
        errors.add(("containers",), f"must be a list of at most {MAX_CONTAINERS} container numbers")
        return ()
    numbers: list[str] = []
    for index, number in enumerate(raw):
        if not isinstance(number, str):
            errors.add(("containers", index), "must be text")
            continue
        problem = container_problem(number)
        if problem:
            errors.add(("containers", index), problem)
        else:
            numbers.append(normalise_container(number))
    return tuple(numbers)


def parse_declaration(
    data: Mapping[str, Any],
    *,
    org_id: uuid.UUID,
    received_at: datetime,
    refdata: ReferenceData,
    source: str = "api",
    declaration_id: uuid.UUID | None = None,
) -> Declaration:
    """Validate ``data`` (wire field names) and build a Declaration, or raise ValidationFailed."""
    from supplyguard.model.ids import new_id

    errors = _Errors()
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError((), "a declaration must be a JSON object")])
    reference = _text(data, "reference", errors, required=True)
    declared_on = _date(data, "declared_on", errors, received_at.date())
    office_id = _text(data, "office_id", errors, required=True)
    transport_mode = _text(data, "transport_mode", errors, required=True)
    importer = _party(data, "importer", errors, refdata, required=True)
    declarant = _party(data, "declarant", errors, refdata, required=False)
    seller = _party(data, "seller", errors, refdata, required=False)
    courier = _party(data, "courier", errors, refdata, required=False)
    process_type = _text(data, "process_type", errors, required=False)
    import_type = _text(data, "import_type", errors, required=False)
    import_use = _text(data, "import_use", errors, required=False)
    payment_type = _text(data, "payment_type", errors, required=False)
    containers = _containers(data.get("containers"), errors)
    items = _items(data.get("items"), errors, refdata, declared_on)
    if errors.items:
        raise ValidationFailed(errors.items)
    assert reference and declared_on and office_id and transport_mode and importer
    return Declaration(
        id=declaration_id or new_id(),
        org_id=org_id,
        reference=reference,
        declared_on=declared_on,
        office_id=office_id,
        transport_mode=transport_mode,
        importer=importer,
        items=items,
        received_at=received_at,
        declarant=declarant,
        seller=seller,
        courier=courier,
        process_type=process_type,
        import_type=import_type,
        import_use=import_use,
        payment_type=payment_type,
        containers=containers,
        source=source,
    )
