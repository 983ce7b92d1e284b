"""Malformed documents are refused whole, each problem located at its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplyguard.errors import PayloadTooLarge, ValidationFailed
from supplyguard.tracking import EpcisJsonSchema, parse_epcis_document

from .conftest import EPCIS_DATA
from .factories import as_bytes, document, object_event


def _locations(exc: ValidationFailed) -> set[tuple[str | int, ...]]:
    return {error.location for error in exc.errors}


@pytest.fixture(scope="module")
def schema() -> EpcisJsonSchema:
    path = EPCIS_DATA / "gs1-EPCIS" / "EPCIS-JSON-Schema.json"
    if not path.is_file():
        pytest.skip("GS1 EPCIS JSON schema not found")
    return EpcisJsonSchema(json.loads(path.read_text()))


def test_a_valid_document_is_accepted() -> None:
    parsed = parse_epcis_document(as_bytes(document(object_event())))
    assert len(parsed.events) == 1
    assert parsed.events[0].biz_step == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert parsed.events[0].epcs == ("https://id.gs1.org/01/04012345111118/21/1",)


def test_missing_event_time_and_bad_action_are_located() -> None:
    bad = document(object_event(), object_event(eventTime=None, action="MOVE"))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(bad))
    assert ("epcisBody", "eventList", 1, "eventTime") in _locations(caught.value)
    assert ("epcisBody", "eventList", 1, "action") in _locations(caught.value)


def test_negative_quantity_is_located() -> None:
    bad = document(
        object_event(quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -3}])
    )
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(bad))
    assert ("epcisBody", "eventList", 0, "quantityList", 0, "quantity") in _locations(caught.value)


def test_schema_errors_carry_the_field_path(schema: EpcisJsonSchema) -> None:
    bad = document(object_event(eventTimeZoneOffset="one hour"))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(bad), schema=schema)
    assert any(
        loc[:4] == ("epcisBody", "eventList", 0, "eventTimeZoneOffset") for loc in _locations(caught.value)
    )


def test_valid_document_passes_the_schema(schema: EpcisJsonSchema) -> None:
    assert parse_epcis_document(as_bytes(document(object_event())), schema=schema).events


def test_duplicate_event_ids_are_refused() -> None:
    twice = document(object_event(eventID="urn:uuid:1"), object_event(eventID="urn:uuid:1"))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(twice))
    assert _locations(caught.value) == {("epcisBody", "eventList", 1, "eventID")}


def test_event_time_far_in_the_future_is_refused() -> None:
    future = document(object_event(eventTime="2099-01-01T00:00:00Z"))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(future), now=datetime(2026, 3, 1, tzinfo=UTC))
    assert ("epcisBody", "eventList", 0, "eventTime") in _locations(caught.value)


def test_transaction_event_needs_business_transactions() -> None:
    bad = document(object_event(type="TransactionEvent"))
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(as_bytes(bad))
    assert ("epcisBody", "eventList", 0, "bizTransactionList") in _locations(caught.value)


def test_size_and_event_count_limits() -> None:
    data = as_bytes(document(object_event(), object_event()))
    with pytest.raises(PayloadTooLarge):
        parse_epcis_document(data, max_bytes=100)
    with pytest.raises(ValidationFailed):
        parse_epcis_document(data, max_events=1)


def test_not_json_and_not_xml_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        parse_epcis_document(b"hello")
    with pytest.raises(ValidationFailed):
        parse_epcis_document(b"{not json")
    with pytest.raises(ValidationFailed):
        parse_epcis_document(b"<epcis:EPCISDocument><unclosed></epcis:EPCISDocument>")


def test_xml_entity_expansion_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList/></EPCISBody>'
        b"<x>&lol2;</x></epcis:EPCISDocument>"
    )
    with pytest.raises(ValidationFailed, match="entity"):
        parse_epcis_document(laughs)


def test_xml_event_errors_are_located() -> None:
    xml = (
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0">'
        b"<EPCISBody><EventList>"
        b"<ObjectEvent><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>"
        b"</ObjectEvent>"
        b"</EventList></EPCISBody></epcis:EPCISDocument>"
    )
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(xml)
    assert _locations(caught.value) == {("epcisBody", "eventList", 0, "eventTime")}


def test_user_extensions_and_ilmd_keep_their_namespace(epcis_data: Path) -> None:
    path = epcis_data / "event-hash-vectors" / "examples" / "epcisDocWithVariousEventTypes.xml"
    parsed = parse_epcis_document(path.read_bytes())
    with_ilmd = [e for e in parsed.events if "ilmd" in e.body]
    assert with_ilmd
    assert parsed.namespaces["cbvmda"] == "urn:epcglobal:cbv:mda:"
    assert "cbvmda:bestBeforeDate" in with_ilmd[0].body["ilmd"]


def test_deeply_nested_input_is_refused_not_crashed() -> None:
    deep_json = b'{"type": "EPCISDocument", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(ValidationFailed):
        parse_epcis_document(deep_json)
    inner = b"<ex:a>" * 5_000 + b"</ex:a>" * 5_000
    deep_xml = (
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.org/"><EPCISBody>'
        b"<EventList><ObjectEvent>" + inner + b"</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"
    )
    with pytest.raises(ValidationFailed):
        parse_epcis_document(deep_xml)


def test_deep_extension_inside_an_event_is_refused() -> None:
    template = as_bytes(document(object_event(**{"ex:deep": "PLACEHOLDER"})))
    nested = b'{"ex:n": ' * 3_000 + b'"leaf"' + b"}" * 3_000
    with pytest.raises(ValidationFailed):
        parse_epcis_document(template.replace(b'"PLACEHOLDER"', nested))
