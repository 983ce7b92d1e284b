"""Factors worked out later, from the stored feature vector, are the factors intake would have given."""

from __future__ import annotations

import numpy as np
import pytest

from supplyguard.risk import (
    FEATURE_NAMES,
    DeclarationRow,
    FeatureState,
    TrainingOptions,
    build_feature_table,
    train_model,
)
from supplyguard.risk.explain import (
    FACTORS_PENDING,
    pack_features,
    place_factors,
    unpack_features,
)
from supplyguard.risk.scoring import assess_vectors, explain_vectors


@pytest.fixture(scope="module")
def scored(train_slice: list[DeclarationRow], valid_slice: list[DeclarationRow]):  # type: ignore[no-untyped-def]
    state = FeatureState()
    train = build_feature_table(train_slice[:4500], state, learn=True)
    valid = build_feature_table(train_slice[4500:], state, learn=True)
    model = train_model(train, valid, TrainingOptions(max_rounds=40, early_stopping_rounds=10))
    rows = [row.without_labels() for row in valid_slice[:300]]
    table = build_feature_table(rows, state, learn=False)
    return model, list(table.rows), table.matrix


def test_deferred_assessment_predicts_once_and_leaves_the_factors_place(scored) -> None:  # type: ignore[no-untyped-def]
    model, rows, matrix = scored
    eager = assess_vectors(model, rows, matrix)
    deferred = assess_vectors(model, rows, matrix, defer_factors=True)
    for now, later in zip(eager, deferred, strict=True):
        assert later.factors == ()
        assert later.probability == pytest.approx(now.probability, abs=1e-9)
        assert later.reasons.count(FACTORS_PENDING) == 1
        assert later.reasons[1] == FACTORS_PENDING  # right after the model probability, as the words were
        assert later.reasons[0].startswith("model probability")


def test_factors_from_the_stored_vector_equal_the_eager_ones(scored) -> None:  # type: ignore[no-untyped-def]
    model, rows, matrix = scored
    eager = assess_vectors(model, rows, matrix)
    deferred = assess_vectors(model, rows, matrix, defer_factors=True)
    stored = np.vstack([unpack_features(pack_features(vector)) for vector in matrix])
    later = explain_vectors(model, rows, stored)
    assert sum(1 for factors in later if factors) > len(rows) // 2
    for now, pending, factors in zip(eager, deferred, later, strict=True):
        assert factors == now.factors  # same words and the same contributions, to the bit
        assert place_factors(pending.reasons, [f.words for f in factors]) == list(now.reasons)


def test_a_stored_vector_is_exact_and_checked_for_length() -> None:
    vector = np.array([0.1, 1 / 3, 2.0**-40, 123456.789] + [0.0] * (len(FEATURE_NAMES) - 4))
    assert np.array_equal(unpack_features(pack_features(vector)), vector)  # float64: no rounding
    with pytest.raises(ValueError, match="does not fit"):
        unpack_features(pack_features(vector[:-1]))


def test_place_factors_replaces_only_the_placeholder() -> None:
    reasons = ["lane", "model probability 0.10 (m)", FACTORS_PENDING, "rule X"]
    assert place_factors(reasons, ["a", "b"]) == ["lane", "model probability 0.10 (m)", "a", "b", "rule X"]
    assert place_factors(reasons, []) == ["lane", "model probability 0.10 (m)", "rule X"]
    assert place_factors(["no placeholder"], ["a"]) == ["no placeholder"]
