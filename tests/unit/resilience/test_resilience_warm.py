"""The fast path (blocks, warm starts, exact shortcuts) gives what cold solves give."""

from __future__ import annotations

import numpy as np
import pytest

from supplyguard.resilience import (
    ContingencyModel,
    Network,
    ScenarioResult,
    ScenarioSpec,
    analyse_network,
    single_point_scenarios,
    synthetic_network,
)


def assert_same(warm: list[ScenarioResult], cold: list[ScenarioResult]) -> None:
    assert [r.scenario for r in warm] == [r.scenario for r in cold]
    for fast, ref in zip(warm, cold, strict=True):
        where = fast.scenario
        assert fast.loss == pytest.approx(ref.loss, rel=1e-7, abs=1e-6), where
        assert fast.lost_units.keys() == ref.lost_units.keys(), where
        for product, units in ref.lost_units.items():
            assert fast.lost_units[product] == pytest.approx(units, rel=1e-7, abs=1e-6), where
        assert fast.rei == pytest.approx(ref.rei, abs=1e-9), where
        if ref.tts is None:
            assert fast.tts is None, where
        else:
            assert fast.tts == pytest.approx(ref.tts, rel=1e-7, abs=1e-7), where
        assert fast.exposed == ref.exposed, where


def cold_model(network: Network) -> ContingencyModel:
    return ContingencyModel(network, warm=False)


@pytest.mark.parametrize(("sites", "seed", "lanes"), [(150, 3, True), (90, 12, False)])
def test_every_single_point_scenario_matches_a_cold_solve(sites: int, seed: int, lanes: bool) -> None:
    network = synthetic_network(sites, seed=seed)
    specs = single_point_scenarios(network, include_lanes=lanes)
    model = ContingencyModel(network)
    warm = analyse_network(network, specs, model=model, with_plan=False)
    cold = analyse_network(network, specs, model=cold_model(network), with_plan=False)
    blocks = model.blocks()
    assert blocks is not None  # several products: the block path is what ran
    assert blocks._tts_base is not None  # and TTS LPs were solved per block
    assert sum(r.loss > 0 for r in cold) > 5
    assert sum(r.tts == 0 for r in cold) > 0  # starvation shortcut cases
    assert sum(r.tts is None for r in cold) > 0  # steady-state shortcut cases
    assert sum(r.tts not in (None, 0.0) for r in cold) > 0  # solved TTS LPs
    assert_same(warm, cold)


def test_partial_outages_and_combinations_match_a_cold_solve() -> None:
    """Sites back before the window ends change capacity rows, not only columns."""
    network = synthetic_network(120, seed=8)
    rng = np.random.default_rng(8)
    candidates = [site.id for site in network.sites if site.kind in ("plant", "port", "depot")]
    specs = [
        ScenarioSpec(
            id=f"combo{k}",
            sites=tuple(str(s) for s in rng.choice(candidates, size=int(rng.integers(1, 6)), replace=False)),
            passages=("suez",) if k % 3 == 0 else (),
            ttr=float(rng.integers(4, 10)),
        )
        for k in range(40)
    ]
    ttr = {site.id: network.site_ttr(site) for site in network.sites}
    assert sum(any(ttr[s] < spec.ttr for s in spec.sites) for spec in specs if spec.ttr) > 10
    warm = analyse_network(network, specs, with_plan=False)
    cold = analyse_network(network, specs, model=cold_model(network), with_plan=False)
    assert sum(r.loss > 0 for r in cold) > 5
    assert_same(warm, cold)


def test_coupled_network_falls_back_to_the_whole_lp(golden: Network) -> None:
    """In the golden network the suppliers' capacity couples both products: the blocks'
    relaxation breaks it and the full LP decides (the published figures stay exact)."""
    model = ContingencyModel(golden)
    blocks = model.blocks()
    assert blocks is not None
    assert blocks.baseline(2.0) is None
    assert_same(analyse_network(golden, model=model), analyse_network(golden, model=cold_model(golden)))


def test_plans_of_the_fast_path_are_optimal_plans() -> None:
    network = synthetic_network(100, seed=4)
    specs = single_point_scenarios(network)
    for result in analyse_network(network, specs):
        plan = result.plan
        lost = sum(units for (_site, _product), units in plan.unmet.items())
        assert lost == pytest.approx(sum(result.lost_units.values()), abs=1e-6)
        if result.loss > 0:
            assert plan.unmet or plan.alternatives
