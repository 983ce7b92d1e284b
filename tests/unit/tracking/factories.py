"""Smallest EPCIS documents and events the tracking tests need."""

from __future__ import annotations

import json
from typing import Any

from supplyguard.tracking import EpcisEvent, parse_epcis_json


def object_event(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"ex": "https://ex.org/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T10:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def as_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def events(*bodies: dict[str, Any]) -> tuple[EpcisEvent, ...]:
    return parse_epcis_json(document(*bodies)).events
