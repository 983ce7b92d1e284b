"""Build :class:`EpcisEvent` values from events in their EPCIS 2.0 JSON form (both syntaxes end here)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from supplyguard.errors import FieldError
from supplyguard.tracking import cbv_vocab
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

__all__ = ["build_event", "context_namespaces", "parse_timestamp"]

Location = tuple[str | int, ...]


class EventErrors(Exception):
    """Collects field errors while one event is built (internal; turned into ValidationFailed)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("invalid event")
        self.errors = errors


def not_json_text_error(value: Any, where: tuple[str | int, ...]) -> FieldError | None:
    """The error for the first value under ``value`` that JSON text cannot carry, at its path: a
    name or string holding a lone UTF-16 surrogate (``"\\ud800"`` decodes to one: not a Unicode
    character, so the text could be neither hashed, stored nor sent as UTF-8), or a ``NaN`` or
    ``Infinity``, which ``json.loads`` reads but RFC 8259 has no number for. None when there is none."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _has_surrogate(item):
                return FieldError(path, "holds a lone UTF-16 surrogate escape: not Unicode text")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return FieldError(path, f"{item} is not a JSON number (NaN and Infinity are not JSON)")
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if not key.isascii() and _has_surrogate(key):
                    return FieldError((*path, key), "a member name holds a lone UTF-16 surrogate escape")
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, index)) for index, child in reversed(list(enumerate(item))))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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


def context_namespaces(context: object) -> dict[str, str]:
    """Prefix -> IRI declared inline in a JSON-LD ``@context`` (remote contexts are not fetched)."""
    namespaces: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            for prefix, iri in entry.items():
                if isinstance(iri, str) and not prefix.startswith("@"):
                    namespaces[prefix] = iri
    return namespaces


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: object) -> float | None:
    """A JSON number (not a boolean, not a numeric string, finite) as float, else ``None``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# every valid eventTimeZoneOffset, as the GS1 JSON schema has it
# (^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$): one set lookup, no regex
_ZONE_OFFSETS = frozenset(
    f"{sign}{h:02d}:{m:02d}" for sign in "+-" for h in range(15) for m in range(60) if h < 14 or m == 0
)
_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_TEXT_FIELDS = ("eventID", "bizStep", "disposition", "parentID", "transformationID")
_SENSOR_NUMBERS = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"})
_UOM = re.compile(r"[A-Z0-9]{2,3}")  # the GS1 schema's uom pattern (UN/ECE Rec. 20 codes)

#: The fields each event type may carry (EPCIS 2.0 XSD and JSON schema); JSON-LD keywords (``@...``),
#: ``id`` (the context's alias of ``@id``) and user extensions (``prefix:local`` or an IRI) besides.
_COMMON_FIELDS = frozenset(
    {"@context", "type", "id", "eventTime", "recordTime", "eventTimeZoneOffset", "eventID"}
    | {"certificationInfo", "errorDeclaration", "bizStep", "disposition", "persistentDisposition"}
    | {"readPoint", "bizLocation", "bizTransactionList", "sourceList", "destinationList", "sensorElementList"}
)
_EVENT_FIELDS = {
    "ObjectEvent": _COMMON_FIELDS | {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": _COMMON_FIELDS | {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": _COMMON_FIELDS | {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": _COMMON_FIELDS
    | {
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "ilmd",
    },
    "AssociationEvent": _COMMON_FIELDS | {"action", "parentID", "childEPCs", "childQuantityList"},
}
_QUANTITY_FIELDS = frozenset({"epcClass", "quantity", "uom"})
_DISPOSITION_CHANGES = frozenset({"set", "unset"})
#: sensorMetadata / sensorReport fields that are not numbers: time stamps, URIs and plain strings
_SENSOR_TIMES = frozenset({"time", "startTime", "endTime"})
_SENSOR_TEXTS = frozenset(
    {"type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"}
    | {"microorganism", "chemicalSubstance", "coordinateReferenceSystem", "component", "stringValue"}
    | {"uriValue", "uom", "#text"}  # "#text": the XML element's own text (its type extends xsd:string)
)
#: sensor fields the GS1 schema types as URIs (``format: uri``)
_SENSOR_URIS = frozenset(
    {"deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"}
) | frozenset({"microorganism", "chemicalSubstance", "coordinateReferenceSystem", "uriValue"})
_ERROR_DECLARATION_FIELDS = frozenset({"declarationTime", "reason", "correctiveEventIDs"})


def _identifiers(value: object, where: Location, errors: list[FieldError]) -> tuple[str, ...]:
    """An EPC list (an array of URI strings, each once) canonicalised; anything else is a located error."""
    if not isinstance(value, list):
        errors.append(FieldError(where, f"{where[-1]} must be an array of URIs"))
        return ()
    out = tuple([canonical_value(item.strip()) for item in value if type(item) is str and ":" in item])
    if len(out) != len(value):
        errors.extend(
            FieldError((*where, index), "an EPC must be a URI string")
            for index, item in enumerate(value)
            if not (isinstance(item, str) and ":" in item)
        )
    elif len(value) > 1 and len(set(value)) != len(value):  # as written (the schema's uniqueItems)
        seen: set[str] = set()
        for index, epc in enumerate(value):
            if epc in seen:
                errors.append(FieldError((*where, index), f"{epc} is listed twice"))
            seen.add(epc)
    return out


def _is_uri(value: object) -> bool:
    return isinstance(value, str) and ":" in value


def _check_vocabulary(
    value: str, vocabulary: frozenset[str], what: str, where: Location, errors: list[FieldError]
) -> None:
    """A bare word (no ``:``) must be one of the vocabulary's standard values; anything else is a URI
    (a GS1 one, or one of the sender's own)."""
    if ":" not in value and value not in vocabulary:
        errors.append(FieldError(where, f"{value!r} is not a CBV {what}; a value of your own must be a URI"))


#: (CBV prefix, value as written) -> the value's web URI, or None when it names no CBV value
_CBV_VALUES: dict[tuple[str, str], str | None] = {}


def _cbv_value(
    value: str, prefix: str, vocabulary: frozenset[str], what: str, where: Location, errors: list[FieldError]
) -> str | None:
    """A CBV value (bare, ``urn:epcglobal:cbv:...``, CURIE or web URI) as its web URI: one that lands in
    the CBV's own namespace (``prefix``, e.g. ``.../cbv/BizStep-``) must be one of its standard values
    (a misspelt ``shiping`` or ``urn:epcglobal:cbv:bizstep:shiping`` names nothing); any other URI is
    the sender's own and kept. Results are remembered per distinct value."""
    found = _CBV_VALUES.get((prefix, value), "")
    if found == "":
        found = canonical_value(expand_vocabulary(value, prefix))
        if found.startswith(prefix) and found[len(prefix) :] not in vocabulary:
            found = None
        if len(_CBV_VALUES) >= 65536:
            _CBV_VALUES.clear()
        _CBV_VALUES[(prefix, value)] = found
    if found is None:
        errors.append(
            FieldError(
                where, f"{value!r} is not a CBV {what}; a value of your own must be a URI outside the CBV"
            )
        )
    return found


def _location(value: object, key: str, where: Location, errors: list[FieldError]) -> str | None:
    """``readPoint`` / ``bizLocation``: an object whose ``id`` is a URI string; the id canonicalised."""
    if not isinstance(value, dict):
        errors.append(FieldError((*where, key), f"{key} must be an object with an id"))
        return None
    ident = value.get("id")
    if len(value) > 1:  # besides its id, a location holds user extensions only
        _open_unknown_fields(value, _LOCATION_FIELDS, (*where, key), errors, key)
    if not isinstance(ident, str) or ":" not in ident:
        errors.append(FieldError((*where, key, "id"), f"{key}.id must be a URI string"))
        return None
    return canonical_value(ident.strip())


_LOCATION_FIELDS = frozenset({"id", "type"})  # "type": the JSON-LD alias of @type


def _entries(value: object, where: Location, errors: list[FieldError], what: str) -> list[Any]:
    """The entries of a list field (the caller checks each is an object, locating it with :func:`_at`).

    A lone object stands for a one-element array, as JSON-LD reads it (GS1's own simple-context
    examples write a ``sourceList`` so); anything else is a located error.
    """
    if type(value) is list:
        return value
    if type(value) is dict:
        return [value]
    errors.append(FieldError(where, f"{where[-1]} must be an array of {what}"))
    return []


def _at(where: Location, value: object, index: int) -> Location:
    """Where entry ``index`` of the list field ``value`` is (a lone object: at the field itself);
    built only for an error, so valid entries cost no location tuple."""
    return (*where, index) if type(value) is list else where


def _unknown_fields(
    value: Mapping[str, Any], known: frozenset[str], where: Location, errors: list[FieldError]
) -> None:
    """Fields of a closed object (no user extensions allowed there) that are not among ``known``."""
    errors.extend(
        FieldError((*where, key), f"unknown field {key!r} (allowed: {', '.join(sorted(known))})")
        for key in value
        if key not in known
    )


def _open_unknown_fields(
    value: Mapping[str, Any], known: frozenset[str], where: Location, errors: list[FieldError], owner: str
) -> None:
    """Fields that are neither ``known`` nor user extensions (``prefix:local`` or an IRI) nor JSON-LD."""
    for key in value:
        if key not in known and ":" not in key and not key.startswith("@"):
            errors.append(
                FieldError(
                    (*where, key),
                    f"{key!r} is not a field of {owner}; "
                    f"a user extension needs a namespace prefix (ex:{key})",
                )
            )


def _quantities(value: object, where: Location, errors: list[FieldError]) -> tuple[QuantityElement, ...]:
    out = []
    what = "quantity elements (objects with an epcClass)"
    for index, element in enumerate(_entries(value, where, errors, what)):
        if type(element) is not dict:
            errors.append(FieldError(_at(where, value, index), f"{where[-1]} must hold {what}"))
            continue
        epc_class = element.get("epcClass")
        if not isinstance(epc_class, str) or ":" not in epc_class:
            errors.append(
                FieldError(
                    (*_at(where, value, index), "epcClass"),
                    "a quantity element needs an epcClass, a URI string",
                )
            )
            continue
        if len(element) > 1 and not _QUANTITY_FIELDS.issuperset(element):
            _unknown_fields(element, _QUANTITY_FIELDS, _at(where, value, index), errors)
        quantity = _number(element.get("quantity"))
        if "quantity" in element and (quantity is None or quantity < 0):
            errors.append(
                FieldError((*_at(where, value, index), "quantity"), "quantity must be a number >= 0")
            )
        uom = element.get("uom")
        if uom is not None:
            if type(uom) is not str or (uom not in _UOMS_SEEN and not _new_uom(uom)):
                errors.append(
                    FieldError(
                        (*_at(where, value, index), "uom"),
                        "uom must be a UN/ECE Rec. 20 code (2 or 3 capitals or digits)",
                    )
                )
            elif "quantity" not in element:
                errors.append(
                    FieldError((*_at(where, value, index), "uom"), "uom is given only with a quantity")
                )
        out.append(
            QuantityElement(
                canonical_value(epc_class.strip()), quantity, uom if isinstance(uom, str) else None
            )
        )
    return tuple(out)


_UOMS_SEEN: set[str] = set()  # valid codes met so far (at most 36**3 + 36**2 of them)


def _new_uom(uom: str) -> bool:
    if _UOM.fullmatch(uom) is None:
        return False
    _UOMS_SEEN.add(uom)
    return True


_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")  # xsd:hexBinary: two digits an octet (the JSON schema allows odd)


_SENSOR_METADATA_FIELDS = frozenset(
    {"time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod"}
    | {"bizRules", "id", "#text"}
)
_SENSOR_ELEMENT_FIELDS = frozenset({"sensorMetadata", "sensorReport", "id", "type"})  # JSON-LD: id, type
_SENSOR_VOCABULARIES = (
    ("type", cbv_vocab.MEASUREMENT_TYPES, "measurement type"),
    ("exception", cbv_vocab.SENSOR_ALERT_TYPES, "sensor alert type"),
    ("component", cbv_vocab.COMPONENTS, "component"),
)
_SENSOR_REPORT_FIELDS = _SENSOR_NUMBERS | _SENSOR_TEXTS | {"time", "booleanValue", "hexBinaryValue", "id"}


def _check_sensor_fields(
    value: Mapping[str, Any], known: frozenset[str], where: Location, errors: list[FieldError], owner: str
) -> None:
    """The value types of a sensorMetadata's or sensorReport's standard fields; other names must be
    user extensions (with a namespace prefix)."""
    if not known.issuperset(value):
        _open_unknown_fields(value, known, where, errors, owner)
    for key, raw in value.items():
        if key in _SENSOR_NUMBERS:
            if _number(raw) is None:
                errors.append(FieldError((*where, key), f"{key} must be a number"))
        elif key in _SENSOR_TEXTS:
            if not isinstance(raw, str):
                errors.append(FieldError((*where, key), f"{key} must be a string"))
            elif key in _SENSOR_URIS and ":" not in raw:
                errors.append(FieldError((*where, key), f"{key} must be a URI string"))
        elif key in _SENSOR_TIMES:
            if parse_timestamp(raw) is None:
                errors.append(
                    FieldError((*where, key), f"{key} must be an ISO 8601 date-time with an offset")
                )
        elif key == "booleanValue":
            if not isinstance(raw, bool):
                errors.append(FieldError((*where, key), "booleanValue must be true or false"))
        elif key == "hexBinaryValue" and not (isinstance(raw, str) and _HEX.fullmatch(raw)):
            errors.append(
                FieldError((*where, key), "hexBinaryValue must be hexadecimal digits, two for each octet")
            )


def _sensor_readings(value: object, where: Location, errors: list[FieldError]) -> tuple[SensorReading, ...]:
    readings = []
    what = "sensor elements (objects with a sensorReport)"
    for index, element in enumerate(_entries(value, where, errors, what)):
        loc = _at(where, value, index)
        if type(element) is not dict:
            errors.append(FieldError(loc, f"{where[-1]} must hold {what}"))
            continue
        if not _SENSOR_ELEMENT_FIELDS.issuperset(element):
            _open_unknown_fields(element, _SENSOR_ELEMENT_FIELDS, loc, errors, "a sensorElement")
        raw_metadata = element.get("sensorMetadata")
        metadata: dict[str, Any] = {}
        if isinstance(raw_metadata, dict):
            metadata = raw_metadata
            _check_sensor_fields(
                metadata, _SENSOR_METADATA_FIELDS, (*loc, "sensorMetadata"), errors, "sensorMetadata"
            )
        elif raw_metadata is not None:
            errors.append(FieldError((*loc, "sensorMetadata"), "sensorMetadata must be an object"))
        meta_time = parse_timestamp(metadata.get("time") or metadata.get("endTime"))
        raw_reports = element.get("sensorReport")
        if not raw_reports:
            errors.append(
                FieldError((*loc, "sensorReport"), "a sensor element needs at least one sensorReport")
            )
            continue
        reports_at: Location = (*loc, "sensorReport")
        for r_index, report in enumerate(_entries(raw_reports, reports_at, errors, "sensor reports")):
            r_loc = _at(reports_at, raw_reports, r_index)
            if type(report) is not dict:
                errors.append(FieldError(r_loc, "sensorReport must hold sensor reports (objects)"))
                continue
            _check_sensor_fields(report, _SENSOR_REPORT_FIELDS, r_loc, errors, "a sensorReport")
            report_type = report.get("type")
            if report_type is None and report.get("exception") is None:
                errors.append(FieldError((*r_loc, "type"), "a sensor report needs a type (or an exception)"))
            for key, vocabulary, what in _SENSOR_VOCABULARIES:
                word = report.get(key)
                if type(word) is str and ":" not in word:
                    _check_vocabulary(word, vocabulary, what, (*r_loc, key), errors)
            number = _number(report.get("value", report.get("meanValue")))
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


def _check_shape(event_type: str, body: Mapping[str, Any], where: Location, errors: list[FieldError]) -> None:
    """What each event type must carry (the GS1 JSON schema's ``required`` and ``anyOf`` per type)."""
    action = body.get("action")
    if event_type == "TransformationEvent":
        if action is not None:
            errors.append(FieldError((*where, "action"), "a TransformationEvent has no action"))
        has_input = bool(body.get("inputEPCList") or body.get("inputQuantityList"))
        has_output = bool(body.get("outputEPCList") or body.get("outputQuantityList"))
        if not (has_input or has_output):
            errors.append(FieldError(where, "a TransformationEvent needs at least one input or output"))
        elif not (has_input and has_output) and "transformationID" not in body:
            errors.append(
                FieldError(
                    (*where, "transformationID"),
                    "a TransformationEvent with only inputs or only outputs needs a transformationID",
                )
            )
        return
    if action not in ("ADD", "OBSERVE", "DELETE"):
        errors.append(FieldError((*where, "action"), "action must be ADD, OBSERVE or DELETE"))
    if event_type == "ObjectEvent":
        if (
            "epcList" not in body
            and not body.get("quantityList")
            and not (body.get("sensorElementList") and "readPoint" in body)
        ):
            errors.append(
                FieldError(
                    where, "an ObjectEvent needs an epcList, a quantityList, or sensor data at a readPoint"
                )
            )
    elif event_type == "TransactionEvent":
        if not body.get("bizTransactionList"):
            errors.append(
                FieldError((*where, "bizTransactionList"), "a TransactionEvent needs a bizTransactionList")
            )
        if "epcList" not in body and not body.get("quantityList") and action != "DELETE":
            errors.append(FieldError(where, "a TransactionEvent needs an epcList or a quantityList"))
    else:  # AggregationEvent, AssociationEvent
        if event_type == "AssociationEvent" and not isinstance(body.get("parentID"), str):
            errors.append(FieldError((*where, "parentID"), "an AssociationEvent needs a parentID"))
        elif action == "ADD" and not isinstance(body.get("parentID"), str):
            errors.append(
                FieldError((*where, "parentID"), f"{_article(event_type)} with action ADD needs a parentID")
            )
        if not body.get("childEPCs") and not body.get("childQuantityList") and action != "DELETE":
            errors.append(
                FieldError(
                    where, f"{_article(event_type)} needs childEPCs or a childQuantityList (unless DELETE)"
                )
            )


def _article(event_type: str) -> str:
    return f"an {event_type}" if event_type[0] in "AEIOU" else f"a {event_type}"


def _party_refs(value: object, key: str, where: Location, errors: list[FieldError]) -> tuple[PartyRef, ...]:
    """A ``sourceList`` / ``destinationList``: each entry needs its ``type`` and its ``source`` (resp.
    ``destination``) URI, and carries nothing else."""
    refs = []
    known = _PARTY_FIELDS[key]
    for index, entry in enumerate(_entries(value, where, errors, f"objects with a type and a {key}")):
        if type(entry) is not dict:
            errors.append(FieldError(_at(where, value, index), f"{where[-1]} must hold objects"))
            continue
        ident, kind = entry.get(key), entry.get("type")
        if not known.issuperset(entry):
            _unknown_fields(entry, known, _at(where, value, index), errors)
        uri = type(ident) is str and ":" in ident
        if not uri:
            errors.append(
                FieldError((*_at(where, value, index), key), f"a {key} entry needs its {key}, a URI string")
            )
        kind = kind.strip() if type(kind) is str else None
        if not kind:
            errors.append(
                FieldError(
                    (*_at(where, value, index), "type"),
                    f"a {key} entry needs its type (owning_party, possessing_party, location or a URI)",
                )
            )
            continue
        kind_uri = _cbv_value(
            kind,
            _SDT,
            cbv_vocab.SOURCE_DEST_TYPES,
            "source/destination type",
            (*_at(where, value, index), "type"),
            errors,
        )
        if kind_uri is not None and uri and isinstance(ident, str):  # (mypy: uri says ident is a str)
            refs.append(PartyRef(kind_uri, canonical_value(ident.strip())))
    return tuple(refs)


_PARTY_FIELDS = {
    "source": frozenset({"type", "source"}),
    "destination": frozenset({"type", "destination"}),
    "bizTransaction": frozenset({"type", "bizTransaction"}),
}


def _biz_transactions(value: object, where: Location, errors: list[FieldError]) -> tuple[BizTransaction, ...]:
    """A ``bizTransactionList``: each entry needs its ``bizTransaction`` URI, may name its ``type``."""
    out = []
    known = _PARTY_FIELDS["bizTransaction"]
    for index, entry in enumerate(_entries(value, where, errors, "objects with a bizTransaction")):
        if type(entry) is not dict:
            errors.append(FieldError(_at(where, value, index), f"{where[-1]} must hold objects"))
            continue
        ident, kind = entry.get("bizTransaction"), entry.get("type")
        if not known.issuperset(entry):
            _unknown_fields(entry, known, _at(where, value, index), errors)
        if kind is not None:
            kind = kind.strip() if type(kind) is str else ""
            if not kind:
                errors.append(
                    FieldError(
                        (*_at(where, value, index), "type"),
                        "type must be a business transaction type (a string)",
                    )
                )
            else:
                kind = _cbv_value(
                    kind,
                    _BTT,
                    cbv_vocab.BIZ_TRANSACTION_TYPES,
                    "business transaction type",
                    (*_at(where, value, index), "type"),
                    errors,
                )
        if type(ident) is str and ":" in ident:
            out.append(BizTransaction(kind or None, ident.strip()))
        else:
            errors.append(
                FieldError(
                    (*_at(where, value, index), "bizTransaction"),
                    "a bizTransaction entry needs its bizTransaction, a URI string",
                )
            )
    return tuple(out)


def _dispositions(value: object, where: Location, errors: list[FieldError]) -> tuple[str, ...]:
    """A ``set`` / ``unset`` of a persistentDisposition: dispositions, each once (a lone string is one)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        errors.append(FieldError(where, f"{where[-1]} must name at least one disposition"))
    out: list[str] = []
    for index, item in enumerate(items):
        loc = (*where, index) if isinstance(value, list) else where
        if not isinstance(item, str) or not item.strip():
            errors.append(FieldError(loc, "a disposition must be a string"))
            continue
        disposition = _cbv_value(item.strip(), _DISP, cbv_vocab.DISPOSITIONS, "disposition", loc, errors)
        if disposition is None:
            continue
        if disposition in out:
            errors.append(FieldError(loc, f"{item} is listed twice"))
        out.append(disposition)
    return tuple(out)


def _persistent_disposition(
    value: object, where: Location, errors: list[FieldError]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(value, dict) or not ("set" in value or "unset" in value):
        errors.append(FieldError(where, "persistentDisposition must be an object with set and/or unset"))
        return (), ()
    if not _DISPOSITION_CHANGES.issuperset(value):
        _unknown_fields(value, _DISPOSITION_CHANGES, where, errors)
    return (
        _dispositions(value["set"], (*where, "set"), errors) if "set" in value else (),
        _dispositions(value["unset"], (*where, "unset"), errors) if "unset" in value else (),
    )


def _certification_info(value: object, where: Location, errors: list[FieldError]) -> tuple[str, ...]:
    """``certificationInfo``: a URI string or an array of them."""
    if isinstance(value, str) and ":" in value:
        return (value.strip(),)
    if isinstance(value, list) and all(_is_uri(item) for item in value):
        return tuple(item.strip() for item in value)
    message = "certificationInfo must be a URI string or an array of URI strings"
    if isinstance(value, list):
        errors.extend(FieldError((*where, i), message) for i, item in enumerate(value) if not _is_uri(item))
    else:
        errors.append(FieldError(where, message))
    return ()


def _error_declaration(value: object, where: Location, errors: list[FieldError]) -> dict[str, Any] | None:
    """``errorDeclaration``: its ``declarationTime``, optional ``reason`` and ``correctiveEventIDs``."""
    if not isinstance(value, dict):
        errors.append(FieldError(where, "errorDeclaration must be an object with a declarationTime"))
        return None
    _open_unknown_fields(value, _ERROR_DECLARATION_OPEN, where, errors, "an errorDeclaration")
    if parse_timestamp(value.get("declarationTime")) is None:
        errors.append(
            FieldError(
                (*where, "declarationTime"),
                "errorDeclaration needs a declarationTime, an ISO 8601 date-time with an offset",
            )
        )
    reason = value.get("reason")
    if reason is not None and not (isinstance(reason, str) and reason.strip()):
        errors.append(FieldError((*where, "reason"), "reason must be an error reason (a string)"))
    elif reason is not None:
        _cbv_value(reason.strip(), _ER, cbv_vocab.ERROR_REASONS, "error reason", (*where, "reason"), errors)
    if "correctiveEventIDs" in value:
        corrective = value["correctiveEventIDs"]
        if not isinstance(corrective, list):
            errors.append(
                FieldError((*where, "correctiveEventIDs"), "correctiveEventIDs must be an array of event IDs")
            )
        else:
            errors.extend(
                FieldError((*where, "correctiveEventIDs", i), "an event ID must be a URI string")
                for i, item in enumerate(corrective)
                if not _is_uri(item)
            )
    return value


_ERROR_DECLARATION_OPEN = _ERROR_DECLARATION_FIELDS | {"type", "id"}


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
    if "@context" in body:  # prefixes an event declares for itself (JSON-LD scoping): its extensions'
        own = context_namespaces(body["@context"])
        if own:
            namespaces = {**namespaces, **own}
    fields = _EVENT_FIELDS[event_type]
    if not fields.issuperset(body):  # user extensions, or a field the type does not have
        _open_unknown_fields(body, fields, where, errors, f"{_article(event_type)}")
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
                "eventTimeZoneOffset must be +hh:mm or -hh:mm between -14:00 and +14:00, like +01:00",
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
    texts: dict[str, str] = {}  # the text fields present, stripped
    for key in _TEXT_FIELDS:
        if key in body:
            value = body[key]
            stripped = value.strip() if isinstance(value, str) else ""
            if stripped:
                texts[key] = stripped
            else:
                errors.append(FieldError((*where, key), f"{key} must be a non-empty string"))
    event_id = texts.get("eventID")
    if event_id is not None and ":" not in event_id:
        errors.append(
            FieldError((*where, "eventID"), "eventID must be a URI string (urn:uuid:..., ni:///...)")
        )
    for key in _URI_TEXT_FIELDS:
        if key in texts and ":" not in texts[key]:
            errors.append(FieldError((*where, key), f"{key} must be a URI string"))
    read_point = _location(body["readPoint"], "readPoint", where, errors) if "readPoint" in body else None
    biz_location = (
        _location(body["bizLocation"], "bizLocation", where, errors) if "bizLocation" in body else None
    )
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
    biz_transactions: tuple[BizTransaction, ...] = ()
    if "bizTransactionList" in body:
        biz_transactions = _biz_transactions(
            get("bizTransactionList"), (*where, "bizTransactionList"), errors
        )
    sources = destinations = _NO_PARTIES
    if "sourceList" in body:
        sources = _party_refs(get("sourceList"), "source", (*where, "sourceList"), errors)
    if "destinationList" in body:
        destinations = _party_refs(get("destinationList"), "destination", (*where, "destinationList"), errors)
    persistent_set = persistent_unset = _NO_TEXTS
    if "persistentDisposition" in body:
        persistent_set, persistent_unset = _persistent_disposition(
            get("persistentDisposition"), (*where, "persistentDisposition"), errors
        )
    certification_info = _NO_TEXTS
    if "certificationInfo" in body:
        certification_info = _certification_info(
            get("certificationInfo"), (*where, "certificationInfo"), errors
        )
    error_declaration = None
    if "errorDeclaration" in body:
        error_declaration = _error_declaration(get("errorDeclaration"), (*where, "errorDeclaration"), errors)
    biz_step = disposition = None
    if "bizStep" in texts:
        biz_step = _cbv_value(
            texts["bizStep"], _BIZ_STEP, cbv_vocab.BIZ_STEPS, "business step", (*where, "bizStep"), errors
        )
    if "disposition" in texts:
        disposition = _cbv_value(
            texts["disposition"],
            _DISP,
            cbv_vocab.DISPOSITIONS,
            "disposition",
            (*where, "disposition"),
            errors,
        )
    if "ilmd" in body:
        ilmd = body["ilmd"]
        if not isinstance(ilmd, dict):
            errors.append(FieldError((*where, "ilmd"), "ilmd must be an object of master data fields"))
        else:  # master data attributes are all user vocabulary: prefixed names (cbvmda:lotNumber)
            _open_unknown_fields(ilmd, _NO_FIELDS, (*where, "ilmd"), errors, "ilmd")
    if errors:
        raise EventErrors(errors)
    assert event_time is not None and isinstance(offset, str)
    try:
        digest = event_hash(event_type, body, namespaces, ignored_fields)
    except UnicodeEncodeError:  # a lone surrogate (a parsed mapping given, not checked JSON text)
        error = not_json_text_error(body, where)
        raise EventErrors([error or FieldError(where, "holds text that is not Unicode")]) from None
    parent = texts.get("parentID")
    return EpcisEvent(
        event_type=event_type,
        body=body,
        namespaces=namespaces,
        event_hash=digest,
        hash_ignored_fields=ignored_fields,
        event_time=event_time,
        event_time_zone_offset=offset,
        record_time=record_time,
        event_id=event_id,
        action=get("action"),  # checked: ADD, OBSERVE, DELETE or (a TransformationEvent) none
        biz_step=biz_step,
        disposition=disposition,
        read_point=read_point,
        biz_location=biz_location,
        parent_id=canonical_value(parent) if parent else None,
        epcs=epc_lists[0],
        child_epcs=epc_lists[1],
        input_epcs=epc_lists[2],
        output_epcs=epc_lists[3],
        quantities=quantities,
        child_quantities=child_quantities,
        input_quantities=input_quantities,
        output_quantities=output_quantities,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_readings=readings,
        persistent_disposition_set=persistent_set,
        persistent_disposition_unset=persistent_unset,
        certification_info=certification_info,
        error_declaration=error_declaration,
    )


_BIZ_STEP, _DISP, _SDT, _BTT, _ER = (CBV + k for k in ("BizStep-", "Disp-", "SDT-", "BTT-", "ER-"))
_NO_QUANTITIES: tuple[QuantityElement, ...] = ()
_NO_PARTIES: tuple[PartyRef, ...] = ()
_NO_TEXTS: tuple[str, ...] = ()
_NO_FIELDS: frozenset[str] = frozenset()
_URI_TEXT_FIELDS = ("parentID", "transformationID")
