from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np

from supplyguard.risk import FEATURE_NAMES, DeclarationRow, FeatureState, IntakeSignals, build_feature_table
from supplyguard.risk.features import FEATURE_INDEX


def _day(offset: int) -> date:
    return date(2021, 1, 1) + timedelta(days=offset)


def col(name: str) -> int:
    return FEATURE_INDEX[name]


def test_a_row_never_sees_its_own_label_nor_same_day_labels(train_slice: list[DeclarationRow]) -> None:
    rows = train_slice[:3000]
    flipped = [dataclasses.replace(row, fraud=1 - (row.fraud or 0)) for row in rows]
    first = build_feature_table(rows, FeatureState(), learn=True)
    second = build_feature_table(flipped, FeatureState(), learn=True)
    last_day = rows[-1].declared_on
    same_day = np.array([row.declared_on == last_day for row in first.rows])
    first_day = np.array([row.declared_on == rows[0].declared_on for row in first.rows])
    # the first day's rows know no outcome at all: flipping every label changes nothing for them
    assert np.array_equal(first.matrix[first_day], second.matrix[first_day])
    # later rows do learn from earlier labels
    assert not np.array_equal(first.matrix[same_day], second.matrix[same_day])


def test_changing_only_todays_labels_changes_nothing_today(train_slice: list[DeclarationRow]) -> None:
    rows = sorted(train_slice[:3000], key=lambda r: r.declared_on)
    last_day = rows[-1].declared_on
    flipped = [
        dataclasses.replace(row, fraud=1 - (row.fraud or 0)) if row.declared_on == last_day else row
        for row in rows
    ]
    first = build_feature_table(rows, FeatureState(), learn=True)
    second = build_feature_table(flipped, FeatureState(), learn=True)
    assert np.array_equal(first.matrix, second.matrix)


def test_intake_path_matches_batch_path(train_slice: list[DeclarationRow]) -> None:
    history, fresh = train_slice[:4000], train_slice[4000:4300]
    batch_state = FeatureState()
    build_feature_table(history, batch_state, learn=True)
    batch = build_feature_table(fresh, batch_state, learn=False)
    intake_state = FeatureState()
    for row in sorted(history, key=lambda r: r.declared_on):
        intake_state.features(row)
        intake_state.observe(row)
        intake_state.record_outcome(row, row.fraud or 0, row.critical_fraud or 0)
    vectors = []
    for row in batch.rows:
        vectors.append(intake_state.features(row))
        intake_state.observe(row)
    assert np.allclose(np.array(vectors), batch.matrix)


def test_learn_false_never_reads_labels(train_slice: list[DeclarationRow]) -> None:
    history, fresh = train_slice[:3000], train_slice[3000:3500]
    tables = []
    for rows in (fresh, [row.without_labels() for row in fresh]):
        state = FeatureState()
        build_feature_table(history, state, learn=True)
        tables.append(build_feature_table(rows, state, learn=False))
    assert np.array_equal(tables[0].matrix, tables[1].matrix)


def test_novelty_flags(train_slice: list[DeclarationRow]) -> None:
    state = FeatureState()
    build_feature_table(train_slice[:2000], state, learn=True)
    known = train_slice[0]
    later = known.declared_on + timedelta(days=400)
    stranger = dataclasses.replace(known, importer_id="NEVER-SEEN", declared_on=later)
    vector = state.features(stranger)
    assert vector[col("importer_first_time")] == 1.0
    assert vector[col("importer_days_known")] == -1.0
    new_hs = dataclasses.replace(known, hs6_code="999999", declared_on=later)
    vector = state.features(new_hs)
    assert vector[col("importer_first_time")] == 0.0
    assert vector[col("new_hs_for_importer")] == 1.0
    assert vector[col("importer_days_known")] >= 400


def test_unit_value_is_compared_with_hs_and_origin_peers() -> None:
    base = DeclarationRow(
        "1",
        _day(0),
        "30",
        "B",
        "11",
        "21",
        "11",
        "10",
        "D",
        "I",
        "S",
        "",
        "850440",
        "CN",
        "CN",
        8.0,
        "A",
        "G",
        10.0,
        1000.0,
    )
    state = FeatureState()
    for index in range(10):
        state.observe(dataclasses.replace(base, declaration_id=str(index), importer_id=f"I{index}"))
    cheap = dataclasses.replace(base, declaration_id="x", declared_on=_day(1), item_price=220.0)
    vector = state.features(cheap)
    assert vector[col("unit_value_peer_level")] == 2.0
    assert abs(np.exp(vector[col("unit_value_vs_peers_log")]) - 0.22) < 1e-9
    assert vector[col("log_duty_at_stake")] == np.log1p(220.0 * 8.0 / 100)


def test_signals_fill_their_seams(train_slice: list[DeclarationRow]) -> None:
    state = FeatureState()
    signals = IntakeSignals(
        screening_hits=2, sanctions_hit=True, trusted_tier=3, intel_signals=1, screening_hit_score=0.91
    )
    vector = state.features(train_slice[0], signals)
    assert len(vector) == len(FEATURE_NAMES)
    assert vector[col("screening_hits")] == 2.0
    assert vector[col("screening_hit_score")] == 0.91
    assert vector[col("intel_signals")] == 1.0
    assert vector[col("sanctions_hit")] == 1.0
    assert vector[col("trusted_tier")] == 3.0
    assert vector[col("tracking_alerts")] == 0.0
