"""Online simulation: week by week, inspect within capacity, learn only from what was inspected.

The model starts from the training year (all outcomes known). Then, through the stream (valid +
test), each week's declarations are scored, ``capacity_share`` of them are inspected according to
the policy, and only those outcomes are revealed to the feature state and to the next retraining.

Besides a fixed exploration share, a policy can let it fade (``half_life_weeks``: the share halves
every so many weeks) or spend it only where the model is unsure of its own picks
(``confidence_gate``: a week's exploration slots are at most the exploit picks whose probability is
below the gate, so a week whose top picks are all near-certain explores nothing). Each result also
counts the frauds a perfect inspector could have caught within the same weekly capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from supplyguard.model.declarations import Lane
from supplyguard.risk.evaluation import OnlinePolicyResult
from supplyguard.risk.features import FeatureState, FeatureTable, build_feature_table
from supplyguard.risk.model import RiskModel, TrainingOptions, train_model
from supplyguard.risk.records import DeclarationRow, iter_weeks
from supplyguard.risk.selection import Candidate, Capacity, ExplorationMode, select_lanes


@dataclass(frozen=True, slots=True)
class OnlinePolicy:
    """``exploration_share`` of the weekly red slots go to exploration picks of ``mode``, halving
    every ``half_life_weeks`` when set, and never more than the exploit picks whose probability is
    below ``confidence_gate`` when set."""

    name: str
    exploration_share: float
    mode: ExplorationMode = ExplorationMode.RANDOM
    half_life_weeks: float | None = None
    confidence_gate: float | None = None

    def share_for(self, week: int, probabilities: np.ndarray, slots: int) -> float:
        """The exploration share this week, given the week's probabilities and red slots."""
        share = self.exploration_share
        if self.half_life_weeks:
            share *= 0.5 ** (week / self.half_life_weeks)
        if self.confidence_gate is not None and slots:
            top = np.sort(probabilities)[::-1][:slots]
            unsure = int(np.sum(top < self.confidence_gate))
            share = min(share, unsure / slots)
        return share


EXPLOIT = OnlinePolicy("exploit only", 0.0)
RANDOM_ONLY = OnlinePolicy("random only", 1.0)
EXPLORE_UNCERTAIN = OnlinePolicy("exploit + 10% uncertain", 0.10, ExplorationMode.UNCERTAINTY)
EXPLORE_RANDOM = OnlinePolicy("exploit + 10% random", 0.10, ExplorationMode.RANDOM)
EXPLORE_FADING = OnlinePolicy(
    "exploit + uncertain, fading", 0.10, ExplorationMode.UNCERTAINTY, half_life_weeks=4.0
)
EXPLORE_GATED = OnlinePolicy(
    "exploit + uncertain if unsure", 0.10, ExplorationMode.UNCERTAINTY, confidence_gate=0.9
)


def _split_train(table: FeatureTable, holdout_share: float) -> tuple[FeatureTable, FeatureTable]:
    """Date-ordered split: the most recent ``holdout_share`` becomes the tuning set."""
    cut = int(len(table) * (1 - holdout_share))
    return table.subset(np.arange(cut)), table.subset(np.arange(cut, len(table)))


def _fit(pool: FeatureTable, options: TrainingOptions) -> RiskModel:
    fit_part, tune_part = _split_train(pool, 0.15)
    return train_model(fit_part, tune_part, options)


def _concat(tables: Sequence[FeatureTable]) -> FeatureTable:
    rows = tuple(row for table in tables for row in table.rows)
    return FeatureTable(rows, np.vstack([table.matrix for table in tables]))


def simulate_online(
    train_rows: Sequence[DeclarationRow],
    stream_rows: Sequence[DeclarationRow],
    policy: OnlinePolicy,
    *,
    capacity_share: float = 0.05,
    retrain_every_weeks: int = 4,
    seed: int = 7,
    options: TrainingOptions | None = None,
) -> OnlinePolicyResult:
    """Run one policy through ``stream_rows``; labels there are read only for inspected rows."""
    options = options or TrainingOptions()
    state = FeatureState()
    base = build_feature_table(train_rows, state, learn=True)
    model = _fit(base, options)
    inspected_tables: list[FeatureTable] = []
    inspected = caught = weeks = declarations = frauds_total = possible = explored = 0
    duty_caught = duty_total = 0.0
    for week, week_rows in enumerate(iter_weeks(list(stream_rows))):
        weeks += 1
        declarations += len(week_rows)
        hidden = [row.without_labels() for row in week_rows]
        truth = {row.declaration_id: row for row in week_rows}
        table = build_feature_table(hidden, state, learn=False)
        probabilities = model.probabilities(table.matrix)
        candidates = [
            Candidate(row.declaration_id, float(p), float(p))
            for row, p in zip(table.rows, probabilities, strict=True)
        ]
        capacity = Capacity(red=max(1, round(len(week_rows) * capacity_share)))
        decisions = select_lanes(
            candidates,
            capacity,
            exploration_share=policy.share_for(week, probabilities, capacity.red),
            exploration_mode=policy.mode,
            seed=seed + week,
        )
        red = {decision.declaration_id for decision in decisions if decision.lane is Lane.RED}
        explored += sum(1 for decision in decisions if decision.exploration)
        picked = [index for index, row in enumerate(table.rows) if row.declaration_id in red]
        revealed = []
        for index in picked:
            original = truth[table.rows[index].declaration_id]
            fraud = original.fraud or 0
            state.record_outcome(original, fraud, original.critical_fraud or 0)
            revealed.append(original)
            inspected += 1
            caught += fraud
            duty_caught += original.duty_at_stake * fraud
        week_frauds = sum(row.fraud or 0 for row in week_rows)
        frauds_total += week_frauds
        possible += min(week_frauds, capacity.red)
        for row in week_rows:
            duty_total += row.duty_at_stake * (row.fraud or 0)
        if picked:
            inspected_tables.append(FeatureTable(tuple(revealed), table.matrix[np.asarray(picked)]))
        if retrain_every_weeks and (week + 1) % retrain_every_weeks == 0 and inspected_tables:
            model = _fit(_concat([base, *inspected_tables]), options)
    return OnlinePolicyResult(
        policy=policy.name,
        weeks=weeks,
        declarations=declarations,
        inspected=inspected,
        frauds_caught=caught,
        frauds_total=frauds_total,
        duty_caught=duty_caught / duty_total if duty_total else 0.0,
        frauds_possible=possible,
        explored=explored,
    )
