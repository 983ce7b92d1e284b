from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import EventQuery, decode_page_token, encode_page_token, event_matches

from .factories import events, object_event


def test_standard_parameters_select_events() -> None:
    shipping, receiving = events(
        object_event(),
        object_event(bizStep="receiving", bizLocation={"id": "urn:epc:id:sgln:4012345.00002.0"}),
    )
    query = EventQuery.from_params(
        {"EQ_bizStep": "receiving", "MATCH_epc": "urn:epc:id:sgtin:4012345.011111.1"}
    )
    assert not event_matches(shipping, query)
    assert event_matches(receiving, query)
    by_location = EventQuery.from_params({"EQ_bizLocation": ["https://id.gs1.org/414/4012345000023"]})
    assert event_matches(receiving, by_location)
    assert not event_matches(shipping, by_location)


def test_time_window_and_event_type() -> None:
    (event,) = events(object_event())
    inside = EventQuery.from_params(
        {"GE_eventTime": "2026-03-01T08:00:00Z", "LT_eventTime": "2026-03-01T10:00:00Z"}
    )
    after = EventQuery.from_params({"GE_eventTime": "2026-03-01T09:00:01Z"})
    assert event_matches(event, inside)
    assert not event_matches(event, after)
    assert not event_matches(event, EventQuery.from_params({"eventType": "AggregationEvent"}))


def test_sensor_value_bounds() -> None:
    sensor = [{"sensorReport": [{"type": "Temperature", "value": 9.5, "uom": "CEL"}]}]
    (event,) = events(object_event(sensorElementList=sensor))
    assert event_matches(event, EventQuery.from_params({"EQ_type": "Temperature", "GE_value": "8"}))
    assert not event_matches(event, EventQuery.from_params({"EQ_type": "Temperature", "LE_value": "8"}))


def test_bad_parameters_are_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as caught:
        EventQuery.from_params({"GE_eventTime": "yesterday", "EQ_color": "red", "EQ_action": "MOVE"})
    assert {e.location for e in caught.value.errors} == {("GE_eventTime",), ("EQ_color",), ("EQ_action",)}


def test_page_tokens_are_repeatable_and_bound_to_their_query() -> None:
    query = EventQuery.from_params({"EQ_bizStep": "shipping"})
    moment = datetime(2026, 3, 1, 9, tzinfo=UTC)
    token = encode_page_token(moment, "ni:///sha-256;ab?ver=CBV2.0", query)
    assert token == encode_page_token(moment, "ni:///sha-256;ab?ver=CBV2.0", query)
    assert decode_page_token(token, query) == (moment, "ni:///sha-256;ab?ver=CBV2.0")
    with pytest.raises(ValidationFailed):
        decode_page_token(token, EventQuery.from_params({"EQ_bizStep": "receiving"}))
    with pytest.raises(ValidationFailed):
        decode_page_token("garbage!", query)
