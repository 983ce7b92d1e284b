from __future__ import annotations

import numpy as np
import pytest

from supplyguard.risk import at_share, auc, fit_isotonic, fit_platt


def test_auc_known_values() -> None:
    labels = np.array([0, 0, 1, 1])
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), labels) == 0.75


def test_precision_recall_and_duty_at_share() -> None:
    scores = np.arange(100, 0, -1, dtype=float)
    labels = np.zeros(100)
    labels[[0, 2, 50]] = 1
    duty = np.ones(100)
    duty[50] = 8.0
    result = at_share(scores, labels, duty, 0.05)
    assert result.inspected == 5
    assert result.precision == pytest.approx(0.4)
    assert result.recall == pytest.approx(2 / 3)
    assert result.duty_caught == pytest.approx(2 / 10)


def test_isotonic_calibration_is_monotone_and_fits_rates() -> None:
    rng = np.random.default_rng(3)
    raw = rng.random(5000)
    labels = (rng.random(5000) < raw**2).astype(float)
    calibration = fit_isotonic(raw, labels)
    grid = calibration.apply(np.linspace(0, 1, 101))
    assert np.all(np.diff(grid) >= -1e-12)
    assert calibration.apply(np.array([0.9]))[0] == pytest.approx(0.81, abs=0.08)


def test_platt_calibration_learns_a_shift() -> None:
    rng = np.random.default_rng(5)
    raw = rng.random(4000) * 0.98 + 0.01
    labels = (rng.random(4000) < raw / 2).astype(float)
    calibration = fit_platt(raw, labels)
    assert calibration.apply(np.array([0.8]))[0] < 0.6
    assert np.all(np.diff(calibration.apply(np.linspace(0.01, 0.99, 50))) > 0)


def test_combined_ranking_puts_expected_duty_above_the_line_first() -> None:
    from supplyguard.risk import combined_ranking

    probabilities = np.array([0.99, 0.5, 0.2, 0.9])
    duty = np.array([10.0, 1000.0, 10000.0, 1.0])
    scores = combined_ranking(probabilities, duty, 400.0)
    assert list(np.argsort(-scores)) == [2, 1, 0, 3]


def test_duty_line_is_tuned_for_both_objectives() -> None:
    from supplyguard.risk.model import tune_duty_threshold

    rng = np.random.default_rng(2)
    probabilities = rng.random(4000)
    labels = (rng.random(4000) < probabilities).astype(float)
    duty = np.where(rng.random(4000) < 0.01, 1e6, 10.0)
    line = tune_duty_threshold(probabilities, labels, duty, 0.05)
    assert 10.0 < line <= 1e6
