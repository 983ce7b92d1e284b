"""Targeting metrics (DATE, KDD 2020): precision, recall and duty caught in the top k% inspected, AUC."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHARES: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)


@dataclass(frozen=True, slots=True)
class AtShare:
    """Figures when the top ``share`` of declarations by the ranking are inspected."""

    share: float
    inspected: int
    precision: float
    recall: float
    duty_caught: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "share": self.share,
            "inspected": self.inspected,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "duty_caught": round(self.duty_caught, 4),
        }


def top_indices(scores: np.ndarray, share: float) -> np.ndarray:
    """Indices of the top ``share`` (at least one), highest score first, ties in input order."""
    count = max(1, int(len(scores) * share))
    return np.argsort(-np.asarray(scores), kind="stable")[:count]


def at_share(scores: np.ndarray, labels: np.ndarray, duty: np.ndarray, share: float) -> AtShare:
    picked = top_indices(scores, share)
    frauds = float(np.sum(labels))
    fraud_duty = float(np.sum(duty * labels))
    caught = float(np.sum(labels[picked]))
    return AtShare(
        share=share,
        inspected=len(picked),
        precision=caught / len(picked),
        recall=caught / frauds if frauds else 0.0,
        duty_caught=float(np.sum(duty[picked] * labels[picked])) / fraud_duty if fraud_duty else 0.0,
    )


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    positives = float(np.sum(labels == 1))
    negatives = float(len(labels) - positives)
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    rank_sum = float(np.sum(ranks[labels == 1]))
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
