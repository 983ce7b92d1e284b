"""Analyse every disruption scenario: impact, contingency plan, time to survive, exposure, REI.

``analyse_network`` solves the impact LP and the TTS LP (see :mod:`.lp`) for each scenario on one
pair of warm-started HiGHS models; ``analysis_json`` gives the list printed by
``supplyguard resilience analyse FILE --json``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from supplyguard.resilience.lp import ContingencyModel, Solution
from supplyguard.resilience.model import Network, ScenarioSpec
from supplyguard.resilience.scenarios import Disruption, resolve_all, single_point_scenarios, units


@dataclass(frozen=True, slots=True)
class ContingencyPlan:
    """The optimal use of alternatives during the TTR window (units over the window)."""

    alternatives: dict[str, float] = field(default_factory=dict)
    lane_flows: dict[tuple[str, str], float] = field(default_factory=dict)
    stock_used: dict[tuple[str, str], float] = field(default_factory=dict)
    production: dict[tuple[str, str], float] = field(default_factory=dict)
    unmet: dict[tuple[str, str], float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "alternatives": {k: round(v, 3) for k, v in sorted(self.alternatives.items())},
            "lanes": [
                {"lane": lane, "product": p, "units": round(v, 3)}
                for (lane, p), v in sorted(self.lane_flows.items())
            ],
            "stock": [
                {"site": s, "product": p, "units": round(v, 3)}
                for (s, p), v in sorted(self.stock_used.items())
            ],
            "production": [
                {"site": s, "product": p, "units": round(v, 3)}
                for (s, p), v in sorted(self.production.items())
            ],
            "unmet": [
                {"site": s, "product": p, "units": round(v, 3)} for (s, p), v in sorted(self.unmet.items())
            ],
        }


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The outcome of one scenario, with its reasons in words."""

    scenario: str
    disrupted: tuple[str, ...]
    loss: float
    lost_margin: float
    contingency_cost: float
    lost_units: dict[str, float]
    rei: float
    tts: float | None
    ttr: float
    exposed: bool
    plan: ContingencyPlan
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        """The CLI/API shape: exactly the keys of ``resilience analyse --json``."""
        return {
            "scenario": self.scenario,
            "disrupted": list(self.disrupted),
            "loss": round(self.loss, 2),
            "lost_units": {p: round(u, 3) for p, u in sorted(self.lost_units.items())},
            "rei": round(self.rei, 3),
            "tts": None if self.tts is None else round(self.tts, 3),
            "ttr": self.ttr,
            "exposed": self.exposed,
        }

    def as_detail(self) -> dict[str, object]:
        """``as_json`` plus the contingency plan, cost split and reasons."""
        return {
            **self.as_json(),
            "lost_margin": round(self.lost_margin, 2),
            "contingency_cost": round(self.contingency_cost, 2),
            "plan": self.plan.as_dict(),
            "reasons": list(self.reasons),
        }


def _reasons(d: Disruption, sol: Solution, tts: float | None, rei: float) -> tuple[str, ...]:
    words = list(d.reasons)
    if sol.lost_units:
        lost = ", ".join(f"{units(u)} units of {p}" for p, u in sorted(sol.lost_units.items()))
        words.append(
            f"over the {d.ttr:g}-period recovery {lost} cannot be supplied "
            f"(lost margin {sol.lost_margin:,.0f})"
        )
    else:
        words.append(f"demand is fully met during the {d.ttr:g}-period recovery")
    if sol.alternatives:
        used = ", ".join(f"{a} ({units(u)} units)" for a, u in sorted(sol.alternatives.items()))
        words.append(f"contingency: switch to alternative sources {used} costing {sol.contingency_cost:,.0f}")
    if sol.stock_used:
        drawn = ", ".join(f"{units(u)} {p} at {s}" for (s, p), u in sorted(sol.stock_used.items()))
        words.append(f"draw stock: {drawn}")
    if tts is None:
        words.append("the network survives indefinitely without the disrupted parts (TTS unbounded)")
    elif tts < d.ttr:
        words.append(f"EXPOSED: time to survive {tts:.3g} periods is shorter than time to recover {d.ttr:g}")
    else:
        words.append(f"time to survive {tts:.3g} periods covers the time to recover {d.ttr:g}")
    words.append(f"risk exposure index {rei:.3f} (loss relative to the worst scenario analysed)")
    return tuple(words)


_FORK_STATE: dict[str, object] = {}


def _solve_slice(start: int) -> list[tuple[Solution, float | None]]:
    """Worker body (forked): solve every ``step``-th disruption on its own HiGHS models."""
    network = _FORK_STATE["network"]
    disruptions = _FORK_STATE["disruptions"]
    step = _FORK_STATE["step"]
    assert isinstance(network, Network) and isinstance(disruptions, list) and isinstance(step, int)
    horizon, warm = _FORK_STATE["horizon"], _FORK_STATE["warm"]
    assert isinstance(horizon, float) and isinstance(warm, bool)
    model = ContingencyModel(network, horizon=horizon, warm=warm)
    with_plan = bool(_FORK_STATE["with_plan"])
    return [model.solve(d, with_plan=with_plan) for d in disruptions[start::step]]


def _solve_parallel(
    model: ContingencyModel, disruptions: list[Disruption], workers: int, with_plan: bool
) -> list[tuple[Solution, float | None]]:
    _FORK_STATE.update(
        network=model.network,
        horizon=float(model.horizon),
        warm=model.warm,
        disruptions=disruptions,
        step=workers,
        with_plan=with_plan,
    )
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_solve_slice, range(workers)))
    finally:
        _FORK_STATE.clear()
    out: list[tuple[Solution, float | None]] = [parts[0][0]] * len(disruptions)
    for start, part in enumerate(parts):
        for offset, item in enumerate(part):
            out[start + offset * workers] = item
    return out


def analyse_disruptions(
    model: ContingencyModel,
    disruptions: Sequence[Disruption],
    *,
    with_plan: bool = True,
    with_tts: bool = True,
    workers: int = 1,
) -> list[ScenarioResult]:
    """Solve both LPs for each resolved disruption; REI normalises loss by the worst loss.

    ``workers`` > 1 splits the scenarios over forked processes (POSIX only), each with its own
    warm-started HiGHS models."""
    # Solving in order of window keeps consecutive re-solves close (the demand bounds depend on
    # the window), so the warm start saves more pivots; results go back in the given order.
    order = sorted(range(len(disruptions)), key=lambda i: (disruptions[i].ttr, i))
    ordered = [disruptions[i] for i in order]
    pairs: list[tuple[Solution, float | None]] = []
    if (
        workers > 1
        and with_tts
        and len(ordered) >= 2 * workers
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        pairs = _solve_parallel(model, ordered, workers, with_plan)
    else:
        for disruption in ordered:
            if with_tts:
                pairs.append(model.solve(disruption, with_plan=with_plan))
            else:
                pairs.append((model.solve_impact(disruption, with_plan=with_plan), None))
    by_index = dict(zip(order, pairs, strict=True))
    solved = [(d, *by_index[i]) for i, d in enumerate(disruptions)]
    worst = max((sol.loss for _, sol, _ in solved), default=0.0)
    results: list[ScenarioResult] = []
    for disruption, sol, tts in solved:
        rei = sol.loss / worst if worst > 1e-9 else 0.0
        results.append(
            ScenarioResult(
                scenario=disruption.id,
                disrupted=tuple(disruption.disrupted_sites),
                loss=sol.loss,
                lost_margin=sol.lost_margin,
                contingency_cost=sol.contingency_cost,
                lost_units=sol.lost_units,
                rei=rei,
                tts=tts,
                ttr=disruption.ttr,
                exposed=tts is not None and tts < disruption.ttr - 1e-9,
                plan=ContingencyPlan(
                    sol.alternatives, sol.lane_flows, sol.stock_used, sol.production, sol.unmet
                ),
                reasons=_reasons(disruption, sol, tts, rei) if with_plan else (),
            )
        )
    return results


def analyse_network(
    network: Network,
    scenarios: Sequence[ScenarioSpec] | None = None,
    *,
    include_lanes: bool = False,
    with_plan: bool = True,
    model: ContingencyModel | None = None,
    workers: int = 1,
) -> list[ScenarioResult]:
    """Analyse ``scenarios`` (default: every single-point scenario plus the declared ones)."""
    specs = (
        list(scenarios)
        if scenarios is not None
        else single_point_scenarios(network, include_lanes=include_lanes)
    )
    model = model or ContingencyModel(network)
    return analyse_disruptions(model, resolve_all(network, specs), with_plan=with_plan, workers=workers)


def exposure_ranking(results: Sequence[ScenarioResult]) -> list[ScenarioResult]:
    """Scenarios from the most to the least harmful: REI, then exposure, then shortest TTS."""
    return sorted(
        results,
        key=lambda r: (-r.rei, not r.exposed, r.tts if r.tts is not None else float("inf"), r.scenario),
    )


def analysis_json(
    network: Network, scenarios: Sequence[ScenarioSpec] | None = None
) -> list[dict[str, object]]:
    """The list printed by ``supplyguard resilience analyse FILE --json``."""
    return [result.as_json() for result in analyse_network(network, scenarios, with_plan=False)]
