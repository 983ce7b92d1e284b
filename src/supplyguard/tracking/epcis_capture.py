"""One entry point for EPCIS capture: bytes in, a checked :class:`EpcisDocument` out (or nothing),
whole (:func:`parse_epcis_document`) or slice by slice (:class:`SlicedParse`)."""

from __future__ import annotations

import dataclasses
import json
import json.scanner
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.tracking.epcis_json import (
    document_event_list,
    load_json_document,
    may_hold_non_text,
    parse_epcis_json,
)
from supplyguard.tracking.epcis_model import EpcisDocument, EpcisEvent
from supplyguard.tracking.epcis_validate import EpcisJsonSchema, check_document_semantics
from supplyguard.tracking.epcis_xml import parse_epcis_xml

__all__ = ["SLICE_EVENTS", "ParseAgain", "SlicedParse", "detect_syntax", "parse_epcis_document"]

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


class ParseAgain(Exception):
    """A streamed :class:`SlicedParse` met what it reads only by loading the whole document (members
    after the event list, a repeated ``epcisBody``) and found the whole document valid: the slices it
    yielded may differ from the whole parse's and must be dropped; parse again with ``stream=False``."""


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

    With ``stream`` (and no ``schema``, which needs the whole JSON), a JSON document whose
    ``epcisBody`` ends with its ``eventList`` and whose first event is on one line (not
    pretty-printed) is read event by event: the header first, then each
    slice's events decoded as the slice is built, so the first slice comes after a few hundred
    events are read instead of after the whole document is decoded (a forked worker's first slice of
    a 20,000-event bench document: 15 instead of 53 ms). The slices, document and errors are the
    same: on the first error of any kind
    (JSON syntax, a bad event, the event limit) no further slice is yielded and the unstreamed parse
    runs to raise the errors the whole parse gives; if that parse finds the document valid (members
    after the event list changed what the header said), iteration raises :class:`ParseAgain`.
    A streamed slice's events come with their JSON text as sent (:attr:`slice_texts`).
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
        stream: bool = False,
    ) -> None:
        if max_bytes is not None and len(data) > max_bytes:
            raise PayloadTooLarge(len(data), max_bytes)
        self._data = data
        self._stream = stream
        #: each event's JSON text as the document holds it, for the slice last yielded, where the
        #: parse read the events one by one (streamed); else None
        self.slice_texts: list[str] | None = None
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
        if self._stream and self._schema is None:
            text = _json_text(self._data)
            if text is not None:
                # a surrogate escape or a NaN (rare) is checked on the whole document: refused at its path
                start = None if may_hold_non_text(text) else _stream_start(text)
                if start is not None:
                    return (yield from self._streamed(text, *start))
                return (yield from self._loaded(text))  # decoded once
        return (yield from self._loaded())

    def _loaded(self, text: str | None = None) -> Generator[tuple[EpcisEvent, ...], None, EpcisDocument]:
        """The JSON document loaded whole (from ``text``, the bytes already decoded as json.loads
        decodes them, when given), then parsed and yielded slice by slice."""
        data = self._data if text is None else text
        raw = load_json_document(data, refuse_repeated_keys=self._schema is not None)
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

    def _streamed(
        self, text: str, header: dict[str, Any], at: int
    ) -> Generator[tuple[EpcisEvent, ...], None, EpcisDocument]:
        """The events of ``text``'s event list (from ``at``, just after its ``[``) decoded and parsed
        slice by slice, with the header read before it; any error: :meth:`_verdict`."""
        where = ("epcisBody", "eventList")
        size, limit = self._size, self._max_events
        ramp = [max(1, size >> 3), max(1, size >> 2), max(1, size >> 1)]
        scan = _SCAN  # a value at a position, and where it ends (StopIteration: none)
        cut = ramp[0]  # pending events that make the next slice
        pending: list[Any] = []  # decoded events not parsed yet
        pending_texts: list[str] = []  # their JSON text
        parts: list[tuple[EpcisEvent, ...]] = []
        first: EpcisDocument | None = None
        done = 0  # events yielded

        def parse(count: int) -> tuple[EpcisEvent, ...] | None:
            nonlocal first, done
            chunk = pending[:count]
            del pending[:count]
            self.slice_texts = pending_texts[:count]
            del pending_texts[:count]
            try:
                part = parse_epcis_json(_with_events(header, where, chunk))
            except ValidationFailed:
                return None
            first = first or part
            parts.append(part.events)
            done += count
            return part.events

        try:
            at = _skip(text, at)
            closed = text[at : at + 1] == "]"
            while not closed:
                event, end = scan(text, at)
                if not done and not pending and "\n" in text[at:end]:
                    # pretty-printed: its events' text would not be stored as sent, and decoding
                    # event by event costs more than the whole at once (nothing yielded yet)
                    return (yield from self._loaded(text))
                pending.append(event)
                pending_texts.append(text[at:end])
                at = end
                if limit is not None and done + len(pending) > limit:
                    return (yield from self._verdict())
                # a slice is cut as soon as its length is the one slice_bounds gives the whole list:
                # the first ones grow to the size; a full one leaves more than twice the size
                if len(pending) >= cut:
                    slice_number = len(parts)
                    count = ramp[slice_number] if slice_number < 3 else size
                    events = parse(count)
                    if events is None:
                        return (yield from self._verdict())
                    yield events
                    cut = ramp[slice_number + 1] if slice_number < 2 else 2 * size + 1
                # the separator, without a regular expression for the usual ", " or ","
                separator = text[at : at + 1]
                if separator == ",":
                    at += 1
                    if text[at : at + 1] == " ":
                        at += 1
                    if text[at : at + 1] in _SPACES:
                        at = _skip(text, at)
                    continue
                at = _skip(text, at)
                separator = text[at : at + 1]
                if separator == "]":
                    closed = True
                elif separator == ",":
                    at = _skip(text, at + 1)
                else:
                    return (yield from self._verdict())
        except StopIteration:  # no JSON value where one must be
            return (yield from self._verdict())
        except (ValueError, RecursionError):  # JSON syntax (JSONDecodeError), nesting
            return (yield from self._verdict())
        if not _DOCUMENT_END.match(text, at + 1):  # members after the list, or not JSON
            return (yield from self._verdict())
        total = done + len(pending)
        if total == 0:  # nothing yielded: the empty list's document, as the whole parse makes it
            return (yield from self._loaded(text))
        for start, end in slice_bounds(total, size)[len(parts) :]:
            events = parse(end - start)
            if events is None:
                return (yield from self._verdict())
            yield events
        assert first is not None
        return dataclasses.replace(first, events=tuple(chain.from_iterable(parts)))

    def _verdict(self) -> Generator[tuple[EpcisEvent, ...], None, EpcisDocument]:
        """The unstreamed parse, for its errors: nothing more is yielded. A document it finds valid
        raises :class:`ParseAgain` (the streamed slices are not its slices)."""
        loaded = self._loaded()
        try:
            while True:
                next(loaded)
        except StopIteration:
            raise ParseAgain("the streamed slices differ from the whole document's") from None

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


_DECODER = json.JSONDecoder()
#: what json.loads scans each value with (typeshed types make_scanner as a class of its own)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as json's own scanner skips it
_SPACES = frozenset(" \t\n\r")
#: after the event list's last event: its end, epcisBody's and the document's
_DOCUMENT_END = re.compile(r"[ \t\n\r]*\}[ \t\n\r]*\}[ \t\n\r]*\Z")
_LIST_AT_END = re.compile(r"\][ \t\n\r]*\}[ \t\n\r]*\}[ \t\n\r]*\Z")


def _skip(text: str, at: int) -> int:
    """The position of the first character from ``at`` on that is not JSON whitespace."""
    match = _SPACE.match(text, at)
    assert match is not None  # it matches the empty string
    return match.end()


def _json_text(data: bytes) -> str | None:
    """``data`` as the text ``json.loads`` reads (UTF-8 only; a leading byte-order mark dropped as
    :func:`~supplyguard.tracking.epcis_json.load_json_document` drops it), or None."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        if json.detect_encoding(data) != "utf-8":
            return None
        text = data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return None if text.startswith("\ufeff") else text


def _stream_start(text: str) -> tuple[dict[str, Any], int] | None:
    """The header of a JSON EPCIS document whose ``epcisBody`` ends with ``eventList`` (what
    ``json.loads`` makes of everything before the list, with an empty list in its place) and the
    position just after the list's ``[``; None for any other document, or JSON that is not valid
    up to there."""
    if not _LIST_AT_END.search(text, max(0, len(text) - 256)):  # the list closes the document
        return None
    try:
        document: dict[str, Any] = {}
        body: dict[str, Any] | None = None
        node = document
        at = _skip(text, 0)
        if text[at : at + 1] != "{":
            return None
        at = _skip(text, at + 1)
        while text[at : at + 1] == '"':
            key, at = _DECODER.raw_decode(text, at)  # a string: the member's name
            at = _skip(text, at)
            if text[at : at + 1] != ":":
                return None
            at = _skip(text, at + 1)
            if body is None and node is document and key == "epcisBody" and text[at : at + 1] == "{":
                body = node[key] = {}
                node = body
                at = _skip(text, at + 1)
                continue
            if node is body and key == "eventList" and text[at : at + 1] == "[":
                body[key] = []
                return document, at + 1
            node[key], at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at : at + 1] != ",":
                return None
            at = _skip(text, at + 1)
    except (ValueError, RecursionError):
        return None
    return None
