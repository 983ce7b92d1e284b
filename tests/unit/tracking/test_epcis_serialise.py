from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from supplyguard.tracking import event_to_jsonld, events_to_query_document, parse_epcis_json

from .factories import events, object_event


def test_query_document_carries_event_ids_record_times_and_extension_prefixes() -> None:
    (event,) = events(object_event(**{"ex:lane": "L7"}))
    stored = replace(event, record_time=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    document = events_to_query_document([stored], creation_date="2026-03-01T10:00:00Z")
    (body,) = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert body["eventID"] == event.event_hash
    assert body["recordTime"] == "2026-03-01T09:30:00Z"
    assert {"ex": "https://ex.org/"} in document["@context"]
    assert parse_epcis_json(document).events[0].event_hash == event.event_hash


def test_clashing_prefixes_of_two_sources_are_renamed() -> None:
    (first,) = events(object_event(**{"ex:lane": "L7"}))
    (second,) = events(object_event(**{"ex:lane": "L8"}))
    second = replace(second, namespaces={"ex": "https://other.example/"})
    document = events_to_query_document([first, second])
    first_body, second_body = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert "ex:lane" in first_body
    renamed = next(key for key in second_body if key.endswith(":lane"))
    assert renamed != "ex:lane"
    assert document["@context"][1][renamed.partition(":")[0]] == "https://other.example/"


def test_an_event_keeps_its_own_event_id() -> None:
    (event,) = events(object_event(eventID="urn:uuid:7"))
    assert event_to_jsonld(event)["eventID"] == "urn:uuid:7"
