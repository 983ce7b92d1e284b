from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import GraphRouter, SeaRouter, load_geograph


@pytest.fixture(scope="module")
def sea() -> SeaRouter:
    return SeaRouter()


def test_rotterdam_shanghai_goes_through_suez_and_matches_searoute(sea: SeaRouter) -> None:
    route = sea.route(sea.locate("NLRTM"), sea.locate("CNSHA"))
    assert "suez" in route.passages
    # searoute 1.6 reports 19,610 km for the same snapped nodes
    assert route.distance_km == pytest.approx(19610, rel=0.002)
    assert route.coordinates[0] == pytest.approx((4.4, 51.9), abs=1.0)


def test_closing_suez_adds_distance_and_days(sea: SeaRouter) -> None:
    impact = sea.reroute("NLRTM", "CNSHA", "suez")
    assert "suez" not in impact.detour.passages
    assert impact.added_km > 3000
    assert impact.added_days > 3
    assert "closing suez adds" in impact.reason


def test_alternatives_use_different_passages(sea: SeaRouter) -> None:
    routes = sea.alternatives("NLRTM", "CNSHA", k=3)
    assert len(routes) == 3
    assert len({r.passages for r in routes}) == 3
    assert [r.distance_km for r in routes] == sorted(r.distance_km for r in routes)


def test_batch_routes_equal_single_routes(sea: SeaRouter) -> None:
    pairs = [(sea.locate("SGSIN"), sea.locate("AEJEA")), (sea.locate("USNYC"), sea.locate("USLAX"))]
    batch = sea.routes(pairs, closed=["hormuz"])
    single = [sea.route(a, b, ["hormuz"]) for a, b in pairs]
    assert [r.distance_km for r in batch] == pytest.approx([r.distance_km for r in single])
    assert "panama" in single[1].passages


def test_unknown_passage_and_port_are_validation_errors(sea: SeaRouter) -> None:
    with pytest.raises(ValidationFailed):
        sea.route((0.0, 0.0), (10.0, 10.0), ["atlantis"])
    with pytest.raises(ValidationFailed):
        sea.locate("ZZZZZ")


def test_graph_router_on_a_tiny_graph() -> None:
    router = load_geograph(
        {"nodes": [[0, 0], [0, 1], [1, 1]], "graph": [{"1": 111}, {"0": 111, "2": 111}, {"1": 111}]},
        speed_kmh=50,
    )
    route = router.route((0.0, 0.0), (1.0, 1.0))
    assert route.distance_km == pytest.approx(222)
    assert route.days == pytest.approx(222 / 50 / 24)
    assert isinstance(router, GraphRouter)


def test_shared_rail_graph_routes(networks_dir: Path) -> None:
    router = load_geograph((networks_dir / "north_america_rail.graphjson").read_text(), speed_kmh=40)
    chicago, kansas_city = (-87.63, 41.88), (-94.58, 39.10)
    route = router.route(chicago, kansas_city)
    assert 600 < route.distance_km < 1200
