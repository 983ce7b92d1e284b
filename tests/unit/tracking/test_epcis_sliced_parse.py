"""Parsing a document slice by slice gives the whole parse's events, document and errors."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supplyguard.errors import FieldError, InvalidInput, ValidationFailed
from supplyguard.tracking import EpcisDocument, ParseAgain, SlicedParse, parse_epcis_document
from supplyguard.tracking.epcis_capture import slice_bounds

from .conftest import EPCIS_DATA
from .factories import document, object_event

GS1 = EPCIS_DATA / "gs1-EPCIS"
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def _examples() -> list[Path]:
    if not GS1.is_dir():
        return []
    return sorted(
        p
        for folder in ("JSON", "XML")
        for p in (GS1 / folder).rglob("*")
        if p.suffix.lower() in (".json", ".jsonld", ".xml") and "CaptureJob" not in p.parts
    )


def outcome(parse: Any) -> tuple[str, Any]:
    try:
        return "ok", parse()
    except InvalidInput as exc:
        return "refused", (type(exc), exc.message, getattr(exc, "errors", None))


def sliced(data: bytes, size: int, **options: Any) -> tuple[list[tuple[Any, ...]], EpcisDocument]:
    parse = SlicedParse(data, size=size, **options)
    slices = list(parse)
    assert parse.document is not None
    return slices, parse.document


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_every_official_example_in_slices_of_one(path: Path, stream: bool) -> None:
    data = path.read_bytes()
    whole = parse_epcis_document(data)
    try:
        slices, again = sliced(data, 1, stream=stream)
    except ParseAgain:  # members after the event list: read whole, as parsed again
        slices, again = sliced(data, 1)
    assert again == whole
    assert [e for part in slices for e in part] == list(whole.events)
    assert all(len(part) == 1 for part in slices)


def events(count: int) -> list[dict[str, Any]]:
    return [
        object_event(
            eventID=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            epcList=[f"urn:epc:id:sgtin:4012345.011111.{n}"],
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_slices_in_order_with_the_whole_document(stream: bool) -> None:
    data = json.dumps(document(*events(23))).encode()
    whole = parse_epcis_document(data)
    slices, again = sliced(data, 5, stream=stream)
    assert [len(part) for part in slices] == [1, 1, 2, 5, 5, 5, 2, 1, 1]
    assert again == whole


@pytest.mark.parametrize("count", [0, 1, 2, 249, 250, 251, 1400, 2000, 4001, 19000, 20000, 60001])
def test_slices_grow_to_their_size_and_shrink_at_the_end(count: int) -> None:
    bounds = slice_bounds(count, 2000)
    lengths = [end - start for start, end in bounds]
    assert sum(lengths) == count and all(n > 0 for n in lengths)
    assert [start for start, _ in bounds] == [0, *(end for _, end in bounds[:-1])][: len(bounds)]
    assert max(lengths, default=0) <= 2000
    if count >= 4000:
        assert lengths[:3] == [250, 500, 1000] and lengths[-1] <= 250
        assert lengths[-2] <= 2 * lengths[-1] + 1


def query_document(body: list[dict[str, Any]]) -> dict[str, Any]:
    doc = document()
    doc["type"] = "EPCISQueryDocument"
    doc["epcisBody"] = {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": body}}}
    return doc


def mutate(doc: dict[str, Any], where: tuple[str | int, ...], key: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for step in where:
        node = node[step]
    node[key] = value
    return out


BASE = document(*events(23))
BODY = ("epcisBody", "eventList")
CASES = {
    "bad events in the first and a later slice": mutate(
        mutate(BASE, (*BODY, 1), "action", "LOOK"), (*BODY, 17), "eventTime", "yesterday"
    ),
    "a bad event in the last slice only": mutate(BASE, (*BODY, 22), "epcList", "not a list"),
    "an eventID repeated across slices": mutate(
        BASE, (*BODY, 21), "eventID", "urn:uuid:00000000-0000-4000-8000-000000000002"
    ),
    "a time far in the future in a later slice": mutate(
        BASE, (*BODY, 12), "eventTime", "2027-01-01T00:00:00Z"
    ),
    "a bad event and a repeated eventID": mutate(
        mutate(BASE, (*BODY, 3), "eventID", "urn:uuid:00000000-0000-4000-8000-000000000019"),
        (*BODY, 20),
        "type",
        "NoSuchEvent",
    ),
    "a header error": mutate(BASE, (), "schemaVersion", 2),
    "a document type error": mutate(BASE, (), "type", "Nonsense"),
    "events not a list": mutate(BASE, ("epcisBody",), "eventList", {"a": 1}),
    "no event list": mutate(BASE, (), "epcisBody", {"events": []}),
    "a query document with a bad event": mutate(
        query_document(events(9)), ("epcisBody", "queryResults", "resultsBody", "eventList", 7), "action", "X"
    ),
    "a valid query document": query_document(events(9)),
    "an event that is not an object": mutate(BASE, ("epcisBody",), "eventList", [*events(8), 5, *events(3)]),
}


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_same_outcome_and_errors_as_the_whole_parse(name: str, stream: bool) -> None:
    data = json.dumps(CASES[name]).encode()
    expected = outcome(lambda: parse_epcis_document(data, now=NOW, max_events=30))
    got = outcome(lambda: sliced(data, 4, now=NOW, max_events=30, stream=stream)[1])
    assert got == expected
    if expected[0] == "refused":  # while failing: nothing yielded after the first bad slice
        parse = SlicedParse(data, size=4, now=NOW, stream=stream)
        seen: list[Any] = []
        with pytest.raises(InvalidInput):
            seen.extend(parse)
        assert parse.document is None


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_the_event_limit_counts_the_whole_list(stream: bool) -> None:
    data = json.dumps(BASE).encode()
    with pytest.raises(ValidationFailed) as caught:
        list(SlicedParse(data, size=4, max_events=22, stream=stream))
    assert caught.value.errors == (FieldError(BODY, "23 events exceed the limit of 22"),)


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_no_slice_after_the_first_bad_one(stream: bool) -> None:
    data = json.dumps(mutate(BASE, (*BODY, 9), "action", "LOOK")).encode()
    seen: list[tuple[Any, ...]] = []
    with pytest.raises(ValidationFailed) as caught:
        seen.extend(SlicedParse(data, size=4, stream=stream))
    assert [len(part) for part in seen] == [1, 1, 2, 4]  # events 0-7; 8-11 holds the bad one
    assert [e.location for e in caught.value.errors] == [(*BODY, 9, "action")]


def test_streamed_slices_come_before_the_end_of_the_document_is_read() -> None:
    # the last event is not JSON: json.loads refuses the document before any event is parsed; the
    # streamed parse yields the slices before it, then the whole parse's error
    text = json.dumps(document(*events(23)))
    at = text.rindex('"eventID":')
    data = (text[:at] + '"eventID" ' + text[at + 10 :]).encode()
    expected = outcome(lambda: parse_epcis_document(data))
    assert expected[0] == "refused" and "not valid JSON" in expected[1][1]
    seen: list[tuple[Any, ...]] = []
    with pytest.raises(ValidationFailed) as caught:
        seen.extend(SlicedParse(data, size=4, stream=True))
    assert [len(part) for part in seen] == [1, 1, 2, 4, 4, 4]  # 22 events read, 6 waiting
    assert (type(caught.value), caught.value.message, caught.value.errors) == expected[1]


@pytest.mark.parametrize(
    "broken",
    ['"eventList": [', "}, {", '"action": "OBSERVE"'],
    ids=["no list", "a missing comma", "a missing colon"],
)
def test_streamed_json_errors_are_the_whole_parse_s(broken: str) -> None:
    text = json.dumps(document(*events(23)))
    at = text.rindex(broken) if broken != '"eventList": [' else len(text) - 3
    mangled = {"no list": text[:at], "}, {": text[:at] + "} {" + text[at + 4 :]}.get(
        broken, text[:at] + broken.replace(":", "") + text[at + len(broken) :]
    )
    data = mangled.encode()
    expected = outcome(lambda: parse_epcis_document(data))
    assert expected[0] == "refused"
    assert outcome(lambda: sliced(data, 4, stream=True)[1]) == expected


def test_members_after_the_event_list_mean_parsing_again() -> None:
    # the list does not close the document after all: what followed it could change the header
    doc = document(*events(23))
    doc["epcisBody"]["x:tail"] = [1]
    data = json.dumps(doc).encode()
    assert data.endswith(b"]}}")
    with pytest.raises(ParseAgain):
        list(SlicedParse(data, size=4, stream=True))
    _slices, again = sliced(data, 4)
    assert again == parse_epcis_document(data)


def test_a_header_after_the_body_is_read_whole() -> None:
    doc = document(*events(23))
    body = doc.pop("epcisBody")
    data = json.dumps({"epcisBody": body, **doc}).encode()  # @context after the events
    slices, again = sliced(data, 4, stream=True)
    assert again == parse_epcis_document(data)
    assert [len(part) for part in slices] == [1, 1, 2, 4, 4, 4, 4, 2, 1]


def test_a_pretty_printed_document_is_read_whole() -> None:
    # its events' text would not be stored as sent: decoded at once, as without stream
    text = json.dumps(document(*events(23)), indent=2)
    at = text.rindex('"eventID":')
    data = (text[:at] + '"eventID" ' + text[at + 10 :]).encode()
    seen: list[tuple[Any, ...]] = []
    parse = SlicedParse(data, size=4, stream=True)
    with pytest.raises(ValidationFailed):
        seen.extend(parse)
    assert seen == []  # the whole document was decoded first: its JSON error before any slice
    assert parse.slice_texts is None
    slices, again = sliced(text.encode(), 4, stream=True)
    assert again == parse_epcis_document(text.encode())
    assert [len(part) for part in slices] == [1, 1, 2, 4, 4, 4, 4, 2, 1]
