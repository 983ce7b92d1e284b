from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.resilience import Network, load_network, parse_network

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO / ".." / "shared" / "data"
NETWORKS = SHARED_DATA / "refdata" / "networks"
EXAMPLES = REPO / "examples" / "resilience"


@pytest.fixture
def golden() -> Network:
    return load_network(EXAMPLES / "golden-ttr.yaml")


@pytest.fixture
def networks_dir() -> Path:
    if not NETWORKS.is_dir():
        pytest.skip(f"shared road/rail graphs not found at {NETWORKS} (../shared/data/refdata/networks)")
    return NETWORKS


def small_network(**overrides: object) -> Network:
    """Two suppliers -> plant (BOM) -> port -> depot -> demand point, with one asset and one sea lane."""
    document: dict[str, object] = {
        "name": "small",
        "defaults": {"ttr": 2},
        "passages": {"suez": 3},
        "products": [
            {"id": "KIT", "margin": 100, "holding_cost": 2, "demand_sd": 3, "bom": {"PART": 2}},
            {"id": "PART", "margin": 0},
        ],
        "sites": [
            {"id": "SA", "kind": "supplier", "capacity": 20, "makes": ["PART"]},
            {"id": "SB", "kind": "supplier", "capacity": 20, "makes": ["PART"], "ttr": 4},
            {"id": "PL", "kind": "plant", "capacity": 15, "makes": ["KIT"]},
            {"id": "PO", "kind": "port", "capacity": 30},
            {"id": "DE", "kind": "depot", "stock": {"KIT": 5}},
            {"id": "DP", "kind": "demand", "demand": {"KIT": 10}},
        ],
        "lanes": [
            {"id": "A-PL", "from": "SA", "to": "PL"},
            {"id": "B-PL", "from": "SB", "to": "PL"},
            {"id": "PL-PO", "from": "PL", "to": "PO", "mode": "sea", "passages": {"suez": 7}},
            {"id": "PO-DE", "from": "PO", "to": "DE", "mode": "rail"},
            {"id": "DE-DP", "from": "DE", "to": "DP"},
        ],
        "alternatives": [
            {
                "id": "ALT",
                "site": "DE",
                "product": "KIT",
                "capacity": 4,
                "unit_cost": 30,
                "activation_periods": 0,
            },
        ],
        "assets": [
            {"id": "GRID", "kind": "power", "ttr": 1, "dependants": ["SA"], "assets": ["TEL"]},
            {"id": "TEL", "kind": "communications", "ttr": 3, "dependants": ["PO"]},
        ],
    }
    document.update(overrides)
    return parse_network(document)
