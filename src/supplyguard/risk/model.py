"""The risk model: LightGBM on past outcomes, calibrated on the validation set, saved as a versioned file.

A model file is one JSON document (``format: supplyguard-risk-model/1``) holding the LightGBM text
model, the calibration, the feature list, the data window, validation metrics, the ranking setting
and ``content_sha256`` over everything else (RFC 8785). Loading refuses a file whose hash does not
match or whose feature list differs from :data:`FEATURE_NAMES`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from supplyguard.errors import ModelError
from supplyguard.model.canonical import canonical_sha256
from supplyguard.risk.calibration import Calibration, fit_isotonic, fit_platt
from supplyguard.risk.features import FEATURE_NAMES, FeatureTable

if TYPE_CHECKING:
    import lightgbm as lgb

MODEL_FORMAT = "supplyguard-risk-model/1"

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbosity": -1,
    "num_threads": 1,  # OpenMP spin-waits badly on busy shared cores; 2 helps only on idle ones
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
}


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """How to train: LightGBM parameters, round limits, calibration kind and the ranking blend.

    ``duty_threshold`` (the duty line) sets the combined ranking: declarations whose expected duty
    (probability x duty at stake) reaches it come first, by expected duty, then the rest by
    probability. None tunes it on the validation set: the line that maximises the smaller of
    precision and duty caught at ``capacity_share``.
    """

    params: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    max_rounds: int = 2000
    early_stopping_rounds: int = 100
    calibration: str = "isotonic"
    duty_threshold: float | None = None
    capacity_share: float = 0.05


@dataclass(frozen=True, slots=True)
class RiskModel:
    """A trained, calibrated model and its metadata; immutable once made."""

    booster: lgb.Booster
    calibration: Calibration
    feature_names: tuple[str, ...]
    duty_threshold: float
    metadata: Mapping[str, Any]
    version: str
    content_sha256: str

    def raw_scores(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, num_threads=self._threads()))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated fraud probabilities, one per row."""
        return self.calibration.apply(self.raw_scores(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """SHAP values in log-odds (LightGBM ``pred_contrib``): one column per feature, then the bias."""
        return np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=self._threads()))

    def probabilities_and_contributions(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both from one LightGBM call: the SHAP values sum to the raw log-odds, whose sigmoid is what
        :meth:`raw_scores` returns (intake scores one declaration, where each call costs)."""
        contributions = self.contributions(matrix)
        raw = 1.0 / (1.0 + np.exp(-contributions.sum(axis=1)))
        return self.calibration.apply(raw), contributions

    def combined(self, probabilities: np.ndarray, duty_at_stake: np.ndarray) -> np.ndarray:
        """The one ranking for both objectives (see :func:`combined_ranking`)."""
        return combined_ranking(probabilities, duty_at_stake, self.duty_threshold)

    def _threads(self) -> int:
        return int(self.metadata.get("predict_threads", 1))


def expected_duty(probabilities: np.ndarray, duty_at_stake: np.ndarray) -> np.ndarray:
    """Probability x duty at stake: the revenue expected back from inspecting each declaration."""
    return np.asarray(probabilities * duty_at_stake)


def combined_ranking(
    probabilities: np.ndarray, duty_at_stake: np.ndarray, duty_threshold: float
) -> np.ndarray:
    """Expected duty at or above ``duty_threshold`` first (ordered by it), then the rest by probability.

    Values above the line are ``2 + log1p(expected duty)`` (always above any probability), so one
    number per declaration orders the whole queue and intake computes it alone.
    """
    expected = np.asarray(probabilities) * np.maximum(np.asarray(duty_at_stake), 0.0)
    return np.asarray(np.where(expected >= duty_threshold, 2.0 + np.log1p(expected), probabilities))


def _top(scores: np.ndarray, share: float) -> np.ndarray:
    count = max(1, int(len(scores) * share))
    return np.argsort(-scores, kind="stable")[:count]


def tune_duty_threshold(
    probabilities: np.ndarray, labels: np.ndarray, duty: np.ndarray, share: float
) -> float:
    """The duty line with the best min(precision, duty caught) at ``share`` on these (validation) rows.

    Candidates are the expected duties at the top 0.1% .. ``share`` of rows, in steps of 0.05%.
    """
    fraud_duty = float(np.sum(duty * labels)) or 1.0
    expected = np.sort(probabilities * duty)[::-1]
    best_line, best_key = float(expected[0]) + 1.0, -1.0
    for step in range(2, int(share * 2000) + 1):
        position = min(len(expected) - 1, int(len(expected) * step / 2000))
        line = float(expected[position])
        picked = _top(combined_ranking(probabilities, duty, line), share)
        precision = float(np.mean(labels[picked]))
        caught = float(np.sum(duty[picked] * labels[picked])) / fraud_duty
        if min(precision, caught) > best_key:
            best_line, best_key = line, min(precision, caught)
    return best_line


def train_model(
    train: FeatureTable,
    valid: FeatureTable,
    options: TrainingOptions | None = None,
    *,
    version: str | None = None,
) -> RiskModel:
    """Train on ``train`` (labelled rows only), stop early and calibrate on ``valid``.

    Nothing is fitted on rows outside these two tables; metrics in the metadata are validation
    figures. Raises ModelError when either table has no labelled rows or a single class.
    """
    import lightgbm as lgb  # loaded where a model is trained or read: starting the CLI skips it

    options = options or TrainingOptions()
    if tuple(train.names) != FEATURE_NAMES or tuple(valid.names) != FEATURE_NAMES:
        raise ModelError("feature tables were built with a different feature list")
    x_train, y_train = _labelled(train, "train")
    x_valid, y_valid = _labelled(valid, "valid")
    booster = lgb.train(
        dict(options.params),
        lgb.Dataset(x_train, y_train, feature_name=list(FEATURE_NAMES), free_raw_data=True),
        num_boost_round=options.max_rounds,
        valid_sets=[lgb.Dataset(x_valid, y_valid, feature_name=list(FEATURE_NAMES))],
        callbacks=[lgb.early_stopping(options.early_stopping_rounds, verbose=False)],
    )
    booster.free_dataset()
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    raw_valid = np.asarray(booster.predict(x_valid))
    if options.calibration == "platt":
        calibration = fit_platt(raw_valid, y_valid)
    elif options.calibration == "isotonic":
        calibration = fit_isotonic(raw_valid, y_valid)
    else:
        raise ModelError(f"unknown calibration {options.calibration!r} (isotonic or platt)")
    probabilities = calibration.apply(raw_valid)
    duty_valid = np.array([row.duty_at_stake for row in valid.rows if row.fraud is not None])
    line = options.duty_threshold
    if line is None:
        line = tune_duty_threshold(probabilities, y_valid, duty_valid, options.capacity_share)
    metadata: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "data_window": {
            "train": _window(train),
            "valid": _window(valid),
        },
        "rows": {"train": len(y_train), "valid": len(y_valid)},
        "rounds": int(best),
        "params": {key: value for key, value in options.params.items()},
        "valid_metrics": _valid_metrics(probabilities, y_valid, duty_valid, line, options.capacity_share),
        "predict_threads": 1,
    }
    return assemble_model(booster, calibration, line, metadata, version)


def _labelled(table: FeatureTable, name: str) -> tuple[np.ndarray, np.ndarray]:
    labels = table.labels()
    known = ~np.isnan(labels)
    if not known.any() or len(set(labels[known].tolist())) < 2:
        raise ModelError(f"{name} set needs labelled rows of both classes")
    return table.matrix[known], labels[known]


def _window(table: FeatureTable) -> dict[str, str]:
    if not table.rows:
        return {}
    return {"from": table.rows[0].declared_on.isoformat(), "to": table.rows[-1].declared_on.isoformat()}


def _valid_metrics(
    probabilities: np.ndarray, labels: np.ndarray, duty: np.ndarray, line: float, share: float
) -> dict[str, float]:
    fraud_duty = float(np.sum(duty * labels)) or 1.0
    by_prob = _top(probabilities, share)
    by_combined = _top(combined_ranking(probabilities, duty, line), share)
    return {
        "precision_at_share": round(float(np.mean(labels[by_prob])), 4),
        "combined_precision_at_share": round(float(np.mean(labels[by_combined])), 4),
        "combined_duty_caught_at_share": round(
            float(np.sum(duty[by_combined] * labels[by_combined])) / fraud_duty, 4
        ),
        "brier": round(float(np.mean((probabilities - labels) ** 2)), 5),
        "share": share,
    }


def _content(
    booster_text: str, calibration: Calibration, line: float, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "format": MODEL_FORMAT,
        "feature_names": list(FEATURE_NAMES),
        "calibration": calibration.as_dict(),
        "duty_threshold": line,
        "metadata": dict(metadata),
        "booster": booster_text,
    }


def assemble_model(
    booster: lgb.Booster,
    calibration: Calibration,
    line: float,
    metadata: Mapping[str, Any],
    version: str | None = None,
) -> RiskModel:
    text = booster.model_to_string()
    digest = canonical_sha256(_content(text, calibration, line, metadata))
    return RiskModel(
        booster=booster,
        calibration=calibration,
        feature_names=FEATURE_NAMES,
        duty_threshold=float(line),
        metadata=dict(metadata),
        version=version or f"risk-{digest[:12]}",
        content_sha256=digest,
    )


def model_to_bytes(model: RiskModel) -> bytes:
    """The model file: JSON with the content, its hash and the version."""
    content = _content(
        model.booster.model_to_string(), model.calibration, model.duty_threshold, model.metadata
    )
    content["version"] = model.version
    content["content_sha256"] = model.content_sha256
    return json.dumps(content, separators=(",", ":")).encode("utf-8")


def model_from_bytes(data: bytes, expected_features: Sequence[str] = FEATURE_NAMES) -> RiskModel:
    """Read a model file; ModelError when it is corrupt, tampered with or built for other features."""
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"model file is not JSON: {exc}") from exc
    if not isinstance(content, dict) or content.get("format") != MODEL_FORMAT:
        raise ModelError(f"not a {MODEL_FORMAT} file")
    names = content.get("feature_names")
    if names != list(expected_features):
        missing = sorted(set(expected_features) - set(names or []))
        extra = sorted(set(names or []) - set(expected_features))
        raise ModelError(
            "model feature list differs from this code's "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'}, order may differ); retrain it"
        )
    stated = content.pop("content_sha256", None)
    version = content.pop("version", None)
    if canonical_sha256(content) != stated:
        raise ModelError("model file content does not match its content_sha256 (corrupt or edited)")
    import lightgbm as lgb

    try:
        booster = lgb.Booster(model_str=content["booster"])
        calibration = Calibration.from_dict(content["calibration"])
    except (lgb.basic.LightGBMError, KeyError, AssertionError, TypeError, ValueError) as exc:
        raise ModelError(f"model file is corrupt: {exc}") from exc
    return RiskModel(
        booster=booster,
        calibration=calibration,
        feature_names=tuple(names),
        duty_threshold=float(content["duty_threshold"]),
        metadata=content["metadata"],
        version=str(version),
        content_sha256=str(stated),
    )


def save_model(model: RiskModel, path: str | Path) -> None:
    Path(path).write_bytes(model_to_bytes(model))


def load_model(path: str | Path, expected_features: Sequence[str] = FEATURE_NAMES) -> RiskModel:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc}") from exc
    return model_from_bytes(data, expected_features)
