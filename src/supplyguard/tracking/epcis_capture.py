"""One entry point for EPCIS capture: bytes in, a checked :class:`EpcisDocument` out (or nothing),
whole (:func:`parse_epcis_document`) or slice by slice (:class:`SlicedParse`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.tracking.epcis_json import document_event_list, load_json_document, parse_epcis_json
from supplyguard.tracking.epcis_model import EpcisDocument, EpcisEvent
from supplyguard.tracking.epcis_validate import EpcisJsonSchema, check_document_semantics
from supplyguard.tracking.epcis_xml import parse_epcis_xml

__all__ = ["SLICE_EVENTS", "SlicedParse", "detect_syntax", "parse_epcis_document"]

#: Events per slice of a :class:`SlicedParse`.
SLICE_EVENTS = 2000


def detect_syntax(data: bytes, media_type: str | None = None) -> str:
    """``"xml"`` or ``"json"`` from the media type, else from the first non-blank byte."""
    if media_type:
        kind = media_type.split(";", 1)[0].strip().lower()
        if kind.endswith("xml"):
            return "xml"
        if kind.endswith("json"):
            return "json"
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "json"
    raise ValidationFailed([FieldError((), "neither an XML nor a JSON document")])


def parse_epcis_document(
    data: bytes,
    *,
    media_type: str | None = None,
    schema: EpcisJsonSchema | None = None,
    max_bytes: int | None = None,
    max_events: int | None = None,
    now: datetime | None = None,
    max_future: timedelta = timedelta(days=1),
) -> EpcisDocument:
    """Parse, validate and hash an EPCIS 2.0 document (JSON/JSON-LD or XML), all or nothing.

    JSON documents are checked against ``schema`` (the GS1 EPCIS JSON schema) when given, XML ones
    against its URI and date-time formats (:meth:`EpcisJsonSchema.validate_formats`); every
    document gets the semantic checks (event shape, times, unique eventIDs, nothing far in the future
    of ``now``). Raises :class:`ValidationFailed` with one :class:`FieldError` per offending field, or
    :class:`PayloadTooLarge` beyond ``max_bytes``.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(len(data), max_bytes)
    syntax = detect_syntax(data, media_type)
    try:
        if syntax == "xml":
            document = parse_epcis_xml(data, max_events=max_events)
            if schema is not None:  # the schema's URI and date-time formats, on the same fields
                schema.validate_formats(document)
        else:
            raw = load_json_document(data, refuse_repeated_keys=schema is not None)
            if schema is not None:
                schema.validate(raw)
            document = parse_epcis_json(raw, max_events=max_events)
    except RecursionError as exc:
        raise ValidationFailed([FieldError((), "document nested too deeply")]) from exc
    check_document_semantics(document, now=now, max_future=max_future)
    return document


class SlicedParse:
    """:func:`parse_epcis_document` slice by slice, for a consumer that stores each slice while the
    next one is parsed and commits only once the whole document has passed.

    Iterating yields the document's events in order, ``size`` at a time (fewer in the first and
    last slices: :func:`slice_bounds`), each slice as soon as it is built and hashed. Every check of
    :func:`parse_epcis_document` is made, with the same errors in the same order: a JSON document is
    parsed as a series of documents of its own header and a slice of its event list (paths given
    back in the whole list); after an invalid event no slice is yielded, the rest is still parsed for
    its errors and iteration ends by raising all of them; the checks over the whole document
    (eventIDs unique, no time far in the future) run after the last slice, before iteration ends.
    :attr:`document` is the whole document once it has.
    XML documents, and JSON that is not a plain event list, are parsed whole, then yielded in slices.
    """

    def __init__(
        self,
        data: bytes,
        *,
        media_type: str | None = None,
        schema: EpcisJsonSchema | None = None,
        max_bytes: int | None = None,
        max_events: int | None = None,
        now: datetime | None = None,
        max_future: timedelta = timedelta(days=1),
        size: int = SLICE_EVENTS,
    ) -> None:
        if max_bytes is not None and len(data) > max_bytes:
            raise PayloadTooLarge(len(data), max_bytes)
        self._data = data
        self._media_type = media_type
        self._schema = schema
        self._max_events = max_events
        self._now = now
        self._max_future = max_future
        self._size = max(1, size)
        self.document: EpcisDocument | None = None

    def __iter__(self) -> Iterator[tuple[EpcisEvent, ...]]:
        try:
            whole = yield from self._slices()
        except RecursionError as exc:
            raise ValidationFailed([FieldError((), "document nested too deeply")]) from exc
        check_document_semantics(whole, now=self._now, max_future=self._max_future)
        self.document = whole

    def _slices(self) -> Generator[tuple[EpcisEvent, ...], None, EpcisDocument]:
        if detect_syntax(self._data, self._media_type) == "xml":
            xml_document = parse_epcis_xml(self._data, max_events=self._max_events)
            if self._schema is not None:
                self._schema.validate_formats(xml_document)
            return (yield from self._whole(xml_document))
        raw = load_json_document(self._data, refuse_repeated_keys=self._schema is not None)
        if self._schema is not None:
            self._schema.validate(raw)
        try:
            events, where = document_event_list(raw)
        except ValidationFailed:  # the whole parse reports it, after any error it checks first
            return (yield from self._whole(parse_epcis_json(raw, max_events=self._max_events)))
        bounds = slice_bounds(len(events), self._size)
        if (
            where[-1] != "eventList"
            or len(bounds) < 2
            or (self._max_events is not None and len(events) > self._max_events)
        ):
            return (yield from self._whole(parse_epcis_json(raw, max_events=self._max_events)))
        parts: list[tuple[EpcisEvent, ...]] = []
        errors: list[FieldError] = []
        header: EpcisDocument | None = None
        for start, end in bounds:
            try:
                part = parse_epcis_json(_with_events(raw, where, events[start:end]))
            except ValidationFailed as exc:
                shifted = _shifted(exc.errors, where, start)
                if shifted is None:  # not about events: the header's, which the first slice meets
                    raise
                errors.extend(shifted)
                continue
            header = header or part
            parts.append(part.events)
            if not errors:
                yield part.events
        if errors:
            raise ValidationFailed(errors)
        assert header is not None
        return dataclasses.replace(header, events=tuple(chain.from_iterable(parts)))

    def _whole(self, document: EpcisDocument) -> Generator[tuple[EpcisEvent, ...], None, EpcisDocument]:
        for start, end in slice_bounds(len(document.events), self._size):
            yield document.events[start:end]
        return document


def slice_bounds(count: int, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` of the slices of ``count`` events: ``size`` events each, except that the first
    ones grow to it (an eighth, a quarter, a half) and the last ones shrink from it (halving), so
    that a consumer storing each slice while the next is parsed waits little for the first one and
    is left with little to store after the last."""
    lengths: list[int] = []
    remaining = count
    for step in (max(1, size >> 3), max(1, size >> 2), max(1, size >> 1)):
        if remaining <= 0:
            break
        lengths.append(min(step, remaining))
        remaining -= lengths[-1]
    while remaining > 2 * size:
        lengths.append(size)
        remaining -= size
    while remaining > max(1, size >> 3):
        lengths.append((remaining + 1) // 2)
        remaining -= lengths[-1]
    if remaining > 0:
        lengths.append(remaining)
    bounds, start = [], 0
    for length in lengths:
        bounds.append((start, start + length))
        start += length
    return bounds


def _with_events(node: Mapping[Any, Any], path: Sequence[str | int], events: list[Any]) -> dict[Any, Any]:
    """A shallow copy of ``node`` with ``events`` as the list at ``path`` (the document's own keys
    beside it kept, so a slice has the whole header: context, ignored fields, query results)."""
    key = path[0]
    inner = events if len(path) == 1 else _with_events(node[key], path[1:], events)
    return {**node, key: inner}


def _shifted(
    errors: Sequence[FieldError], where: tuple[str | int, ...], start: int
) -> list[FieldError] | None:
    """Errors of a slice's events with their paths in the whole list (``None``: some error is not
    about an event of the slice)."""
    depth = len(where)
    out = []
    for error in errors:
        location = error.location
        if len(location) <= depth or location[:depth] != where or type(location[depth]) is not int:
            return None
        index = location[depth]
        assert isinstance(index, int)
        out.append(FieldError((*where, index + start, *location[depth + 1 :]), error.message))
    return out
