"""Routing of lanes: sea legs on the searoute maritime network, road and rail legs on GeoGraphs.

The graph is compacted once into CSR arrays (scipy.sparse) with a KD-tree over 3-D unit vectors
for the nearest-node lookup; each query runs scipy's C Dijkstra from the origin and keeps the
shortest-path tree in a small per-origin cache, so many queries from one port cost one search.
Passages are closed by masking their edges (one CSR per set of closed passages, cached).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience.model import Network
from supplyguard.resilience.passages import SEAROUTE_CODES, canonical_passage

FArray = npt.NDArray[np.float64]
KM_PER_NAUTICAL_MILE = 1.852
DEFAULT_CLOSED = ("northwest",)
Point = tuple[float, float]  # (lon, lat)


@dataclass(frozen=True, slots=True)
class Route:
    """One route: length, sailing/driving time, passages crossed and the polyline (lon, lat)."""

    distance_km: float
    days: float
    passages: tuple[str, ...]
    coordinates: tuple[Point, ...]
    closed: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return math.isfinite(self.distance_km)

    def as_dict(self) -> dict[str, object]:
        return {
            "distance_km": round(self.distance_km, 1) if self.found else None,
            "days": round(self.days, 2) if self.found else None,
            "passages": list(self.passages),
            "closed": list(self.closed),
            "points": len(self.coordinates),
        }


@dataclass(frozen=True, slots=True)
class RerouteImpact:
    """What closing ``passage`` does to a lane: the detour and the days it adds."""

    passage: str
    base: Route
    detour: Route
    added_km: float
    added_days: float
    reason: str


def _unit_vectors(lon: FArray, lat: FArray) -> FArray:
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    return np.column_stack((np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)))


def _wrap(lon: float) -> float:
    return ((lon + 180.0) % 360.0) - 180.0 if not -180.0 <= lon <= 180.0 else lon


class GraphRouter:
    """Shortest paths on an undirected geographic graph given as node coordinates and edges."""

    def __init__(
        self,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        edges_u: npt.ArrayLike,
        edges_v: npt.ArrayLike,
        weights_km: npt.ArrayLike,
        labels: Sequence[str | None] | None = None,
        *,
        speed_kmh: float = 60.0,
        cache_size: int = 512,
    ) -> None:
        self.lon = np.asarray(lon, dtype=np.float64)
        self.lat = np.asarray(lat, dtype=np.float64)
        u = np.asarray(edges_u, dtype=np.int64)
        v = np.asarray(edges_v, dtype=np.int64)
        w = np.maximum(np.asarray(weights_km, dtype=np.float64), 1e-6)  # csgraph drops explicit zeros
        # symmetrise, keep the shortest parallel edge
        self._u = np.concatenate((u, v))
        self._v = np.concatenate((v, u))
        self._w = np.concatenate((w, w))
        lab = list(labels) if labels is not None else [None] * len(u)
        self._labels = np.array(lab + lab, dtype=object)
        self.speed_kmh = speed_kmh
        self.n = len(self.lon)
        self._tree = cKDTree(_unit_vectors(self.lon, self.lat))
        self._graphs: dict[frozenset[str], csr_matrix] = {}
        self._trees: OrderedDict[tuple[frozenset[str], int], tuple[FArray, npt.NDArray[np.int32]]] = (
            OrderedDict()
        )
        self._cache_size = cache_size
        self._edge_label: dict[tuple[int, int], str] = {
            (int(a), int(b)): str(label)
            for a, b, label in zip(self._u, self._v, self._labels, strict=True)
            if label is not None
        }

    # -- graph and nodes -------------------------------------------------------------------
    def _graph(self, closed_labels: frozenset[str]) -> csr_matrix:
        graph = self._graphs.get(closed_labels)
        if graph is None:
            keep = (
                np.array([lab not in closed_labels for lab in self._labels], dtype=bool)
                if closed_labels
                else np.ones(len(self._u), dtype=bool)
            )
            order = np.lexsort((self._w[keep], self._v[keep], self._u[keep]))
            u, v, w = self._u[keep][order], self._v[keep][order], self._w[keep][order]
            first = np.ones(len(u), dtype=bool)
            first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
            graph = csr_matrix((w[first], (u[first], v[first])), shape=(self.n, self.n))
            self._graphs[closed_labels] = graph
        return graph

    def nearest_nodes(self, points: Sequence[Point]) -> npt.NDArray[np.int64]:
        """Nearest graph node to each (lon, lat) point (great-circle, via 3-D unit vectors)."""
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        _dist, idx = self._tree.query(_unit_vectors(arr[:, 0], arr[:, 1]))
        return np.asarray(idx, dtype=np.int64)

    def _search(self, closed: frozenset[str], sources: Iterable[int]) -> None:
        todo = [s for s in dict.fromkeys(sources) if (closed, s) not in self._trees]
        if not todo:
            return
        graph = self._graph(closed)
        for start in range(0, len(todo), 128):
            chunk = todo[start : start + 128]
            dist, pred = dijkstra(graph, directed=True, indices=chunk, return_predecessors=True)
            for row, source in enumerate(chunk):
                self._trees[(closed, source)] = (dist[row], pred[row])
                while len(self._trees) > self._cache_size:
                    self._trees.popitem(last=False)

    def _closed_labels(self, closed: Iterable[str]) -> frozenset[str]:
        return frozenset(closed)

    def _days(self, km: float) -> float:
        return km / (self.speed_kmh * 24.0)

    def _route_nodes(self, closed: frozenset[str], a: int, b: int, with_path: bool) -> Route:
        if (closed, a) not in self._trees and (closed, b) in self._trees:
            back = self._route_nodes(closed, b, a, with_path)  # undirected: reuse b's tree
            return Route(
                back.distance_km, back.days, back.passages[::-1], back.coordinates[::-1], back.closed
            )
        key = (closed, a)
        if key not in self._trees:
            self._search(closed, [a])
        dist, pred = self._trees[key]
        self._trees.move_to_end(key)
        km = float(dist[b])
        if not math.isfinite(km):
            return Route(math.inf, math.inf, (), (), tuple(sorted(closed)))
        coords: list[Point] = []
        labels: list[str] = []
        if with_path:
            node = b
            path = [b]
            while node != a:
                node = int(pred[node])
                path.append(node)
            path.reverse()
            for x, y in itertools.pairwise(path):
                label = self._edge_label.get((x, y))
                if label is not None and label not in labels:
                    labels.append(label)
            coords = [(_wrap(float(self.lon[i])), float(self.lat[i])) for i in path]
        return Route(km, self._days(km), tuple(labels), tuple(coords), tuple(sorted(closed)))

    # -- queries ---------------------------------------------------------------------------
    def route(
        self, origin: Point, destination: Point, closed: Iterable[str] = (), *, with_path: bool = True
    ) -> Route:
        """Shortest route between two (lon, lat) points snapped to the nearest nodes."""
        a, b = (int(i) for i in self.nearest_nodes([origin, destination]))
        return self._route_nodes(self._closed_labels(closed), a, b, with_path)

    def routes(
        self, pairs: Sequence[tuple[Point, Point]], closed: Iterable[str] = (), *, with_path: bool = False
    ) -> list[Route]:
        """Many routes at once: one nearest-node lookup, then one Dijkstra per node of a greedy
        cover of the pairs (the graph is undirected, so either end of a pair can be the root)."""
        if not pairs:
            return []
        labels = self._closed_labels(closed)
        nodes = self.nearest_nodes([p for pair in pairs for p in pair]).reshape(-1, 2)
        counts = Counter(int(n) for n in nodes.ravel())
        roots = {n for (c, n) in self._trees if c == labels}
        by_root: dict[int, list[int]] = {}
        for index, (a, b) in enumerate(nodes):
            a, b = int(a), int(b)
            if a not in roots and b not in roots:
                roots.add(a if counts[a] >= counts[b] else b)
            by_root.setdefault(a if a in roots else b, []).append(index)
        out: list[Route | None] = [None] * len(nodes)
        order = sorted(by_root)
        for start in range(0, len(order), 128):
            chunk = order[start : start + 128]
            self._search(labels, chunk)
            for root in chunk:
                for index in by_root[root]:
                    a, b = int(nodes[index, 0]), int(nodes[index, 1])
                    out[index] = self._route_nodes(labels, a, b, with_path)
        return [route for route in out if route is not None]


class SeaRouter(GraphRouter):
    """Sea routes on the maritime network shipped in the ``searoute`` package (about 9,700 nodes).

    ``closed`` takes canonical passage names (``suez``, ``panama``, ``malacca``, ``hormuz``,
    ``bab-el-mandeb``, ``gibraltar``, ...); the Northwest Passage is closed by default, as in
    searoute itself.
    """

    def __init__(self, *, speed_knots: float = 18.0, cache_size: int = 512) -> None:
        from searoute.data.marnet_dict import edge_list, node_list  # the package's own graph
        from searoute.data.ports_dict import node_list as port_nodes

        index: dict[tuple[float, float], int] = {node: i for i, node in enumerate(node_list)}
        us: list[int] = []
        vs: list[int] = []
        ws: list[float] = []
        labels: list[str | None] = []
        code_to_name = {code: name for name, code in SEAROUTE_CODES.items()}
        for a, neighbours in edge_list.items():
            for b, data in neighbours.items():
                for node in (a, b):
                    if node not in index:
                        index[node] = len(index)
                ia, ib = index[a], index[b]
                if ia > ib:  # each undirected edge once
                    continue
                us.append(ia)
                vs.append(ib)
                ws.append(float(data.get("weight", 0.0)))
                labels.append(code_to_name.get(str(data.get("passage"))))
        coords = np.array(list(index), dtype=np.float64)
        super().__init__(
            coords[:, 0],
            coords[:, 1],
            us,
            vs,
            ws,
            labels,
            speed_kmh=speed_knots * KM_PER_NAUTICAL_MILE,
            cache_size=cache_size,
        )
        self.ports: dict[str, tuple[Point, str]] = {}
        for (lon, lat), props in port_nodes.items():
            code = props.get("port")
            if code:
                self.ports[str(code).upper()] = ((float(lon), float(lat)), str(props.get("name", code)))

    def _closed_labels(self, closed: Iterable[str]) -> frozenset[str]:
        names: set[str] = set(DEFAULT_CLOSED)
        errors: list[FieldError] = []
        for index, name in enumerate(closed):
            canonical = canonical_passage(name)
            if canonical is None:
                errors.append(FieldError(("close", index), f"unknown sea passage {name!r}"))
            else:
                names.add(canonical)
        if errors:
            raise ValidationFailed(errors)
        return frozenset(names)

    def locate(self, place: str | Point) -> Point:
        """(lon, lat) of a UN/LOCODE port known to searoute (``NLRTM``) or of a point."""
        if isinstance(place, str):
            found = self.ports.get(place.replace(" ", "").upper())
            if found is None:
                raise ValidationFailed([FieldError(("port",), f"unknown port code {place!r}")])
            return found[0]
        return place

    def alternatives(
        self, origin: str | Point, destination: str | Point, k: int = 3, closed: Iterable[str] = ()
    ) -> list[Route]:
        """Up to ``k`` routes through different passages: the shortest, then the shortest with each
        passage of the routes found so far closed in turn (e.g. via Suez, then via the Cape)."""
        a, b = (int(i) for i in self.nearest_nodes([self.locate(origin), self.locate(destination)]))
        base = self._closed_labels(closed)
        found: dict[tuple[str, ...], Route] = {}
        frontier = [base]
        tried: set[frozenset[str]] = set()
        while frontier and len(found) < k * 3:
            labels = frontier.pop(0)
            if labels in tried:
                continue
            tried.add(labels)
            route = self._route_nodes(labels, a, b, True)
            if not route.found:
                continue
            found.setdefault(tuple(sorted(route.passages)), route)
            frontier.extend(labels | {p} for p in route.passages)
        return sorted(found.values(), key=lambda r: r.distance_km)[:k]

    def reroute(
        self, origin: str | Point, destination: str | Point, passage: str, closed: Iterable[str] = ()
    ) -> RerouteImpact:
        """The detour forced when ``passage`` closes, with the distance and days it adds."""
        canonical = canonical_passage(passage)
        if canonical is None:
            raise ValidationFailed([FieldError(("close",), f"unknown sea passage {passage!r}")])
        o, d = self.locate(origin), self.locate(destination)
        base = self.route(o, d, closed)
        detour = self.route(o, d, [*closed, canonical])
        added_km = detour.distance_km - base.distance_km
        added_days = detour.days - base.days
        if not detour.found:
            reason = f"closing {canonical} leaves no sea route"
        elif canonical not in base.passages:
            reason = f"the shortest route does not cross {canonical}"
        else:
            via = ", ".join(detour.passages) or "open sea"
            reason = (
                f"closing {canonical} adds {added_km:,.0f} km and {added_days:.1f} days (detour via {via})"
            )
        return RerouteImpact(canonical, base, detour, added_km, added_days, reason)


def load_geograph(document: str | Mapping[str, Any], *, speed_kmh: float = 60.0) -> GraphRouter:
    """A road or rail router from a GeoGraph JSON document (``nodes`` as [lat, lon] pairs and
    ``graph`` as one {neighbour: km} mapping per node), as in ../shared/data/refdata/networks."""
    data = json.loads(document) if isinstance(document, str) else document
    if (
        not isinstance(data, Mapping)
        or not isinstance(data.get("nodes"), list)
        or not isinstance(data.get("graph"), list)
        or len(data["nodes"]) != len(data["graph"])
    ):
        raise ValidationFailed(
            [FieldError((), "not a GeoGraph: need 'nodes' and 'graph' lists of equal length")]
        )
    nodes = np.asarray(data["nodes"], dtype=np.float64)
    us: list[int] = []
    vs: list[int] = []
    ws: list[float] = []
    for a, neighbours in enumerate(data["graph"]):
        for b, km in neighbours.items():
            ib = int(b)
            if a < ib or str(a) not in data["graph"][ib]:
                us.append(a)
                vs.append(ib)
                ws.append(float(km))
    return GraphRouter(nodes[:, 1], nodes[:, 0], us, vs, ws, speed_kmh=speed_kmh)


def sea_lane_passages(
    router: SeaRouter, origin: str | Point, destination: str | Point
) -> dict[str, float | None]:
    """The passages the shortest sea route crosses, each with the days its closure adds
    (``None`` when closing it leaves no sea route), ready for a lane's ``passages`` field."""
    base = router.route(router.locate(origin), router.locate(destination))
    out: dict[str, float | None] = {}
    for passage in base.passages:
        impact = router.reroute(origin, destination, passage)
        out[passage] = round(impact.added_days, 1) if impact.detour.found else None
    return out


def annotate_sea_lanes(network: Network, router: SeaRouter) -> Network:
    """A copy of ``network`` where sea lanes without ``passages`` get them from routing between
    their sites' port codes (or coordinates)."""
    sites = {site.id: site for site in network.sites}

    def place(site_id: str) -> str | Point | None:
        site = sites[site_id]
        if site.port_code and site.port_code.upper() in router.ports:
            return site.port_code
        if site.lon is not None and site.lat is not None:
            return (site.lon, site.lat)
        return None

    lanes = []
    for lane in network.lanes:
        origin, destination = place(lane.origin), place(lane.destination)
        if lane.mode == "sea" and not lane.passages and origin is not None and destination is not None:
            lane = replace(lane, passages=MappingProxyType(sea_lane_passages(router, origin, destination)))
        lanes.append(lane)
    return replace(network, lanes=tuple(lanes))
