from __future__ import annotations

import numpy as np
import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import RiskProfile, parse_risks, simulate, synthetic_network

from .conftest import small_network


def test_simulation_is_reproducible_and_seed_sensitive() -> None:
    network = small_network()
    risks = {
        "PL": RiskProfile(0.3, "triangular", (0.5, 1.0, 2.0)),
        "GRID": RiskProfile(0.2, "exponential", (1.0,)),
    }
    first = simulate(network, risks, samples=300, seed=5, horizon=2)
    again = simulate(network, risks, samples=300, seed=5, horizon=2)
    other = simulate(network, risks, samples=300, seed=6, horizon=2)
    assert np.array_equal(first.losses, again.losses)
    assert not np.array_equal(first.losses, other.losses)
    summary = first.summary()
    assert 0.2 < summary["loss"]["probability_of_loss"] < 0.5  # type: ignore[index]
    assert set(first.unmet_by_product) == {"KIT"}
    assert first.contributors[0][0] in {"PL", "PO"}
    assert sum(c for _lo, _hi, c in first.histogram(10)) == 300


def test_certain_full_outage_matches_the_scenario_analysis() -> None:
    result = simulate(
        small_network(), {"PL": RiskProfile(1.0, "fixed", (2.0,))}, samples=5, seed=1, horizon=2
    )
    assert result.losses == pytest.approx([940.0] * 5)
    assert result.lp_solves == 1


def test_parse_risks_validates() -> None:
    network = small_network()
    risks = parse_risks({"PL": {"probability": 0.1, "distribution": "uniform", "params": [1, 3]}}, network)
    assert risks["PL"].params == (1.0, 3.0)
    with pytest.raises(ValidationFailed) as caught:
        parse_risks({"NOPE": {"probability": 0.1}, "PL": {"probability": 2}}, network)
    assert len(caught.value.errors) == 2


def test_synthetic_network_baseline_meets_demand() -> None:
    network = synthetic_network(200, seed=2)
    result = simulate(network, {}, samples=3, seed=1, horizon=2)
    assert result.losses.tolist() == [0.0, 0.0, 0.0]
