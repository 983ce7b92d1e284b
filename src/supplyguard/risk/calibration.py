"""Probability calibration fitted on the validation set: isotonic (pool adjacent violators) or Platt."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone map from raw model output to probability.

    ``kind`` is ``"isotonic"`` (piecewise-linear through ``xs``/``ys``), ``"platt"``
    (``1 / (1 + exp(-(a * logit(raw) + b)))``) or ``"identity"``.
    """

    kind: str
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.kind == "isotonic":
            return np.asarray(np.interp(raw, np.asarray(self.xs), np.asarray(self.ys)), dtype=np.float64)
        if self.kind == "platt":
            logit = _logit(raw)
            return np.asarray(1.0 / (1.0 + np.exp(-(self.a * logit + self.b))))
        return raw

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "xs": list(self.xs), "ys": list(self.ys), "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibration:
        xs = data.get("xs", [])
        ys = data.get("ys", [])
        a = data.get("a", 1.0)
        b = data.get("b", 0.0)
        assert isinstance(xs, list) and isinstance(ys, list)
        assert isinstance(a, int | float) and isinstance(b, int | float)
        return cls(
            str(data["kind"]), tuple(float(x) for x in xs), tuple(float(y) for y in ys), float(a), float(b)
        )


def _logit(raw: np.ndarray) -> np.ndarray:
    clipped = np.clip(raw, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(clipped / (1 - clipped)))


def fit_isotonic(raw: np.ndarray, labels: np.ndarray) -> Calibration:
    """Pool adjacent violators on (raw, label), kept as block end points for interpolation."""
    order = np.argsort(raw, kind="stable")
    x = np.asarray(raw, dtype=np.float64)[order]
    y = np.asarray(labels, dtype=np.float64)[order]
    # blocks: [sum_y, count, x_min, x_max]
    blocks: list[list[float]] = []
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        if blocks and blocks[-1][3] == xi:
            blocks[-1][0] += yi
            blocks[-1][1] += 1
            continue
        blocks.append([yi, 1.0, xi, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
            blocks[-1][3] = last[3]
    xs: list[float] = []
    ys: list[float] = []
    for total, count, lo, hi in blocks:
        mean = total / count
        for point in (lo, hi):
            if not xs or point > xs[-1]:
                xs.append(point)
                ys.append(mean)
    if len(xs) == 1:
        xs, ys = [xs[0], xs[0] + 1e-9], [ys[0], ys[0]]
    return Calibration("isotonic", tuple(xs), tuple(ys))


def fit_platt(raw: np.ndarray, labels: np.ndarray, iterations: int = 50) -> Calibration:
    """Logistic regression of the label on logit(raw), by Newton's method."""
    z = _logit(np.asarray(raw, dtype=np.float64))
    y = np.asarray(labels, dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a * z + b)))
        w = np.maximum(p * (1 - p), 1e-9)
        grad = np.array([np.sum((p - y) * z), np.sum(p - y)])
        hess = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        a, b = a - float(step[0]), b - float(step[1])
        if math.hypot(float(step[0]), float(step[1])) < 1e-9:
            break
    return Calibration("platt", a=a, b=b)
