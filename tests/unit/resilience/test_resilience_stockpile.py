from __future__ import annotations

import pytest

from supplyguard.resilience import (
    Network,
    analyse_network,
    base_stock_option,
    newsvendor,
    plan_stockpile,
    service_level_view,
    with_added_stock,
)

from .conftest import small_network


def test_golden_stockpile_closes_every_exposure(golden: Network) -> None:
    plan = plan_stockpile(golden)
    # S3 down: 125 demanded per period, 75 made; 2 periods need 100 from stock, 45 held -> 55 more
    assert sum(plan.additions.values()) == pytest.approx(55.0)
    assert plan.uncovered == {}
    after = analyse_network(with_added_stock(golden, plan.additions))
    assert not any(r.exposed for r in after)


def test_stockpile_prefers_positions_that_survive_and_reports_the_rest() -> None:
    network = small_network()
    plan = plan_stockpile(network)
    # stock at the demand point covers every scenario, the depot's own outage included: 20 KIT
    assert plan.additions == {("DP", "KIT"): pytest.approx(20.0)}
    assert plan.uncovered == {}
    assert not any(r.exposed for r in analyse_network(with_added_stock(network, plan.additions)))
    depot_only = plan_stockpile(network, positions=[("DE", "KIT")])
    assert depot_only.uncovered == {"site:DE": {"KIT": pytest.approx(20.0)}}
    assert depot_only.holding_cost == pytest.approx(2 * 15.0)
    assert any("no stock position can cover" in r for r in depot_only.reasons)


def test_base_stock_numbers() -> None:
    option = base_stock_option(
        "X", mean=100, sd=20, lead_periods=4, holding=1, shortage=9, service_level=0.95
    )
    assert option.base_stock == pytest.approx(400 + 1.6449 * 40, abs=0.01)
    assert option.expected_shortage == pytest.approx(40 * 0.02089, abs=0.01)
    best = newsvendor("X", mean=100, sd=20, lead_periods=1, holding=1, shortage=9)
    assert best.service_level == pytest.approx(0.9)


def test_service_level_view_costs_each_choice() -> None:
    view = service_level_view(small_network(), lead_periods=2)
    options = view["KIT"]
    assert [o.service_level for o in options[:3]] == pytest.approx([0.8, 0.9, 0.95])
    optimum = options[-1]
    assert optimum.total_cost <= min(o.total_cost for o in options[:-1]) + 1e-9
