"""Intelligence described in a YAML/JSON file (what `supplyguard intel publish FILE` reads) -> STIX.

A description is a mapping with ``kind`` (``seizure``, ``suspect-shipment``, ``suspect-party``,
``concealment-method``, ``indicator`` or ``note``), ``tlp`` (default ``amber``), an optional ``key``
(stable id: the same key gives the same STIX id, so publishing again makes a new version) and the
fields of that kind (see docs/sharing.md). Every problem is reported with its location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.sharing import (
    Authoring,
    ConcealmentMethod,
    Conveyance,
    GoodsLine,
    IndicatorInfo,
    NoteInfo,
    RoutePoint,
    Seizure,
    ShipmentDetails,
    SuspectParty,
    SuspectShipment,
    TaxId,
    Tlp,
    build_concealment_method,
    build_indicator,
    build_note,
    build_seizure,
    build_suspect_party,
    build_suspect_shipment,
    stix_id,
)

KIND_TYPES = {
    "seizure": "incident",
    "suspect-shipment": "indicator",
    "suspect-party": "identity",
    "concealment-method": "attack-pattern",
    "indicator": "indicator",
    "note": "note",
}


def _moment(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValidationFailed([FieldError((where,), "a date or an ISO 8601 timestamp")])


def _opt_moment(data: Mapping[str, Any], key: str) -> datetime | None:
    return None if data.get(key) is None else _moment(data[key], key)


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, ())
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise ValidationFailed([FieldError((key,), "a list of text values")])
    return tuple(str(v) for v in value)


def _shipment(data: Any) -> ShipmentDetails:
    if data is None:
        return ShipmentDetails()
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError(("shipment",), "a mapping")])
    conveyance = data.get("conveyance")
    try:
        return ShipmentDetails(
            goods=tuple(GoodsLine(**line) for line in data.get("goods", ())),
            container_numbers=_strings(data, "container_numbers"),
            conveyance=Conveyance(**conveyance) if isinstance(conveyance, Mapping) else None,
            route=tuple(RoutePoint(**point) for point in data.get("route", ())),
            bill_of_lading=data.get("bill_of_lading"),
            declaration_reference=data.get("declaration_reference"),
            consignor_name=data.get("consignor_name"),
            consignee_name=data.get("consignee_name"),
            consignee_eori=data.get("consignee_eori"),
            consignee_country=data.get("consignee_country"),
        )
    except TypeError as error:
        raise ValidationFailed([FieldError(("shipment",), f"unexpected field: {error}")]) from error


def _seizure(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    return build_seizure(
        Seizure(
            name=str(data.get("name", "")),
            seized_at=_moment(data.get("seized_at"), "seized_at"),
            shipment=_shipment(data.get("shipment")),
            description=data.get("description"),
            seizure_locode=data.get("seizure_locode"),
            seizure_country=data.get("seizure_country"),
            concealment_method=data.get("concealment_method"),
            concealment_ref=data.get("concealment_ref"),
            detection_method=data.get("detection_method"),
            offence=data.get("offence"),
        ),
        authoring,
    )


def _suspect_shipment(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    return build_suspect_shipment(
        SuspectShipment(
            name=str(data.get("name", "")),
            risk_reasons=_strings(data, "risk_reasons"),
            valid_from=_opt_moment(data, "valid_from") or authoring.created,
            shipment=_shipment(data.get("shipment")),
            valid_until=_opt_moment(data, "valid_until"),
            expected_arrival=_opt_moment(data, "expected_arrival"),
            description=data.get("description"),
        ),
        authoring,
    )


def _suspect_party(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    tax_ids = data.get("tax_ids", ())
    return build_suspect_party(
        SuspectParty(
            name=str(data.get("name", "")),
            identity_class=str(data.get("identity_class", "organization")),
            roles=_strings(data, "roles"),
            country=data.get("country"),
            address=data.get("address"),
            eori=data.get("eori"),
            tax_ids=tuple(TaxId(**t) if isinstance(t, Mapping) else TaxId(str(t)) for t in tax_ids),
            aliases=_strings(data, "aliases"),
            description=data.get("description"),
        ),
        authoring,
    )


def _concealment(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    return build_concealment_method(
        ConcealmentMethod(
            name=str(data.get("name", "")),
            category=str(data.get("category", "")),
            description=data.get("description"),
            container_parts=_strings(data, "container_parts"),
            cover_goods_hs_codes=_strings(data, "cover_goods_hs_codes"),
            detection_hints=_strings(data, "detection_hints"),
            first_seen=_opt_moment(data, "first_seen"),
            last_seen=_opt_moment(data, "last_seen"),
        ),
        authoring,
    )


def _indicator(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    return build_indicator(
        IndicatorInfo(
            name=str(data.get("name", "")),
            pattern=str(data.get("pattern", "")),
            valid_from=_opt_moment(data, "valid_from") or authoring.created,
            indicator_types=_strings(data, "indicator_types") or ("suspicious-activity",),
            description=data.get("description"),
            valid_until=_opt_moment(data, "valid_until"),
        ),
        authoring,
    )


def _note(data: Mapping[str, Any], authoring: Authoring) -> dict[str, Any]:
    return build_note(
        NoteInfo(
            content=str(data.get("content", "")),
            object_refs=_strings(data, "object_refs"),
            abstract=data.get("abstract"),
            authors=_strings(data, "authors"),
        ),
        authoring,
    )


_BUILDERS: dict[str, Callable[[Mapping[str, Any], Authoring], dict[str, Any]]] = {
    "seizure": _seizure,
    "suspect-shipment": _suspect_shipment,
    "suspect-party": _suspect_party,
    "concealment-method": _concealment,
    "indicator": _indicator,
    "note": _note,
}


def build_from_spec(spec: Mapping[str, Any], author_ref: str, now: datetime) -> dict[str, Any]:
    """Build one STIX object from a description; ``ValidationFailed`` names what is wrong."""
    kind = spec.get("kind")
    builder = _BUILDERS.get(str(kind))
    if builder is None:
        raise ValidationFailed([FieldError(("kind",), f"one of {', '.join(_BUILDERS)}")])
    try:
        tlp = Tlp.parse(str(spec.get("tlp", "amber")))
    except ValueError as error:
        raise ValidationFailed([FieldError(("tlp",), str(error))]) from error
    key = spec.get("key")
    authoring = Authoring(
        author_ref=author_ref,
        created=_opt_moment(spec, "created") or now,
        tlp=tlp,
        modified=now if spec.get("created") is not None else None,
        object_id=None if key is None else stix_id(KIND_TYPES[str(kind)], f"{author_ref}/{key}"),
    )
    fields = {k: v for k, v in spec.items() if k not in ("kind", "tlp", "key", "created")}
    return builder(fields, authoring)
