"""EPCIS 2.0 JSON / JSON-LD documents to :class:`EpcisDocument`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.tracking.epcis_events import EventErrors, build_event
from supplyguard.tracking.epcis_hash import expand_key
from supplyguard.tracking.epcis_model import EpcisDocument, EpcisEvent

__all__ = [
    "JsonSource",
    "context_namespaces",
    "document_event_list",
    "load_json_document",
    "load_json_source",
    "parse_epcis_json",
]

DOCUMENT_TYPES = frozenset({"EPCISDocument", "EPCISQueryDocument"})


def context_namespaces(context: object) -> dict[str, str]:
    """Prefix -> IRI declared inline in a JSON-LD ``@context`` (remote contexts are not fetched)."""
    namespaces: dict[str, str] = {}
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            for prefix, iri in entry.items():
                if isinstance(iri, str) and not prefix.startswith("@"):
                    namespaces[prefix] = iri
    return namespaces


def load_json_document(data: bytes | str) -> dict[str, Any]:
    return load_json_source(data).document


@dataclass(frozen=True, slots=True)
class JsonSource:
    """A decoded JSON document with, where it could be told, the text of each event of its
    ``epcisBody.eventList`` (``None``: not known, the events are encoded again when stored)."""

    document: dict[str, Any]
    event_texts: EventTexts | None = None


class EventTexts:
    """The source text of each event of one event list: slices of the document's text, made on demand."""

    __slots__ = ("_events", "_spans", "_text")

    def __init__(self, text: str, events: list[Any], spans: list[tuple[int, int]]) -> None:
        self._text, self._events, self._spans = text, events, spans

    def describes(self, events: object) -> bool:
        return events is self._events

    def __getitem__(self, index: int) -> str:
        start, end = self._spans[index]
        return self._text[start:end]


def load_json_source(data: bytes | str) -> JsonSource:
    """Decode a JSON document (``json.loads`` semantics and errors) and find its events' text."""
    if isinstance(data, bytes):
        data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        found = _with_event_texts(data)
        document = found.document if found is not None else json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError((), f"not valid JSON: {exc}")]) from exc
    except RecursionError as exc:
        raise ValidationFailed([FieldError((), "JSON nested too deeply")]) from exc
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError((), "an EPCIS document must be a JSON object")])
    return found if found is not None else JsonSource(document)


# --- the events' own text ----------------------------------------------------------------------------
# The top-level object and its epcisBody are walked here, every value inside them decoded by the json
# module's own scanner (so the result is exactly json.loads's, duplicate keys included); the span of
# each event of epcisBody.eventList is kept, so a captured event is stored as the text it came in
# rather than encoded again. Anything unusual (not ASCII, a syntax error, another shape) gives up and
# json.loads decodes the whole document as before, with its own error messages.

_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: json's own (C) scanners: a value at an index -> (value, end); a string's rest -> (text, end)
_scan_value: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_scan_key: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009


def _skip(text: str, index: int) -> int:
    """The index of the first non-whitespace character from ``index`` (JSON whitespace)."""
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]  # "*" always matches


class _GiveUp(Exception):
    pass


def _with_event_texts(data: bytes | str) -> JsonSource | None:
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
        if not text.isascii():
            return None
        lists: list[tuple[list[Any], list[tuple[int, int]]]] = []
        start = _skip(text, 0)
        if text[start : start + 1] != "{":
            return None
        document, end = _object(
            text, start, lambda key, i: _body(text, i, lists) if key == "epcisBody" else None
        )
        if _skip(text, end) != len(text):
            return None
    except Exception:  # json.loads decides, and words, every error itself
        return None
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, dict) else None
    for candidate, spans in lists:
        if candidate is events:
            return JsonSource(document, EventTexts(text, candidate, spans))
    return JsonSource(document)


Walk = Callable[[str, int], "tuple[Any, int] | None"]


def _object(text: str, index: int, walk: Walk) -> tuple[dict[str, Any], int]:
    """The object at ``text[index] == "{"``; ``walk(key, i)`` may decode a value itself."""
    result: dict[str, Any] = {}
    i = _skip(text, index + 1)
    if text[i : i + 1] == "}":
        return result, i + 1
    while True:
        if text[i : i + 1] != '"':
            raise _GiveUp
        key, i = _scan_key(text, i + 1)
        i = _skip(text, i)
        if text[i : i + 1] != ":":
            raise _GiveUp
        i = _skip(text, i + 1)
        walked = walk(key, i)
        value, i = walked if walked is not None else _scan_value(text, i)
        result[key] = value
        i = _skip(text, i)
        if text[i : i + 1] == "}":
            return result, i + 1
        if text[i : i + 1] != ",":
            raise _GiveUp
        i = _skip(text, i + 1)


def _body(
    text: str, index: int, lists: list[tuple[list[Any], list[tuple[int, int]]]]
) -> tuple[Any, int] | None:
    if text[index : index + 1] != "{":
        return None
    return _object(text, index, lambda key, i: _event_list(text, i, lists) if key == "eventList" else None)


def _event_list(
    text: str, index: int, lists: list[tuple[list[Any], list[tuple[int, int]]]]
) -> tuple[Any, int] | None:
    if text[index : index + 1] != "[":
        return None
    events: list[Any] = []
    spans: list[tuple[int, int]] = []
    i = _skip(text, index + 1)
    if text[i : i + 1] == "]":
        lists.append((events, spans))
        return events, i + 1
    while True:
        value, end = _scan_value(text, i)
        events.append(value)
        spans.append((i, end))
        i = _skip(text, end)
        if text[i : i + 1] == "]":
            lists.append((events, spans))
            return events, i + 1
        if text[i : i + 1] != ",":
            raise _GiveUp
        i = _skip(text, i + 1)


def document_event_list(document: Mapping[str, Any]) -> tuple[list[Any], tuple[str | int, ...]]:
    """The events of an EPCIS (query) document and the location of their list."""
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError(("epcisBody",), "missing epcisBody")])
    where: tuple[str | int, ...]
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
    data: bytes | str | Mapping[str, Any] | JsonSource, *, max_events: int | None = None
) -> EpcisDocument:
    """Parse and check an EPCIS 2.0 JSON/JSON-LD document; refuse it whole if any event is invalid."""
    source = data if isinstance(data, JsonSource) else None
    if source is None:
        source = JsonSource(data) if isinstance(data, Mapping) else load_json_source(data)  # type: ignore[arg-type]
    document = source.document
    document_type = document.get("type")
    if document_type not in DOCUMENT_TYPES:
        raise ValidationFailed([FieldError(("type",), "type must be EPCISDocument or EPCISQueryDocument")])
    namespaces = context_namespaces(document.get("@context"))
    events_json, where = document_event_list(document)
    if max_events is not None and len(events_json) > max_events:
        raise ValidationFailed(
            [FieldError(where, f"{len(events_json)} events exceed the limit of {max_events}")]
        )
    ignored = _ignored_fields(document, namespaces)
    texts = source.event_texts
    if texts is not None and not texts.describes(events_json):
        texts = None
    events: list[EpcisEvent] = []
    errors: list[FieldError] = []
    for index, body in enumerate(events_json):
        if not isinstance(body, dict):
            errors.append(FieldError((*where, index), "an event must be an object"))
            continue
        try:
            text = texts[index] if texts is not None and not errors else None
            events.append(build_event(body, namespaces, (*where, index), ignored, text))
        except EventErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return EpcisDocument(
        document_type=str(document_type),
        schema_version=str(document.get("schemaVersion", "")),
        creation_date=document.get("creationDate") if isinstance(document.get("creationDate"), str) else None,
        events=tuple(events),
        namespaces=namespaces,
        syntax="json",
    )
