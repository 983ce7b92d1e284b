"""Emergency stockpiles: the cheapest extra stock that makes TTS >= TTR for a set of scenarios.

One LP with a copy of the flow network per scenario k (window ``T_k`` = its TTR, its disrupted
columns fixed to 0) and shared decision variables ``e[n,j]`` (extra stock of j at site n)::

    min  sum h_j e[n,j] + M sum_k u_k
    s.t. for every scenario k: the impact-LP constraints over T_k, with
         v_k[n,j] - e[n,j] <= s[n,j]          (stock drawn within existing + extra stock)

``u_k`` is demand that no stock position can cover (a disrupted demand point, say); it is
penalised by ``M`` and reported, so the LP always solves. TTS >= TTR for scenario k exactly when
its demand over ``T_k`` is met, which the ``u_k = 0`` solution gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from supplyguard.errors import ModelError
from supplyguard.resilience.lp import ContingencyModel
from supplyguard.resilience.model import Network, ScenarioSpec
from supplyguard.resilience.scenarios import resolve, single_point_scenarios, units


@dataclass(frozen=True, slots=True)
class StockpilePlan:
    """Extra units per (site, product), their holding cost per period, what remains uncovered."""

    additions: dict[tuple[str, str], float]
    holding_cost: float
    uncovered: dict[str, dict[str, float]]
    scenarios: tuple[str, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "additions": [
                {"site": s, "product": p, "units": round(u, 3)}
                for (s, p), u in sorted(self.additions.items())
            ],
            "holding_cost_per_period": round(self.holding_cost, 2),
            "uncovered": {
                k: {p: round(u, 3) for p, u in v.items()} for k, v in sorted(self.uncovered.items())
            },
            "scenarios": list(self.scenarios),
            "reasons": list(self.reasons),
        }


def default_positions(network: Network) -> list[tuple[str, str]]:
    """Where emergency stock may be held: demand points and depots, for the products they hold or
    need, and every existing stock position."""
    positions: dict[tuple[str, str], None] = {}
    for site in network.sites:
        for product in (*site.demand, *site.stock):
            positions[(site.id, product)] = None
    demanded = [p for p, d in network.total_demand().items() if d > 0]
    for site in network.sites:
        if site.kind == "depot":
            for product in demanded:
                positions[(site.id, product)] = None
    return list(positions)


def plan_stockpile(
    network: Network,
    scenarios: Sequence[ScenarioSpec] | None = None,
    *,
    positions: Iterable[tuple[str, str]] | None = None,
    holding_costs: Mapping[tuple[str, str], float] | None = None,
) -> StockpilePlan:
    """The cheapest extra stock (by holding cost) so every scenario survives its TTR."""
    specs = (
        list(scenarios)
        if scenarios is not None
        else [s for s in single_point_scenarios(network) if s.id.startswith("site:")]
    )
    pos = list(positions) if positions is not None else default_positions(network)
    model = ContingencyModel(network, stock_positions=pos)
    disruptions = [resolve(network, spec) for spec in specs]
    n_cols, n_rows = model.n_cols, model.n_rows
    base_r: list[int] = []
    base_c: list[int] = []
    base_v: list[float] = []
    for r, row in enumerate(model._rows):
        for j, coef in row:
            base_r.append(r)
            base_c.append(j)
            base_v.append(coef)
    br, bc, bv = np.array(base_r), np.array(base_c), np.array(base_v)
    pos_index = {key: i for i, key in enumerate(pos)}
    stock_col_pos = [
        (j, pos_index[model.cols_key[j]]) for j in model.stock_cols if model.cols_key[j] in pos_index
    ]
    weights = {p.id: p.holding_cost for p in network.products}
    h = np.array([(holding_costs or {}).get(key, weights[key[1]]) for key in pos])
    penalty = 1e4 * (1.0 + float(h.max(initial=0.0))) + 1e4
    n_k = len(disruptions)
    total_cols = n_k * n_cols + len(pos)
    e0 = n_k * n_cols
    rows_r: list[np.ndarray] = []
    rows_c: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    cost = np.zeros(total_cols)
    lower_c = np.zeros(total_cols)
    upper_c = np.full(total_cols, highspy.kHighsInf)
    lower_r_parts: list[np.ndarray] = []
    upper_r_parts: list[np.ndarray] = []
    link_rows = 0
    for k, d in enumerate(disruptions):
        lc, uc, lr, ur = model.impact_bounds(d, d.ttr)
        off_c, off_r = k * n_cols, k * n_rows
        rows_r.append(br + off_r)
        rows_c.append(bc + off_c)
        vals.append(bv)
        cost_k = model.cost.copy()
        cost_k[model.unmet_idx] = penalty
        cost[off_c : off_c + n_cols] = cost_k
        lower_c[off_c : off_c + n_cols] = lc
        upper_c[off_c : off_c + n_cols] = uc
        lower_r_parts.append(lr)
        upper_r_parts.append(ur)
    base_rows = n_k * n_rows
    link_lower: list[float] = []
    link_upper: list[float] = []
    for k, d in enumerate(disruptions):
        off_c = k * n_cols
        for j, p_i in stock_col_pos:
            if d.site_down.get(model.cols_key[j][0], 0.0) >= d.ttr:
                continue  # site down for the whole window: its stock is out of reach
            upper_c[off_c + j] = highspy.kHighsInf
            r = base_rows + link_rows
            rows_r.append(np.array([r, r]))
            rows_c.append(np.array([off_c + j, e0 + p_i]))
            vals.append(np.array([1.0, -1.0]))
            link_lower.append(-highspy.kHighsInf)
            link_upper.append(model.stock_cols[j])
            link_rows += 1
    cost[e0:] = h + 1e-6
    n_total_rows = base_rows + link_rows
    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows_r), np.concatenate(rows_c))),
        shape=(n_total_rows, total_cols),
    ).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = total_cols
    lp.num_row_ = n_total_rows
    lp.col_cost_ = cost
    lp.col_lower_ = lower_c
    lp.col_upper_ = upper_c
    lp.row_lower_ = np.concatenate([*lower_r_parts, np.array(link_lower)])
    lp.row_upper_ = np.concatenate([*upper_r_parts, np.array(link_upper)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ModelError(
            "HiGHS could not solve the stockpile LP: " + solver.modelStatusToString(solver.getModelStatus())
        )
    values = np.asarray(solver.getSolution().col_value)
    additions = {pos[i]: float(values[e0 + i]) for i in range(len(pos)) if values[e0 + i] > 1e-6}
    uncovered: dict[str, dict[str, float]] = {}
    for k, d in enumerate(disruptions):
        for j in model.unmet_idx:
            short = values[k * n_cols + j]
            if short > 1e-6:
                product = model.cols_key[j][1]
                uncovered.setdefault(d.id, {})
                uncovered[d.id][product] = uncovered[d.id].get(product, 0.0) + float(short)
    holding = float(sum(h[pos_index[key]] * u for key, u in additions.items()))
    reasons = [
        f"hold {units(u)} more {p} at {s} (holding cost {h[pos_index[(s, p)]] * u:,.0f} per period)"
        for (s, p), u in sorted(additions.items())
    ]
    if not additions:
        reasons.append("existing stock already covers every scenario's time to recover")
    for scenario, lost in sorted(uncovered.items()):
        reasons.append(
            f"{scenario}: no stock position can cover "
            + ", ".join(f"{units(u)} {p}" for p, u in sorted(lost.items()))
        )
    return StockpilePlan(additions, holding, uncovered, tuple(d.id for d in disruptions), tuple(reasons))


def with_added_stock(network: Network, additions: Mapping[tuple[str, str], float]) -> Network:
    """A copy of ``network`` with ``additions`` added to the sites' stock."""
    sites = []
    for site in network.sites:
        extra = {p: u for (s, p), u in additions.items() if s == site.id}
        if extra:
            stock = dict(site.stock)
            for product, qty in extra.items():
                stock[product] = stock.get(product, 0.0) + qty
            site = replace(site, stock=MappingProxyType(stock))
        sites.append(site)
    return replace(network, sites=tuple(sites))
