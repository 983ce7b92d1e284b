"""The declaration row the risk engine works on: one KCS line, typed, plus the signals intake adds.

The KCS import-declaration layout (Jeong et al., arXiv 2208.02484) has one item per declaration and
two labels (``Fraud`` 0/1, ``Critical Fraud`` 0/1/2). The lead's :class:`Declaration` maps onto
:class:`DeclarationRow` one to one; :func:`read_kcs_csv` reads the CSV layout directly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.declarations import Declaration, InspectionOutcome, OutcomeResult, PartyRef
from supplyguard.model.kcs import KCS_COLUMNS

#: The KCS columns a row is read from (the platform's one definition of the layout).
KCS_FEATURE_COLUMNS: tuple[str, ...] = KCS_COLUMNS


@dataclass(frozen=True, slots=True)
class DeclarationRow:
    """One declaration as the risk engine sees it; ``fraud`` is None when no outcome is known."""

    declaration_id: str
    declared_on: date
    office_id: str
    process_type: str
    import_type: str
    import_use: str
    payment_type: str
    transport_mode: str
    declarant_id: str
    importer_id: str
    seller_id: str
    courier_id: str
    hs6_code: str
    departure_country: str
    origin_country: str
    tax_rate_pct: float
    tax_type: str
    origin_indicator: str
    net_mass_kg: float
    item_price: float
    fraud: int | None = None
    critical_fraud: int | None = None

    @property
    def duty_at_stake(self) -> float:
        """Item Price x Tax Rate / 100: the revenue at risk if the declaration is fraudulent."""
        return self.item_price * self.tax_rate_pct / 100.0

    @property
    def is_labelled(self) -> bool:
        return self.fraud is not None

    def without_labels(self) -> DeclarationRow:
        return _replace_labels(self, None, None)


def _replace_labels(row: DeclarationRow, fraud: int | None, critical: int | None) -> DeclarationRow:
    values = {name: getattr(row, name) for name in DeclarationRow.__dataclass_fields__}
    values["fraud"], values["critical_fraud"] = fraud, critical
    return DeclarationRow(**values)


@dataclass(frozen=True, slots=True)
class IntakeSignals:
    """What intake knows besides the declaration itself; every field defaults to "nothing known".

    ``trusted_tier`` is 0 for none, 1..3 for AEO / C-TPAT tiers (see ``supplyguard.compliance``).
    ``intel_signals`` and ``tracking_alerts`` count the declaration's stored risk signals of
    those sources (:mod:`supplyguard.risk.signals`) known when the features are computed.
    """

    screening_hits: int = 0
    sanctions_hit: bool = False
    trusted_tier: int = 0
    intel_signals: int = 0
    tracking_alerts: int = 0
    #: the highest score (0..1) among the parties' open screening hits
    screening_hit_score: float = 0.0


NO_SIGNALS = IntakeSignals()


class _RowErrors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, line: int, column: str, message: str) -> None:
        if len(self.errors) < 50:
            self.errors.append(FieldError(("line", line, column), message))


def _float(text: str, line: int, column: str, errors: _RowErrors) -> float:
    try:
        value = float(text)
    except ValueError:
        errors.add(line, column, f"{text!r} is not a number")
        return 0.0
    if value != value or value < 0:
        errors.add(line, column, f"{text!r} must be a non-negative number")
        return 0.0
    return value


def _label(
    text: str | None, line: int, column: str, allowed: tuple[str, ...], errors: _RowErrors
) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if text not in allowed:
        errors.add(line, column, f"{text!r} is not one of {', '.join(allowed)}")
        return None
    return int(text)


def parse_kcs_rows(records: Iterable[dict[str, str]], *, keep_labels: bool = True) -> list[DeclarationRow]:
    """Typed rows from KCS CSV dictionaries; ValidationFailed lists every bad field by line."""
    errors = _RowErrors()
    rows: list[DeclarationRow] = []
    for index, raw in enumerate(records):
        line = index + 2
        text = {column: (raw.get(column) or "").strip() for column in KCS_FEATURE_COLUMNS}
        try:
            declared_on = date.fromisoformat(text["Date"])
        except ValueError:
            errors.add(line, "Date", f"{text['Date']!r} is not a date (YYYY-MM-DD)")
            declared_on = date.min
        for column in ("Declaration ID", "Office ID", "HS6 Code", "Country of Origin"):
            if not text[column]:
                errors.add(line, column, "is required")
        fraud = critical = None
        if keep_labels:
            fraud = _label(raw.get("Fraud"), line, "Fraud", ("0", "1"), errors)
            critical = _label(raw.get("Critical Fraud"), line, "Critical Fraud", ("0", "1", "2"), errors)
            if fraud is not None and critical is None:
                critical = fraud
        rows.append(
            DeclarationRow(
                declaration_id=text["Declaration ID"],
                declared_on=declared_on,
                office_id=text["Office ID"],
                process_type=text["Process Type"],
                import_type=text["Import Type"],
                import_use=text["Import Use"],
                payment_type=text["Payment Type"],
                transport_mode=text["Mode of Transport"],
                declarant_id=text["Declarant ID"],
                importer_id=text["Importer ID"],
                seller_id=text["Seller ID"],
                courier_id=text["Courier ID"],
                hs6_code=text["HS6 Code"],
                departure_country=text["Country of Departure"],
                origin_country=text["Country of Origin"],
                tax_rate_pct=_float(text["Tax Rate"] or "0", line, "Tax Rate", errors),
                tax_type=text["Tax Type"],
                origin_indicator=text["Country of Origin Indicator"],
                net_mass_kg=_float(text["Net Mass"], line, "Net Mass", errors),
                item_price=_float(text["Item Price"], line, "Item Price", errors),
                fraud=fraud,
                critical_fraud=critical,
            )
        )
    if errors.errors:
        raise ValidationFailed(errors.errors)
    return rows


def read_kcs_stream(stream: TextIO, *, keep_labels: bool = True) -> list[DeclarationRow]:
    """Rows from an open text stream in the KCS CSV layout (header line first)."""
    reader = csv.DictReader(stream)
    missing = [column for column in KCS_FEATURE_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed([FieldError(("header", column), "column missing") for column in missing])
    return parse_kcs_rows(reader, keep_labels=keep_labels)


def read_kcs_csv(path: str | Path, *, keep_labels: bool = True) -> list[DeclarationRow]:
    """Rows from a KCS CSV file; ``keep_labels=False`` drops ``Fraud`` / ``Critical Fraud``."""
    with open(path, newline="", encoding="utf-8") as stream:
        return read_kcs_stream(stream, keep_labels=keep_labels)


def sort_by_date(rows: Iterable[DeclarationRow]) -> list[DeclarationRow]:
    """Stable sort by declaration date (the order in which the engine must learn)."""
    return sorted(rows, key=lambda row: row.declared_on)


def iter_weeks(rows: list[DeclarationRow]) -> Iterator[list[DeclarationRow]]:
    """Date-sorted rows grouped by ISO week (Monday to Sunday)."""
    batch: list[DeclarationRow] = []
    current: tuple[int, int] | None = None
    for row in sort_by_date(rows):
        iso = row.declared_on.isocalendar()
        key = (iso.year, iso.week)
        if current is not None and key != current and batch:
            yield batch
            batch = []
        current = key
        batch.append(row)
    if batch:
        yield batch


def row_from_declaration(
    declaration: Declaration, outcome: InspectionOutcome | None = None
) -> DeclarationRow:
    """The risk row of a stored declaration (first item, as in the KCS layout) and its outcome.

    Multi-item declarations are scored on their first item; ``declaration_id`` is the reference.
    """
    item = declaration.items[0]
    fraud = critical = None
    if outcome is not None and outcome.result is not None:
        fraud = 1 if outcome.is_fraud else 0
        critical = {OutcomeResult.COMPLIANT: 0, OutcomeResult.FRAUD: 1, OutcomeResult.CRITICAL_FRAUD: 2}[
            outcome.result
        ]

    def code(ref: PartyRef | None) -> str:
        return ref.code if ref is not None else ""

    return DeclarationRow(
        declaration_id=declaration.reference,
        declared_on=declaration.declared_on,
        office_id=declaration.office_id,
        process_type=declaration.process_type or "",
        import_type=declaration.import_type or "",
        import_use=declaration.import_use or "",
        payment_type=declaration.payment_type or "",
        transport_mode=declaration.transport_mode,
        declarant_id=code(declaration.declarant),
        importer_id=code(declaration.importer),
        seller_id=code(declaration.seller),
        courier_id=code(declaration.courier),
        hs6_code=item.hs_code[:6],
        departure_country=item.departure_country or "",
        origin_country=item.origin_country,
        tax_rate_pct=item.tax_rate_pct,
        tax_type=item.tax_type or "",
        origin_indicator=item.origin_indicator or "",
        net_mass_kg=item.net_mass_kg,
        item_price=item.value,
        fraud=fraud,
        critical_fraud=critical,
    )
