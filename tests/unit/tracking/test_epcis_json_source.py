"""The JSON loader keeps each event's source text without changing what json.loads would decode."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking.epcis_json import load_json_source, parse_epcis_json

EVENT = (
    '{"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:07Z", "eventTimeZoneOffset": "+00:00",'
    ' "epcList": ["urn:epc:id:sgtin:4012345.011111.1"], "action": "OBSERVE"}'
)


def _texts(data: bytes) -> list[str] | None:
    source = load_json_source(data)
    if source.event_texts is None:
        return None
    return [source.event_texts[i] for i in range(len(source.document["epcisBody"]["eventList"]))]


@pytest.mark.parametrize(
    "data",
    [
        b'{"epcisBody":{"eventList":[{"a":1},{"b":[1,2,{"c":"x"}]} , {"d":null}]}}',
        b' {\n "type" : "EPCISDocument" ,\r\n "epcisBody" : { "eventList" : [ ] } }\n',
        # duplicate keys: the last one counts, as for json.loads
        b'{"epcisBody":{"eventList":[{"a":1}]},"epcisBody":{"eventList":[{"z":2},{"y":3}]}}',
        b'{"epcisBody":{"eventList":[{"a":1}],"eventList":[{"q":1}]}}',
        b'{"epcisBody":{"eventList":[{"a":1}]},"epcisBody":{"other":1}}',
        b'{"epcisBody":{"eventList":[{"a":NaN,"b":1e400,"c":-0.0,"d":"\\u00e9\\ud800"}]}}',
        b'{"epcisBody":{"eventList":{"a":1}}}',
        '{"epcisBody":{"eventList":[{"a":"\u00e9"}]}}'.encode(),
        '{"epcisBody":{"eventList":[{"a":"\u00e9"}]}}'.encode("utf-16"),
    ],
)
def test_the_document_is_what_json_loads_decodes_and_each_text_is_its_event(data: bytes) -> None:
    source = load_json_source(data)
    assert json.dumps(source.document) == json.dumps(json.loads(data))
    texts = _texts(data)
    if texts is not None:
        events = source.document["epcisBody"]["eventList"]
        assert [json.dumps(json.loads(t)) for t in texts] == [json.dumps(e) for e in events]


@pytest.mark.parametrize(
    "data",
    [
        b'{"epcisBody":{"eventList":[{"a":1},]}}',
        b'{"epcisBody":{"eventList":[{"a":1}]}} x',
        b'{"epcisBody":{"eventList":[{"a":1}]}',
        b'{"a":1,}',
        b'{"epcisBody":{"eventList":[{"a":"\t"}]}}',
    ],
)
def test_invalid_json_is_refused_with_json_loads_own_message(data: bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(data)
    with pytest.raises(ValidationFailed) as refused:
        load_json_source(data)
    assert refused.value.errors[0].message == f"not valid JSON: {expected.value}"


def test_only_ascii_documents_keep_their_text() -> None:
    assert _texts(b'{"epcisBody":{"eventList":[' + EVENT.encode() + b"]}}") == [EVENT]
    assert _texts('{"epcisBody":{"eventList":[{"a":"\u00e9"}]}}'.encode()) is None


def test_parsed_events_carry_their_text_and_others_do_not() -> None:
    data = (
        '{"type":"EPCISDocument","schemaVersion":"2.0","epcisBody":{"eventList":[' + EVENT + "]}}"
    ).encode()
    (event,) = parse_epcis_json(data).events
    assert event.source_json == EVENT
    (again,) = parse_epcis_json(json.loads(data)).events
    assert again.source_json is None and again == event


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([1, -2.5, "s", None, True, 'q"x', 1e20, [], {}])
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice("abcde"): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _spaced(rng: random.Random, value: Any) -> str:
    def ws() -> str:
        return rng.choice(["", " ", "\n", "\t ", "\r\n  "])

    if isinstance(value, dict):
        items = (f"{ws()}{json.dumps(k)}{ws()}:{ws()}{_spaced(rng, v)}{ws()}" for k, v in value.items())
        return "{" + ws() + ("," + ws()).join(items) + "}"
    if isinstance(value, list):
        return "[" + ws() + ("," + ws()).join(ws() + _spaced(rng, v) + ws() for v in value) + "]"
    return json.dumps(value)


def test_random_documents_decode_as_json_loads_decodes_them() -> None:
    rng = random.Random(20261206)
    for _ in range(500):
        events = [{"type": "ObjectEvent", "x": _value(rng, 2)} for _ in range(rng.randint(0, 4))]
        document = {"@context": _value(rng, 2), "epcisBody": {"eventList": events, "other": _value(rng, 2)}}
        data = _spaced(rng, document).encode()
        source = load_json_source(data)
        assert json.dumps(source.document) == json.dumps(json.loads(data))
        texts = _texts(data)
        assert texts is not None
        assert [json.loads(t) for t in texts] == events
