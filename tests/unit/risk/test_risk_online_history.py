"""The online simulation's inspected-history start: labels only for what a past policy inspected."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import numpy as np
import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.risk import DeclarationRow, TrainingOptions
from supplyguard.risk.evaluation import EvaluationReport, OnlinePolicyResult
from supplyguard.risk.online import (
    EXPLOIT,
    EXPLORE_ADAPTIVE,
    EXPLORE_GRADIENT,
    EXPLORE_NOVELTY,
    EXPLORE_REACH,
    EXPLORE_UNCERTAIN,
    LabelVault,
    OnlinePolicy,
    PastPolicy,
    Start,
    inspected_history,
    simulate_online,
)
from supplyguard.risk.records import iter_weeks

QUICK = TrainingOptions(max_rounds=25, early_stopping_rounds=5)
MONDAY = date(2020, 1, 6)


def synthetic(count: int, first_day: date, seed: int, prefix: str) -> list[DeclarationRow]:
    """Declarations whose fraud depends on the importer and the tax rate (so a model can learn)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        importer = rng.randrange(40)
        tax = rng.choice((0.0, 8.0, 13.0))
        risk = 0.05 + (0.5 if importer % 5 == 0 else 0.0) + (0.15 if tax == 13.0 else 0.0)
        fraud = 1 if rng.random() < risk else 0
        rows.append(
            DeclarationRow(
                declaration_id=f"{prefix}{index}",
                declared_on=first_day + timedelta(days=index * 7 // 150),
                office_id=str(10 + rng.randrange(3)),
                process_type="B",
                import_type="11",
                import_use="21",
                payment_type="11",
                transport_mode="10",
                declarant_id=f"D{rng.randrange(10)}",
                importer_id=f"I{importer}",
                seller_id=f"S{rng.randrange(60)}",
                courier_id="",
                hs6_code=rng.choice(("850440", "620342", "300490", "870899")),
                departure_country="CN",
                origin_country=rng.choice(("CN", "VN", "DE")),
                tax_rate_pct=tax,
                tax_type="A",
                origin_indicator="G",
                net_mass_kg=float(rng.randrange(1, 500)),
                item_price=float(rng.randrange(100, 50_000)),
                fraud=fraud,
                critical_fraud=fraud,
            )
        )
    return rows


TRAIN = synthetic(1500, MONDAY, 1, "T")  # 10 weeks of 150
STREAM = synthetic(600, MONDAY + timedelta(weeks=10), 2, "S")  # 4 weeks


def flip(rows: list[DeclarationRow], keep: frozenset[str] | set[str]) -> list[DeclarationRow]:
    """Every label outside ``keep`` flipped (0 <-> 1)."""
    return [
        row
        if row.declaration_id in keep
        else dataclasses.replace(row, fraud=1 - (row.fraud or 0), critical_fraud=1 - (row.fraud or 0))
        for row in rows
    ]


@pytest.mark.parametrize("past", list(PastPolicy))
def test_history_holds_every_row_and_labels_only_the_weekly_capacity(past: PastPolicy) -> None:
    history = inspected_history(TRAIN, past, capacity_share=0.1, seed=3)
    assert [row.declaration_id for row in history] == [row.declaration_id for row in TRAIN]
    for week in iter_weeks(history):
        assert sum(row.fraud is not None for row in week) == round(len(week) * 0.1)
    truth = {row.declaration_id: row.fraud for row in TRAIN}
    assert all(row.fraud == truth[row.declaration_id] for row in history if row.fraud is not None)
    assert inspected_history(TRAIN, past, capacity_share=0.1, seed=3) == history


def test_random_history_depends_on_the_seed_and_targeted_history_is_biased() -> None:
    def labelled(rows: list[DeclarationRow]) -> list[DeclarationRow]:
        return [row for row in rows if row.fraud is not None]

    first = labelled(inspected_history(TRAIN, PastPolicy.RANDOM, capacity_share=0.1, seed=3))
    other = labelled(inspected_history(TRAIN, PastPolicy.RANDOM, capacity_share=0.1, seed=4))
    assert {row.declaration_id for row in first} != {row.declaration_id for row in other}
    targeted = labelled(inspected_history(TRAIN, PastPolicy.TARGETED, capacity_share=0.1, seed=3))
    assert np.mean([row.tax_rate_pct for row in targeted]) > np.mean([row.tax_rate_pct for row in first]) + 2
    assert np.mean([row.fraud or 0 for row in targeted]) > np.mean([row.fraud or 0 for row in first])


@pytest.mark.parametrize("past", list(PastPolicy))
def test_flipping_an_uninspected_history_label_changes_nothing(past: PastPolicy) -> None:
    history = inspected_history(TRAIN, past, capacity_share=0.1, seed=5)
    inspected = {row.declaration_id for row in history if row.fraud is not None}
    assert inspected_history(flip(TRAIN, inspected), past, capacity_share=0.1, seed=5) == history


@pytest.mark.parametrize(
    "policy", [EXPLOIT, EXPLORE_UNCERTAIN, EXPLORE_GRADIENT, EXPLORE_NOVELTY, EXPLORE_REACH]
)
def test_no_decision_reads_a_label_that_was_not_inspected(policy: OnlinePolicy) -> None:
    """Flip every label of the history and the stream that was never inspected: same decisions."""

    def run(train: list[DeclarationRow], stream: list[DeclarationRow]) -> OnlinePolicyResult:
        return simulate_online(
            train,
            stream,
            policy,
            capacity_share=0.1,
            retrain_every_weeks=2,
            options=QUICK,
            start=Start.INSPECTED_HISTORY,
            past_policy=PastPolicy.TARGETED,
            seed=11,
        )

    result = run(TRAIN, STREAM)
    history = inspected_history(TRAIN, PastPolicy.TARGETED, capacity_share=0.1, seed=11)
    known = {row.declaration_id for row in history if row.fraud is not None} | set(result.inspected_ids)
    flipped = run(flip(TRAIN, known), flip(STREAM, known))
    assert flipped.inspected_ids == result.inspected_ids
    assert flipped.frauds_caught == result.frauds_caught
    assert result.history_labelled == len(known & {row.declaration_id for row in TRAIN}) == 150
    assert result.start == "inspected-history" and result.past_policy == "targeted"


def test_full_label_start_learns_every_training_outcome() -> None:
    result = simulate_online(TRAIN, STREAM, EXPLOIT, capacity_share=0.1, retrain_every_weeks=2, options=QUICK)
    assert result.start == "full-labels" and result.past_policy == ""
    assert result.history_labelled == len(TRAIN)
    assert result.inspected == sum(round(len(week) * 0.1) for week in iter_weeks(STREAM))


def test_exploring_policies_inspect_within_capacity_and_count_their_picks() -> None:
    slots = sum(round(len(week) * 0.1) for week in iter_weeks(STREAM))
    for policy in (EXPLORE_GRADIENT, EXPLORE_NOVELTY, EXPLORE_REACH, EXPLORE_ADAPTIVE):
        result = simulate_online(
            TRAIN,
            STREAM,
            policy,
            capacity_share=0.1,
            retrain_every_weeks=2,
            options=QUICK,
            start=Start.INSPECTED_HISTORY,
        )
        assert result.inspected == slots == len(set(result.inspected_ids))
        assert result.frauds_caught <= result.frauds_possible <= result.frauds_total
        if policy is not EXPLORE_ADAPTIVE:
            assert result.explored == 4 * round(15 * 0.10)  # 4 weeks, 15 slots, 10 % of them


def test_label_vault_hands_out_rows_without_labels() -> None:
    vault = LabelVault(STREAM[:10])
    assert all(row.fraud is None and row.critical_fraud is None for row in vault.hidden)
    assert vault.reveal(vault.hidden[3]) == STREAM[3]
    assert vault.revealed == {STREAM[3].declaration_id}


def test_bad_capacity_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        simulate_online(TRAIN, STREAM, EXPLOIT, capacity_share=0.0)


def test_report_prints_both_starts_side_by_side() -> None:
    full = OnlinePolicyResult("exploit only", 4, 600, 60, 40, 100, 0.5)
    history = dataclasses.replace(
        full, frauds_caught=30, start="inspected-history", past_policy="targeted", history_labelled=150
    )
    report = EvaluationReport(rankings=(), online=(full, history))
    table = report.to_table()
    assert "full-labels" in table and "inspected-history (targeted)" in table
    online = report.as_dict()["online"]
    assert isinstance(online, list)
    assert [item["start"] for item in online] == ["full-labels", "inspected-history"]
    assert "inspected_ids" not in online[0]
