"""Score declarations: model probability, then rules, then trusted-trader status, with reasons.

Order of effects: the calibrated model probability; plus the weights of the rules that fire
(clipped to 0..1); times the trusted-trader reduction (skipped on a sanctions hit); a sanctions hit
or a rule's lane forces that lane. ``priority`` is the combined ranking used to fill the queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from supplyguard.compliance import TrustDecision, TrustPolicy, apply_trust
from supplyguard.model.declarations import Lane
from supplyguard.risk.explain import FACTORS_PENDING, Factor, top_factors
from supplyguard.risk.features import FeatureState, build_feature_table, feature_mapping
from supplyguard.risk.model import RiskModel, combined_ranking
from supplyguard.risk.records import NO_SIGNALS, DeclarationRow, IntakeSignals
from supplyguard.risk.rules import FiredRule, Rule, evaluate_rules
from supplyguard.risk.selection import Candidate, Capacity, ExplorationMode, select_lanes

_LANE_STRENGTH = {Lane.GREEN: 0, Lane.YELLOW: 1, Lane.RED: 2}


#: A sanctions hit's reason in an assessment (it forces the red lane).
SANCTIONS_REASON = "a party matches a sanctions list"


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The risk of one declaration, with everything a person needs to act on it."""

    declaration_id: str
    probability: float
    score: float
    expected_duty: float
    priority: float
    forced_lane: Lane | None
    reasons: tuple[str, ...]
    factors: tuple[Factor, ...]
    fired_rules: tuple[FiredRule, ...]
    model_version: str

    def forcing_reasons(self, sanctions_hit: bool) -> list[str]:
        """What forces this assessment's lane, in words: each fired rule that sets a lane, and a
        sanctions hit (the lane filling names them in a forced lane's reason)."""
        forcing = [rule.reason for rule in self.fired_rules if rule.lane is not None]
        if sanctions_hit:
            forcing.append(SANCTIONS_REASON)
        return forcing

    def reasons_in(self, lane_reason: str, forcing: Sequence[str]) -> list[str]:
        """``lane_reason`` (why the declaration is in its lane), then this assessment's reasons, less
        those a forced lane's reason states already (``forcing``, :meth:`forcing_reasons`)."""
        stated = set(forcing) if self.forced_lane is not None else set()
        return [lane_reason, *(reason for reason in self.reasons if reason not in stated)]


def assess_declaration(
    model: RiskModel,
    state: FeatureState,
    row: DeclarationRow,
    *,
    signals: IntakeSignals = NO_SIGNALS,
    rules: Sequence[Rule] = (),
    trust: TrustDecision | None = None,
    trust_policy: TrustPolicy | None = None,
    factor_count: int = 3,
) -> RiskAssessment:
    """Score one declaration at intake (does not observe it: call ``state.observe(row)`` after)."""
    vector = np.asarray([state.features(row, signals)], dtype=np.float64)
    return assess_vectors(
        model,
        [row],
        vector,
        signals=[signals],
        rules=rules,
        trusts=[trust],
        trust_policy=trust_policy,
        factor_count=factor_count,
    )[0]


def assess_vectors(
    model: RiskModel,
    rows: Sequence[DeclarationRow],
    matrix: np.ndarray,
    *,
    signals: Sequence[IntakeSignals] | None = None,
    rules: Sequence[Rule] = (),
    trusts: Sequence[TrustDecision | None] | None = None,
    trust_policy: TrustPolicy | None = None,
    factor_count: int = 3,
    defer_factors: bool = False,
) -> tuple[RiskAssessment, ...]:
    """Assess rows whose feature vectors are already computed (one model call for the whole batch).

    ``signals`` and ``trusts`` run parallel to ``rows`` (default: nothing known). With
    ``defer_factors`` the model only predicts (no SHAP values, several times cheaper) and each
    assessment's reasons hold :data:`FACTORS_PENDING` where the factors go: :func:`explain_vectors`
    works them out later from the same vectors.
    """
    if not rows:
        return ()
    contributions: np.ndarray | None = None
    if factor_count and not defer_factors:
        probabilities, contributions = model.probabilities_and_contributions(matrix)
    else:
        probabilities = model.probabilities(matrix)
    pending = (Factor("", 0.0, FACTORS_PENDING),) if factor_count and defer_factors else ()
    results: list[RiskAssessment] = []
    plain = matrix.tolist() if rules else None  # Python floats: quicker for the rules' mapping
    for index, row in enumerate(rows):
        row_signals = signals[index] if signals is not None else NO_SIGNALS
        trust = trusts[index] if trusts is not None else None
        vector = matrix[index]
        probability = float(probabilities[index])
        factors = (
            top_factors(row, vector, contributions[index], factor_count) if contributions is not None else ()
        )
        words = factors or pending
        fired = evaluate_rules(rules, feature_mapping(row, plain[index]), row.declared_on) if plain else ()
        results.append(
            _assessment(model, row, probability, factors, words, fired, row_signals, trust, trust_policy)
        )
    return tuple(results)


def explain_vectors(
    model: RiskModel, rows: Sequence[DeclarationRow], matrix: np.ndarray, factor_count: int = 3
) -> tuple[tuple[Factor, ...], ...]:
    """The top factors of each row (one LightGBM ``pred_contrib`` call for all of them): the same
    factors :func:`assess_vectors` gives eagerly for the same model and vectors."""
    if not rows:
        return ()
    contributions = model.contributions(matrix)
    return tuple(
        top_factors(row, matrix[index], contributions[index], factor_count) for index, row in enumerate(rows)
    )


def _assessment(
    model: RiskModel,
    row: DeclarationRow,
    probability: float,
    factors: tuple[Factor, ...],
    words: tuple[Factor, ...],
    fired: tuple[FiredRule, ...],
    signals: IntakeSignals,
    trust: TrustDecision | None,
    trust_policy: TrustPolicy | None,
) -> RiskAssessment:
    reasons: list[str] = [f"model probability {probability:.2f} ({model.version})"]
    reasons += [factor.words for factor in words]
    score = probability
    forced: Lane | None = None
    for rule in fired:
        reasons.append(rule.reason)
        score += rule.weight
        if rule.lane is not None and (forced is None or _LANE_STRENGTH[rule.lane] > _LANE_STRENGTH[forced]):
            forced = rule.lane
    score = min(1.0, max(0.0, score))
    if trust is not None:
        adjustment = apply_trust(score, trust, sanctions_hit=signals.sanctions_hit, policy=trust_policy)
        score = adjustment.score
        reasons.append(adjustment.reason)
    if signals.sanctions_hit:
        forced = Lane.RED
        reasons.append(SANCTIONS_REASON)
    duty = row.duty_at_stake
    priority = float(combined_ranking(np.array([score]), np.array([duty]), model.duty_threshold)[0])
    if score * duty >= model.duty_threshold:
        reasons.append(
            f"expected duty {score * duty:,.0f} is above the duty line {model.duty_threshold:,.0f}"
        )
    return RiskAssessment(
        declaration_id=row.declaration_id,
        probability=probability,
        score=score,
        expected_duty=score * duty,
        priority=priority,
        forced_lane=forced,
        reasons=tuple(reasons),
        factors=factors,
        fired_rules=fired,
        model_version=model.version,
    )


@dataclass(frozen=True, slots=True)
class ScoredDeclaration:
    """One line of a batch scoring run (``risk score`` writes these as CSV)."""

    declaration_id: str
    score: float
    expected_duty: float
    priority: float
    lane: Lane
    lane_reason: str


def score_batch(
    model: RiskModel,
    rows: Sequence[DeclarationRow],
    *,
    history: Sequence[DeclarationRow] = (),
    red_share: float = 0.05,
    yellow_share: float = 0.0,
    exploration_share: float = 0.0,
    exploration_mode: ExplorationMode = ExplorationMode.RANDOM,
    signals: Mapping[str, IntakeSignals] | None = None,
    seed: int = 0,
) -> tuple[ScoredDeclaration, ...]:
    """Score a file of declarations after learning from ``history`` (labelled past rows).

    Labels on ``rows`` are never used. Lanes are filled per declaration date within
    ``red_share`` / ``yellow_share`` of that day's declarations, ranked by ``priority``.
    """
    state = FeatureState()
    if history:
        build_feature_table(history, state, learn=True)
    table = build_feature_table([row.without_labels() for row in rows], state, learn=False, signals=signals)
    probabilities = model.probabilities(table.matrix)
    duty = table.duty_at_stake()
    priority = model.combined(probabilities, duty)
    by_day: dict[object, list[int]] = defaultdict(list)
    for index, row in enumerate(table.rows):
        by_day[row.declared_on].append(index)
    lookup = signals or {}
    results: list[ScoredDeclaration] = []
    for day in sorted(by_day):  # type: ignore[type-var]
        indices = by_day[day]
        candidates = []
        for i in indices:
            row_signals = lookup.get(table.rows[i].declaration_id, NO_SIGNALS)
            forced = Lane.RED if row_signals.sanctions_hit else None
            candidates.append(
                Candidate(
                    table.rows[i].declaration_id,
                    float(priority[i]),
                    float(probabilities[i]),
                    forced,
                    "sanctions hit" if forced else "",
                )
            )
        capacity = Capacity(red=round(len(indices) * red_share), yellow=round(len(indices) * yellow_share))
        decisions = select_lanes(
            candidates,
            capacity,
            exploration_share=exploration_share,
            exploration_mode=exploration_mode,
            seed=seed,
        )
        lane_of = {decision.declaration_id: decision for decision in decisions}
        for i in indices:
            decision = lane_of[table.rows[i].declaration_id]
            results.append(
                ScoredDeclaration(
                    table.rows[i].declaration_id,
                    float(probabilities[i]),
                    float(probabilities[i] * duty[i]),
                    float(priority[i]),
                    decision.lane,
                    decision.reason,
                )
            )
    return tuple(results)
