"""Online simulation: week by week, inspect within capacity, learn only from what was inspected.

Two starts (:class:`Start`):

* ``full-labels``: the model starts from the training year with every outcome known (the first
  version of this simulation; on the KCS data that model is already near perfect at 5 %).
* ``inspected-history``: the training year carries outcomes only for the declarations a stated
  past policy (:class:`PastPolicy`) inspected within the same weekly capacity, as a real
  administration's records do. Every declaration still exists (counts, first-seen dates and
  unit-value peers are learnt from all of them, without labels); the labels of the others are
  never read (:class:`LabelVault` hands a label out only for a row the policy has chosen).

Then, through the stream (valid + test), each week's declarations are scored, ``capacity_share``
of them are inspected according to the policy, and only those outcomes are revealed to the feature
state and to the next retraining (stream labels also sit in a :class:`LabelVault`).

Besides a fixed exploration share, a policy can let it fade (``half_life_weeks``: the share halves
every so many weeks), spend it only where the model is unsure of its own picks (``confidence_gate``:
a week's exploration slots are at most the exploit picks whose probability is below the gate), or
let a bandit choose the share each week (``adaptive_shares``: EXP3 over those shares, rewarded by
the week's precision; the APT strategy of Kim et al.'s follow-up work, arXiv 2109.14155). Besides
random and uncertainty picks, exploration can pick by gradient embedding (:attr:`Explorer.GRADIENT`,
gATE of Kim et al., "Active Learning for Human-in-the-Loop Customs Inspection", arXiv 2010.14282:
BADGE's k-means++ seeding over uncertainty-weighted gradient embeddings, here the LightGBM leaf
one-hots) or pick what has no inspected history (:attr:`Explorer.NOVELTY`: importers, HS codes and
routes without any recorded outcome first; :attr:`Explorer.REACH`: rows whose importer, HS code,
route, exact price or exact mass-and-price pair have no outcome yet, weighted by how often those
have been declared before, so one inspection informs many declarations). Each result also counts
the frauds a perfect inspector could have caught within the same weekly capacity.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.declarations import Lane
from supplyguard.risk.evaluation import OnlinePolicyResult
from supplyguard.risk.features import (
    FEATURE_INDEX,
    HISTORY_GROUPS,
    FeatureState,
    FeatureTable,
    build_feature_table,
)
from supplyguard.risk.model import RiskModel, TrainingOptions, train_model
from supplyguard.risk.records import DeclarationRow, iter_weeks
from supplyguard.risk.selection import Candidate, Capacity, ExplorationMode, select_lanes


class Start(StrEnum):
    """What the simulation knows of the training year when it starts."""

    #: every outcome of the training year known (an inspector who checked everything in 2020)
    FULL_LABELS = "full-labels"
    #: outcomes only for what a past policy inspected within the same weekly capacity
    INSPECTED_HISTORY = "inspected-history"


class PastPolicy(StrEnum):
    """How the training year's inspections were chosen in the ``inspected-history`` start."""

    #: each week, a uniform random sample of the week's declarations
    RANDOM = "random"
    #: each week, the top of a fixed rule score (see :func:`targeted_score`)
    TARGETED = "targeted"


class Explorer(StrEnum):
    """Exploration picks the simulation makes itself (besides the product's random / uncertainty)."""

    GRADIENT = "gradient"
    NOVELTY = "novelty"
    REACH = "reach"


@dataclass(frozen=True, slots=True)
class OnlinePolicy:
    """``exploration_share`` of the weekly red slots go to exploration picks of ``mode``, halving
    every ``half_life_weeks`` when set, never more than the exploit picks whose probability is
    below ``confidence_gate`` when set, or drawn each week from ``adaptive_shares`` by EXP3."""

    name: str
    exploration_share: float
    mode: ExplorationMode | Explorer = ExplorationMode.RANDOM
    half_life_weeks: float | None = None
    confidence_gate: float | None = None
    adaptive_shares: tuple[float, ...] = ()

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
EXPLORE_GRADIENT = OnlinePolicy("exploit + 10% gATE (gradient)", 0.10, Explorer.GRADIENT)
EXPLORE_NOVELTY = OnlinePolicy("exploit + 10% novel", 0.10, Explorer.NOVELTY)
EXPLORE_REACH = OnlinePolicy("exploit + 10% novel, frequent", 0.10, Explorer.REACH)
EXPLORE_ADAPTIVE = OnlinePolicy(
    "exploit + gATE, bandit share", 0.10, Explorer.GRADIENT, adaptive_shares=(0.0, 0.05, 0.10, 0.20)
)

#: every named policy, by name (the bench and ``risk evaluate`` pick from these)
POLICIES: dict[str, OnlinePolicy] = {
    policy.name: policy
    for policy in (
        EXPLOIT,
        EXPLORE_UNCERTAIN,
        EXPLORE_FADING,
        EXPLORE_GATED,
        EXPLORE_RANDOM,
        EXPLORE_GRADIENT,
        EXPLORE_NOVELTY,
        EXPLORE_REACH,
        EXPLORE_ADAPTIVE,
        RANDOM_ONLY,
    )
}


class LabelVault:
    """The labels of a set of declarations, kept apart from the rows and handed out one by one.

    :attr:`hidden` holds the rows with their labels removed: that is all a policy, the feature
    state or a model ever sees. :meth:`reveal` returns a row with its outcome, for a declaration
    that has been inspected; :meth:`frauds_for_report` reads labels only to count what could have
    been caught (after the week's choices, never feeding them).
    """

    __slots__ = ("_labels", "_revealed", "hidden")

    def __init__(self, rows: Sequence[DeclarationRow]) -> None:
        self._labels = {row.declaration_id: row for row in rows}
        self.hidden: list[DeclarationRow] = [row.without_labels() for row in rows]
        self._revealed: set[str] = set()

    def reveal(self, row: DeclarationRow) -> DeclarationRow:
        """The row with its outcome (the declaration was inspected)."""
        self._revealed.add(row.declaration_id)
        return self._labels[row.declaration_id]

    @property
    def revealed(self) -> frozenset[str]:
        return frozenset(self._revealed)

    def frauds_for_report(self, rows: Sequence[DeclarationRow]) -> tuple[int, float]:
        """Frauds among ``rows`` and their duty at stake: for the ceiling and totals only."""
        labelled = [self._labels[row.declaration_id] for row in rows]
        return (
            sum(row.fraud or 0 for row in labelled),
            sum(row.duty_at_stake * (row.fraud or 0) for row in labelled),
        )


def _weekly_slots(week_rows: Sequence[DeclarationRow], capacity_share: float) -> int:
    return max(1, round(len(week_rows) * capacity_share))


def _percentile(values: np.ndarray) -> np.ndarray:
    if len(values) < 2:
        return np.zeros(len(values))
    ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    return np.asarray(ranks / (len(values) - 1))


def targeted_score(
    rows: Sequence[DeclarationRow],
    past: dict[str, tuple[int, int]],
    seen_importers: set[str],
    rng: random.Random,
) -> np.ndarray:
    """The past targeted policy's score for one week's (unlabelled) declarations.

    Percentile of duty at stake in the week + percentile of the tax rate + 2 x the importer's
    smoothed fraud rate among its past inspections ((frauds + 0.4) / (inspections + 2)) + 0.5 for
    an importer never seen before + an officer's discretion, uniform in [0, 0.25).
    """
    duty = _percentile(np.array([row.duty_at_stake for row in rows]))
    tax = _percentile(np.array([row.tax_rate_pct for row in rows]))
    score: np.ndarray = duty + tax
    for index, row in enumerate(rows):
        inspections, frauds = past.get(row.importer_id, (0, 0))
        score[index] += 2.0 * (frauds + 0.4) / (inspections + 2.0)
        score[index] += 0.0 if row.importer_id in seen_importers else 0.5
        score[index] += rng.uniform(0.0, 0.25)
    return score


def inspected_history(
    rows: Sequence[DeclarationRow],
    past_policy: PastPolicy,
    *,
    capacity_share: float = 0.05,
    seed: int = 7,
) -> list[DeclarationRow]:
    """``rows`` (date order) with labels only where ``past_policy`` inspected them, week by week
    within ``capacity_share``; the labels of the other rows are never read."""
    vault = LabelVault(rows)  # from here on only vault.hidden and vault.reveal
    rng = random.Random(seed)
    past: dict[str, tuple[int, int]] = {}
    seen_importers: set[str] = set()
    out: list[DeclarationRow] = []
    for week_rows in iter_weeks(vault.hidden):
        slots = min(len(week_rows), _weekly_slots(week_rows, capacity_share))
        if past_policy is PastPolicy.RANDOM:
            chosen = set(rng.sample(range(len(week_rows)), slots))
        elif past_policy is PastPolicy.TARGETED:
            score = targeted_score(week_rows, past, seen_importers, rng)
            chosen = {int(i) for i in np.argsort(-score, kind="stable")[:slots]}
        else:  # pragma: no cover - StrEnum exhausted
            raise ValueError(past_policy)
        for index, row in enumerate(week_rows):
            if index in chosen:
                labelled = vault.reveal(row)
                inspections, frauds = past.get(row.importer_id, (0, 0))
                past[row.importer_id] = (inspections + 1, frauds + (labelled.fraud or 0))
                out.append(labelled)
            else:
                out.append(row)
        seen_importers.update(row.importer_id for row in week_rows)
    return out


def _labelled_only(table: FeatureTable) -> FeatureTable:
    known = [index for index, row in enumerate(table.rows) if row.fraud is not None]
    return table if len(known) == len(table) else table.subset(known)


def _split_train(table: FeatureTable, holdout_share: float) -> tuple[FeatureTable, FeatureTable]:
    """Date-ordered split: the most recent ``holdout_share`` becomes the tuning set."""
    cut = int(len(table) * (1 - holdout_share))
    return table.subset(np.arange(cut)), table.subset(np.arange(cut, len(table)))


def _fit(pool: FeatureTable, options: TrainingOptions) -> RiskModel:
    fit_part, tune_part = _split_train(_labelled_only(pool), 0.15)
    return train_model(fit_part, tune_part, options)


def _concat(tables: Sequence[FeatureTable]) -> FeatureTable:
    rows = tuple(row for table in tables for row in table.rows)
    return FeatureTable(rows, np.vstack([table.matrix for table in tables]))


def _gradient_picks(
    model: RiskModel, matrix: np.ndarray, probabilities: np.ndarray, count: int, rng: np.random.Generator
) -> list[int]:
    """gATE: k-means++ seeding (BADGE) over gradient embeddings weighted by uncertainty.

    For a boosted tree model the log-loss gradient with respect to the leaf values, for the label
    the model would guess, is ``min(p, 1 - p)`` on the one-hot of the leaves the row falls in;
    gATE multiplies it by ``1 - 1.8 |p - 0.5|``. Squared distances between two such embeddings
    follow from how many trees put both rows in the same leaf.
    """
    if count >= len(probabilities):
        return list(range(len(probabilities)))
    leaves = np.asarray(model.booster.predict(matrix, pred_leaf=True, num_threads=1)).reshape(len(matrix), -1)
    trees = leaves.shape[1]
    weight = np.minimum(probabilities, 1.0 - probabilities) * (1.0 - 1.8 * np.abs(probabilities - 0.5))
    first = int(np.argmax(weight))
    chosen = [first]

    def squared(center: int) -> np.ndarray:
        same = np.sum(leaves == leaves[center], axis=1)
        return np.asarray(trees * (weight**2 + weight[center] ** 2) - 2.0 * weight * weight[center] * same)

    nearest = squared(first)
    while len(chosen) < count:
        nearest[chosen] = 0.0
        total = float(np.sum(np.maximum(nearest, 0.0)))
        if total <= 0.0:
            rest = [i for i in range(len(probabilities)) if i not in chosen]
            chosen += [int(i) for i in rng.permutation(rest)[: count - len(chosen)]]
            break
        pick = int(rng.choice(len(nearest), p=np.maximum(nearest, 0.0) / total))
        chosen.append(pick)
        nearest = np.minimum(nearest, squared(pick))
    return chosen


#: outcome counts whose zero means "no inspected history" (importer, its HS codes and routes, ...)
NOVELTY_COLUMNS: tuple[str, ...] = (
    "importer_outcomes_log",
    "importer_hs_outcomes_log",
    "importer_origin_outcomes_log",
    "seller_importer_outcomes_log",
    "hs_origin_outcomes_log",
)


def _novelty_picks(matrix: np.ndarray, probabilities: np.ndarray, count: int) -> list[int]:
    """The rows with the most keys that have no recorded outcome, then the most likely fraud."""
    columns = [FEATURE_INDEX[name] for name in NOVELTY_COLUMNS]
    unknown = np.sum(matrix[:, columns] == 0.0, axis=1)
    order = np.lexsort((-probabilities, -unknown))
    return [int(i) for i in order[:count]]


#: key groups whose repeats an outcome informs (names from ``HISTORY_GROUPS``), for REACH
REACH_GROUPS: tuple[str, ...] = ("importer", "importer_hs", "hs_origin", "item_price", "mass_price")


class KeyReach:
    """Declarations seen per key (no label needed) and keys with at least one inspected outcome.

    REACH explores the rows whose keys have no outcome yet, weighted by how often those keys have
    come before: ``sum over groups of [no outcome for the key] x log(1 + declarations seen)``.
    """

    __slots__ = ("_keys", "_known", "_seen")

    def __init__(self) -> None:
        self._keys = [(name, key_of) for name, _, key_of in HISTORY_GROUPS if name in REACH_GROUPS]
        self._seen: dict[tuple[str, object], int] = {}
        self._known: set[tuple[str, object]] = set()

    def observe(self, rows: Sequence[DeclarationRow]) -> None:
        for row in rows:
            for name, key_of in self._keys:
                key = (name, key_of(row))
                self._seen[key] = self._seen.get(key, 0) + 1

    def inspected(self, rows: Sequence[DeclarationRow]) -> None:
        self._known.update((name, key_of(row)) for row in rows for name, key_of in self._keys)

    def value(self, row: DeclarationRow) -> float:
        total = 0.0
        for name, key_of in self._keys:
            key = (name, key_of(row))
            if key not in self._known:
                total += math.log1p(self._seen.get(key, 0))
        return total


def _reach_picks(
    rows: Sequence[DeclarationRow], probabilities: np.ndarray, reach: KeyReach, count: int
) -> list[int]:
    values = np.array([reach.value(row) for row in rows])
    order = np.lexsort((-probabilities, -values))
    return [int(i) for i in order[:count]]


class _Exp3:
    """EXP3 over exploration shares, rewarded by the week's precision (in [0, 1])."""

    def __init__(self, arms: int, rng: random.Random, gamma: float = 0.2) -> None:
        self.log_weights = [0.0] * arms
        self.gamma = gamma
        self.rng = rng
        self.last = (0, 1.0)

    def probabilities(self) -> list[float]:
        top = max(self.log_weights)
        weights = [math.exp(value - top) for value in self.log_weights]
        total = sum(weights)
        arms = len(weights)
        return [(1 - self.gamma) * w / total + self.gamma / arms for w in weights]

    def draw(self) -> int:
        probabilities = self.probabilities()
        arm = self.rng.choices(range(len(probabilities)), weights=probabilities)[0]
        self.last = (arm, probabilities[arm])
        return arm

    def reward(self, value: float) -> None:
        arm, probability = self.last
        self.log_weights[arm] += self.gamma * (value / probability) / len(self.log_weights)


def _choose(
    policy: OnlinePolicy,
    share: float,
    table: FeatureTable,
    probabilities: np.ndarray,
    slots: int,
    model: RiskModel,
    seed: int,
    reach: KeyReach,
) -> tuple[list[int], int]:
    """The week's inspected row indices and how many of them were exploration picks."""
    if isinstance(policy.mode, ExplorationMode):
        candidates = [
            Candidate(row.declaration_id, float(p), float(p))
            for row, p in zip(table.rows, probabilities, strict=True)
        ]
        decisions = select_lanes(
            candidates, Capacity(red=slots), exploration_share=share, exploration_mode=policy.mode, seed=seed
        )
        red = {decision.declaration_id for decision in decisions if decision.lane is Lane.RED}
        explored = sum(1 for decision in decisions if decision.exploration)
        return [index for index, row in enumerate(table.rows) if row.declaration_id in red], explored
    order = sorted(range(len(table)), key=lambda i: -probabilities[i])
    explore = min(slots, round(slots * share))
    exploit = order[: slots - explore]
    pool = np.asarray(order[slots - explore :], dtype=np.int64)
    if not explore or not len(pool):
        return exploit, 0
    if policy.mode is Explorer.GRADIENT:
        local = _gradient_picks(
            model, table.matrix[pool], probabilities[pool], explore, np.random.default_rng(seed)
        )
    elif policy.mode is Explorer.REACH:
        local = _reach_picks([table.rows[i] for i in pool], probabilities[pool], reach, explore)
    else:
        local = _novelty_picks(table.matrix[pool], probabilities[pool], explore)
    return exploit + [int(pool[i]) for i in local], len(local)


def _check(capacity_share: float, retrain_every_weeks: int) -> None:
    errors = []
    if not 0.0 < capacity_share <= 1.0:
        errors.append(FieldError(("capacity_share",), "must be above 0 and at most 1"))
    if retrain_every_weeks < 0:
        errors.append(FieldError(("retrain_every_weeks",), "must be >= 0"))
    if errors:
        raise ValidationFailed(errors)


def simulate_online(
    train_rows: Sequence[DeclarationRow],
    stream_rows: Sequence[DeclarationRow],
    policy: OnlinePolicy,
    *,
    capacity_share: float = 0.05,
    retrain_every_weeks: int = 4,
    seed: int = 7,
    options: TrainingOptions | None = None,
    start: Start = Start.FULL_LABELS,
    past_policy: PastPolicy = PastPolicy.TARGETED,
) -> OnlinePolicyResult:
    """Run one policy through ``stream_rows``; labels there are read only for inspected rows.

    With ``start=INSPECTED_HISTORY`` the training year's labels are read only for the rows
    ``past_policy`` inspected (same capacity, sample drawn with ``seed``).
    """
    _check(capacity_share, retrain_every_weeks)
    options = options or TrainingOptions()
    if start is Start.INSPECTED_HISTORY:
        history = inspected_history(train_rows, past_policy, capacity_share=capacity_share, seed=seed)
    else:
        history = list(train_rows)
    state = FeatureState()
    base = build_feature_table(history, state, learn=True)
    history_labelled = sum(1 for row in history if row.fraud is not None)
    model = _fit(base, options)
    reach = KeyReach()
    reach.observe(history)
    reach.inspected([row for row in history if row.fraud is not None])
    vault = LabelVault(stream_rows)
    bandit = _Exp3(len(policy.adaptive_shares), random.Random(seed)) if policy.adaptive_shares else None
    inspected_tables: list[FeatureTable] = []
    inspected_ids: list[str] = []
    caught = weeks = declarations = frauds_total = possible = explored = 0
    duty_caught = duty_total = 0.0
    for week, week_rows in enumerate(iter_weeks(vault.hidden)):
        weeks += 1
        declarations += len(week_rows)
        table = build_feature_table(week_rows, state, learn=False)
        probabilities = model.probabilities(table.matrix)
        slots = _weekly_slots(week_rows, capacity_share)
        if bandit is not None:
            share = policy.adaptive_shares[bandit.draw()]
        else:
            share = policy.share_for(week, probabilities, slots)
        picked, week_explored = _choose(policy, share, table, probabilities, slots, model, seed + week, reach)
        explored += week_explored
        revealed = []
        for index in picked:
            original = vault.reveal(table.rows[index])
            fraud = original.fraud or 0
            state.record_outcome(original, fraud, original.critical_fraud or 0)
            revealed.append(original)
            inspected_ids.append(original.declaration_id)
            caught += fraud
            duty_caught += original.duty_at_stake * fraud
        reach.observe(week_rows)
        reach.inspected(revealed)
        if bandit is not None:
            bandit.reward(sum(row.fraud or 0 for row in revealed) / max(1, len(revealed)))
        week_frauds, week_duty = vault.frauds_for_report(week_rows)
        frauds_total += week_frauds
        possible += min(week_frauds, slots)
        duty_total += week_duty
        if picked:
            inspected_tables.append(FeatureTable(tuple(revealed), table.matrix[np.asarray(picked)]))
        if retrain_every_weeks and (week + 1) % retrain_every_weeks == 0 and inspected_tables:
            model = _fit(_concat([base, *inspected_tables]), options)
    return OnlinePolicyResult(
        policy=policy.name,
        weeks=weeks,
        declarations=declarations,
        inspected=len(inspected_ids),
        frauds_caught=caught,
        frauds_total=frauds_total,
        duty_caught=duty_caught / duty_total if duty_total else 0.0,
        frauds_possible=possible,
        explored=explored,
        start=start.value,
        past_policy=past_policy.value if start is Start.INSPECTED_HISTORY else "",
        history_labelled=history_labelled,
        inspected_ids=tuple(inspected_ids),
    )
