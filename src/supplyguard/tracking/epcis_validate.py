"""Validation of EPCIS documents: the GS1 JSON schema plus checks the schema cannot express.

The GS1 schema (``EPCIS-JSON-Schema.json`` of the standard) is passed in as a dict, so the engine
never reads files: the service layer loads it once from package data and keeps the compiled
:class:`EpcisJsonSchema`. Every failure is reported with the path of the offending field.

The schema's ``format`` keywords are checked too (``uri``: RFC 3986, by ``rfc3986-validator``;
``date-time``: RFC 3339, by ``rfc3339-validator``; the checkers jsonschema uses when they are
installed, both required dependencies). An XML document is not a JSON one, so the schema as a whole
is not applied to it, but :meth:`EpcisJsonSchema.validate_formats` checks the same formats on the
same fields of its events' JSON form (:data:`FORMATTED_FIELDS`).

One key the schema does not name is accepted where the node's own XML mapping writes it
(:data:`NODE_KEYS`): ``#text``, the text of a ``sensorMetadata`` / ``sensorReport``, so that the
node's JSON-LD output of any event it captured from XML is captured again in strict mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import jsonschema

from supplyguard.errors import ConfigurationError, FieldError, ValidationFailed
from supplyguard.tracking.epcis_model import EpcisDocument

__all__ = [
    "FORMATTED_FIELDS",
    "NAMED_OBJECTS",
    "NODE_KEYS",
    "EpcisJsonSchema",
    "check_document_semantics",
    "extension_names",
    "formatted_values",
]

_MAX_SCHEMA_ERRORS = 50
_FORMATS = {
    "uri": "rfc3986-validator",  # the checker jsonschema registers when the package is installed
    "date-time": "rfc3339-validator",
}


class EpcisJsonSchema:
    """The GS1 EPCIS 2.0 JSON schema, compiled once (draft-07)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(schema)
        definitions = schema.get("definitions", {})
        if isinstance(definitions, dict):
            definitions = _with_node_keys(definitions)
        # local $refs inlined once: reference resolution is most of jsonschema's time on this schema
        inlined = (
            _inline_refs(dict(schema), definitions, frozenset()) if isinstance(definitions, dict) else schema
        )
        self._formats = _remembering_format_checker(validator_class.FORMAT_CHECKER)
        self._validator = validator_class(inlined, format_checker=self._formats)

    def errors(self, document: Mapping[str, Any]) -> list[FieldError]:
        """Field errors of ``document``, deepest first, at most 50."""
        found: list[FieldError] = []
        for error in sorted(self._validator.iter_errors(document), key=lambda e: -len(e.absolute_path)):
            for reported in _reasons(error):
                field_error = FieldError(tuple(reported.absolute_path), _message(reported))
                if field_error not in found:
                    found.append(field_error)
            if len(found) >= _MAX_SCHEMA_ERRORS:
                break
        return found[:_MAX_SCHEMA_ERRORS]

    def validate(self, document: Mapping[str, Any]) -> None:
        """Raise :class:`ValidationFailed` when ``document`` does not follow the schema."""
        errors = self.errors(document)
        if errors:
            raise ValidationFailed(errors)

    def format_errors(self, document: EpcisDocument) -> list[FieldError]:
        """The fields of a parsed (XML) document whose value is not the URI or date-time the schema
        asks for there (``format``), and the extension names that are no URI where the schema asks
        names to be one (:func:`extension_names`), each with its path, at most 50."""
        found: list[FieldError] = []
        if document.creation_date is not None and not self._formats.conforms(
            document.creation_date, "date-time"
        ):
            found.append(FieldError(("creationDate",), _FORMAT_MESSAGES["date-time"](document.creation_date)))
        for index, event in enumerate(document.events):
            for where, value, format_name in formatted_values(event.body):
                if not self._formats.conforms(value, format_name):
                    found.append(
                        FieldError(
                            ("epcisBody", "eventList", index, *where), _FORMAT_MESSAGES[format_name](value)
                        )
                    )
                    if len(found) >= _MAX_SCHEMA_ERRORS:
                        return found
            for where, name in extension_names(event.body):
                if not self._formats.conforms(name, _URI):
                    found.append(FieldError(("epcisBody", "eventList", index, *where), _name_message(name)))
                    if len(found) >= _MAX_SCHEMA_ERRORS:
                        return found
        return found

    def validate_formats(self, document: EpcisDocument) -> None:
        """Raise :class:`ValidationFailed` when a parsed (XML) document lacks the ``schemaVersion``
        or ``creationDate`` its header needs (required attributes in the XSD, required properties
        of an ``EPCISDocument`` in the schema) or a field of it breaks its schema ``format``."""
        errors = [
            FieldError((name,), f"an EPCIS document needs its {name}")
            for name, value in (
                ("schemaVersion", document.schema_version),
                ("creationDate", document.creation_date),
            )
            if not value
        ]
        errors.extend(self.format_errors(document))
        if errors:
            raise ValidationFailed(errors)


#: Keys the node writes itself that the GS1 schema names nowhere, accepted by strict mode where the
#: node's XML mapping puts them, as a string: ``#text``, the text of an XML ``sensorMetadata`` /
#: ``sensorReport`` (their XSD types extend ``xsd:string``; the GS1 reference hash reads an element's
#: text from that key too), so that the node's own JSON-LD of such an event is captured strictly.
NODE_KEYS: Mapping[str, str] = {"sensorMetadata": "#text", "sensorReport": "#text"}


def _with_node_keys(definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's definitions with :data:`NODE_KEYS` allowed (as strings) in the objects named."""
    out = dict(definitions)
    for name, key in NODE_KEYS.items():
        definition = out.get(name)
        if not isinstance(definition, dict):
            continue
        definition = dict(definition)
        if isinstance(definition.get("properties"), dict):
            definition["properties"] = {**definition["properties"], key: {"type": "string"}}
        names = definition.get("propertyNames")
        if isinstance(names, dict) and isinstance(names.get("anyOf"), list):
            definition["propertyNames"] = {
                **names,
                "anyOf": [*names["anyOf"], {"type": "string", "enum": [key]}],
            }
        out[name] = definition
    return out


def _remembering_format_checker(formats: jsonschema.FormatChecker) -> jsonschema.FormatChecker:
    """jsonschema's own ``uri`` and ``date-time`` checkers, each verdict remembered per distinct value
    (a document repeats its locations, steps and vocabulary values from event to event, and the
    schema's ``anyOf`` asks about some values more than once); a :class:`ConfigurationError` when
    one is missing, as jsonschema would silently skip that format."""
    missing = [f"{name} ({package})" for name, package in _FORMATS.items() if name not in formats.checkers]
    if missing:
        raise ConfigurationError(
            "the EPCIS schema's formats cannot be checked: install " + ", ".join(missing)
        )
    remembering = jsonschema.FormatChecker(formats=())
    for name in _FORMATS:
        check, raises = formats.checkers[name]
        remembering.checks(name, raises)(_remembered(check))
    return remembering


def _remembered(check: Callable[[object], bool]) -> Callable[[object], bool]:
    cached = lru_cache(maxsize=65536)(check)

    def conforms(instance: object) -> bool:
        return cached(instance) if isinstance(instance, str) else check(instance)

    return conforms


_URI = "uri"  # a URI (or an array of them: each is checked)
_WORD_OR_URI = "vocabulary"  # a bare CBV/GS1 word (judged by the capture checks) or a URI
_TIME = "date-time"

#: The fields of an event's JSON form that the GS1 schema gives ``format: uri`` (its ``uri``, ``id``,
#: ``eventID`` and ``vocab-uri`` definitions) or ``format: date-time`` (``time``), by the object that
#: holds them. A vocabulary field (``bizStep``...) may instead hold a bare word of the CBV: the
#: schema's ``anyOf`` allows either, so only its values that are URIs (hold a ``:``) are checked.
FORMATTED_FIELDS: Mapping[str, Mapping[str, str]] = {
    "event": {
        "eventTime": _TIME,
        "recordTime": _TIME,
        "eventID": _URI,
        "certificationInfo": _URI,
        "epcList": _URI,
        "childEPCs": _URI,
        "inputEPCList": _URI,
        "outputEPCList": _URI,
        "parentID": _URI,
        "transformationID": _URI,
        "bizStep": _WORD_OR_URI,
        "disposition": _WORD_OR_URI,
    },
    "readPoint": {"id": _URI},
    "bizLocation": {"id": _URI},
    "quantityElement": {"epcClass": _URI},
    "bizTransaction": {"bizTransaction": _URI, "type": _WORD_OR_URI},
    "source": {"source": _URI, "type": _WORD_OR_URI},
    "destination": {"destination": _URI, "type": _WORD_OR_URI},
    "persistentDisposition": {"set": _WORD_OR_URI, "unset": _WORD_OR_URI},
    "errorDeclaration": {"declarationTime": _TIME, "reason": _WORD_OR_URI, "correctiveEventIDs": _URI},
    "sensorMetadata": {
        "time": _TIME,
        "startTime": _TIME,
        "endTime": _TIME,
        **dict.fromkeys(("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"), _URI),
    },
    "sensorReport": {
        "time": _TIME,
        **dict.fromkeys(("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"), _URI),
        **dict.fromkeys(
            ("microorganism", "chemicalSubstance", "coordinateReferenceSystem", "uriValue"), _URI
        ),
        **dict.fromkeys(("type", "exception", "component"), _WORD_OR_URI),
    },
}
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_PARTY_LISTS = (
    ("bizTransactionList", "bizTransaction"),
    ("sourceList", "source"),
    ("destinationList", "destination"),
)
_FORMAT_MESSAGES: dict[str, Callable[[object], str]] = {
    _URI: lambda value: f"{value!r} is not a URI (RFC 3986: a scheme, then no spaces or stray characters)",
    _TIME: lambda value: (
        f"{value!r} is not a date-time (RFC 3339: date, T, time with seconds and an offset: "
        "2020-03-04T10:00:30Z)"
    ),
}

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str, str]]


def _entries(value: object, where: Path) -> Iterator[tuple[Path, object]]:
    """A list field's entries with their paths (a lone value: one entry at the field itself)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield (*where, index), item
    else:
        yield where, value


def _fields(holder: object, kind: str, where: Path) -> Found:
    """(path, value, format) of the string values of ``holder`` (a ``kind`` object) with a format."""
    if not isinstance(holder, dict):
        return
    for key, how in FORMATTED_FIELDS[kind].items():
        if key in holder:
            for at, item in _entries(holder[key], (*where, key)):
                if isinstance(item, str) and (how != _WORD_OR_URI or ":" in item):
                    yield at, item, _TIME if how == _TIME else _URI


def formatted_values(event: Mapping[str, Any]) -> Found:
    """Every string value of an event (JSON form) that the GS1 schema gives a ``uri`` or
    ``date-time`` format: (its path in the event, the value, the format's name)."""
    yield from _fields(event, "event", ())
    for key in ("readPoint", "bizLocation", "persistentDisposition", "errorDeclaration"):
        if key in event:
            yield from _fields(event[key], key, (key,))
    for key in _QUANTITY_LISTS:
        if key in event:
            for at, item in _entries(event[key], (key,)):
                yield from _fields(item, "quantityElement", at)
    for key, kind in _PARTY_LISTS:
        if key in event:
            for at, item in _entries(event[key], (key,)):
                yield from _fields(item, kind, at)
    if "sensorElementList" in event:
        for at, element in _entries(event["sensorElementList"], ("sensorElementList",)):
            if isinstance(element, dict):
                yield from _fields(element.get("sensorMetadata"), "sensorMetadata", (*at, "sensorMetadata"))
                for r_at, report in _entries(element.get("sensorReport"), (*at, "sensorReport")):
                    yield from _fields(report, "sensorReport", r_at)


#: The objects of an event's JSON form whose names the GS1 schema checks (``propertyNames``): a name
#: that is not one of its own, an extension's ``prefix:local``, must be a URI (``format: uri``), so
#: its prefix a URI scheme (``my_ns:foo`` is refused: ``_`` is no scheme character).
NAMED_OBJECTS = ("event", "errorDeclaration", "ilmd", "sensorElement", "sensorMetadata", "sensorReport")


def _names(holder: object, where: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(holder, dict):
        for key in holder:
            if isinstance(key, str) and ":" in key:
                yield (*where, key), key


def extension_names(event: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """(path, name) of each prefixed name (``ex:lane``) of an event (JSON form) in the objects whose
    names the GS1 schema checks as URIs (:data:`NAMED_OBJECTS`); the XML path checks them so that
    strict mode refuses in XML the extension names it refuses in JSON."""
    yield from _names(event, ())
    for key in ("errorDeclaration", "ilmd"):
        if key in event:
            yield from _names(event[key], (key,))
    if "sensorElementList" in event:
        for at, element in _entries(event["sensorElementList"], ("sensorElementList",)):
            if isinstance(element, dict):
                yield from _names(element, at)
                yield from _names(element.get("sensorMetadata"), (*at, "sensorMetadata"))
                for r_at, report in _entries(element.get("sensorReport"), (*at, "sensorReport")):
                    yield from _names(report, r_at)


def _name_message(name: str) -> str:
    return (
        f"{name!r} is not a URI, as an extension's name must be: its prefix must be a URI scheme "
        "(a letter, then letters, digits, '+', '-' or '.') and no spaces or stray characters follow"
    )


def _inline_refs(node: Any, definitions: Mapping[str, Any], open_refs: frozenset[str]) -> Any:
    """``node`` with ``#/definitions/...`` references replaced by their targets (recursive ones kept)."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions, open_refs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        name = unquote(ref.removeprefix("#/definitions/"))
        if name in definitions and name not in open_refs:
            target = _inline_refs(definitions[name], definitions, open_refs | {name})
            rest = {k: _inline_refs(v, definitions, open_refs) for k, v in node.items() if k != "$ref"}
            return {"allOf": [target, rest]} if rest else target
    inlined = {k: _inline_refs(v, definitions, open_refs) for k, v in node.items()}
    if isinstance(inlined.get("anyOf"), list):
        # a list of words first: "epcList" matches ObjectEvent's own names at once instead of failing
        # the URI format of the extension-name alternative (an error object built and dropped) first;
        # which alternatives pass, and so the verdict, does not depend on their order
        inlined["anyOf"] = sorted(inlined["anyOf"], key=lambda alternative: "enum" not in alternative)
    return inlined


def _format_errors_under(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The ``format`` failures among the alternatives of an ``anyOf`` / ``oneOf``, however deep."""
    found = []
    for alternative in error.context or ():
        if alternative.validator == "format":
            found.append(alternative)
        elif alternative.context:
            found.extend(_format_errors_under(alternative))
    return found


def _reasons(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """What to report for ``error``: an ``anyOf`` that failed because a value is no URI or date-time
    (``bizStep``, ``certificationInfo``, an event whose ``epcList`` holds a bad EPC) is reported as
    those format failures, at their own paths, rather than as "not valid under any of the given
    schemas" at the enclosing object."""
    if error.validator in ("anyOf", "oneOf"):
        formats = _format_errors_under(error)
        if formats:
            return formats
    return [error]


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "format" and error.validator_value in _FORMAT_MESSAGES:
        value = error.instance
        parent = error.parent
        if isinstance(value, str) and ":" not in value and parent is not None and not error.relative_path:
            # the URI alternative of a value's own anyOf: a bare word, not a standard one either
            message = f"{value!r} is neither one of the standard values here nor a URI"
        else:
            message = _FORMAT_MESSAGES[error.validator_value](value)
    else:
        message = str(error.message)
    return message if len(message) <= 300 else message[:297] + "..."


def check_document_semantics(
    document: EpcisDocument,
    *,
    now: datetime | None = None,
    max_future: timedelta = timedelta(days=1),
) -> None:
    """Checks beyond the schema: unique event IDs, no event time far in the future."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for index, event in enumerate(document.events):
        where: tuple[str | int, ...] = ("epcisBody", "eventList", index)
        if event.event_id:
            if event.event_id in seen:
                errors.append(
                    FieldError(
                        (*where, "eventID"), f"eventID {event.event_id} repeats event {seen[event.event_id]}"
                    )
                )
            seen.setdefault(event.event_id, index)
        if now is not None and event.event_time > now + max_future:
            errors.append(
                FieldError(
                    (*where, "eventTime"), f"eventTime {event.event_time.isoformat()} is in the future"
                )
            )
    if errors:
        raise ValidationFailed(errors)
