"""What the GS1 EPCIS 2.0 JSON schema requires is required without it: entries missing a required
field, fields of the wrong type, fields an event type does not have and events missing what their
type needs are refused whole, each at its path, by the always-on checks (JSON/JSON-LD and XML).

Each JSON case is also run through the GS1 schema (the reference): where the schema can express the
rule, it must refuse the same document; the few it cannot (URIs and date-times, since the schema's
``format`` is not asserted, and rules of the standard's text) are marked ``in_schema=False``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import EpcisJsonSchema, parse_epcis_document

from .conftest import EPCIS_DATA
from .factories import as_bytes, document, object_event

EVENT = ("epcisBody", "eventList", 0)
SOURCE = {"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00001"}
DESTINATION = {"type": "location", "destination": "urn:epc:id:sgln:0614141.00777.0"}
QUANTITY = {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200, "uom": "KGM"}
REPORT = {"type": "Temperature", "value": 21.5, "uom": "CEL"}
DECLARED = {"declarationTime": "2026-03-02T10:00:00Z", "reason": "incorrect_data"}


@pytest.fixture(scope="module")
def schema() -> EpcisJsonSchema:
    path = EPCIS_DATA / "gs1-EPCIS" / "EPCIS-JSON-Schema.json"
    if not path.is_file():
        pytest.skip("GS1 EPCIS JSON schema not found")
    return EpcisJsonSchema(json.loads(path.read_text()))


def _refusal(data: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_epcis_document(data)
    return [(error.location, error.message) for error in caught.value.errors]


def _sensor(**report: Any) -> list[dict[str, Any]]:
    return [{"sensorMetadata": {"time": "2026-03-01T10:00:00Z"}, "sensorReport": [{**REPORT, **report}]}]


# (event fields, path of the error under the event, a word of its message, whether the schema refuses too)
CASES: list[tuple[dict[str, Any], tuple[str | int, ...], str, bool]] = [
    # sourceList / destinationList: both fields required, nothing else
    ({"sourceList": [{"type": "owning_party"}]}, ("sourceList", 0, "source"), "needs its source", True),
    ({"sourceList": [{"source": SOURCE["source"]}]}, ("sourceList", 0, "type"), "needs its type", True),
    ({"sourceList": [SOURCE, {**SOURCE, "type": 3}]}, ("sourceList", 1, "type"), "needs its type", True),
    (
        {"destinationList": [{"type": "location"}]},
        ("destinationList", 0, "destination"),
        "needs its destination",
        True,
    ),
    (
        {"destinationList": [{"destination": DESTINATION["destination"]}]},
        ("destinationList", 0, "type"),
        "needs its type",
        True,
    ),
    ({"sourceList": [{**SOURCE, "ex:note": "x"}]}, ("sourceList", 0, "ex:note"), "unknown field", True),
    ({"sourceList": ["urn:epc:id:pgln:4012345.00001"]}, ("sourceList", 0), "must hold", True),
    ({"sourceList": "urn:epc:id:pgln:4012345.00001"}, ("sourceList",), "must be an array", True),
    ({"sourceList": [{"type": "owning_party", "source": ""}]}, ("sourceList", 0, "source"), "URI", False),
    # bizTransactionList: the value required, the type optional but a string
    (
        {"bizTransactionList": [{"type": "po"}]},
        ("bizTransactionList", 0, "bizTransaction"),
        "needs its bizTransaction",
        True,
    ),
    (
        {"bizTransactionList": [{"type": ["po"], "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}]},
        ("bizTransactionList", 0, "type"),
        "type must be",
        True,
    ),
    # quantity elements: epcClass required, quantity a number, uom a code given with a quantity
    ({"quantityList": [{"quantity": 5}]}, ("quantityList", 0, "epcClass"), "needs an epcClass", True),
    ({"quantityList": [{**QUANTITY, "lot": "L1"}]}, ("quantityList", 0, "lot"), "unknown field", True),
    ({"quantityList": [{**QUANTITY, "uom": "kilo"}]}, ("quantityList", 0, "uom"), "Rec. 20", True),
    (
        {"quantityList": [{"epcClass": QUANTITY["epcClass"], "uom": "KGM"}]},
        ("quantityList", 0, "uom"),
        "only with a quantity",
        False,
    ),
    # sensor elements and reports
    (
        {"sensorElementList": [{"sensorMetadata": {"time": "2026-03-01T10:00:00Z"}}]},
        ("sensorElementList", 0, "sensorReport"),
        "needs at least one sensorReport",
        True,
    ),
    (
        {"sensorElementList": [{"sensorReport": []}]},
        ("sensorElementList", 0, "sensorReport"),
        "needs at least one sensorReport",
        True,
    ),
    (
        {"sensorElementList": [{"sensorReport": [{"value": 4.0, "uom": "CEL"}]}]},
        ("sensorElementList", 0, "sensorReport", 0, "type"),
        "needs a type",
        True,
    ),
    (
        {"sensorElementList": [{"sensorReport": ["Temperature"]}]},
        ("sensorElementList", 0, "sensorReport", 0),
        "must hold",
        True,
    ),
    (
        {"sensorElementList": _sensor(time="noon")},
        ("sensorElementList", 0, "sensorReport", 0, "time"),
        "date-time",
        False,
    ),
    (
        {"sensorElementList": _sensor(booleanValue="yes")},
        ("sensorElementList", 0, "sensorReport", 0, "booleanValue"),
        "true or false",
        True,
    ),
    (
        {"sensorElementList": _sensor(hexBinaryValue="0xZZ")},
        ("sensorElementList", 0, "sensorReport", 0, "hexBinaryValue"),
        "hexadecimal",
        True,
    ),
    (
        {"sensorElementList": _sensor(stringValue=7)},
        ("sensorElementList", 0, "sensorReport", 0, "stringValue"),
        "must be a string",
        True,
    ),
    (
        {"sensorElementList": [{"sensorMetadata": "now", "sensorReport": [REPORT]}]},
        ("sensorElementList", 0, "sensorMetadata"),
        "must be an object",
        True,
    ),
    (
        {"sensorElementList": [{"sensorMetadata": {"startTime": 1}, "sensorReport": [REPORT]}]},
        ("sensorElementList", 0, "sensorMetadata", "startTime"),
        "date-time",
        True,
    ),
    (
        {"sensorElementList": _sensor(valu=3.0)},
        ("sensorElementList", 0, "sensorReport", 0, "valu"),
        "namespace prefix",
        False,
    ),
    (
        {
            "sensorElementList": [
                {"sensorMetadata": {"tme": "2026-03-01T10:00:00Z"}, "sensorReport": [REPORT]}
            ]
        },
        ("sensorElementList", 0, "sensorMetadata", "tme"),
        "namespace prefix",
        False,
    ),
    # persistentDisposition: set and/or unset, each a non-empty array of dispositions
    ({"persistentDisposition": {}}, ("persistentDisposition",), "set and/or unset", True),
    (
        {"persistentDisposition": "completeness_verified"},
        ("persistentDisposition",),
        "set and/or unset",
        True,
    ),
    ({"persistentDisposition": {"set": []}}, ("persistentDisposition", "set"), "at least one", True),
    ({"persistentDisposition": {"set": [5]}}, ("persistentDisposition", "set", 0), "must be a string", True),
    (
        {"persistentDisposition": {"set": ["completeness_verified"], "keep": ["x"]}},
        ("persistentDisposition", "keep"),
        "unknown field",
        True,
    ),
    # certificationInfo: a URI or an array of URIs
    ({"certificationInfo": 42}, ("certificationInfo",), "URI string", True),
    ({"certificationInfo": {"id": "https://cert.example.org/1"}}, ("certificationInfo",), "URI string", True),
    (
        {"certificationInfo": ["https://cert.example.org/1", 7]},
        ("certificationInfo", 1),
        "URI string",
        True,
    ),
    ({"certificationInfo": "certified"}, ("certificationInfo",), "URI string", False),
    # errorDeclaration: a declarationTime, a reason string, corrective event IDs
    (
        {"errorDeclaration": {"reason": "incorrect_data"}},
        ("errorDeclaration", "declarationTime"),
        "needs",
        True,
    ),
    (
        {"errorDeclaration": {"declarationTime": "yesterday"}},
        ("errorDeclaration", "declarationTime"),
        "date-time",
        False,
    ),
    ({"errorDeclaration": {**DECLARED, "reason": 3}}, ("errorDeclaration", "reason"), "reason must be", True),
    (
        {"errorDeclaration": {**DECLARED, "correctiveEventIDs": "urn:uuid:1"}},
        ("errorDeclaration", "correctiveEventIDs"),
        "array",
        True,
    ),
    (
        {"errorDeclaration": {**DECLARED, "correctiveEventIDs": [7]}},
        ("errorDeclaration", "correctiveEventIDs", 0),
        "URI string",
        True,
    ),
    (
        {"errorDeclaration": {**DECLARED, "note": "x"}},
        ("errorDeclaration", "note"),
        "namespace prefix",
        False,
    ),
    ({"errorDeclaration": "retracted"}, ("errorDeclaration",), "must be an object", True),
    # the other string-typed fields
    ({"eventID": 12}, ("eventID",), "non-empty string", True),
    ({"eventID": "event 12"}, ("eventID",), "URI string", False),
    ({"disposition": ["in_transit"]}, ("disposition",), "non-empty string", True),
    ({"bizStep": ""}, ("bizStep",), "non-empty string", False),
    ({"readPoint": {"id": ["urn:epc:id:sgln:4012345.00001.0"]}}, ("readPoint", "id"), "URI string", True),
    ({"action": "ADD", "ilmd": "lot 7"}, ("ilmd",), "must be an object", True),
    # fields the event type does not have, and names without a namespace
    ({"childEPCs": ["urn:epc:id:sgtin:4012345.011111.2"]}, ("childEPCs",), "not a field of", False),
    ({"bizstep": "shipping"}, ("bizstep",), "namespace prefix", False),
    # each EPC once in an epcList
    (
        {"epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.1"]},
        ("epcList", 1),
        "listed twice",
        True,
    ),
    # a bare word where a CBV value goes must be one of the vocabulary's (anything else is a URI)
    ({"bizStep": "shiping"}, ("bizStep",), "not a CBV business step", False),
    ({"disposition": "in-transit"}, ("disposition",), "not a CBV disposition", False),
    (
        {"disposition": "https://ref.gs1.org/cbv/Disp-in_transitt"},
        ("disposition",),
        "not a CBV disposition",
        False,
    ),
    (
        {"persistentDisposition": {"set": ["verified"]}},
        ("persistentDisposition", "set", 0),
        "disposition",
        False,
    ),
    (
        {"sourceList": [{**SOURCE, "type": "owner"}]},
        ("sourceList", 0, "type"),
        "source/destination type",
        False,
    ),
    (
        {
            "bizTransactionList": [
                {"type": "purchase_order", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}
            ]
        },
        ("bizTransactionList", 0, "type"),
        "business transaction type",
        False,
    ),
    (
        {"errorDeclaration": {**DECLARED, "reason": "typo"}},
        ("errorDeclaration", "reason"),
        "error reason",
        False,
    ),
    (
        {"sensorElementList": _sensor(type="Temp")},
        ("sensorElementList", 0, "sensorReport", 0, "type"),
        "measurement type",
        False,
    ),
    (
        {"sensorElementList": _sensor(exception="ALARM")},
        ("sensorElementList", 0, "sensorReport", 0, "exception"),
        "sensor alert type",
        False,
    ),
    # the zone offset within the schema's range
    ({"eventTimeZoneOffset": "+14:30"}, ("eventTimeZoneOffset",), "between -14:00 and +14:00", True),
    ({"eventTimeZoneOffset": "-15:00"}, ("eventTimeZoneOffset",), "between -14:00 and +14:00", True),
]


@pytest.mark.parametrize(("fields", "path", "word", "in_schema"), CASES, ids=lambda value: None)
def test_a_json_event_missing_or_mistyping_a_field_is_refused_at_its_path(
    fields: dict[str, Any], path: tuple[str | int, ...], word: str, in_schema: bool, schema: EpcisJsonSchema
) -> None:
    bad = document(object_event(**fields))
    refused = _refusal(as_bytes(bad))
    assert [location for location, _ in refused] == [(*EVENT, *path)], refused
    assert word in refused[0][1]
    if in_schema:  # the reference agrees
        assert schema.errors(bad)


@pytest.mark.parametrize(
    ("event", "path", "word"),
    [
        (object_event(epcList=None), (), "needs an epcList"),
        (
            object_event(
                type="AggregationEvent", epcList=None, action="ADD", parentID="urn:epc:id:sscc:4012345.1"
            ),
            (),
            "needs childEPCs",
        ),
        (
            object_event(type="AssociationEvent", epcList=None, childEPCs=["urn:epc:id:giai:4012345.1"]),
            ("parentID",),
            "needs a parentID",
        ),
        (
            object_event(
                type="TransactionEvent",
                epcList=None,
                bizTransactionList=[{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}],
            ),
            (),
            "needs an epcList or a quantityList",
        ),
        (
            object_event(
                type="TransformationEvent",
                action=None,
                epcList=None,
                inputEPCList=["urn:epc:id:sgtin:4012345.011111.1"],
            ),
            ("transformationID",),
            "needs a transformationID",
        ),
    ],
    ids=["object", "aggregation", "association", "transaction", "transformation"],
)
def test_an_event_missing_what_its_type_needs_is_refused(
    event: dict[str, Any], path: tuple[str | int, ...], word: str, schema: EpcisJsonSchema
) -> None:
    refused = _refusal(as_bytes(document(event)))
    assert [location for location, _ in refused] == [(*EVENT, *path)], refused
    assert word in refused[0][1]
    assert schema.errors(document(event))


def test_what_the_schema_allows_is_accepted_and_kept(schema: EpcisJsonSchema) -> None:
    full = object_event(
        eventID="urn:uuid:6f4c8f2b-5a8e-4c57-9d1e-7f0c2b9a1e11",
        eventTimeZoneOffset="+14:00",
        epcList=[],
        quantityList=[QUANTITY, {"epcClass": "urn:epc:class:lgtin:4012345.012345.1"}],
        sourceList=[SOURCE, {"type": "urn:example:sdt:broker", "source": "urn:epc:id:pgln:0614141.00002"}],
        destinationList=[DESTINATION],
        bizTransactionList=[{"bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}],
        sensorElementList=[
            {
                "sensorMetadata": {"time": "2026-03-01T10:00:00Z", "ex:calibrated": "2026-01-01"},
                "sensorReport": [
                    {**REPORT, "ex:probe": "P1"},
                    {"exception": "ALARM_CONDITION", "type": "Temperature", "booleanValue": True},
                    {"type": "Dimensionless", "hexBinaryValue": "0aFF", "stringValue": "ok"},
                ],
                "ex:site": {"ex:bay": "4"},
            }
        ],
        persistentDisposition={"set": ["completeness_verified"], "unset": ["completeness_inferred"]},
        certificationInfo=["https://cert.example.org/1", "https://cert.example.org/2"],
        errorDeclaration={**DECLARED, "correctiveEventIDs": ["urn:uuid:1"], "ex:ticket": "T-9"},
        **{"ex:lane": "L7", "https://ex.org/raw": {"ex:n": 1}},
    )
    assert not schema.errors(document(full))
    (event,) = parse_epcis_document(as_bytes(document(full))).events
    assert [(s.type, s.value) for s in event.sources] == [
        ("https://ref.gs1.org/cbv/SDT-owning_party", "https://id.gs1.org/417/4012345000016"),
        ("urn:example:sdt:broker", "https://id.gs1.org/417/0614141000029"),
    ]
    assert event.destinations[0].type == "https://ref.gs1.org/cbv/SDT-location"
    assert event.biz_transactions[0].type is None
    assert event.certification_info == ("https://cert.example.org/1", "https://cert.example.org/2")
    assert event.persistent_disposition_unset == ("https://ref.gs1.org/cbv/Disp-completeness_inferred",)
    assert [r.type for r in event.sensor_readings] == [
        "https://gs1.org/voc/Temperature",
        "https://gs1.org/voc/Temperature",
        "https://gs1.org/voc/Dimensionless",
    ]
    # user extensions are kept where they were, at every level
    assert event.body["ex:lane"] == "L7"
    assert event.body["https://ex.org/raw"] == {"ex:n": 1}
    assert event.body["sensorElementList"][0]["ex:site"] == {"ex:bay": "4"}
    assert event.body["sensorElementList"][0]["sensorReport"][0]["ex:probe"] == "P1"
    assert event.error_declaration is not None and event.error_declaration["ex:ticket"] == "T-9"


def test_values_of_ones_own_outside_the_cbv_are_kept() -> None:
    (event,) = parse_epcis_document(
        as_bytes(
            document(object_event(bizStep="urn:example:bizstep:weighing", disposition="cbv:Disp-in_transit"))
        )
    ).events
    assert (event.biz_step, event.disposition) == (
        "urn:example:bizstep:weighing",
        "https://ref.gs1.org/cbv/Disp-in_transit",
    )


def test_a_lone_source_object_reads_as_a_one_element_list() -> None:
    # JSON-LD reads a lone object as a one-element array; GS1's simple-context examples write it so
    (event,) = parse_epcis_document(as_bytes(document(object_event(sourceList=SOURCE)))).events
    assert [s.type for s in event.sources] == ["https://ref.gs1.org/cbv/SDT-owning_party"]


def test_every_bad_entry_of_a_document_is_named_at_once() -> None:
    bad = document(
        object_event(sourceList=[{"type": "owning_party"}]),
        object_event(certificationInfo=5, destinationList=[{"destination": DESTINATION["destination"]}]),
    )
    assert {location for location, _ in _refusal(as_bytes(bad))} == {
        ("epcisBody", "eventList", 0, "sourceList", 0, "source"),
        ("epcisBody", "eventList", 1, "certificationInfo"),
        ("epcisBody", "eventList", 1, "destinationList", 0, "type"),
    }


# --- XML ------------------------------------------------------------------------------------------


def _xml(inner: str, before: str = "") -> bytes:
    return (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.org/"'
        ' schemaVersion="2.0" creationDate="2026-03-01T10:00:00Z"><EPCISBody><EventList><ObjectEvent>'
        "<eventTime>2026-03-01T10:00:00+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
        f"{before}<epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></epcList><action>OBSERVE</action>"
        f"<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>{inner}</ObjectEvent></EventList></EPCISBody>"
        "</epcis:EPCISDocument>"
    ).encode()


@pytest.mark.parametrize(
    ("xml", "path", "word"),
    [
        (
            "<sourceList><source>urn:epc:id:pgln:4012345.00001</source></sourceList>",
            ("sourceList", 0, "type"),
            "needs its type",
        ),
        (
            '<sourceList><source type="urn:epcglobal:cbv:sdt:owning_party"/></sourceList>',
            ("sourceList", 0, "source"),
            "needs its source",
        ),
        (
            '<destinationList><destination type="urn:epcglobal:cbv:sdt:location" ex:note="x">'
            "urn:epc:id:sgln:0614141.00777.0</destination></destinationList>",
            ("destinationList", 0, "ex:note"),
            "unknown field",
        ),
        (
            '<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po"/></bizTransactionList>',
            ("bizTransactionList", 0, "bizTransaction"),
            "needs its bizTransaction",
        ),
        (
            "<quantityList><quantityElement><quantity>5</quantity></quantityElement></quantityList>",
            ("quantityList", 0, "epcClass"),
            "needs an epcClass",
        ),
        (
            '<sensorElementList><sensorElement><sensorMetadata time="2026-03-01T10:00:00Z"/></sensorElement>'
            "</sensorElementList>",
            ("sensorElementList", 0, "sensorReport"),
            "needs at least one sensorReport",
        ),
        (
            '<sensorElementList><sensorElement><sensorReport type="gs1:Temperature" booleanValue="yes"/>'
            "</sensorElement></sensorElementList>",
            ("sensorElementList", 0, "sensorReport", 0, "booleanValue"),
            "true or false",
        ),
        ("<persistentDisposition/>", ("persistentDisposition",), "set and/or unset"),
        (
            "<errorDeclaration><reason>urn:epcglobal:cbv:er:incorrect_data</reason></errorDeclaration>",
            ("errorDeclaration", "declarationTime"),
            "needs a declarationTime",
        ),
        ("<bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep>", ("bizStep",), "more than once"),
        (
            "<disposition>urn:epcglobal:cbv:disp:in_transitt</disposition>",
            ("disposition",),
            "not a CBV disposition",
        ),
        ("<bizstep>shipping</bizstep>", ("bizstep",), "namespace prefix"),
    ],
    ids=lambda value: None,
)
def test_a_malformed_xml_entry_is_refused_at_its_path(
    xml: str, path: tuple[str | int, ...], word: str
) -> None:
    refused = _refusal(_xml(xml))
    assert [location for location, _ in refused] == [(*EVENT, *path)], refused
    assert word in refused[0][1]


def test_a_source_list_holding_another_element_is_refused() -> None:
    xml = (
        '<sourceList><destination type="urn:epcglobal:cbv:sdt:location">urn:epc:id:sgln:1.2.0</destination>'
        "</sourceList>"
    )
    assert {location for location, _ in _refusal(_xml(xml))} == {
        (*EVENT, "sourceList", 0, "destination"),
        (*EVENT, "sourceList", 0, "source"),
    }


def test_xml_booleans_follow_xsd_and_extensions_are_kept() -> None:
    xml = _xml(
        "<sensorElementList><sensorElement>"
        '<sensorReport type="gs1:Temperature" booleanValue="1" ex:probe="P1"/>'
        '<sensorReport exception="gs1:ALARM_CONDITION" booleanValue="0"/><ex:bay>4</ex:bay></sensorElement>'
        "</sensorElementList>"
        "<errorDeclaration><declarationTime>2026-03-02T10:00:00Z</declarationTime><ex:ticket>T-9</ex:ticket>"
        "</errorDeclaration><ex:lane>L7</ex:lane>",
        before="<certificationInfo>https://cert.example.org/1</certificationInfo>"
        "<certificationInfo>https://cert.example.org/2</certificationInfo>",
    )
    (event,) = parse_epcis_document(xml).events
    element = event.body["sensorElementList"][0]
    assert [r["booleanValue"] for r in element["sensorReport"]] == [True, False]
    assert element["sensorReport"][0]["ex:probe"] == "P1"
    assert element["ex:bay"] == "4"
    assert event.body["ex:lane"] == "L7"
    assert event.error_declaration is not None and event.error_declaration["ex:ticket"] == "T-9"
    assert event.certification_info == ("https://cert.example.org/1", "https://cert.example.org/2")


def test_a_malformed_creation_date_is_refused() -> None:
    message = "creationDate must be an ISO 8601 date-time with an offset"
    for value in (20260301, "1 March 2026"):
        assert _refusal(as_bytes({**document(object_event()), "creationDate": value})) == [
            (("creationDate",), message)
        ]
    xml = _xml("").replace(b'creationDate="2026-03-01T10:00:00Z"', b'creationDate="yesterday"')
    assert _refusal(xml) == [(("creationDate",), message)]


def test_xml_extension_attributes_are_kept_and_hashed() -> None:
    # the XSD lets events, errorDeclaration and ilmd carry any attribute: extensions, not to be dropped
    plain = _xml(
        "<errorDeclaration><declarationTime>2026-03-02T10:00:00Z</declarationTime></errorDeclaration>"
    )
    marked = (
        plain.replace(b"<ObjectEvent>", b'<ObjectEvent ex:flag="red">')
        .replace(b"<errorDeclaration>", b'<errorDeclaration ex:by="ops">')
        .replace(
            b"<action>OBSERVE</action>", b'<action>ADD</action><ilmd ex:lab="L2"><ex:lot>7</ex:lot></ilmd>'
        )
    )
    (event,) = parse_epcis_document(marked).events
    assert event.body["ex:flag"] == "red"
    assert event.body["ilmd"] == {"ex:lab": "L2", "ex:lot": "7"}
    assert event.error_declaration is not None and event.error_declaration["ex:by"] == "ops"

    def flagged(colour: bytes) -> str:
        (one,) = parse_epcis_document(
            plain.replace(b"<ObjectEvent>", b'<ObjectEvent ex:flag="' + colour + b'">')
        ).events
        return one.event_hash

    assert flagged(b"red") != flagged(b"blue") != parse_epcis_document(plain).events[0].event_hash
    unqualified = plain.replace(b"<ObjectEvent>", b'<ObjectEvent flag="red">')
    assert [location for location, _ in _refusal(unqualified)] == [(*EVENT, "flag")]


def test_an_events_own_context_declares_its_extensions_namespace() -> None:
    # JSON-LD lets an event carry its own @context; its prefixes name its extensions as the document's do
    own = object_event(**{"@context": {"lab": "https://lab.example.org/"}, "lab:batch": "B7"})
    (event,) = parse_epcis_document(as_bytes(document(own))).events
    assert event.namespaces["lab"] == "https://lab.example.org/"
    shared = document(object_event(**{"lab:batch": "B7"}))
    shared["@context"] = [*shared["@context"], {"lab": "https://lab.example.org/"}]
    assert event.event_hash == parse_epcis_document(as_bytes(shared)).events[0].event_hash
