from __future__ import annotations

import json

import numpy as np
import pytest

from supplyguard.errors import ModelError
from supplyguard.risk import (
    FEATURE_NAMES,
    DeclarationRow,
    FeatureState,
    FeatureTable,
    RiskModel,
    TrainingOptions,
    build_feature_table,
    model_from_bytes,
    model_to_bytes,
    train_model,
)

QUICK = TrainingOptions(max_rounds=60, early_stopping_rounds=20)


@pytest.fixture(scope="module")
def tables(train_slice: list[DeclarationRow], valid_slice: list[DeclarationRow]) -> tuple[FeatureTable, ...]:
    state = FeatureState()
    train = build_feature_table(train_slice[:4500], state, learn=True)
    valid = build_feature_table(train_slice[4500:], state, learn=True)
    test = build_feature_table(valid_slice[:1000], state, learn=False)
    return train, valid, test


@pytest.fixture(scope="module")
def model(tables: tuple[FeatureTable, ...]) -> RiskModel:
    return train_model(tables[0], tables[1], QUICK, version="test-1")


def test_model_ranks_frauds_first(model: RiskModel, tables: tuple[FeatureTable, ...]) -> None:
    test = tables[2]
    probabilities = model.probabilities(test.matrix)
    labels = test.labels()
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    top = np.argsort(-probabilities)[:50]
    assert labels[top].mean() > 2 * labels.mean()


def test_metadata_records_window_and_validation_metrics(
    model: RiskModel, tables: tuple[FeatureTable, ...]
) -> None:
    window = model.metadata["data_window"]
    assert window["train"]["from"] == tables[0].rows[0].declared_on.isoformat()
    assert window["valid"]["to"] == tables[1].rows[-1].declared_on.isoformat()
    assert 0 <= model.metadata["valid_metrics"]["precision_at_share"] <= 1
    assert model.version == "test-1"
    assert len(model.content_sha256) == 64


def test_model_file_round_trips(model: RiskModel, tables: tuple[FeatureTable, ...]) -> None:
    loaded = model_from_bytes(model_to_bytes(model))
    assert loaded.version == model.version
    assert loaded.content_sha256 == model.content_sha256
    assert np.allclose(loaded.probabilities(tables[2].matrix), model.probabilities(tables[2].matrix))


def test_loading_refuses_other_features(model: RiskModel) -> None:
    with pytest.raises(ModelError, match="feature list differs"):
        model_from_bytes(model_to_bytes(model), expected_features=(*FEATURE_NAMES, "new_feature"))


def test_loading_refuses_edited_files(model: RiskModel) -> None:
    content = json.loads(model_to_bytes(model))
    content["duty_threshold"] = 1.0
    with pytest.raises(ModelError, match="content_sha256"):
        model_from_bytes(json.dumps(content).encode())
    with pytest.raises(ModelError, match="not JSON"):
        model_from_bytes(b"\x00garbage")


def test_contributions_add_up_to_the_raw_score(model: RiskModel, tables: tuple[FeatureTable, ...]) -> None:
    matrix = tables[2].matrix[:5]
    contributions = model.contributions(matrix)
    assert contributions.shape == (5, len(FEATURE_NAMES) + 1)
    raw = model.raw_scores(matrix)
    assert np.allclose(1 / (1 + np.exp(-contributions.sum(axis=1))), raw)
    probabilities, same = model.probabilities_and_contributions(matrix)  # intake's one call
    assert np.allclose(probabilities, model.probabilities(matrix)) and np.array_equal(same, contributions)


def test_single_class_training_is_refused(tables: tuple[FeatureTable, ...]) -> None:
    train = tables[0]
    only_clean = train.subset([i for i, row in enumerate(train.rows) if row.fraud == 0])
    with pytest.raises(ModelError, match="both classes"):
        train_model(only_clean, tables[1], QUICK)
