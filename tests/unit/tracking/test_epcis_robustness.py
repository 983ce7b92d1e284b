"""Arbitrary input never crashes capture: it is accepted or refused with ValidationFailed."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import SlicedParse, parse_epcis_document
from supplyguard.tracking.epcis_json import parse_epcis_json

from .factories import document, object_event

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "eventTime", "epcList", "quantityList", "bizTransactionList", "sourceList", "readPoint",
    "sensorElementList", "persistentDisposition", "ilmd", "ex:ext", "parentID", "action", "bizStep",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=4))
def test_arbitrary_field_values_are_accepted_or_refused(fields: dict[str, Any]) -> None:
    data = json.dumps(document(object_event(**fields))).encode()
    try:
        parsed = parse_epcis_document(data)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        assert parsed.events[0].event_hash.startswith("ni:///sha-256;")
        return
    assert errors


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with contextlib.suppress(ValidationFailed):
        parse_epcis_document(data)


LONE = json.dumps(document(object_event(epcList=["urn:epc:id:sgtin:4012345.011111.1", "x\ud800y"])))
EPC_PATH = ("epcisBody", "eventList", 0, "epcList", 1)


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_a_lone_surrogate_escape_is_refused_at_its_path(stream: bool) -> None:
    # json.loads turns "\ud800" into a string that is not Unicode: it could not be hashed or stored
    assert "\\ud800" in LONE
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(LONE.encode())
    assert [e.location for e in caught.value.errors] == [EPC_PATH]
    with pytest.raises(ValidationFailed) as sliced:
        list(SlicedParse(LONE.encode(), size=4, stream=stream))
    assert [e.location for e in sliced.value.errors] == [EPC_PATH]


@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_a_surrogate_written_out_in_the_bytes_is_refused_at_its_path(stream: bool) -> None:
    # not valid UTF-8, but json.loads decodes bytes with surrogatepass, and so does the capture;
    # here in a header field, which no event hash reads
    header = {**document(object_event()), "ex:sender": "a\ud800"}
    data = json.dumps(header, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert b"\xed\xa0\x80" in data
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(data)
    assert [e.location for e in caught.value.errors] == [("ex:sender",)]
    with pytest.raises(ValidationFailed) as sliced:
        list(SlicedParse(data, size=4, stream=stream))
    assert [e.location for e in sliced.value.errors] == [("ex:sender",)]


def test_a_lone_surrogate_in_a_member_name_or_a_parsed_mapping_is_refused() -> None:
    named = json.dumps(document(object_event(**{"ex:a\udc00": "v"})))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(named.encode())
    assert [e.location for e in caught.value.errors] == [("epcisBody", "eventList", 0, "ex:a\udc00")]
    with pytest.raises(ValidationFailed) as mapped:  # no JSON text to look at: the hash finds it
        parse_epcis_json(json.loads(LONE))
    assert [e.location for e in mapped.value.errors] == [EPC_PATH]


def test_an_escaped_surrogate_pair_is_text() -> None:
    event = object_event(**{"ex:note": "\U0001f600"})
    escaped = json.dumps(document(event))  # ensure_ascii: the emoji as a surrogate pair
    assert "\\ud83d\\ude00" in escaped
    parsed = parse_epcis_document(escaped.encode())
    assert parsed.events[0].body["ex:note"] == "\U0001f600"
    plain = parse_epcis_document(json.dumps(document(event), ensure_ascii=False).encode())
    assert parsed.events[0].event_hash == plain.events[0].event_hash


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("stream", [False, True], ids=["loaded", "streamed"])
def test_nan_and_infinity_are_refused_at_their_path(word: str, stream: bool) -> None:
    # json.loads reads them; RFC 8259 has no such number, and no partner's parser would take them
    data = json.dumps(document(object_event(**{"ex:reading": {"value": 1.5}}))).replace("1.5", word).encode()
    where = [("epcisBody", "eventList", 0, "ex:reading", "value")]
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(data)
    assert [e.location for e in caught.value.errors] == where
    with pytest.raises(ValidationFailed) as sliced:
        list(SlicedParse(data, size=4, stream=stream))
    assert [e.location for e in sliced.value.errors] == where


def test_the_words_nan_and_infinity_in_text_are_text() -> None:
    data = json.dumps(document(object_event(**{"ex:note": "NaN Infinity"}))).encode()
    assert parse_epcis_document(data).events[0].body["ex:note"] == "NaN Infinity"
