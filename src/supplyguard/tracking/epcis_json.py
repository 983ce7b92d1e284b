"""EPCIS 2.0 JSON / JSON-LD documents to :class:`EpcisDocument`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.tracking.epcis_events import (
    EventErrors,
    build_event,
    context_namespaces,
    not_json_text_error,
    parse_timestamp,
)
from supplyguard.tracking.epcis_hash import expand_key
from supplyguard.tracking.epcis_model import EpcisDocument, EpcisEvent

__all__ = [
    "SCHEMA_VERSION",
    "context_namespaces",
    "document_event_list",
    "load_json_document",
    "may_hold_non_text",
    "parse_epcis_json",
]

DOCUMENT_TYPES = frozenset({"EPCISDocument", "EPCISQueryDocument"})
SCHEMA_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*\Z")  # the GS1 schema's "version" pattern
#: a UTF-16 surrogate (half of a pair, or alone) as a JSON escape, or written out: how JSON text comes
#: to hold a string that is not Unicode text
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")  # a surrogate's UTF-8 form (not valid UTF-8)
_SURROGATE_CHAR = re.compile("[\ud800-\udfff]")


def load_json_document(data: bytes | str, *, refuse_repeated_keys: bool = False) -> dict[str, Any]:
    """The JSON object ``data`` holds. A name given twice in one object is taken with its last value
    (``json.loads``, as the GS1 reference hash's ``JSON.parse`` does), or, with
    ``refuse_repeated_keys`` (strict mode), refused at its path: RFC 8259 leaves the meaning of such
    an object to each reader, so two readers may see two different events."""
    if isinstance(data, bytes):
        data = data.removeprefix(b"\xef\xbb\xbf")
    repeated: list[tuple[dict[str, Any], str]] = []
    try:
        if refuse_repeated_keys:
            document = json.loads(data, object_pairs_hook=_noting_repeats(repeated))
        else:
            document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError((), f"not valid JSON: {exc}")]) from exc
    except RecursionError as exc:
        raise ValidationFailed([FieldError((), "JSON nested too deeply")]) from exc
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError((), "an EPCIS document must be a JSON object")])
    if may_hold_non_text(data):
        error = not_json_text_error(document, ())
        if error is not None:
            raise ValidationFailed([error])
    if repeated:
        errors = _repeated_key_errors(document, repeated)
        if errors:
            raise ValidationFailed(errors)
    return document


def may_hold_non_text(text: str | bytes) -> bool:
    """Whether JSON ``text`` may hold what :func:`not_json_text_error` looks for: a UTF-16 surrogate
    escaped (a pair, or half of one alone) or written out (``json.loads`` decodes bytes with
    ``surrogatepass``, as the capture does), or the word ``NaN`` or ``Infinity`` (in a string, or as
    the value ``json.loads`` takes and JSON does not have). Most documents hold none of them:
    substring searches first (as fast as a byte search) spare them the patterns."""
    if isinstance(text, bytes):
        return (
            (b"\\u" in text and _SURROGATE_ESCAPE_BYTES.search(text) is not None)
            or (b"\xed" in text and _SURROGATE_BYTES.search(text) is not None)
            or b"NaN" in text
            or b"Infinity" in text
        )
    return (
        ("\\u" in text and _SURROGATE_ESCAPE.search(text) is not None)
        or (not text.isascii() and _SURROGATE_CHAR.search(text) is not None)
        or "NaN" in text
        or "Infinity" in text
    )


def _noting_repeats(
    repeated: list[tuple[dict[str, Any], str]],
) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An ``object_pairs_hook`` building each object as ``json.loads`` does, noting (object, name) of
    each name it finds twice in one object (the object's path is found afterwards, only then)."""

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            for key, _value in pairs:
                if key in seen:
                    repeated.append((built, key))
                seen.add(key)
        return built

    return build


def _repeated_key_errors(
    document: dict[str, Any], repeated: list[tuple[dict[str, Any], str]]
) -> list[FieldError]:
    """One error per repeated name, at its path (``epcisBody.eventList.3.eventTime``), inner objects
    first (the order ``json.loads`` finishes them in). One repeat is tolerated, the last value kept:
    an event's ``eventID`` (GS1's own ``AssociationEvent-h`` example gives its event a hash ID and
    then a UUID), as the numeric ``schemaVersion`` of its simple-context examples is."""
    paths: dict[int, tuple[str | int, ...]] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            paths[id(node)] = where
            stack.extend((value, (*where, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*where, index)) for index, value in enumerate(node))
    errors = []
    for holder, key in repeated:
        at = paths.get(id(holder), ())
        if not (key == "eventID" and _is_event_path(at)):
            errors.append(FieldError((*at, key), f"{key!r} appears more than once in one JSON object"))
    return errors


def _is_event_path(where: tuple[str | int, ...]) -> bool:
    """Whether ``where`` is the path of an event (an entry of an event list, or a body's lone event)."""
    return where[-2:] == ("epcisBody", "event") or (
        len(where) >= 2 and where[-2] == "eventList" and isinstance(where[-1], int)
    )


def document_event_list(document: Mapping[str, Any]) -> tuple[list[Any], tuple[str | int, ...]]:
    """The events of an EPCIS (query) document and the location of their list."""
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError(("epcisBody",), "missing epcisBody")])
    where: tuple[str | int, ...]
    present = [key for key in ("eventList", "queryResults", "event") if key in body]
    if len(present) > 1:  # one would be read and the other dropped
        raise ValidationFailed(
            [FieldError(("epcisBody", present[1]), f"epcisBody holds both {present[0]} and {present[1]}")]
        )
    if "eventList" in body:
        events, where = body["eventList"], ("epcisBody", "eventList")
    elif "queryResults" in body:
        results = (
            body["queryResults"].get("resultsBody", {}) if isinstance(body["queryResults"], dict) else {}
        )
        events = results.get("eventList") if isinstance(results, dict) else None
        where = ("epcisBody", "queryResults", "resultsBody", "eventList")
    elif "event" in body:
        events, where = [body["event"]], ("epcisBody", "event")
    else:
        raise ValidationFailed([FieldError(("epcisBody",), "epcisBody holds no eventList")])
    if not isinstance(events, list):
        raise ValidationFailed([FieldError(where, "the event list must be an array")])
    return events, where


def _legacy_number(version: object, context: object) -> bool:
    """A numeric ``schemaVersion`` (``2.0``) in a document on the pre-release simple context.

    GS1's own ``JSON-simple-context`` examples write it so; EPCIS 2.0 documents carry the string.
    """
    if not isinstance(version, int | float) or isinstance(version, bool):
        return False
    entries = context if isinstance(context, list) else [context]
    return any(isinstance(e, str) and e.endswith("/epcis-context-simple.jsonld") for e in entries)


def _ignored_fields(document: Mapping[str, Any], namespaces: Mapping[str, str]) -> frozenset[str]:
    """Extension fields a document asks to leave out of the event hash (``<prefix>:ignoreFields``)."""
    body = document.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, dict) else None
    places = [document, *([results] if isinstance(results, dict) else [])]
    for key, value in (item for place in places for item in place.items()):
        if key == "ignoreFields" or key.endswith(":ignoreFields"):
            items = value if isinstance(value, list) else [value]
            return frozenset(expand_key(item, namespaces) for item in items if isinstance(item, str))
    return frozenset()


def parse_epcis_json(
    data: bytes | str | Mapping[str, Any], *, max_events: int | None = None
) -> EpcisDocument:
    """Parse and check an EPCIS 2.0 JSON/JSON-LD document; refuse it whole if any event is invalid."""
    document = data if isinstance(data, Mapping) else load_json_document(data)
    document_type = document.get("type")
    if document_type not in DOCUMENT_TYPES:
        raise ValidationFailed([FieldError(("type",), "type must be EPCISDocument or EPCISQueryDocument")])
    schema_version = document.get("schemaVersion", "")
    if not isinstance(schema_version, str) and _legacy_number(schema_version, document.get("@context")):
        schema_version = str(schema_version)
    if not (
        isinstance(schema_version, str) and (schema_version == "" or SCHEMA_VERSION.match(schema_version))
    ):
        raise ValidationFailed(
            [FieldError(("schemaVersion",), 'schemaVersion must be a version string like "2.0"')]
        )
    creation_date = document.get("creationDate")
    if creation_date is not None and parse_timestamp(creation_date) is None:
        raise ValidationFailed(
            [FieldError(("creationDate",), "creationDate must be an ISO 8601 date-time with an offset")]
        )
    namespaces = context_namespaces(document.get("@context"))
    events_json, where = document_event_list(document)
    if max_events is not None and len(events_json) > max_events:
        raise ValidationFailed(
            [FieldError(where, f"{len(events_json)} events exceed the limit of {max_events}")]
        )
    ignored = _ignored_fields(document, namespaces)
    events: list[EpcisEvent] = []
    errors: list[FieldError] = []
    for index, body in enumerate(events_json):
        if not isinstance(body, dict):
            errors.append(FieldError((*where, index), "an event must be an object"))
            continue
        try:
            events.append(build_event(body, namespaces, (*where, index), ignored))
        except EventErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return EpcisDocument(
        document_type=str(document_type),
        schema_version=schema_version,
        creation_date=creation_date,
        events=tuple(events),
        namespaces=namespaces,
        syntax="json",
    )
