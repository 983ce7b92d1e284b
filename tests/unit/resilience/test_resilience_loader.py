from __future__ import annotations

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import lanes_from_csv, parse_network, parse_network_yaml, sites_from_csv


def base() -> dict[str, object]:
    return {
        "products": [{"id": "A", "margin": 1}],
        "sites": [
            {"id": "S", "kind": "supplier", "makes": ["A"]},
            {"id": "D", "kind": "demand", "demand": {"A": 1}},
        ],
        "lanes": [{"id": "L", "from": "S", "to": "D"}],
    }


def errors_of(document: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_network(document)
    return [str(e) for e in caught.value.errors]


def test_valid_document_loads() -> None:
    network = parse_network(base())
    assert [s.id for s in network.sites] == ["S", "D"]
    assert network.lanes[0].origin == "S"


def test_unknown_site_in_lane_is_located() -> None:
    doc = base()
    doc["lanes"] = [{"id": "L", "from": "S", "to": "NOWHERE"}]
    assert errors_of(doc) == ["lanes.0.to: unknown site 'NOWHERE'"]


def test_negative_capacity_and_bad_kind() -> None:
    doc = base()
    doc["sites"] = [{"id": "S", "kind": "factory", "capacity": -5}]
    found = errors_of(doc)
    assert "sites.0.capacity: must be non-negative, got -5" in found
    assert any(e.startswith("sites.0.kind: must be one of") for e in found)


def test_bom_cycle_is_reported() -> None:
    doc = base()
    doc["products"] = [
        {"id": "A", "bom": {"B": 1}},
        {"id": "B", "bom": {"C": 2}},
        {"id": "C", "bom": {"A": 1}},
    ]
    assert any("cycle in bills of materials: A -> B -> C -> A" in e for e in errors_of(doc))


def test_duplicates_unknown_fields_and_passages() -> None:
    doc = base()
    doc["sites"] = [*doc["sites"], {"id": "S", "kind": "depot", "colour": "red"}]  # type: ignore[list-item]
    doc["lanes"] = [{"id": "L", "from": "S", "to": "D", "passages": {"atlantis": 3}}]
    found = errors_of(doc)
    assert any("duplicate site id 'S'" in e for e in found)
    assert any(e.startswith("sites.2.colour: unknown field") for e in found)
    assert "lanes.0.passages.atlantis: unknown sea passage" in found


def test_passage_aliases_are_canonical() -> None:
    doc = base()
    doc["lanes"] = [{"id": "L", "from": "S", "to": "D", "passages": {"Ormuz": 2, "babalmandab": None}}]
    assert dict(parse_network(doc).lanes[0].passages) == {"hormuz": 2.0, "bab-el-mandeb": None}


def test_yaml_syntax_error_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        parse_network_yaml("sites: [unclosed")


def test_csv_tables() -> None:
    sites = sites_from_csv("id,kind,capacity,makes,demand.A,stock.A\nS,supplier,10,A,,\nD,demand,,,4,2\n")
    lanes = lanes_from_csv("id,from,to,mode,passages\nL,S,D,sea,suez=9;malacca\n")
    network = parse_network({"products": [{"id": "A"}], "sites": sites, "lanes": lanes})
    assert network.site("D").demand == {"A": 4.0}
    assert dict(network.lanes[0].passages) == {"suez": 9.0, "malacca": None}
    assert network.site("S").capacity == 10.0
