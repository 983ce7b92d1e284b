"""Small EPCIS documents for the tracking tests, and the official example files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import require_shared

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SITES = ("urn:epc:id:sgln:4012345.00001.0", "urn:epc:id:sgln:4012345.00002.0")
PALLET = "urn:epc:id:sscc:4012345.0000000001"


def epc(serial: int) -> str:
    return f"urn:epc:id:sgtin:4012345.011111.{serial}"


def at(hours: int) -> str:
    return (START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def event(number: int) -> dict[str, Any]:
    """Event ``number`` of a small world: 3 objects, 2 sites, one hour apart; every 4th packs a pallet."""
    common: dict[str, Any] = {
        "eventTime": at(number),
        "eventTimeZoneOffset": "+00:00",
        "bizLocation": {"id": SITES[number % 2]},
        "readPoint": {"id": SITES[number % 2]},
    }
    if number % 4 == 3:
        return {
            "type": "AggregationEvent",
            **common,
            "parentID": PALLET,
            "childEPCs": [epc(number % 3)],
            "action": "ADD",
            "bizStep": "packing",
        }
    sensors: dict[str, Any] = {}
    if number % 4 in (1, 2):  # a temperature, or a humidity, reading of value ``number``
        kind = "gs1:Temperature" if number % 4 == 1 else "gs1:RelativeHumidity"
        report = {"type": kind, "value": float(number), "uom": "CEL" if number % 4 == 1 else "A93"}
        sensors["sensorElementList"] = [{"sensorMetadata": {"time": at(number)}, "sensorReport": [report]}]
    return {
        "type": "ObjectEvent",
        **common,
        **sensors,
        "epcList": [epc(number % 3)],
        "action": "OBSERVE",
        "bizStep": "receiving" if number % 2 else "shipping",
        "ex:note": f"event {number}",
    }


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [CONTEXT, {"ex": "https://example.org/ns/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": at(0),
        "epcisBody": {"eventList": list(events)},
    }


def as_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def gs1_folder() -> Path:
    return require_shared("epcis", "gs1-EPCIS")


def official_examples(folder: str, suffixes: tuple[str, ...]) -> list[Path]:
    root = gs1_folder() / folder
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in suffixes and "CaptureJob" not in p.relative_to(root).parts
    )
