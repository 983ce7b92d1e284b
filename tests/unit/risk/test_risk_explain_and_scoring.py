from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest

from supplyguard.compliance import TrustDecision
from supplyguard.model.declarations import Lane
from supplyguard.risk import (
    FEATURE_NAMES,
    DeclarationRow,
    FeatureState,
    IntakeSignals,
    TrainingOptions,
    assess_declaration,
    build_feature_table,
    describe_factor,
    parse_rules,
    score_batch,
    top_factors,
    train_model,
)
from supplyguard.risk.features import FEATURE_INDEX

ROW = DeclarationRow(
    "D1",
    date(2021, 1, 10),
    "30",
    "B",
    "11",
    "21",
    "11",
    "10",
    "DEC",
    "IMP",
    "SEL",
    "",
    "850440",
    "CN",
    "CN",
    8.0,
    "A",
    "G",
    10.0,
    220.0,
)


def vector_with(**values: float) -> np.ndarray:
    vector = np.zeros(len(FEATURE_NAMES))
    for name, value in values.items():
        vector[FEATURE_INDEX[name]] = value
    return vector


def test_unit_value_words() -> None:
    vector = vector_with(unit_value_peer_level=2.0, unit_value_vs_peers_log=float(np.log(0.22)))
    assert describe_factor("unit_value", ROW, vector) == "unit value 78% below HS 850440 from CN"


def test_importer_age_words() -> None:
    assert (
        describe_factor("importer_age", ROW, vector_with(importer_days_known=3.0))
        == "importer first seen 3 days ago"
    )
    assert (
        describe_factor("importer_age", ROW, vector_with(importer_first_time=1.0))
        == "first-time importer IMP"
    )


def test_history_words() -> None:
    smoothed = (6 + 3 * 0.2) / (12 + 3)
    vector = vector_with(
        seller_fraud_rate=smoothed, seller_outcomes_log=float(np.log1p(12)), overall_fraud_rate=0.2
    )
    assert describe_factor("seller", ROW, vector) == "seller SEL: 6 frauds in 12 past outcomes (50%)"
    price = vector_with(item_price_outcomes_log=0.0)
    assert describe_factor("item_price", ROW, price) == "no past outcomes for exact declared price 220"


def test_top_factors_group_and_order_contributions() -> None:
    contributions = np.zeros(len(FEATURE_NAMES) + 1)
    contributions[FEATURE_INDEX["seller_fraud_rate"]] = 0.5
    contributions[FEATURE_INDEX["seller_outcomes_log"]] = 0.4
    contributions[FEATURE_INDEX["unit_value_peer_z"]] = 0.7
    contributions[FEATURE_INDEX["tax_rate_pct"]] = -2.0
    factors = top_factors(ROW, vector_with(unit_value_peer_level=2.0), contributions, 3)
    assert [f.factor for f in factors] == ["seller", "unit_value"]
    assert factors[0].contribution == pytest.approx(0.9)


def test_the_overall_fraud_rate_as_a_top_factor_has_words() -> None:
    contributions = np.zeros(len(FEATURE_NAMES) + 1)
    contributions[FEATURE_INDEX["overall_fraud_rate"]] = 0.8
    contributions[FEATURE_INDEX["screening_hit_score"]] = 0.3
    factors = top_factors(
        ROW, vector_with(overall_fraud_rate=0.21, screening_hit_score=0.93), contributions, 3
    )
    assert [f.words for f in factors] == ["overall fraud rate so far 21%", "best party-screening match 0.93"]


@pytest.fixture(scope="module")
def trained(train_slice: list[DeclarationRow]):  # type: ignore[no-untyped-def]
    state = FeatureState()
    train = build_feature_table(train_slice[:4500], state, learn=True)
    valid = build_feature_table(train_slice[4500:], state, learn=True)
    return train_model(train, valid, TrainingOptions(max_rounds=40, early_stopping_rounds=10)), state


def test_assessment_carries_reasons_rules_and_trust(trained, train_slice: list[DeclarationRow]) -> None:  # type: ignore[no-untyped-def]
    model, state = trained
    row = dataclasses.replace(train_slice[100], declared_on=train_slice[-1].declared_on + timedelta(days=1))
    rules = parse_rules(
        "rules:\n  - {id: ALL, version: 1, owner: a, valid_from: 2020-01-01, weight: 0.5,"
        " when: [{feature: tax_rate_pct, op: '>=', value: 0}]}\n"
    )
    trust = TrustDecision(row.importer_id, 3, "trusted trader: AEO tier 3 from KR (granted here)")
    plain = assess_declaration(model, state, row)
    ruled = assess_declaration(model, state, row, rules=rules, trust=trust)
    assert plain.reasons[0].startswith("model probability")
    assert len(plain.factors) == 3
    assert ruled.fired_rules[0].rule_id == "ALL"
    assert ruled.score == pytest.approx(min(1.0, plain.probability + 0.5) * 0.5)
    assert any("score lowered by 50%" in reason for reason in ruled.reasons)
    sanctioned = assess_declaration(model, state, row, trust=trust, signals=IntakeSignals(sanctions_hit=True))
    assert sanctioned.forced_lane is Lane.RED
    assert sanctioned.score == pytest.approx(plain.probability)
    assert any("ignored because of a sanctions hit" in reason for reason in sanctioned.reasons)


def test_batch_scoring_fills_lanes_per_day(
    trained, train_slice: list[DeclarationRow], valid_slice: list[DeclarationRow]
) -> None:  # type: ignore[no-untyped-def]
    model, _ = trained
    rows = valid_slice[:600]
    scored = score_batch(model, rows, history=train_slice, red_share=0.05)
    assert [s.declaration_id for s in scored] == [
        r.declaration_id for r in sorted(rows, key=lambda r: r.declared_on)
    ]
    by_day: dict[date, list[Lane]] = {}
    for row, result in zip(sorted(rows, key=lambda r: r.declared_on), scored, strict=True):
        by_day.setdefault(row.declared_on, []).append(result.lane)
    for lanes in by_day.values():
        assert sum(lane is Lane.RED for lane in lanes) == round(len(lanes) * 0.05)
    relabelled = [dataclasses.replace(r, fraud=1 - (r.fraud or 0)) for r in rows]
    again = score_batch(model, relabelled, history=train_slice, red_share=0.05)
    assert [s.score for s in again] == [s.score for s in scored]
