"""The two linear programmes of the time-to-recover / time-to-survive method, on HiGHS.

Simchi-Levi et al. (Interfaces 45(5), 2015). Variables, all >= 0, over a window of ``H`` periods:
``y[n,j]`` production of product j at site n, ``z[a]`` units from alternative source a, ``v[n,j]``
stock drawn at n, ``x[l,j]`` shipped on lane l, ``u[n,j]`` demand of j at n left unmet.

*Impact LP* (window ``H`` = the scenario's TTR, site/lane downtime ``r``)::

    min  sum w_j u[n,j] + sum c_a z[a]
    s.t. y[n,j] + sum_a@(n,j) z[a] + v[n,j] + sum_{l->n} x[l,j] - sum_{n->l} x[l,j]
             - sum_k bom[k][j] y[n,k] + u[n,j]  >= d[n,j] H          (balance)
         sum_j y[n,j] (or sum_{n->l,j} x for non-producers) <= cap_n (H - r_n)+
         sum_j x[l,j] <= cap_l (H - r_l)+ ;  z[a] <= cap_a (H - act_a - r_n)+
         v[n,j] <= s[n,j] ;  u[n,j] <= d[n,j] H ;  everything at a site down all window is 0

*TTS LP*: same flows with the window ``t`` a variable and no unmet demand allowed::

    max t  s.t. balance >= d[n,j] t,  capacity rows <= cap t,  z[a] <= cap_a t (act_a = 0),
           columns of disrupted sites and lanes fixed to 0,  t <= horizon

One HiGHS instance per programme is built once; a scenario only changes column and row bounds,
so each solve warm-starts from the previous optimal basis (dual simplex).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, csc_matrix
from scipy.sparse.csgraph import connected_components

from supplyguard.resilience.highs import HighsSolver
from supplyguard.resilience.model import Network
from supplyguard.resilience.scenarios import Disruption

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int32]
INF = highspy.kHighsInf
EPS_COST = 1e-6
EPS_STOCK = 1e-4  # stock is the reserve: draw it only when production cannot cover demand


@dataclass(frozen=True, slots=True)
class Solution:
    """One solved programme: objective parts and the plan, keyed by ids."""

    loss: float
    lost_margin: float
    contingency_cost: float
    lost_units: dict[str, float]
    unmet: dict[tuple[str, str], float]
    alternatives: dict[str, float]
    lane_flows: dict[tuple[str, str], float]
    stock_used: dict[tuple[str, str], float]
    production: dict[tuple[str, str], float]


def _available_products(network: Network, extra: Iterable[tuple[str, str]] = ()) -> dict[str, set[str]]:
    """Products that can be present at each site (made, stocked, sourced, or shipped in)."""
    have: dict[str, set[str]] = {
        s.id: set(s.makes) | {p for p, q in s.stock.items() if q > 0} for s in network.sites
    }
    for site_id, product in extra:
        have[site_id].add(product)
    for alt in network.alternatives:
        have[alt.site].add(alt.product)
    changed = True
    while changed:
        changed = False
        for lane in network.lanes:
            allowed = set(lane.products) if lane.products else None
            moving = have[lane.origin] if allowed is None else have[lane.origin] & allowed
            if not moving <= have[lane.destination]:
                have[lane.destination] |= moving
                changed = True
    return have


class ContingencyModel:
    """The compiled network: column/row layout shared by the impact and TTS programmes."""

    def __init__(
        self,
        network: Network,
        *,
        horizon: float = 1000.0,
        stock_positions: Iterable[tuple[str, str]] = (),
        warm: bool = True,
    ) -> None:
        """``warm=False`` solves every scenario cold, on fresh HiGHS models and without any of the
        exact shortcuts (blocks, unchanged optimum, steady state, starvation): the reference the
        fast path is tested and benchmarked against."""
        self.network = network
        self.horizon = horizon
        self.warm = warm
        self.product_ids = [p.id for p in network.products]
        pidx = {p: i for i, p in enumerate(self.product_ids)}
        self.site_ids = [s.id for s in network.sites]
        self.lane_ids = [lane.id for lane in network.lanes]
        weights = {p.id: p.loss_weight for p in network.products}
        boms = {p.id: dict(p.bom) for p in network.products}
        extra_positions = list(stock_positions)
        have = _available_products(network, extra_positions)

        cols_kind: list[str] = []
        cols_key: list[tuple[str, str]] = []
        cost: list[float] = []
        entries: list[tuple[int, tuple[str, str], float]] = []  # (col, balance key, coef)
        self.site_cols: dict[str, list[int]] = defaultdict(list)
        self.site_prod_cols: dict[str, list[int]] = defaultdict(list)
        self.site_out_cols: dict[str, list[int]] = defaultdict(list)
        self.lane_cols: dict[str, list[int]] = defaultdict(list)
        self.stock_cols: dict[int, float] = {}
        self.alt_cols: dict[int, tuple[str, float, float, float]] = {}  # col -> site, cap, act, cost
        self.unmet_cols: dict[int, float] = {}

        def col(kind: str, key: tuple[str, str], c: float) -> int:
            cols_kind.append(kind)
            cols_key.append(key)
            cost.append(c)
            return len(cols_kind) - 1

        for site in network.sites:
            for product in site.makes:
                j = col("y", (site.id, product), 0.0)
                entries.append((j, (site.id, product), 1.0))
                for part, qty in boms[product].items():
                    entries.append((j, (site.id, part), -qty))
                self.site_cols[site.id].append(j)
                self.site_prod_cols[site.id].append(j)
            positions = {p: q for p, q in site.stock.items() if q > 0}
            for s_id, product in extra_positions:
                if s_id == site.id:
                    positions.setdefault(product, 0.0)
            for product, units in positions.items():
                j = col("v", (site.id, product), EPS_STOCK)
                entries.append((j, (site.id, product), 1.0))
                self.site_cols[site.id].append(j)
                self.stock_cols[j] = units
        for alt in network.alternatives:
            j = col("z", (alt.id, alt.product), alt.unit_cost + EPS_COST)
            entries.append((j, (alt.site, alt.product), 1.0))
            self.site_cols[alt.site].append(j)
            self.alt_cols[j] = (alt.site, alt.capacity, alt.activation_periods, alt.unit_cost)
        for lane in network.lanes:
            moving = have[lane.origin] if not lane.products else have[lane.origin] & set(lane.products)
            for product in sorted(moving, key=pidx.__getitem__):
                j = col("x", (lane.id, product), EPS_COST)
                entries.append((j, (lane.origin, product), -1.0))
                entries.append((j, (lane.destination, product), 1.0))
                self.lane_cols[lane.id].append(j)
                self.site_out_cols[lane.origin].append(j)
                self.site_cols[lane.origin].append(j)
                self.site_cols[lane.destination].append(j)
        self.demand: dict[tuple[str, str], float] = {}
        for site in network.sites:
            for product, units in site.demand.items():
                if units > 0:
                    j = col("u", (site.id, product), weights[product])
                    entries.append((j, (site.id, product), 1.0))
                    self.unmet_cols[j] = units
                    self.demand[(site.id, product)] = units

        balance_keys = sorted({key for _, key, _ in entries}, key=lambda k: (k[0], pidx[k[1]]))
        brow = {key: i for i, key in enumerate(balance_keys)}
        self.balance_demand = np.array([self.demand.get(k, 0.0) for k in balance_keys])
        rows: list[list[tuple[int, float]]] = [[] for _ in balance_keys]
        for j, key, coef in entries:
            rows[brow[key]].append((j, coef))
        self.n_balance = len(balance_keys)
        # capacity rows: sites then lanes
        self.site_cap_row: dict[str, int] = {}
        self.row_cap: list[float] = []
        for site in network.sites:
            if site.capacity is None:
                continue
            members = self.site_prod_cols[site.id] or self.site_out_cols[site.id]
            if not members:
                continue
            self.site_cap_row[site.id] = len(rows)
            rows.append([(j, 1.0) for j in members])
            self.row_cap.append(site.capacity)
        self.lane_cap_row: dict[str, int] = {}
        site_capacity = {site.id: site.capacity for site in network.sites}
        for lane in network.lanes:
            capacity = lane.capacity
            if capacity is None and lane.passages:
                capacity = site_capacity[lane.origin]  # a delay needs a rate: the origin's capacity
            if capacity is None or not self.lane_cols[lane.id]:
                continue
            self.lane_cap_row[lane.id] = len(rows)
            rows.append([(j, 1.0) for j in self.lane_cols[lane.id]])
            self.row_cap.append(capacity)
        self.cols_kind = cols_kind
        self.cols_key = cols_key
        self.n_cols = len(cols_kind)
        self.n_rows = len(rows)
        self.cost = np.array(cost)
        self._rows = rows
        self._impact: HighsSolver | None = None
        self._tts: HighsSolver | None = None
        self._tts_lp: tuple[FArray, FArray, FArray, FArray, FArray, IArray, IArray, FArray] | None = None
        self.unmet_idx = np.array(sorted(self.unmet_cols), dtype=np.int32)
        self.alt_by_site: dict[str, list[int]] = defaultdict(list)
        for j, (site_id, *_rest) in self.alt_cols.items():
            self.alt_by_site[site_id].append(j)
        self._base_cache: dict[float, tuple[FArray, FArray, FArray, FArray]] = {}
        self._baseline: dict[float, FArray] = {}
        self._baseline_basis: dict[float, highspy.HighsBasis] = {}
        self._full_baseline: dict[float, FArray] = {}
        self._starved: _Starvation | None = None
        self._blocks: _Blocks | None = None
        self._blocks_tried = False
        self.stock_idx = np.array(sorted(self.stock_cols), dtype=np.int32)
        self.delayed_alt_idx = np.array(
            sorted(j for j, a in self.alt_cols.items() if a[2] > 0), dtype=np.int32
        )
        self.unmet_product = [cols_key[j][1] for j in self.unmet_idx]
        self.weights = weights
        kinds = np.array(cols_kind, dtype="<U1") if cols_kind else np.zeros(0, dtype="<U1")
        self.kind_idx = {k: np.flatnonzero(kinds == k).astype(np.int32) for k in "uxvyz"}
        self.alt_idx = np.array(list(self.alt_cols), dtype=np.int32)
        self.alt_cost = np.array([a[3] for a in self.alt_cols.values()], dtype=np.float64)

    # -- building --------------------------------------------------------------------------
    def _csc(self, extra_col: list[tuple[int, float]] | None) -> tuple[IArray, IArray, FArray]:
        by_col: list[list[tuple[int, float]]] = [[] for _ in range(self.n_cols + (1 if extra_col else 0))]
        for r, row in enumerate(self._rows):
            for j, coef in row:
                by_col[j].append((r, coef))
        if extra_col:
            by_col[self.n_cols] = extra_col
        starts = np.zeros(len(by_col) + 1, dtype=np.int32)
        index: list[int] = []
        value: list[float] = []
        for j, entries in enumerate(by_col):
            entries.sort()
            index.extend(r for r, _ in entries)
            value.extend(c for _, c in entries)
            starts[j + 1] = len(index)
        return starts, np.array(index, dtype=np.int32), np.array(value, dtype=np.float64)

    def impact_solver(self) -> HighsSolver:
        if self._impact is None:
            starts, index, value = self._csc(None)
            lower_r = np.zeros(self.n_rows)
            upper_r = np.full(self.n_rows, INF)
            lower_c = np.zeros(self.n_cols)
            upper_c = np.full(self.n_cols, INF)
            self._impact = HighsSolver(
                self.cost, lower_c, upper_c, lower_r, upper_r, starts, index, value, maximise=False
            )
        return self._impact

    def tts_solver(self) -> HighsSolver:
        if self._tts is None:
            self._tts = HighsSolver(*self.tts_lp(), maximise=True)
        return self._tts

    def tts_lp(
        self,
    ) -> tuple[FArray, FArray, FArray, FArray, FArray, IArray, IArray, FArray]:
        """The TTS LP as arrays: cost, column and row bounds, CSC matrix (the last column is t;
        rows: balance, capacity, then one per alternative without activation delay)."""
        if self._tts_lp is None:
            # t column: -d in balance rows, -cap in capacity rows, -cap_a in alternative rows
            t_col = [(r, -d) for r, d in enumerate(self.balance_demand) if d > 0]
            t_col += [(self.n_balance + k, -cap) for k, cap in enumerate(self.row_cap)]
            alt_rows: list[list[tuple[int, float]]] = []
            for j, (_site, cap, act, _c) in self.alt_cols.items():
                if act <= 0:
                    t_col.append((self.n_rows + len(alt_rows), -cap))
                    alt_rows.append([(j, 1.0)])
            saved = self._rows
            self._rows = saved + alt_rows
            starts, index, value = self._csc(sorted(t_col))
            self._rows = saved
            n_rows = self.n_rows + len(alt_rows)
            lower_r = np.zeros(n_rows)
            lower_r[self.n_balance :] = -INF
            upper_r = np.full(n_rows, INF)
            upper_r[self.n_balance :] = 0.0
            lower_c = np.zeros(self.n_cols + 1)
            upper_c = np.full(self.n_cols + 1, INF)
            for j in self.unmet_cols:
                upper_c[j] = 0.0
            for j, (_s, _cap, act, _c) in self.alt_cols.items():
                if act > 0:
                    upper_c[j] = 0.0
            for j, units in self.stock_cols.items():
                upper_c[j] = units
            upper_c[self.n_cols] = self.horizon
            cost = np.zeros(self.n_cols + 1)
            cost[self.n_cols] = 1.0
            self._tts_lp = (cost, lower_c, upper_c, lower_r, upper_r, starts, index, value)
        return self._tts_lp

    # -- bounds per scenario ---------------------------------------------------------------
    def _base_bounds(self, window: float) -> tuple[FArray, FArray, FArray, FArray]:
        cached = self._base_cache.get(window)
        if cached is None:
            lower_c = np.zeros(self.n_cols)
            upper_c = np.full(self.n_cols, INF)
            for j, units in self.stock_cols.items():
                upper_c[j] = units
            for j, units in self.unmet_cols.items():
                upper_c[j] = units * window
            for j, (_site, cap, act, _c) in self.alt_cols.items():
                upper_c[j] = cap * max(0.0, window - act)
            lower_r = np.zeros(self.n_rows)
            lower_r[: self.n_balance] = self.balance_demand * window
            lower_r[self.n_balance :] = -INF
            upper_r = np.full(self.n_rows, INF)
            upper_r[self.n_balance :] = np.array(self.row_cap) * window
            cached = (lower_c, upper_c, lower_r, upper_r)
            self._base_cache[window] = cached
        return cached

    def impact_bounds(self, disruption: Disruption, window: float) -> tuple[FArray, FArray, FArray, FArray]:
        """Column and row bounds of the impact LP for ``disruption`` over ``window`` periods."""
        lower_c, base_upper_c, lower_r, base_upper_r = self._base_bounds(window)
        upper_c = base_upper_c.copy()
        upper_r = base_upper_r.copy()
        for site_id, periods in disruption.site_down.items():
            for j in self.alt_by_site.get(site_id, ()):
                _site, cap, act, _c = self.alt_cols[j]
                upper_c[j] = cap * max(0.0, window - act - periods)
            if periods >= window:
                upper_c[self.site_cols[site_id]] = 0.0
            elif site_id in self.site_cap_row:
                row = self.site_cap_row[site_id]
                upper_r[row] = self.row_cap[row - self.n_balance] * (window - periods)
        for lane_id, periods in (*disruption.lane_down.items(), *disruption.lane_delay.items()):
            if periods >= window:
                upper_c[self.lane_cols[lane_id]] = 0.0
            elif lane_id in self.lane_cap_row:
                row = self.lane_cap_row[lane_id]
                upper_r[row] = min(upper_r[row], self.row_cap[row - self.n_balance] * (window - periods))
        return lower_c, upper_c, lower_r, upper_r

    def affected_columns(self, disruption: Disruption) -> IArray:
        """Columns of every disrupted site and lane (production, stock, alternatives, flows)."""
        cols: set[int] = set()
        for site_id in disruption.site_down:
            cols.update(self.site_cols[site_id])
        for lane_id in (*disruption.lane_down, *disruption.lane_delay):
            cols.update(self.lane_cols[lane_id])
        return np.array(sorted(cols), dtype=np.int32)

    def baseline_values(self, window: float) -> FArray:
        """An optimal plan with nothing disrupted over ``window`` periods (cached)."""
        values = self._baseline.get(window)
        if values is None:
            blocks = self.blocks()
            values = blocks.baseline(window) if blocks is not None else None
            if values is None:
                values = self._full_baseline_values(window)
            self._baseline[window] = values
        return values

    def _full_baseline_values(self, window: float) -> FArray:
        values = self._full_baseline.get(window)
        if values is None:
            empty = Disruption("baseline", window, {}, {}, {}, ())
            solver = self.impact_solver()
            values = solver.solve_with(*self.impact_bounds(empty, window))
            self._full_baseline[window] = values
            self._baseline_basis[window] = solver.basis()
        return values

    def blocks(self) -> _Blocks | None:
        """The independent blocks of the impact LP, or None when it does not split usefully."""
        if not self._blocks_tried:
            self._blocks_tried = True
            blocks = _Blocks(self)
            self._blocks = blocks if blocks.useful else None
        return self._blocks

    def solve_impact_values(self, disruption: Disruption, window: float | None = None) -> FArray:
        """Column values of an optimal contingency plan.

        Exact shortcuts, in order: when the undisrupted optimum does not touch any disrupted
        column it stays optimal (fewer options, same plan): no solve. Otherwise only the blocks
        of the LP that the disruption touches are re-solved (see :class:`_Blocks`), each from
        its undisrupted optimal basis. Failing that, the whole LP is re-solved from the
        undisrupted optimal basis (not the last scenario's: only the disrupted columns and rows
        are off, so dual simplex needs a handful of pivots instead of hundreds)."""
        window = disruption.ttr if window is None else window
        bounds = self.impact_bounds(disruption, window)
        if not self.warm:
            self._impact = None
            return self.impact_solver().solve_with(*bounds)
        base = self.baseline_values(window)
        affected = self.affected_columns(disruption)
        if not np.any(base[affected] > 1e-9):
            return base
        blocks = self.blocks()
        if blocks is not None:
            values = blocks.solve(window, bounds)
            if values is not None:
                return values
        self._full_baseline_values(window)
        return self.impact_solver().solve_with(*bounds, start=self._baseline_basis[window])

    def solve_impact(
        self, disruption: Disruption, window: float | None = None, *, with_plan: bool = True
    ) -> Solution:
        return self._read(self.solve_impact_values(disruption, window), with_plan)

    def survives_indefinitely(self, disruption: Disruption, values: FArray) -> bool:
        """True when the impact plan is a steady flow: no loss, no stock, no delayed alternative and
        nothing from a disrupted site or lane; scaled to any horizon it stays feasible, so the TTS
        LP is unbounded and need not be solved."""
        if len(self.unmet_idx) and np.any(values[self.unmet_idx] > 1e-9):
            return False
        if self.stock_idx.size and np.any(values[self.stock_idx] > 1e-9):
            return False
        if self.delayed_alt_idx.size and np.any(values[self.delayed_alt_idx] > 1e-9):
            return False
        affected = self.affected_columns(disruption)
        return not np.any(values[affected] > 1e-9)

    def solve(self, disruption: Disruption, *, with_plan: bool = True) -> tuple[Solution, float | None]:
        """Impact over the scenario's TTR and time to survive, skipping the TTS LP when the
        contingency plan is already a steady state (TTS unbounded)."""
        values = self.solve_impact_values(disruption)
        solution = self._read(values, with_plan)
        if self.warm and self.survives_indefinitely(disruption, values):
            return solution, None
        return solution, self.solve_tts(disruption)

    def solve_tts(self, disruption: Disruption) -> float | None:
        """Time to survive in periods, ``None`` when the disruption never causes a shortage.

        Disrupted sites and closed lanes are out for good. A rerouted lane delayed ``r`` periods
        carries ``cap (t - r)`` over ``t >= r`` (row ``sum x - cap t <= -cap r``); when no
        ``t >= r`` survives, TTS < r and the lane delivers nothing before it: solved closed."""
        if not self.warm:
            self._tts = None
        solver = self.tts_solver()
        closed: set[int] = set()
        for site_id in disruption.site_down:
            closed.update(self.site_cols[site_id])
        for lane_id in disruption.lane_down:
            closed.update(self.lane_cols[lane_id])
        delayed = {
            lane: r
            for lane, r in disruption.lane_delay.items()
            if lane not in disruption.lane_down and not set(self.lane_cols[lane]) <= closed
        }
        delay_rows = np.array(
            [self.lane_cap_row[lane] for lane in delayed if lane in self.lane_cap_row], dtype=np.int32
        )
        # a delayed lane without a rate (no capacity on it or its origin) cannot be delayed in
        # proportion: like the impact LP, the TTS LP then leaves it open
        delayed = {lane: r for lane, r in delayed.items() if lane in self.lane_cap_row}
        no_rows = np.zeros(0, dtype=np.int32)
        before = closed | {j for lane in delayed for j in self.lane_cols[lane]}
        blocks = self.blocks() if self.warm else None
        if self.warm and self.starvation().starves(before):
            t_closed: float | None = 0.0  # some demand can receive nothing at all: no LP needed
        else:
            t_closed = blocks.tts(before) if blocks is not None else None
            if t_closed is None:
                t_closed = self._tts_run(solver, before, no_rows, np.zeros(0))
        assert t_closed is not None  # t = 0 is always feasible without delay rows
        if t_closed >= self.horizon * (1 - 1e-9):
            return None
        if not len(delay_rows):
            return t_closed
        row_caps = np.array([self.row_cap[r - self.n_balance] for r in delay_rows])
        delays = np.array([delayed[lane] for lane in delayed if lane in self.lane_cap_row])
        if t_closed < float(delays.min()):
            return t_closed  # the shortage comes before rerouted supply arrives
        t = self._tts_run(solver, closed, delay_rows, -row_caps * delays)
        if t is None:
            return t_closed
        return None if t >= self.horizon * (1 - 1e-9) else max(t, t_closed)

    def starvation(self) -> _Starvation:
        """Which demand can receive nothing once some columns close (see :class:`_Starvation`)."""
        if self._starved is None:
            self._starved = _Starvation(self)
        return self._starved

    def _tts_run(
        self, solver: HighsSolver, closed: set[int], rows: IArray, row_upper: FArray
    ) -> float | None:
        down = np.array(sorted(closed), dtype=np.int32)
        saved_upper = solver.upper_c[down].copy()
        solver.h.changeColsBounds(len(down), down, np.zeros(len(down)), np.zeros(len(down)))
        if len(rows):
            solver.h.changeRowsBounds(  # type: ignore[attr-defined]
                len(rows), rows, np.full(len(rows), -INF), row_upper
            )
        try:
            if not solver.run(allow_infeasible=True):
                return None
            return max(float(solver.h.getSolution().col_value[self.n_cols]), 0.0) + 0.0  # no -0.0
        finally:
            solver.h.changeColsBounds(len(down), down, np.zeros(len(down)), saved_upper)
            if len(rows):
                solver.h.changeRowsBounds(  # type: ignore[attr-defined]
                    len(rows), rows, np.full(len(rows), -INF), np.zeros(len(rows))
                )

    def _read(self, values: FArray, with_plan: bool) -> Solution:
        unmet_values = values[self.unmet_idx] if len(self.unmet_idx) else np.zeros(0)
        lost_units: dict[str, float] = {}
        for k in np.flatnonzero(unmet_values > 1e-7).tolist():
            product = self.unmet_product[k]
            lost_units[product] = lost_units.get(product, 0.0) + float(unmet_values[k])
        weights = self.weights
        lost_margin = float(sum(weights[p] * u for p, u in lost_units.items()))
        contingency = float(values[self.alt_idx] @ self.alt_cost) if len(self.alt_idx) else 0.0
        unmet: dict[tuple[str, str], float] = {}
        alternatives: dict[str, float] = {}
        flows: dict[tuple[str, str], float] = {}
        stock: dict[tuple[str, str], float] = {}
        production: dict[tuple[str, str], float] = {}
        if with_plan:
            keys = self.cols_key
            for kind, store in (("u", unmet), ("x", flows), ("v", stock), ("y", production)):
                idx = self.kind_idx[kind]
                used = idx[values[idx] > 1e-7]
                store.update(zip([keys[j] for j in used.tolist()], values[used].tolist(), strict=True))
            used = self.kind_idx["z"][values[self.kind_idx["z"]] > 1e-7]
            alternatives.update((keys[j][0], float(values[j])) for j in used.tolist())
        return Solution(
            loss=lost_margin + contingency,
            lost_margin=lost_margin,
            contingency_cost=float(contingency),
            lost_units=lost_units,
            unmet=unmet,
            alternatives=alternatives,
            lane_flows=flows,
            stock_used=stock,
            production=production,
        )


class _Starvation:
    """Exact TTS = 0 test by propagating zeros through the balance rows of the TTS LP.

    In the TTS LP a balance row reads ``sum(feeding columns) - sum(consuming columns) >= d t``
    with every column >= 0. When none of a row's feeding columns (positive coefficient) can be
    positive, its consuming columns (lanes out, production that needs it as a part) must be 0 as
    well, which may starve further rows. If a row with demand ends up starved, ``d t <= 0``
    forces ``t = 0``: the TTS is 0 without solving. Columns that can never be positive in the
    TTS LP (unmet demand, alternatives with an activation delay, empty stock, members of a
    zero-capacity row) start closed. When the test says nothing, the LP decides.
    """

    def __init__(self, model: ContingencyModel) -> None:
        n_balance = model.n_balance
        self.feeds: list[list[int]] = [[] for _ in range(model.n_cols)]  # col -> rows it feeds
        self.consumers: list[list[int]] = [[] for _ in range(n_balance)]  # row -> cols using it
        for r, row in enumerate(model._rows[:n_balance]):
            for j, coef in row:
                if coef > 0:
                    self.feeds[j].append(r)
                elif coef < 0:
                    self.consumers[r].append(j)
        self.demand_rows = model.balance_demand > 0
        dead: set[int] = set(model.unmet_cols)
        dead.update(j for j, (_s, cap, act, _c) in model.alt_cols.items() if act > 0 or cap <= 0)
        dead.update(j for j, units in model.stock_cols.items() if units <= 0)
        for k, cap in enumerate(model.row_cap):
            if cap <= 0:
                dead.update(j for j, _coef in model._rows[n_balance + k])
        self.count = [0] * n_balance  # feeding columns per row that can still be positive
        for rows in self.feeds:
            for r in rows:
                self.count[r] += 1
        self.dead: set[int] = set()
        self.starved: set[int] = set()
        unfed = [r for r in range(n_balance) if self.count[r] == 0]
        self.always = any(self.demand_rows[r] for r in unfed)
        for r in unfed:
            self.starved.add(r)
            dead.update(self.consumers[r])
        changes: dict[int, int] = {}
        self.always = self.always or self._propagate(dead, self.dead, self.starved, changes)
        for r, left in changes.items():
            self.count[r] = left

    def _propagate(
        self, closing: Iterable[int], dead: set[int], starved: set[int], count: dict[int, int]
    ) -> bool:
        """Close ``closing`` on top of the base state; True when a demand row starves. ``dead``,
        ``starved`` and ``count`` (row -> feeding columns left) hold the changes made."""
        stack = [j for j in closing if j not in self.dead and j not in dead]
        dead.update(stack)
        while stack:
            j = stack.pop()
            for r in self.feeds[j]:
                left = count.get(r, self.count[r]) - 1
                count[r] = left
                if left == 0 and r not in self.starved and r not in starved:
                    if self.demand_rows[r]:
                        return True
                    starved.add(r)
                    for c in self.consumers[r]:
                        if c not in self.dead and c not in dead:
                            dead.add(c)
                            stack.append(c)
        return False

    def starves(self, closed: Iterable[int]) -> bool:
        """True when closing ``closed`` leaves some demand without any possible supply (TTS 0)."""
        return self.always or self._propagate(closed, set(), set(), {})


class _Blocks:
    """The impact LP split into independent blocks, for small exact re-solves.

    Columns that share a balance row are in one block (in a multi-product network: roughly one
    block per product family). A capacity row whose columns lie in one block belongs to it; the
    others (a port's throughput shared by several products) are *coupling* rows. Dropping the
    coupling rows leaves a relaxation that separates into one small LP per block; a scenario
    re-solves only the blocks it touches, each from its undisrupted optimal basis, and keeps the
    undisrupted optimum elsewhere. When the combined plan also satisfies every coupling row it
    is feasible for the full LP and optimal for a relaxation of it, hence optimal for the full
    LP; otherwise ``solve`` returns None and the caller solves the full LP.
    """

    def __init__(self, model: ContingencyModel) -> None:
        self.model = model
        n_cols, n_rows, n_balance = model.n_cols, model.n_rows, model.n_balance
        starts, index, value = model._csc(None)
        matrix = csc_matrix((value, index, starts), shape=(n_rows, n_cols))
        balance = matrix[:n_balance].tocoo()
        size = n_cols + n_balance
        graph = coo_matrix((np.ones(balance.nnz), (balance.col, n_cols + balance.row)), shape=(size, size))
        n_blocks, labels = connected_components(graph, directed=False)
        self.col_block = labels[:n_cols]
        self.row_block = np.empty(n_rows, dtype=np.int64)
        self.row_block[:n_balance] = labels[n_cols:]
        csr = matrix.tocsr()
        for r in range(n_balance, n_rows):
            members = np.unique(self.col_block[csr.indices[csr.indptr[r] : csr.indptr[r + 1]]])
            self.row_block[r] = members[0] if len(members) == 1 else -1
        sizes = np.bincount(self.col_block, minlength=n_blocks)
        self.useful = n_blocks > 1 and int(sizes.max()) <= 0.8 * n_cols
        self.coupling = np.flatnonzero(self.row_block < 0)
        self.coupling_matrix = csr[self.coupling]
        order = np.argsort(self.col_block, kind="stable")
        bounds = np.searchsorted(self.col_block[order], np.arange(n_blocks + 1))
        self.cols = [order[bounds[b] : bounds[b + 1]].astype(np.int32) for b in range(n_blocks)]
        row_order = np.argsort(self.row_block, kind="stable")
        row_bounds = np.searchsorted(self.row_block[row_order], np.arange(-1, n_blocks + 1))
        self.rows = [row_order[row_bounds[b + 1] : row_bounds[b + 2]] for b in range(n_blocks)]
        self._matrix = matrix
        self._tts_solvers: dict[int, tuple[HighsSolver, IArray]] = {}  # block -> solver, its columns
        self._tts_base: tuple[FArray, FArray] | None = None  # per block TTS, plan at it
        self._solvers: dict[int, HighsSolver] = {}
        self._base: dict[float, FArray | None] = {}
        self._basis: dict[tuple[float, int], highspy.HighsBasis] = {}

    def _solver(self, block: int) -> HighsSolver:
        solver = self._solvers.get(block)
        if solver is None:
            cols, rows = self.cols[block], self.rows[block]
            sub = self._matrix[rows][:, cols].tocsc()
            sub.sort_indices()
            n_c, n_r = len(cols), len(rows)
            solver = HighsSolver(
                self.model.cost[cols],
                np.zeros(n_c),
                np.full(n_c, INF),
                np.zeros(n_r),
                np.full(n_r, INF),
                sub.indptr.astype(np.int32),
                sub.indices.astype(np.int32),
                sub.data.astype(np.float64),
                maximise=False,
            )
            self._solvers[block] = solver
        return solver

    def _solve_block(self, block: int, window: float, bounds: tuple[FArray, ...]) -> FArray:
        lower_c, upper_c, lower_r, upper_r = bounds
        cols, rows = self.cols[block], self.rows[block]
        solver = self._solver(block)
        start = self._basis.get((window, block))
        values = solver.solve_with(lower_c[cols], upper_c[cols], lower_r[rows], upper_r[rows], start=start)
        if start is None:
            self._basis[(window, block)] = solver.basis()
        return values

    def _feasible(self, values: FArray, lower_r: FArray, upper_r: FArray) -> bool:
        activity = self.coupling_matrix @ values
        lower, upper = lower_r[self.coupling], upper_r[self.coupling]
        tol = 1e-7 * np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, 0.0)))
        return bool(np.all(activity <= upper + tol) and np.all(activity >= lower - tol))

    def baseline(self, window: float) -> FArray | None:
        """The undisrupted optimum assembled from the blocks; None when it breaks a coupling row
        (the blocks are then not used for this window)."""
        if window not in self._base:
            bounds = self.model._base_bounds(window)
            values = np.zeros(self.model.n_cols)
            for block, cols in enumerate(self.cols):
                values[cols] = self._solve_block(block, window, bounds)
            self._base[window] = values if self._feasible(values, bounds[2], bounds[3]) else None
        return self._base[window]

    def solve(self, window: float, bounds: tuple[FArray, FArray, FArray, FArray]) -> FArray | None:
        """An optimal plan for the scenario with these bounds, or None (solve the full LP)."""
        base = self.baseline(window)
        if base is None:
            return None
        lower_c, upper_c, lower_r, upper_r = bounds
        base_lc, base_uc, base_lr, base_ur = self.model._base_bounds(window)
        cols = np.flatnonzero((upper_c != base_uc) | (lower_c != base_lc))
        rows = np.flatnonzero((upper_r != base_ur) | (lower_r != base_lr))
        touched = set(self.col_block[cols].tolist()) | set(self.row_block[rows].tolist())
        touched.discard(-1)
        values = base.copy()
        for block in sorted(touched):
            values[self.cols[block]] = self._solve_block(block, window, bounds)
        return values if self._feasible(values, lower_r, upper_r) else None

    # -- time to survive ---------------------------------------------------------------------
    def _tts_solver(self, block: int) -> tuple[HighsSolver, IArray]:
        found = self._tts_solvers.get(block)
        if found is None:
            model = self.model
            cost, lower_c, upper_c, lower_r, upper_r, starts, index, value = model.tts_lp()
            matrix = csc_matrix((value, index, starts), shape=(len(lower_r), model.n_cols + 1))
            cols = self.cols[block]
            alt_rows = [
                model.n_rows + k
                for k, j in enumerate(j for j, a in model.alt_cols.items() if a[2] <= 0)
                if self.col_block[j] == block
            ]
            rows = np.concatenate((self.rows[block], np.array(alt_rows, dtype=np.int64)))
            with_t = np.append(cols, model.n_cols).astype(np.int32)
            sub = matrix[rows][:, with_t].tocsc()
            sub.sort_indices()
            solver = HighsSolver(
                cost[with_t],
                lower_c[with_t],
                upper_c[with_t],
                lower_r[rows],
                upper_r[rows],
                sub.indptr.astype(np.int32),
                sub.indices.astype(np.int32),
                sub.data.astype(np.float64),
                maximise=True,
            )
            found = self._tts_solvers[block] = (solver, cols)
        return found

    def _tts_block(self, block: int, closed: IArray) -> tuple[float, FArray]:
        """The block's own TTS with the ``closed`` columns (block-local indices) at 0, and the
        plan at it."""
        solver, cols = self._tts_solver(block)
        saved = solver.upper_c[closed].copy()
        zeros = np.zeros(len(closed))
        solver.h.changeColsBounds(len(closed), closed, zeros, zeros)
        try:
            solver.run()
            values = np.asarray(solver.h.getSolution().col_value)
        finally:
            solver.h.changeColsBounds(len(closed), closed, zeros, saved)
        return max(float(values[len(cols)]), 0.0), values[: len(cols)]

    def tts(self, closed: set[int]) -> float | None:
        """The TTS with the ``closed`` columns at 0, or None (solve the full LP).

        The blocks share only ``t`` once the coupling rows are dropped, and each block's
        feasible ``t`` form an interval (a plan for ``t`` scaled down serves any shorter time),
        so the relaxation's TTS is the smallest block TTS. Scaling every block's plan to it and
        checking the coupling rows (``sum x <= cap t``) proves it feasible for the full LP, hence
        its TTS."""
        n_blocks = len(self.cols)
        if self._tts_base is None:
            times = np.zeros(n_blocks)
            plan = np.zeros(self.model.n_cols)
            none = np.zeros(0, dtype=np.int32)
            for block in range(n_blocks):
                times[block], plan[self.cols[block]] = self._tts_block(block, none)
            self._tts_base = (times, plan)
        base_times, base_plan = self._tts_base
        times = base_times.copy()
        plans: dict[int, FArray] = {}
        closed_cols = np.array(sorted(closed), dtype=np.int64)
        for block in np.unique(self.col_block[closed_cols]).tolist():
            cols = self.cols[block]
            local = np.flatnonzero(np.isin(cols, closed_cols)).astype(np.int32)
            times[block], plans[block] = self._tts_block(block, local)
        t = float(times.min())
        if t <= 0.0:
            return 0.0  # t = 0 is feasible for the full LP and the relaxation allows no more
        scale = t / times
        values = base_plan * scale[self.col_block]
        for block, plan in plans.items():
            values[self.cols[block]] = plan * scale[block]
        activity = self.coupling_matrix @ values
        caps = np.array(self.model.row_cap)[self.coupling - self.model.n_balance] * t
        ok = np.all(activity <= caps + 1e-7 * np.maximum(1.0, np.abs(caps)))
        return t if ok else None
