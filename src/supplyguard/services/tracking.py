"""Tracking use cases that need no database: hashing the events of an EPCIS document."""

from __future__ import annotations

from supplyguard.tracking import detect_syntax, parse_epcis_json, parse_epcis_xml

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


def hash_events(data: bytes, media_type: str | None = None) -> list[str]:
    """The CBV 2.0 event hash of every event of an EPCIS document (XML or JSON-LD), in document order."""
    parse = parse_epcis_xml if detect_syntax(data, media_type) == "xml" else parse_epcis_json
    document = parse(data)
    return [event.event_hash for event in document.events]
