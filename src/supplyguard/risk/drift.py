"""Drift report: score distribution and inspection hit rate per ISO week, against a reference week set.

The population stability index (PSI) compares each week's score histogram with the reference
(usually the validation period the model was calibrated on): below 0.1 stable, 0.1-0.25 worth a
look, above 0.25 the model sees a different population and should be retrained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

PSI_BINS: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0000001)


@dataclass(frozen=True, slots=True)
class ScoredOutcome:
    """One scored declaration; ``fraud`` is None when it was not inspected (or not yet)."""

    declared_on: date
    score: float
    fraud: int | None = None


@dataclass(frozen=True, slots=True)
class WeekDrift:
    week: str
    declarations: int
    mean_score: float
    p50_score: float
    p90_score: float
    inspected: int
    hit_rate: float | None
    psi: float
    reason: str


def _histogram(scores: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(scores, 0.0, 1.0), bins=np.asarray(PSI_BINS))
    shares = counts / max(1, len(scores))
    return np.asarray(np.maximum(shares, 1e-4))


def population_stability(reference: np.ndarray, current: np.ndarray) -> float:
    expected, actual = _histogram(reference), _histogram(current)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift_report(reference_scores: Sequence[float], scored: Sequence[ScoredOutcome]) -> tuple[WeekDrift, ...]:
    """One line per ISO week of ``scored``, in date order, each with its reason in words."""
    reference = np.asarray(reference_scores, dtype=np.float64)
    weeks: dict[str, list[ScoredOutcome]] = {}
    for item in sorted(scored, key=lambda s: s.declared_on):
        iso = item.declared_on.isocalendar()
        weeks.setdefault(f"{iso.year}-W{iso.week:02d}", []).append(item)
    report = []
    for week, items in weeks.items():
        scores = np.array([item.score for item in items])
        outcomes = [item.fraud for item in items if item.fraud is not None]
        hit_rate = sum(outcomes) / len(outcomes) if outcomes else None
        psi = population_stability(reference, scores) if len(reference) else 0.0
        level = "stable" if psi < 0.1 else "shifting, worth a look" if psi < 0.25 else "shifted: retrain"
        hits = (
            "no outcomes yet" if hit_rate is None else f"hit rate {hit_rate:.0%} of {len(outcomes)} inspected"
        )
        report.append(
            WeekDrift(
                week=week,
                declarations=len(items),
                mean_score=float(scores.mean()),
                p50_score=float(np.quantile(scores, 0.5)),
                p90_score=float(np.quantile(scores, 0.9)),
                inspected=len(outcomes),
                hit_rate=hit_rate,
                psi=psi,
                reason=f"score distribution {level} (PSI {psi:.2f}); {hits}",
            )
        )
    return tuple(report)
