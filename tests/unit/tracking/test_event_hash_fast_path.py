"""The fast pre-hash of flat events gives the same text as the general node-tree rendering."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import epcis_hash, parse_epcis_document

from .conftest import EPCIS_DATA

SOURCES = [EPCIS_DATA / "gs1-EPCIS", EPCIS_DATA / "event-hash-vectors"]


def _documents() -> list[Path]:
    return sorted(
        p
        for root in SOURCES
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix.lower() in (".json", ".jsonld", ".xml") and "Schema" not in p.name
    )


def _events(path: Path) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    try:
        document = parse_epcis_document(path.read_bytes())
    except ValidationFailed:
        return []  # not an EPCIS document (capture job resources, query results of other shapes)
    return [(e.event_type, dict(e.body), dict(e.namespaces)) for e in document.events]


def test_every_official_event_hashes_the_same_on_both_paths(epcis_data: Path) -> None:
    fast_taken = compared = 0
    for path in _documents():
        for event_type, body, namespaces in _events(path):
            slow = epcis_hash._slow_prehash(event_type, body, namespaces)
            fast = epcis_hash._fast_prehash(event_type, body, namespaces)
            compared += 1
            if fast is not None:
                fast_taken += 1
                assert fast == slow, f"{path.name}: {body}"
    assert compared > 100
    assert fast_taken > 20  # the flat examples do go the fast way


def _random_event(rng: random.Random) -> dict[str, Any]:
    def pick(*values: Any) -> Any:
        return rng.choice(values)

    event: dict[str, Any] = {"type": "ObjectEvent", "eventID": f"urn:uuid:{rng.getrandbits(64):x}"}
    fields: dict[str, Any] = {
        "eventTime": pick("2026-01-01T10:00:00.123456+02:00", " 2026-01-01T10:00:00Z", "not a time"),
        "eventTimeZoneOffset": pick("+02:00", " -05:00 ", ""),
        "epcList": [
            pick("urn:epc:id:sgtin:4012345.011111.9876", " https://id.gs1.org/01/04012345111118/21/7", "", 42)
            for _ in range(rng.randrange(4))
        ],
        "childEPCs": pick(["urn:epc:id:sscc:4012345.0000000001"], "urn:epc:id:sscc:4012345.0000000002"),
        "parentID": pick("urn:epc:id:sscc:4012345.0000000003", 7, ""),
        "action": pick("OBSERVE", "ADD ", ""),
        "bizStep": pick("shipping", "cbv:BizStep-receiving", "urn:epcglobal:cbv:bizstep:storing", " ", 3),
        "disposition": pick("in_transit", "https://ref.gs1.org/cbv/Disp-active"),
        "readPoint": pick(
            {"id": "urn:epc:id:sgln:4012345.00001.0"},
            {"id": " "},
            {"id": "urn:epc:id:sgln:4012345.00001.0", "ex:x": "1"},
            "urn:x",
        ),
        "bizLocation": pick({"id": "urn:epc:id:sgln:4012345.00002.0"}, {}),
        "quantityList": [
            pick(
                {"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 10.0, "uom": "KGM"},
                {"epcClass": "urn:epc:idpat:sgtin:4012345.011111.*", "quantity": 3},
                {"epcClass": "gs1:x", "quantity": True},
                {"epcClass": "a", "ex:y": 1},
                "nope",
            )
            for _ in range(rng.randrange(3))
        ],
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}],
        "ex:lane": pick("L1", {"ex:inner": "x"}, [1, 2]),
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 3.5, "uom": "CEL"}]}],
        "recordTime": "2026-01-01T10:00:00Z",
        "@id": "x",
    }
    for key, value in fields.items():
        if rng.random() < 0.6:
            event[key] = value
    return event


@pytest.mark.parametrize("seed", range(5))
def test_random_events_hash_the_same_on_both_paths(seed: int) -> None:
    rng = random.Random(seed)
    namespaces = {"ex": "https://example.com/ex/"}
    taken = 0
    for _ in range(400):
        event = _random_event(rng)
        slow = epcis_hash._slow_prehash("ObjectEvent", event, namespaces)
        fast = epcis_hash._fast_prehash("ObjectEvent", event, namespaces)
        if fast is not None:
            taken += 1
            assert fast == slow, event
    assert taken > 5
