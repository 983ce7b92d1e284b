"""Every official GS1 EPCIS example document is accepted; XML and JSON-LD round-trip to one hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplyguard.tracking import (
    EpcisJsonSchema,
    events_to_query_document,
    parse_epcis_document,
    parse_epcis_json,
)

from .conftest import EPCIS_DATA

GS1 = EPCIS_DATA / "gs1-EPCIS"
# capture-job status resources are responses of the capture interface, not documents to capture
NOT_DOCUMENTS = {"CaptureJob"}


def _files(folder: str, suffixes: tuple[str, ...]) -> list[str]:
    root = GS1 / folder
    if not root.is_dir():
        return []
    return sorted(
        str(p.relative_to(GS1))
        for p in root.rglob("*")
        if p.suffix.lower() in suffixes and not NOT_DOCUMENTS & set(p.relative_to(root).parts)
    )


@pytest.fixture(scope="module")
def schema() -> EpcisJsonSchema:
    path = GS1 / "EPCIS-JSON-Schema.json"
    if not path.is_file():
        pytest.skip(f"GS1 EPCIS JSON schema not found at {path}")
    return EpcisJsonSchema(json.loads(path.read_text()))


def test_the_example_folders_are_walked(epcis_data: Path) -> None:
    assert len(_files("JSON", (".jsonld", ".json"))) >= 40
    assert len(_files("XML", (".xml",))) >= 30


@pytest.mark.parametrize("relative", _files("JSON", (".jsonld", ".json")))
def test_official_json_ld_examples_pass_schema_and_checks(schema: EpcisJsonSchema, relative: str) -> None:
    document = parse_epcis_document((GS1 / relative).read_bytes(), schema=schema)
    assert document.syntax == "json"
    assert all(event.event_hash.startswith("ni:///sha-256;") for event in document.events)


@pytest.mark.parametrize("relative", _files("JSON-simple-context", (".jsonld",)))
def test_simple_context_examples_are_accepted(epcis_data: Path, relative: str) -> None:
    # this older folder is not kept valid against the current schema by GS1; checks only
    document = parse_epcis_document((GS1 / relative).read_bytes())
    assert document.document_type in ("EPCISDocument", "EPCISQueryDocument")


@pytest.mark.parametrize("relative", _files("XML", (".xml",)))
def test_official_xml_examples_are_accepted(epcis_data: Path, relative: str) -> None:
    document = parse_epcis_document((GS1 / relative).read_bytes())
    assert document.syntax == "xml"


@pytest.mark.parametrize(
    "relative", [f for f in _files("XML", (".xml",)) if "Mimasu/Example-masterData" not in f]
)
def test_xml_events_survive_the_json_ld_round_trip(schema: EpcisJsonSchema, relative: str) -> None:
    original = parse_epcis_document((GS1 / relative).read_bytes())
    query_document = events_to_query_document(original.events, creation_date="2026-01-01T00:00:00Z")
    again = parse_epcis_json(query_document)
    assert [e.event_hash for e in again.events] == [e.event_hash for e in original.events]


def test_counts_of_events_in_a_known_example(epcis_data: Path) -> None:
    document = parse_epcis_document(
        (GS1 / "XML" / "AssociationEvent" / "AssociationEventExamples.xml").read_bytes()
    )
    assert document.events
    assert {e.event_type for e in document.events} == {"AssociationEvent"}
