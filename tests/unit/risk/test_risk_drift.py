from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from supplyguard.risk import ScoredOutcome, drift_report, population_stability


def test_same_distribution_is_stable_and_a_shift_is_flagged() -> None:
    rng = np.random.default_rng(1)
    reference = rng.beta(1, 4, 5000)
    assert population_stability(reference, rng.beta(1, 4, 5000)) < 0.1
    assert population_stability(reference, rng.beta(4, 1, 5000)) > 0.25


def test_weekly_lines_with_hit_rates() -> None:
    monday = date(2021, 4, 5)
    scored = [
        ScoredOutcome(monday + timedelta(days=i % 7), 0.1, fraud=1 if i < 2 else None) for i in range(10)
    ]
    scored += [ScoredOutcome(monday + timedelta(days=7), 0.9, fraud=0)]
    first, second = drift_report([0.1] * 100, scored)
    assert (first.week, first.declarations, first.inspected, first.hit_rate) == ("2021-W14", 10, 2, 1.0)
    assert "stable" in first.reason
    assert "hit rate 100% of 2 inspected" in first.reason
    assert second.week == "2021-W15"
    assert "retrain" in second.reason
