"""What the resilience faces show: defaults, scenario names, summaries, the Suez reroute, the map."""

from __future__ import annotations

import itertools

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import load_network
from supplyguard.services import resilience_views as views
from tests.unit.resilience.conftest import EXAMPLES, small_network


def test_default_risks_cover_every_site_but_demand_points_and_every_asset() -> None:
    network = small_network()
    risks = views.default_risks(network)
    assert set(risks) == {"SA", "SB", "PL", "PO", "DE", "GRID", "TEL"}
    assert risks["SB"].params == (4.0,) and risks["SB"].distribution == "exponential"
    assert risks["TEL"].params == (3.0,) and risks["SA"].probability == views.DEFAULT_PROBABILITY


def test_scenario_names_accept_bare_ids_and_passage_aliases() -> None:
    network = small_network()
    specs = views.scenario_specs(network, ["SA", "asset:GRID", "passage:suez", "PL-PO"])
    assert specs is not None
    assert [s.id for s in specs] == ["site:SA", "asset:GRID", "passage:suez", "lane:PL-PO"]
    assert views.scenario_specs(network, []) is None
    with pytest.raises(ValidationFailed, match=r"scenarios\.1: unknown scenario 'NOPE'"):
        views.scenario_specs(network, ["SA", "NOPE"])


def test_simulation_is_reproducible_and_reports_unmet_demand_per_product(golden) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    one = views.simulation_summary(golden, None, runs=200, seed=7, on_progress=seen.append)
    two = views.simulation_summary(golden, None, runs=200, seed=7)
    assert one == two
    assert seen[0] == 0 and seen[-1] == 200
    assert set(one["unmet"]) == {"P1", "P2"}
    assert sum(b["count"] for b in one["histogram"]) == 200
    assert one["risks"].startswith("default")
    with pytest.raises(ValidationFailed, match="runs"):
        views.simulation_summary(golden, None, runs=0, seed=1)


def test_risk_files_are_validated(golden) -> None:  # type: ignore[no-untyped-def]
    assert views.parse_risks_yaml("S1: {probability: 0.5}\n", golden)["S1"].probability == 0.5
    with pytest.raises(ValidationFailed, match="unknown site or asset 'X'"):
        views.parse_risks_yaml("X: {probability: 0.5}\n", golden)
    with pytest.raises(ValidationFailed, match="mapping"):
        views.parse_risks_yaml("- 1\n", golden)


def test_stockpile_summary_costs_each_addition_and_lists_service_levels(golden) -> None:  # type: ignore[no-untyped-def]
    plan = views.stockpile_summary(golden, ["S3"], lead_periods=2)
    assert plan["scenarios"] == ["site:S3"]
    assert sum(row["units"] for row in plan["additions"]) == pytest.approx(55)
    assert all("holding_cost_per_period" in row for row in plan["additions"])
    assert set(plan["service_levels"]) == {"P1", "P2"} and plan["lead_periods"] == 2
    with pytest.raises(ValidationFailed, match="lead_periods"):
        views.stockpile_summary(golden, None, lead_periods=0)


def test_suez_closure_reroutes_the_demo_lanes_round_the_cape_or_panama() -> None:
    network = load_network(EXAMPLES / "medical-supplies.yaml")
    reroute = views.passage_reroutes(network, "Suez")
    assert reroute["passage"] == "suez"
    lanes = {row["lane"]: row for row in reroute["lanes"]}
    assert set(lanes) == {"SHA-RTM", "SHA-HAM", "PKG-RTM", "MUM-RTM", "KHH-HAM"}
    sha = lanes["SHA-RTM"]
    assert sha["routed"] and sha["added_km"] > 2000 and sha["added_days"] > 3
    assert "suez" not in sha["detour_via"] and sum(len(seg) for seg in sha["detour_path"]) > 10
    segments = sha["detour_path"]  # via Panama: cut at the antimeridian, no jump inside a segment
    assert len(segments) == 2 and segments[0][-1][1] == 180 and segments[1][0][1] == -180
    assert segments[0][-1][0] == segments[1][0][0]
    assert all(abs(b[1] - a[1]) <= 180 for seg in segments for a, b in itertools.pairwise(seg))
    assert len(lanes["MUM-RTM"]["detour_path"]) == 1  # round the Cape: nothing to cut
    assert reroute["impact"]["scenario"] == "passage:suez"
    with pytest.raises(ValidationFailed, match="unknown sea passage"):
        views.passage_reroutes(network, "atlantis")


def test_map_data_places_located_sites_and_lanes() -> None:
    network = small_network()
    assert views.map_data(network)["sites"] == [] and len(views.map_data(network)["unplaced"]) == 6
    demo = views.map_data(load_network(EXAMPLES / "medical-supplies.yaml"))
    assert len(demo["sites"]) == 13 and len(demo["lanes"]) == 18
