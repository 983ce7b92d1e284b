"""Malformed fields are refused by the always-on checks (no GS1 schema), each at its path."""

from __future__ import annotations

from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import parse_epcis_document

from .factories import as_bytes, document, object_event

EVENT = ("epcisBody", "eventList", 0)
SENSOR = [{"sensorMetadata": {"time": "2026-03-01T10:00:00Z"}, "sensorReport": [{"type": "Temperature"}]}]


def _refusal(data: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(data)
    return [(error.location, error.message) for error in caught.value.errors]


def _sensor(**report: Any) -> list[dict[str, Any]]:
    return [{**SENSOR[0], "sensorReport": [{"type": "Temperature", **report}]}]


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({"readPoint": {"id": 5}}, ("readPoint", "id"), "readPoint.id must be a URI string"),
        ({"readPoint": {}}, ("readPoint", "id"), "readPoint.id must be a URI string"),
        (
            {"readPoint": "urn:epc:id:sgln:4012345.00001.0"},
            ("readPoint",),
            "readPoint must be an object with an id",
        ),
        ({"bizLocation": {"id": "depot 7"}}, ("bizLocation", "id"), "bizLocation.id must be a URI string"),
        (
            {"bizLocation": ["urn:epc:id:sgln:4012345.00001.0"]},
            ("bizLocation",),
            "bizLocation must be an object with an id",
        ),
        (
            {"eventTimeZoneOffset": "+25:99"},
            ("eventTimeZoneOffset",),
            "eventTimeZoneOffset must be +hh:mm or -hh:mm between -14:00 and +14:00, like +01:00",
        ),
        (
            {"epcList": ["urn:epc:id:sgtin:4012345.011111.1", 5]},
            ("epcList", 1),
            "an EPC must be a URI string",
        ),
        ({"epcList": "urn:epc:id:sgtin:4012345.011111.1"}, ("epcList",), "epcList must be an array of URIs"),
        (
            {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": "5"}]},
            ("quantityList", 0, "quantity"),
            "quantity must be a number >= 0",
        ),
        ({"action": "add"}, ("action",), "action must be ADD, OBSERVE or DELETE"),
        (
            {"eventTime": "2026-13-01T10:00:00+01:00"},
            ("eventTime",),
            "eventTime must be an ISO 8601 date-time with an offset",
        ),
        (
            {"recordTime": 1772355600},
            ("recordTime",),
            "recordTime must be an ISO 8601 date-time with an offset",
        ),
        (
            {"sensorElementList": _sensor(value="21.5")},
            ("sensorElementList", 0, "sensorReport", 0, "value"),
            "value must be a number",
        ),
        (
            {"sensorElementList": _sensor(maxValue=True)},
            ("sensorElementList", 0, "sensorReport", 0, "maxValue"),
            "maxValue must be a number",
        ),
        ({"bizStep": 5}, ("bizStep",), "bizStep must be a non-empty string"),
    ],
    ids=lambda value: None,
)
def test_a_malformed_json_field_is_refused_at_its_path(
    fields: dict[str, Any], path: tuple[str | int, ...], message: str
) -> None:
    assert _refusal(as_bytes(document(object_event(**fields)))) == [((*EVENT, *path), message)]


def test_a_numeric_schema_version_is_refused() -> None:
    bad = {**document(object_event()), "schemaVersion": 2}
    assert _refusal(as_bytes(bad)) == [
        (("schemaVersion",), 'schemaVersion must be a version string like "2.0"')
    ]


def test_the_simple_context_drafts_numeric_schema_version_is_tolerated() -> None:
    # GS1's own JSON-simple-context examples write "schemaVersion": 2.0
    legacy = {
        **document(object_event()),
        "@context": ["https://gs1.github.io/EPCIS/epcis-context-simple.jsonld"],
        "schemaVersion": 2.0,
    }
    assert parse_epcis_document(as_bytes(legacy)).schema_version == "2.0"


def _xml(event: str, version: str = "2.0") -> bytes:
    return (
        f'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="{version}"'
        ' creationDate="2026-03-01T10:00:00Z"><EPCISBody><EventList><ObjectEvent>'
        "<eventTime>2026-03-01T10:00:00+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
        "<epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></epcList><action>OBSERVE</action>"
        f"{event}</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def test_the_xml_template_is_valid() -> None:
    assert (
        len(
            parse_epcis_document(
                _xml("<readPoint><id>urn:epc:id:sgln:4012345.00001.0</id></readPoint>")
            ).events
        )
        == 1
    )


@pytest.mark.parametrize(
    ("xml", "path", "message"),
    [
        ("<readPoint><id>5</id></readPoint>", ("readPoint", "id"), "readPoint.id must be a URI string"),
        ("<bizLocation></bizLocation>", ("bizLocation", "id"), "bizLocation.id must be a URI string"),
        (
            "<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.011111.L1</epcClass>"
            "<quantity>five</quantity></quantityElement></quantityList>",
            ("quantityList", 0, "quantity"),
            "quantity must be a number >= 0",
        ),
        (
            '<sensorElementList><sensorElement><sensorReport type="Temperature" value="warm"/>'
            "</sensorElement></sensorElementList>",
            ("sensorElementList", 0, "sensorReport", 0, "value"),
            "value must be a number",
        ),
    ],
    ids=lambda value: None,
)
def test_a_malformed_xml_field_is_refused_at_its_path(
    xml: str, path: tuple[str | int, ...], message: str
) -> None:
    assert _refusal(_xml(xml)) == [((*EVENT, *path), message)]


def test_a_bad_xml_zone_offset_is_refused() -> None:
    data = _xml("").replace(b">+01:00<", b">+25:99<")
    assert _refusal(data)[0][0] == (*EVENT, "eventTimeZoneOffset")


def test_a_bad_xml_schema_version_is_refused() -> None:
    assert _refusal(_xml("", version="two")) == [
        (("schemaVersion",), 'schemaVersion must be a version string like "2.0"')
    ]
