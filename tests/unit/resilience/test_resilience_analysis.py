from __future__ import annotations

import pytest

from supplyguard.resilience import ScenarioSpec, analyse_network, combine, resolve

from .conftest import small_network


def by_id(**kwargs: object) -> dict[str, dict[str, object]]:
    return {r.scenario: r.as_json() for r in analyse_network(small_network(), **kwargs)}  # type: ignore[arg-type]


def test_redundant_supplier_loss_is_zero_and_tts_unbounded() -> None:
    results = by_id()
    assert results["site:SA"]["loss"] == 0.0
    assert results["site:SA"]["tts"] is None
    assert results["site:SA"]["exposed"] is False
    assert results["site:SB"]["ttr"] == 4.0


def test_plant_outage_uses_stock_and_alternative_source() -> None:
    result = {r.scenario: r for r in analyse_network(small_network())}["site:PL"]
    # window 2: demand 20, stock 5, alternative 4/period -> 7 short; 7*100 + 8*30
    assert result.loss == pytest.approx(940.0)
    assert result.contingency_cost == pytest.approx(240.0)
    assert result.plan.alternatives == {"ALT": pytest.approx(8.0)}
    assert result.tts == pytest.approx(5 / 6)
    assert result.exposed


def test_asset_outage_cascades_to_dependent_asset_and_sites() -> None:
    network = small_network()
    disruption = resolve(network, ScenarioSpec(id="x", assets=("GRID",)))
    assert disruption.site_down == {"SA": 1.0, "PO": 3.0}
    assert disruption.ttr == 3.0
    assert any("cascading" in reason for reason in disruption.reasons)
    assert by_id()["asset:GRID"]["loss"] == pytest.approx(1660.0)


def test_passage_closure_delays_the_sea_lane() -> None:
    network = small_network()
    disruption = resolve(network, ScenarioSpec(id="s", passages=("suez",)))
    assert disruption.lane_delay == {"PL-PO": pytest.approx(1.0)}
    result = by_id()["passage:suez"]
    assert result["loss"] == 0.0
    # before the rerouted supply arrives (1 period) stock and the alternative last 5/6 period
    assert result["tts"] == pytest.approx(0.833)
    assert result["ttr"] == 3.0


def test_passage_without_detour_closes_the_lane() -> None:
    network = small_network(
        lanes=[
            {"id": "A-PL", "from": "SA", "to": "PL"},
            {"id": "PL-DE", "from": "PL", "to": "DE", "mode": "sea", "passages": ["malacca"]},
            {"id": "DE-DP", "from": "DE", "to": "DP"},
        ],
        sites=[
            {"id": "SA", "kind": "supplier", "capacity": 40, "makes": ["PART"]},
            {"id": "PL", "kind": "plant", "capacity": 15, "makes": ["KIT"]},
            {"id": "DE", "kind": "depot", "stock": {"KIT": 5}},
            {"id": "DP", "kind": "demand", "demand": {"KIT": 10}},
        ],
        assets=[],
    )
    result = {r.scenario: r for r in analyse_network(network)}["passage:malacca"]
    assert result.loss == pytest.approx(940.0)


def test_combined_scenario_is_worse_than_each_part() -> None:
    network = small_network()
    both = combine([ScenarioSpec(id="a", sites=("SA",)), ScenarioSpec(id="b", sites=("SB",))])
    result = analyse_network(network, [both])[0]
    assert result.scenario == "a+b"
    assert result.disrupted == ("SA", "SB")
    # window 4 (SB's TTR); SA is back after 2 periods: 20 KIT + stock 5 + 15 from the alternative
    assert result.lost_units == {}
    assert result.loss == pytest.approx(450.0)
    assert result.plan.alternatives == {"ALT": pytest.approx(15.0)}


def test_lane_scenarios_only_when_asked() -> None:
    assert not any(key.startswith("lane:") for key in by_id())
    assert "lane:DE-DP" in by_id(include_lanes=True)
