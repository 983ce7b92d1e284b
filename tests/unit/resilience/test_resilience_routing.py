from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import GraphRouter, Route, SeaRouter, load_geograph
from supplyguard.resilience.routing import Point


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


def _random_port_pairs(sea: SeaRouter, count: int, seed: int) -> list[tuple[Point, Point]]:
    rng = np.random.default_rng(seed)
    codes = sorted(sea.ports)
    return [
        (sea.ports[codes[i]][0], sea.ports[codes[j]][0]) for i, j in rng.integers(0, len(codes), (count, 2))
    ]


def _same(routes: list[Route], reference: list[Route]) -> None:
    assert len(routes) == len(reference)
    for route, ref in zip(routes, reference, strict=True):
        assert route.found == ref.found
        if ref.found:
            assert route.distance_km == pytest.approx(ref.distance_km, rel=1e-12)
            assert route.passages == ref.passages
            assert route.closed == ref.closed


def test_threaded_batches_give_identical_routes() -> None:
    serial, threaded = SeaRouter(threads=1), SeaRouter(threads=2)
    pairs = _random_port_pairs(serial, 400, seed=5)
    assert threaded.routes(pairs, with_path=True) == serial.routes(pairs, with_path=True)


def test_routes_with_a_closed_passage_reuse_open_routes_exactly() -> None:
    """Open routes that avoid the closed passage are reused; the rest are searched again."""
    warm, cold = SeaRouter(), SeaRouter()
    pairs = _random_port_pairs(warm, 300, seed=9)
    pairs += [(warm.locate("NLRTM"), warm.locate("CNSHA")), (warm.locate("DEHAM"), warm.locate("SGSIN"))]
    open_routes = warm.routes(pairs, with_path=True)
    assert sum("suez" in route.passages for route in open_routes) >= 2
    reused = warm.routes(pairs, closed=["suez"], with_path=True)
    fresh = cold.routes(pairs, closed=["suez"], with_path=True)
    _same(reused, fresh)
    assert all("suez" not in route.passages for route in reused)
    assert [r.coordinates for r in reused if r.found] == [r.coordinates for r in fresh if r.found]
    single = warm.route(warm.locate("NLRTM"), warm.locate("CNSHA"), ["suez"])
    _same([single], [cold.route(cold.locate("NLRTM"), cold.locate("CNSHA"), ["suez"])])


def test_contracted_graph_gives_the_plain_graph_routes() -> None:
    """Dead ends pruned and chains collapsed: same distances and passages as the plain search,
    paths the same up to the choice among exactly equal ones."""
    core, plain = SeaRouter(), SeaRouter(contract=False)
    pairs = _random_port_pairs(core, 500, seed=21)
    for closed in ([], ["suez", "panama"]):
        fast = core.routes(pairs, closed=closed, with_path=True)
        slow = plain.routes(pairs, closed=closed, with_path=True)
        _same(fast, slow)
        same_path = sum(a.coordinates == b.coordinates for a, b in zip(fast, slow, strict=True))
        assert same_path >= 0.98 * len(pairs)
        for a, b in zip(fast, slow, strict=True):
            if a.found:
                assert a.coordinates[0] == b.coordinates[0]
                assert a.coordinates[-1] == b.coordinates[-1]


def test_single_routes_on_the_contracted_graph_match_the_plain_graph() -> None:
    core, plain = SeaRouter(), SeaRouter(contract=False)
    points = [(-5.0, 36.0), (103.8, 1.2), (32.5, 29.9), (-79.9, 9.0), (151.2, -33.9), (4.4, 51.9)]
    for origin in points:
        for destination in points:
            _same([core.route(origin, destination)], [plain.route(origin, destination)])


def test_closing_passages_derives_the_same_contracted_graph() -> None:
    derived, direct = SeaRouter(), SeaRouter()
    derived._core(derived._closed_labels([]))
    closed = derived._closed_labels(["suez", "malacca"])
    a, b = derived._core(closed), direct._core(closed)
    assert a.knodes_list == b.knodes_list
    assert (a.graph != b.graph).nnz == 0
    assert list(a.edge_key) == list(b.edge_key)
    assert list(a.edge_chain) == list(b.edge_chain)


@pytest.mark.parametrize("name", ["north_america_rail", "us_freeway", "oak_ridge_maritime"])
def test_contracted_road_and_rail_graphs_match_the_plain_graph(networks_dir: Path, name: str) -> None:
    path = networks_dir / f"{name}.graphjson"
    if not path.exists():
        pytest.skip(f"{path} not found")
    text = path.read_text()
    core, plain = load_geograph(text), load_geograph(text)
    plain.contract = False
    rng = np.random.default_rng(3)
    picks = rng.integers(0, core.n, (300, 2))
    pairs = [((core.lon[a], core.lat[a]), (core.lon[b], core.lat[b])) for a, b in picks]
    fast = core.routes(pairs, with_path=True)
    assert core._cores  # the batch ran on the contracted graph
    _same(fast, plain.routes(pairs, with_path=True))


def test_contracted_paths_are_walks_of_the_reported_length() -> None:
    """Where the contracted search picks another path than the plain one, it is an equally short
    one: every polyline is a walk along graph edges whose lengths add up to the distance."""
    sea = SeaRouter()
    graph = sea._graph(sea._closed_labels(["suez"])).tocsr()
    nodes_at: dict[Point, list[int]] = {}
    for node, point in enumerate(sea._points):
        nodes_at.setdefault(point, []).append(node)
    routes = sea.routes(_random_port_pairs(sea, 200, seed=13), closed=["suez"], with_path=True)
    assert sea._cores
    for route in routes:
        if not route.found or len(route.coordinates) < 2:
            continue
        total, here = 0.0, nodes_at[route.coordinates[0]]
        for point in route.coordinates[1:]:
            steps = [(graph[u, v], v) for u in here for v in nodes_at[point] if graph[u, v]]
            assert steps, f"no edge to {point}"
            length, node = min(steps)
            total += length
            here = [node]
        assert total == pytest.approx(route.distance_km, rel=1e-9)
