"""Routing of lanes: sea legs on the searoute maritime network, road and rail legs on GeoGraphs.

The graph is compacted once into CSR arrays (scipy.sparse) with a KD-tree over 3-D unit vectors
for the nearest-node lookup; each query runs scipy's C Dijkstra from the origin and keeps the
shortest-path tree in a small per-origin cache, so many queries from one port cost one search.
Passages are closed by masking their edges (one CSR per set of closed passages, cached).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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
CONTRACT_FROM = 64  # batches with this many distinct ends contract the graph (once, about 0.05 s)
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
        threads: int = 2,
        contract: bool = True,
    ) -> None:
        """``threads`` split large batches of searches; ``contract`` searches the graph without
        dead ends and degree-2 chains (:class:`_Core`; ``False``: the plain graph)."""
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
        self.threads = max(1, threads)
        self.contract = contract
        self._keep = np.zeros(self.n, dtype=bool)  # both ends of passage edges stay in the core
        labelled = np.array([label is not None for label in self._labels], dtype=bool)
        self._keep[self._u[labelled]] = True
        self._cores: dict[frozenset[str], _Core] = {}
        self._ktrees: OrderedDict[tuple[frozenset[str], int], tuple[FArray, npt.NDArray[np.int32]]] = (
            OrderedDict()
        )
        self._edge_label: dict[tuple[int, int], str] = {
            (int(a), int(b)): str(label)
            for a, b, label in zip(self._u, self._v, self._labels, strict=True)
            if label is not None
        }
        self._labelled = frozenset(a for a, _b in self._edge_label)  # nodes with a passage edge
        self._points: list[Point] = [
            (_wrap(x), y) for x, y in zip(self.lon.tolist(), self.lat.tolist(), strict=True)
        ]

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
        for source, tree in zip(todo, self._dijkstra(self._graph(closed), todo), strict=True):
            self._trees[(closed, source)] = tree
            while len(self._trees) > self._cache_size:
                self._trees.popitem(last=False)

    def _dijkstra(self, graph: csr_matrix, sources: list[int]) -> list[tuple[FArray, npt.NDArray[np.int32]]]:
        """Shortest-path trees from ``sources``; scipy's Dijkstra releases the GIL, so large
        batches are split over threads."""

        def run(chunk: list[int]) -> tuple[FArray, npt.NDArray[np.int32]]:
            dist, pred = dijkstra(graph, directed=True, indices=chunk, return_predecessors=True)
            return dist, pred

        trees: list[tuple[FArray, npt.NDArray[np.int32]]] = []
        for start in range(0, len(sources), 128):
            batch = sources[start : start + 128]
            parts = self.threads if len(batch) >= 32 * self.threads else 1
            step = -(-len(batch) // parts)
            chunks = [batch[k : k + step] for k in range(0, len(batch), step)]
            if len(chunks) > 1:
                with ThreadPoolExecutor(len(chunks)) as pool:
                    results = list(pool.map(run, chunks))
            else:
                results = [run(chunk) for chunk in chunks]
            for dist, pred in results:
                trees.extend(zip(dist, pred, strict=True))
        return trees

    def _core(self, closed: frozenset[str]) -> _Core:
        core = self._cores.get(closed)
        if core is None:
            built = next(iter(self._cores.values()), None)
            graph = self._graph(closed)
            core = built.derive(graph) if built is not None else _Core(graph, self._keep)
            self._cores[closed] = core
        return core

    def _core_route(
        self, closed: frozenset[str], core: _Core, a: int, b: int, with_path: bool, labels_only: bool = False
    ) -> Route | None:
        """The route from core trees of all ends of ``a`` (or of ``b``), None without them."""
        ends_a, ends_b = core.ends(a), core.ends(b)
        if not ends_a or not ends_b:
            return None  # off the core (cut-off dead end or ring): the plain graph decides
        if all((closed, k) in self._ktrees for k, _o, _w in ends_a):
            x, ends_x, y, ends_y, flip = a, ends_a, b, ends_b, False
        elif all((closed, k) in self._ktrees for k, _o, _w in ends_b):
            x, ends_x, y, ends_y, flip = b, ends_b, a, ends_a, True
        else:
            return None
        km = math.inf
        choice: tuple[int, int, int, int, npt.NDArray[np.int32]] | None = None
        for k, offset_k, way_k in ends_x:
            dist, pred = self._ktrees[(closed, k)]
            for m, offset_m, way_m in ends_y:
                d = offset_k + float(dist[core.kindex[m]]) + offset_m
                if d < km:
                    km, choice = d, (k, way_k, m, way_m, pred)
        if choice is None:
            return Route(math.inf, math.inf, (), (), tuple(sorted(closed)))
        labels: list[str] = []
        coords: list[Point] = []
        if with_path or labels_only:
            k, way_k, m, way_m, pred = choice
            path = core.leg(x, way_k)[:-1] + core.core_path(pred, k, m) + core.leg(y, way_m)[::-1][1:]
            if flip:
                path.reverse()
            labels = self._passages(path)
            if with_path:
                points = self._points
                coords = [points[i] for i in path]
        return Route(km, self._days(km), tuple(labels), tuple(coords), tuple(sorted(closed)))

    def _core_reuse(self, closed: frozenset[str], a: int, b: int, with_path: bool) -> Route | None:
        """As :meth:`_reuse`, from core trees searched with fewer passages closed."""
        for fewer, core in self._cores.items():
            if fewer < closed and not core.regions(a) & core.regions(b):
                route = self._core_route(fewer, core, a, b, with_path, labels_only=True)
                if route is None:
                    continue
                if not route.found:
                    return Route(math.inf, math.inf, (), (), tuple(sorted(closed)))
                if closed.intersection(route.passages):
                    return None
                if not with_path:
                    return Route(route.distance_km, route.days, (), (), tuple(sorted(closed)))
                return replace(route, closed=tuple(sorted(closed)))
        return None

    def _core_routes(
        self, closed: frozenset[str], nodes: npt.NDArray[np.int64], with_path: bool
    ) -> list[Route]:
        """Routes on the core: a greedy cover of the pairs by the kept ends their routes leave
        from, one core search per end, then each route from its ends' trees."""
        core = self._core(closed)
        out: list[Route] = []
        for start in range(0, len(nodes), 2000):  # bounds the trees held at once
            block = [(int(a), int(b)) for a, b in nodes[start : start + 2000]]
            counts = Counter(k for pair in block for x in pair for k, _o, _w in core.ends(x))
            have = {k for (c, k) in self._ktrees if c == closed}
            needed: set[int] = set()
            routes: list[Route | None] = [None] * len(block)
            pending: list[int] = []
            for index, (a, b) in enumerate(block):
                if core.regions(a) & core.regions(b) or not core.ends(a) or not core.ends(b):
                    routes[index] = self._route_nodes(closed, a, b, with_path)  # same chain/pendant
                    continue
                ka = {k for k, _o, _w in core.ends(a)}
                kb = {k for k, _o, _w in core.ends(b)}
                if not (ka <= have or kb <= have):
                    new_a, new_b = ka - have, kb - have
                    score_a = (len(new_a), -sum(counts[k] for k in new_a))
                    score_b = (len(new_b), -sum(counts[k] for k in new_b))
                    pick = new_a if score_a <= score_b else new_b
                    have |= pick
                    needed |= pick
                pending.append(index)
            todo = sorted(needed)
            roots = [core.kindex[k] for k in todo]
            for k, (dist, pred) in zip(todo, self._dijkstra(core.graph, roots), strict=True):
                self._ktrees[(closed, k)] = (dist, pred)
            for index in pending:
                a, b = block[index]
                routes[index] = self._core_route(closed, core, a, b, with_path)
            while len(self._ktrees) > self._cache_size:
                self._ktrees.popitem(last=False)
            out.extend(route for route in routes if route is not None)
        return out

    def _closed_labels(self, closed: Iterable[str]) -> frozenset[str]:
        return frozenset(closed)

    def _days(self, km: float) -> float:
        return km / (self.speed_kmh * 24.0)

    def _path(self, pred: npt.NDArray[np.int32], a: int, b: int) -> list[int]:
        node = b
        path = [b]
        while node != a:
            node = int(pred[node])
            path.append(node)
        path.reverse()
        return path

    def _passages(self, path: list[int]) -> list[str]:
        labels: list[str] = []
        labelled = self._labelled
        for x, y in itertools.pairwise(path):
            if x in labelled:
                label = self._edge_label.get((x, y))
                if label is not None and label not in labels:
                    labels.append(label)
        return labels

    def _reuse(self, closed: frozenset[str], a: int, b: int, with_path: bool) -> Route | None:
        """The route from a tree searched with fewer passages closed, when that route crosses
        none of the others: closing edges it does not use cannot make any other route shorter,
        so it is still a shortest route (exact, no search)."""
        for fewer in self._graphs:
            if not fewer < closed:
                continue
            for root, other, flip in ((a, b, False), (b, a, True)):
                tree = self._trees.get((fewer, root))
                if tree is None:
                    continue
                dist, pred = tree
                km = float(dist[other])
                if not math.isfinite(km):  # unreachable with fewer closures: unreachable now
                    return Route(math.inf, math.inf, (), (), tuple(sorted(closed)))
                path = self._path(pred, root, other)
                labels = self._passages(path)
                if closed.intersection(labels):
                    return None
                if flip:
                    path.reverse()
                    labels = self._passages(path)
                points = self._points
                coords = tuple(points[i] for i in path) if with_path else ()
                return Route(
                    km, self._days(km), tuple(labels) if with_path else (), coords, tuple(sorted(closed))
                )
        return None

    def _route_nodes(self, closed: frozenset[str], a: int, b: int, with_path: bool) -> Route:
        if (closed, a) not in self._trees and (closed, b) not in self._trees:
            reused = self._reuse(closed, a, b, with_path)
            if reused is not None:
                return reused
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
            path = self._path(pred, a, b)
            labels = self._passages(path)
            points = self._points
            coords = [points[i] for i in path]
        return Route(km, self._days(km), tuple(labels), tuple(coords), tuple(sorted(closed)))

    # -- queries ---------------------------------------------------------------------------
    def route(
        self, origin: Point, destination: Point, closed: Iterable[str] = (), *, with_path: bool = True
    ) -> Route:
        """Shortest route between two (lon, lat) points snapped to the nearest nodes."""
        if self.contract:
            return self.routes([(origin, destination)], closed, with_path=with_path)[0]
        a, b = (int(i) for i in self.nearest_nodes([origin, destination]))
        return self._route_nodes(self._closed_labels(closed), a, b, with_path)

    def routes(
        self, pairs: Sequence[tuple[Point, Point]], closed: Iterable[str] = (), *, with_path: bool = False
    ) -> list[Route]:
        """Many routes at once: one nearest-node lookup, then one search per node of a greedy
        cover of the pairs (on the contracted graph for batches, see :class:`_Core`); with
        passages closed, routes found with fewer closed that avoid them are reused."""
        if not pairs:
            return []
        labels = self._closed_labels(closed)
        nodes = self.nearest_nodes([p for pair in pairs for p in pair]).reshape(-1, 2)
        if not self.contract:
            return self._plain_routes(labels, nodes, with_path)
        out: list[Route | None] = [None] * len(nodes)
        rest: list[int] = []
        reusable = any(fewer < labels for fewer in self._cores)
        for index, (a, b) in enumerate(nodes.tolist()):
            reused = self._core_reuse(labels, a, b, with_path) if reusable else None
            if reused is None:
                rest.append(index)
            else:
                out[index] = reused
        if rest:  # contracting pays for many distinct ends, not for a few routes or ports
            many = len(np.unique(nodes[rest])) >= CONTRACT_FROM
            solve = self._core_routes if many or labels in self._cores else None
            found = (solve or self._plain_routes)(labels, nodes[rest], with_path)
            for index, route in zip(rest, found, strict=True):
                out[index] = route
        return [route for route in out if route is not None]  # all filled

    def _plain_routes(
        self, labels: frozenset[str], nodes: npt.NDArray[np.int64], with_path: bool
    ) -> list[Route]:
        """Routes on the plain graph: one Dijkstra per node of a greedy cover of the pairs (the
        graph is undirected, so either end of a pair can be the root)."""
        counts = Counter(int(n) for n in nodes.ravel())
        roots = {n for (c, n) in self._trees if c == labels}
        by_root: dict[int, list[int]] = {}
        out: list[Route | None] = [None] * len(nodes)
        for index, (a, b) in enumerate(nodes):
            a, b = int(a), int(b)
            if a not in roots and b not in roots:
                reused = self._reuse(labels, a, b, with_path)
                if reused is not None:
                    out[index] = reused
                    continue
                roots.add(a if counts[a] >= counts[b] else b)
            by_root.setdefault(a if a in roots else b, []).append(index)
        order = sorted(by_root)
        batch = 128  # as before: which end of a pair roots its search (so ties) stays the same
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            self._search(labels, chunk)
            for root in chunk:
                for index in by_root[root]:
                    a, b = int(nodes[index, 0]), int(nodes[index, 1])
                    out[index] = self._route_nodes(labels, a, b, with_path)
        return [route for route in out if route is not None]  # all filled


class _Core:
    """The search graph without dead ends and with every degree-2 chain collapsed to one edge.

    Dead-end trees (pendants) are cut off and every maximal chain of degree-2 nodes between two
    kept nodes becomes one edge of the chain's length; kept are junctions, chain ends and both
    ends of every passage edge (so closing a passage still removes just that edge). On the sea
    graph this keeps about 5,600 of 9,700 nodes. Any node reaches the kept graph through at
    most two *ends* (the kept node itself, the two ends of its chain, or those of its pendant's
    anchor) at known offsets, so a shortest route is ``min(offset + core distance + offset)``
    over the ends, and its path is the pieces joined. Exact: the core distances are shortest
    paths of the full graph (up to rounding in the last bits); pairs that share a chain or a
    pendant are left to a full-graph search.
    """

    def __init__(self, graph: csr_matrix, keep: npt.NDArray[np.bool_]) -> None:
        n = graph.shape[0]
        indptr, indices, data = graph.indptr.tolist(), graph.indices.tolist(), graph.data.tolist()
        nbrs = [
            {indices[k]: data[k] for k in range(indptr[i], indptr[i + 1]) if indices[k] != i}
            for i in range(n)
        ]
        deg = [len(x) for x in nbrs]
        alive = [True] * n
        parent = [-1] * n
        up = [0.0] * n
        pruned: list[int] = []
        stack = [i for i in range(n) if deg[i] <= 1 and not keep[i]]
        while stack:
            v = stack.pop()
            if not alive[v]:
                continue
            alive[v] = False
            pruned.append(v)
            p = next((u for u in nbrs[v] if alive[u]), -1)
            parent[v] = p
            if p >= 0:
                up[v] = nbrs[v][p]
                deg[p] -= 1
                if deg[p] <= 1 and not keep[p]:
                    stack.append(p)
        self.parent = parent
        self.anchor = list(range(n))  # pruned: the first node up its tree that is not pruned
        self.anchor_off = [0.0] * n
        self.top = list(range(n))  # pruned: the pruned node right below the anchor
        for v in reversed(pruned):  # parents are pruned after their children
            p = parent[v]
            if p < 0:
                self.anchor[v] = -1
            elif alive[p]:
                self.anchor[v], self.anchor_off[v] = p, up[v]
            else:
                self.anchor[v], self.anchor_off[v], self.top[v] = (
                    self.anchor[p],
                    up[v] + self.anchor_off[p],
                    self.top[p],
                )
        self.alive = alive
        kept = [i for i in range(n) if alive[i] and (deg[i] != 2 or keep[i])]
        is_kept = [False] * n
        for i in kept:
            is_kept[i] = True
        self.is_kept = is_kept
        self.knodes = np.array(kept, dtype=np.int64)
        self.kindex = {node: k for k, node in enumerate(kept)}
        self.chain_of = [-1] * n
        self.pos = [0] * n
        self.chains: list[tuple[int, int, list[int], list[float], list[float]]] = []
        self.chain_edges: list[tuple[int, int, float, int, bool]] = []  # x, y, length, chain, forward
        direct: list[tuple[int, int, float]] = []

        def edge(x: int, y: int, length: float, chain: int, forward: bool) -> None:
            self.chain_edges.append((x, y, length, chain, forward))

        for v in kept:
            for u, w in nbrs[v].items():
                if not alive[u]:
                    continue
                if is_kept[u]:
                    direct.append((v, u, w))
                    continue
                cid = self.chain_of[u]
                if cid >= 0:  # walked from its other end (or the other way round a loop)
                    start, end, walked, _ahead, _behind = self.chains[cid]
                    forward = start == v and walked[0] == u
                    edge(v, end if forward else start, math.fsum(self._lengths(cid, nbrs)), cid, forward)
                    continue
                nodes: list[int] = []
                lengths = [w]
                prev, cur = v, u
                while not is_kept[cur]:
                    nodes.append(cur)
                    nxt = next(x for x in nbrs[cur] if alive[x] and x != prev)
                    lengths.append(nbrs[cur][nxt])
                    prev, cur = cur, nxt
                cid = len(self.chains)
                ahead = list(itertools.accumulate(lengths))[:-1]  # start -> nodes[i]
                behind = list(itertools.accumulate(lengths[::-1]))[::-1][1:]  # nodes[i] -> end
                self.chains.append((v, cur, nodes, ahead, behind))
                for i, node in enumerate(nodes):
                    self.chain_of[node] = cid
                    self.pos[node] = i
                edge(v, cur, math.fsum(lengths), cid, True)
        self.n = n
        self.knodes_list = kept
        self.kept_mask = np.array(is_kept, dtype=bool)
        self.kindex_array = np.full(n, -1, dtype=np.int64)
        self.kindex_array[self.knodes] = np.arange(len(kept))
        self._ends: dict[int, list[tuple[int, float, int]]] = {}
        edges = self.chain_edges
        self.chain_arrays = (
            np.array([e[0] for e in edges], dtype=np.int64),
            np.array([e[1] for e in edges], dtype=np.int64),
            np.array([e[2] for e in edges], dtype=np.float64),
            np.array([e[3] for e in edges], dtype=np.int64),
            np.array([e[4] for e in edges], dtype=bool),
        )
        self._link(
            (
                np.array([d[0] for d in direct], dtype=np.int64),
                np.array([d[1] for d in direct], dtype=np.int64),
                np.array([d[2] for d in direct], dtype=np.float64),
            )
        )

    def _link(self, direct: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FArray]) -> None:
        """The core graph: chain edges and the direct edges between kept nodes, the shortest of
        parallel ones (direct first on ties)."""
        chain = self.chain_arrays
        xs = np.concatenate((direct[0], chain[0]))
        ys = np.concatenate((direct[1], chain[1]))
        lengths = np.concatenate((direct[2], chain[2]))
        cids = np.concatenate((np.full(len(direct[0]), -1, dtype=np.int64), chain[3]))
        forward = np.concatenate((np.ones(len(direct[0]), dtype=bool), chain[4]))
        order = np.lexsort((np.arange(len(xs)), lengths, ys, xs))
        order = order[xs[order] != ys[order]]
        xs, ys = xs[order], ys[order]
        first = np.ones(len(xs), dtype=bool)
        first[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
        xs, ys, idx = xs[first], ys[first], order[first]
        self.edge_key = xs * self.n + ys  # sorted
        self.edge_chain = cids[idx]
        self.edge_forward = forward[idx]
        size = len(self.knodes_list)
        self.graph = csr_matrix(
            (lengths[idx], (self.kindex_array[xs], self.kindex_array[ys])), shape=(size, size)
        )
        chains = self.chains
        on_chain = np.flatnonzero(self.edge_chain >= 0)
        # x * n + y -> the chain nodes between x and y (direct edges have none)
        self.via: dict[int, list[int]] = {
            key: chains[cid][2] if fwd else chains[cid][2][::-1]
            for key, cid, fwd in zip(
                self.edge_key[on_chain].tolist(),
                self.edge_chain[on_chain].tolist(),
                self.edge_forward[on_chain].tolist(),
                strict=True,
            )
        }
        self.paths: dict[tuple[int, int], list[int]] = {}  # (root, target) -> core_path

    def derive(self, graph: csr_matrix) -> _Core:
        """The core of ``graph``, the same graph with other passages closed: closing a passage
        removes only edges between kept nodes, so dead ends and chains stay as they are."""
        other = copy.copy(self)
        coo = graph.tocoo()
        both = self.kept_mask[coo.row] & self.kept_mask[coo.col]
        rows, cols = coo.row[both].astype(np.int64), coo.col[both].astype(np.int64)
        other._link((rows, cols, coo.data[both].astype(np.float64)))
        return other

    def _lengths(self, cid: int, nbrs: list[dict[int, float]]) -> list[float]:
        start, end, nodes, _a, _b = self.chains[cid]
        hops = [start, *nodes, end]
        return [nbrs[x][y] for x, y in itertools.pairwise(hops)]

    def ends(self, x: int) -> list[tuple[int, float, int]]:
        """(kept node, offset, way) for each way from ``x`` into the kept graph; way 0: x is
        kept, 1: towards its chain's start, 2: towards its chain's end (after its pendant)."""
        found = self._ends.get(x)
        if found is None:
            base, extra = x, 0.0
            if not self.alive[x]:
                base, extra = self.anchor[x], self.anchor_off[x]
            if base < 0 or (not self.is_kept[base] and self.chain_of[base] < 0):
                found = []  # cut off with its dead end, or on a ring without a junction
            elif self.is_kept[base]:
                found = [(base, extra, 0)]
            else:
                start, end, _nodes, ahead, behind = self.chains[self.chain_of[base]]
                i = self.pos[base]
                found = [(start, extra + ahead[i], 1), (end, extra + behind[i], 2)]
            self._ends[x] = found
        return found

    def region(self, x: int) -> tuple[int, int]:
        """Pairs in one region (same chain, pendant or kept node) are routed on the full graph."""
        if not self.alive[x]:
            return (0, self.top[x])
        if self.is_kept[x]:
            return (1, x)
        return (2, self.chain_of[x])

    def regions(self, x: int) -> set[tuple[int, int]]:
        out = {self.region(x)}
        if not self.alive[x] and self.anchor[x] >= 0:
            out.add(self.region(self.anchor[x]))
        return out

    def leg(self, x: int, way: int) -> list[int]:
        """Nodes from ``x`` to the kept end reached by ``way`` (both included)."""
        path = [x]
        node = x
        while not self.alive[node]:
            node = self.parent[node]
            path.append(node)
        if way == 0:
            return path
        start, end, nodes, _a, _b = self.chains[self.chain_of[node]]
        i = self.pos[node]
        if way == 1:
            path.extend(nodes[i - 1 :: -1] if i > 0 else [])
            path.append(start)
        else:
            path.extend(nodes[i + 1 :])
            path.append(end)
        return path

    def core_path(self, pred: npt.NDArray[np.int32], root: int, target: int) -> list[int]:
        """Full-graph nodes of the core tree path from kept ``root`` to kept ``target`` (the
        trees of one core are fixed, so paths are kept for repeated pairs)."""
        path = self.paths.get((root, target))
        if path is None:
            knodes = self.knodes_list
            hops = [target]
            k = self.kindex[target]
            stop = self.kindex[root]
            while k != stop:
                k = pred[k]
                hops.append(knodes[k])
            hops.reverse()
            path = [root]
            via, n = self.via, self.n
            for x, y in itertools.pairwise(hops):
                inner = via.get(x * n + y)
                if inner is not None:
                    path.extend(inner)
                path.append(y)
            if len(self.paths) >= 20_000:
                self.paths.clear()
            self.paths[(root, target)] = path
        return path


class SeaRouter(GraphRouter):
    """Sea routes on the maritime network shipped in the ``searoute`` package (about 9,700 nodes).

    ``closed`` takes canonical passage names (``suez``, ``panama``, ``malacca``, ``hormuz``,
    ``bab-el-mandeb``, ``gibraltar``, ...); the Northwest Passage is closed by default, as in
    searoute itself.
    """

    def __init__(
        self, *, speed_knots: float = 18.0, cache_size: int = 512, threads: int = 2, contract: bool = True
    ) -> None:
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
            threads=threads,
            contract=contract,
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
