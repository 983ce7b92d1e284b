"""Build :class:`EpcisEvent` values from events in their EPCIS 2.0 JSON form (both syntaxes end here)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from supplyguard.errors import FieldError
from supplyguard.tracking.epcis_hash import (
    CBV,
    GS1_VOC,
    canonical_value,
    event_hash,
    expand_vocabulary,
)
from supplyguard.tracking.epcis_model import (
    EVENT_TYPES,
    BizTransaction,
    EpcisEvent,
    PartyRef,
    QuantityElement,
    SensorReading,
)

__all__ = ["build_event", "parse_timestamp"]

Location = tuple[str | int, ...]


class EventErrors(Exception):
    """Collects field errors while one event is built (internal; turned into ValidationFailed)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("invalid event")
        self.errors = errors


def parse_timestamp(text: object) -> datetime | None:
    """An ISO 8601 date-time with offset as aware UTC, or ``None`` when absent or not such a time."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: object) -> float | None:
    """A JSON number (not a boolean, not a numeric string, finite) as float, else ``None``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# every valid eventTimeZoneOffset (^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$): one set lookup, no regex
_ZONE_OFFSETS = frozenset(f"{sign}{h:02d}:{m:02d}" for sign in "+-" for h in range(24) for m in range(60))
_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_TEXT_FIELDS = ("eventID", "bizStep", "disposition", "parentID")
_SENSOR_NUMBERS = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"})


def _identifiers(value: object, where: Location, errors: list[FieldError]) -> tuple[str, ...]:
    """An EPC list (an array of URI strings) canonicalised; anything else is a located error."""
    if not isinstance(value, list):
        errors.append(FieldError(where, f"{where[-1]} must be an array of URIs"))
        return ()
    out = tuple([canonical_value(item.strip()) for item in value if isinstance(item, str)])
    if len(out) != len(value):
        errors.extend(
            FieldError((*where, index), "an EPC must be a URI string")
            for index, item in enumerate(value)
            if not isinstance(item, str)
        )
    return out


def _check_location(value: object, key: str, where: Location, errors: list[FieldError]) -> None:
    """``readPoint`` / ``bizLocation``: an object whose ``id`` is a URI string."""
    if not isinstance(value, dict):
        errors.append(FieldError((*where, key), f"{key} must be an object with an id"))
        return
    ident = value.get("id")
    if not isinstance(ident, str) or ":" not in ident:
        errors.append(FieldError((*where, key, "id"), f"{key}.id must be a URI string"))


def _quantities(value: object, where: Location, errors: list[FieldError]) -> tuple[QuantityElement, ...]:
    out = []
    for index, element in enumerate(_as_list(value)):
        if not isinstance(element, dict) or not isinstance(element.get("epcClass"), str):
            errors.append(FieldError((*where, index, "epcClass"), "a quantity element needs an epcClass"))
            continue
        quantity = _number(element.get("quantity"))
        if "quantity" in element and (quantity is None or quantity < 0):
            errors.append(FieldError((*where, index, "quantity"), "quantity must be a number >= 0"))
        uom = element.get("uom")
        out.append(
            QuantityElement(
                canonical_value(element["epcClass"].strip()), quantity, uom if isinstance(uom, str) else None
            )
        )
    return tuple(out)


def _sensor_readings(value: object, where: Location, errors: list[FieldError]) -> tuple[SensorReading, ...]:
    readings = []
    for index, element in enumerate(_as_list(value)):
        if not isinstance(element, dict):
            errors.append(FieldError((*where, index), "a sensor element must be an object"))
            continue
        raw_metadata = element.get("sensorMetadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        meta_time = parse_timestamp(metadata.get("time") or metadata.get("endTime"))
        for r_index, report in enumerate(_as_list(element.get("sensorReport"))):
            if not isinstance(report, dict):
                errors.append(
                    FieldError((*where, index, "sensorReport", r_index), "a sensor report must be an object")
                )
                continue
            for key, raw in report.items():
                if key in _SENSOR_NUMBERS and _number(raw) is None:
                    errors.append(
                        FieldError((*where, index, "sensorReport", r_index, key), f"{key} must be a number")
                    )
            number = _number(report.get("value", report.get("meanValue")))
            report_type = report.get("type")
            device = report.get("deviceID") or metadata.get("deviceID")
            readings.append(
                SensorReading(
                    type=expand_vocabulary(report_type, GS1_VOC) if isinstance(report_type, str) else "",
                    value=number,
                    uom=report.get("uom") if isinstance(report.get("uom"), str) else None,
                    time=parse_timestamp(report.get("time")) or meta_time,
                    device_id=canonical_value(device) if isinstance(device, str) else None,
                )
            )
    return tuple(readings)


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _location_id(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return canonical_value(value["id"].strip())
    return None


def _check_shape(event_type: str, body: Mapping[str, Any], where: Location, errors: list[FieldError]) -> None:
    action = body.get("action")
    if event_type == "TransformationEvent":
        if action is not None:
            errors.append(FieldError((*where, "action"), "a TransformationEvent has no action"))
        if not any(
            body.get(k) for k in ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList")
        ):
            errors.append(FieldError(where, "a TransformationEvent needs at least one input or output"))
    elif action not in ("ADD", "OBSERVE", "DELETE"):
        errors.append(FieldError((*where, "action"), "action must be ADD, OBSERVE or DELETE"))
    if event_type == "TransactionEvent" and not body.get("bizTransactionList"):
        errors.append(
            FieldError((*where, "bizTransactionList"), "a TransactionEvent needs a bizTransactionList")
        )
    if event_type == "AssociationEvent" and not isinstance(body.get("parentID"), str):
        errors.append(FieldError((*where, "parentID"), "an AssociationEvent needs a parentID"))
    if event_type == "AggregationEvent" and action == "ADD" and not isinstance(body.get("parentID"), str):
        errors.append(
            FieldError((*where, "parentID"), "an AggregationEvent with action ADD needs a parentID")
        )


def _party_refs(value: object, key: str) -> tuple[PartyRef, ...]:
    refs = []
    for entry in _as_list(value):
        if isinstance(entry, dict) and isinstance(entry.get(key), str):
            kind = entry.get("type")
            refs.append(
                PartyRef(
                    canonical_value(expand_vocabulary(kind, CBV + "SDT-")) if isinstance(kind, str) else "",
                    canonical_value(entry[key].strip()),
                )
            )
    return tuple(refs)


def build_event(
    body: Mapping[str, Any],
    namespaces: Mapping[str, str],
    where: Location,
    ignored_fields: frozenset[str] = frozenset(),
) -> EpcisEvent:
    """Check one JSON-form event and build its normalised value; raise :class:`EventErrors` if invalid."""
    errors: list[FieldError] = []
    event_type = body.get("type")
    if event_type not in EVENT_TYPES:
        raise EventErrors([FieldError((*where, "type"), f"unknown event type {event_type!r}")])
    assert isinstance(event_type, str)
    event_time = parse_timestamp(body.get("eventTime"))
    if event_time is None:
        errors.append(
            FieldError((*where, "eventTime"), "eventTime must be an ISO 8601 date-time with an offset")
        )
    offset = body.get("eventTimeZoneOffset")
    if not (isinstance(offset, str) and offset in _ZONE_OFFSETS):
        errors.append(
            FieldError(
                (*where, "eventTimeZoneOffset"),
                "eventTimeZoneOffset must be +hh:mm or -hh:mm (hours 00-23, minutes 00-59), like +01:00",
            )
        )
    record_time = parse_timestamp(body.get("recordTime"))
    if body.get("recordTime") is not None and record_time is None:
        errors.append(
            FieldError((*where, "recordTime"), "recordTime must be an ISO 8601 date-time with an offset")
        )
    _check_shape(event_type, body, where, errors)
    # the optional fields are looked at only when present (most events carry few of them)
    get = body.get
    for key in _TEXT_FIELDS:
        if key in body and not isinstance(body[key], str):
            errors.append(FieldError((*where, key), f"{key} must be a string"))
    if "readPoint" in body:
        _check_location(body["readPoint"], "readPoint", where, errors)
    if "bizLocation" in body:
        _check_location(body["bizLocation"], "bizLocation", where, errors)
    epc_lists = [_identifiers(body[key], (*where, key), errors) if key in body else () for key in _EPC_LISTS]
    quantities = child_quantities = input_quantities = output_quantities = _NO_QUANTITIES
    if "quantityList" in body:
        quantities = _quantities(get("quantityList"), (*where, "quantityList"), errors)
    if "childQuantityList" in body:
        child_quantities = _quantities(get("childQuantityList"), (*where, "childQuantityList"), errors)
    if "inputQuantityList" in body:
        input_quantities = _quantities(get("inputQuantityList"), (*where, "inputQuantityList"), errors)
    if "outputQuantityList" in body:
        output_quantities = _quantities(get("outputQuantityList"), (*where, "outputQuantityList"), errors)
    readings: tuple[SensorReading, ...] = ()
    if "sensorElementList" in body:
        readings = _sensor_readings(get("sensorElementList"), (*where, "sensorElementList"), errors)
    if errors:
        raise EventErrors(errors)
    assert event_time is not None and isinstance(offset, str)
    biz_step, disposition = _text(body, "bizStep"), _text(body, "disposition")
    raw_persistent = get("persistentDisposition")
    persistent: dict[str, Any] = raw_persistent if isinstance(raw_persistent, dict) else {}
    error_declaration = get("errorDeclaration")
    parent = get("parentID")
    return EpcisEvent(
        event_type=event_type,
        body=body,
        namespaces=namespaces,
        event_hash=event_hash(event_type, body, namespaces, ignored_fields),
        hash_ignored_fields=ignored_fields,
        event_time=event_time,
        event_time_zone_offset=offset,
        record_time=record_time,
        event_id=_text(body, "eventID"),
        action=_text(body, "action"),
        biz_step=canonical_value(expand_vocabulary(biz_step, CBV + "BizStep-")) if biz_step else None,
        disposition=canonical_value(expand_vocabulary(disposition, CBV + "Disp-")) if disposition else None,
        read_point=_location_id(body, "readPoint"),
        biz_location=_location_id(body, "bizLocation"),
        parent_id=canonical_value(parent.strip()) if isinstance(parent, str) else None,
        epcs=epc_lists[0],
        child_epcs=epc_lists[1],
        input_epcs=epc_lists[2],
        output_epcs=epc_lists[3],
        quantities=quantities,
        child_quantities=child_quantities,
        input_quantities=input_quantities,
        output_quantities=output_quantities,
        biz_transactions=_biz_transactions(get("bizTransactionList")) if "bizTransactionList" in body else (),
        sources=_party_refs(get("sourceList"), "source") if "sourceList" in body else (),
        destinations=_party_refs(get("destinationList"), "destination") if "destinationList" in body else (),
        sensor_readings=readings,
        persistent_disposition_set=_dispositions(persistent.get("set")) if persistent else (),
        persistent_disposition_unset=_dispositions(persistent.get("unset")) if persistent else (),
        certification_info=tuple(str(v) for v in _as_list(get("certificationInfo")))
        if "certificationInfo" in body
        else (),
        error_declaration=error_declaration if isinstance(error_declaration, dict) else None,
    )


_NO_QUANTITIES: tuple[QuantityElement, ...] = ()


def _biz_transactions(value: object) -> tuple[BizTransaction, ...]:
    return tuple(
        BizTransaction(
            canonical_value(expand_vocabulary(e["type"], CBV + "BTT-"))
            if isinstance(e.get("type"), str)
            else None,
            e["bizTransaction"].strip(),
        )
        for e in _as_list(value)
        if isinstance(e, dict) and isinstance(e.get("bizTransaction"), str)
    )


def _dispositions(value: object) -> tuple[str, ...]:
    return tuple(
        canonical_value(expand_vocabulary(v, CBV + "Disp-")) for v in _as_list(value) if isinstance(v, str)
    )
