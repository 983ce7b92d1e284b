"""Risk on the node's own data: retrain from recorded outcomes, activate a model, score the open queue.

A model is trained on the organisation's declarations that have an inspection outcome, split by
time (the latest quarter of dates for early stopping and calibration), saved as a versioned file
under ``data_dir/models``, registered, activated, and recorded in the ledger. Scoring walks every
declaration in date order, so each open one is scored with features learnt only from what came
before it, then fills each day's red and yellow lanes within capacity (with an exploration share).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from supplyguard.adapters.db.risk_factors_repo import PendingFactorsRepository
from supplyguard.adapters.db.risk_repo import RuleSetRepository, StoredAssessment, StoredModel
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, ModelError, NotFound, ValidationFailed
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.canonical import sha256_hex
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import Declaration, InspectionOutcome
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.risk import (
    FEATURE_NAMES,
    Candidate,
    Capacity,
    DeclarationRow,
    ExplorationMode,
    FeatureState,
    RiskAssessment,
    RiskModel,
    Rule,
    ScoredOutcome,
    WeekDrift,
    assess_vectors,
    build_feature_table,
    drift_report,
    parse_rules,
    row_from_declaration,
    save_model,
    select_lanes,
    train_model,
)
from supplyguard.risk.signals import apply_signals
from supplyguard.risk.trust_register import TrustRegister, parse_trust_register
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_record, sign_tree_head
from supplyguard.services.risk_intake import explain_queued, load_registered_model, signals_for, trust_book

MIN_LABELLED = 50
VALID_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class ScoringSummary:
    scored: int
    lanes: dict[str, int]
    model_version: str


def _history(uow: SqlUnitOfWork, org_id: uuid.UUID) -> list[tuple[Declaration, InspectionOutcome | None]]:
    outcomes = {o.declaration_id: o for o in uow.declarations.iter_outcomes(org_id=org_id)}
    pairs = [(d, outcomes.get(d.id)) for d in uow.declarations.iter_all(org_id=org_id)]
    pairs.sort(key=lambda pair: (pair[0].declared_on, str(pair[0].id)))
    return pairs


def retrain(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, models_dir: Path, actor: Principal
) -> StoredModel:
    """Train on the organisation's recorded outcomes, save, register, activate and ledger the model."""
    require(actor, Action.RISK_ADMIN)
    with uow:
        pairs = [
            (d, o)
            for d, o in _history(uow, actor.org_id)
            if o is not None and o.inspected and o.result is not None
        ]
        # signal features as they stood when each outcome was recorded (what the officer's last
        # rescore before the inspection could have seen)
        found = signals_for(
            uow,
            actor.org_id,
            [d for d, _o in pairs],
            trust_book(uow, actor.org_id),
            {d.id: o.recorded_at for d, o in pairs},
        )
    labelled = [row_from_declaration(d, o) for d, o in pairs]
    lookup = {row.declaration_id: found[d.id].signals for row, (d, _o) in zip(labelled, pairs, strict=True)}
    if len(labelled) < MIN_LABELLED:
        raise ModelError(
            f"only {len(labelled)} inspected declarations with outcomes; {MIN_LABELLED} are needed"
        )
    dates = sorted({row.declared_on for row in labelled})
    cut = dates[int(len(dates) * (1 - VALID_SHARE))]
    train_rows = [row for row in labelled if row.declared_on < cut]
    valid_rows = [row for row in labelled if row.declared_on >= cut]
    state = FeatureState()
    model = train_model(
        build_feature_table(train_rows, state, learn=True, signals=lookup),
        build_feature_table(valid_rows, state, learn=True, signals=lookup),
    )
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{model.version}.json"
    save_model(model, path)
    stored = StoredModel(
        version=model.version,
        org_id=actor.org_id,
        path=str(path),
        content_sha256=model.content_sha256,
        summary={
            "rows": dict(model.metadata.get("rows", {})),
            "data_window": dict(model.metadata.get("data_window", {})),
            "valid_metrics": dict(model.metadata.get("valid_metrics", {})),
        },
        created_at=clock.now(),
        active=False,
    )
    with uow:
        # The version is the content's hash: the same outcomes can train the very same model again
        # (nothing new was learnt). That version is then made active, not registered twice.
        known = next((m for m in uow.risk.models(actor.org_id) if m.version == model.version), None)
        if known is not None and known.active:
            audit(
                uow,
                actor,
                clock,
                "risk.retrain",
                "risk_model",
                model.version,
                {**known.summary, "unchanged": True},
            )
            uow.commit()
            return known
        if known is None:
            uow.risk.add_model(stored)
        uow.risk.activate(actor.org_id, model.version)
        body = {"version": model.version, "content_sha256": model.content_sha256, "active": True}
        append_record(uow, "risk.model", model.version, str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "risk.retrain", "risk_model", model.version, stored.summary)
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return stored if known is None else replace(known, active=True)


@dataclass(frozen=True, slots=True)
class RetrainDue:
    due: bool
    reason: str
    active_version: str | None = None


def retrain_due(uow: SqlUnitOfWork, clock: Clock, actor: Principal, every_days: int) -> RetrainDue:
    """Whether a scheduled retrain should run: no active model, or the active one is ``every_days``
    old or older (``risk retrain --if-due``, for cron)."""
    require(actor, Action.RISK_ADMIN)
    with uow:
        active = uow.risk.active_model(actor.org_id)
    if active is None:
        return RetrainDue(True, "no active model")
    age = clock.now() - active.created_at
    days = age.total_seconds() / 86_400
    if days >= every_days:
        return RetrainDue(
            True, f"model {active.version} is {days:.1f} days old (every {every_days})", active.version
        )
    return RetrainDue(
        False,
        f"model {active.version} is {days:.1f} days old; the next retrain is due in "
        f"{every_days - days:.1f} days (every {every_days})",
        active.version,
    )


@dataclass(frozen=True, slots=True)
class DriftSummary:
    weeks: tuple[WeekDrift, ...]
    reference: str
    model_version: str | None


def drift(uow: SqlUnitOfWork, clock: Clock, actor: Principal, *, weeks: int = 12) -> DriftSummary:
    """Score distribution and inspection hit rate per ISO week on the organisation's own scored
    declarations: the latest ``weeks`` weeks, each against the scores of the weeks before them (the
    reference; the first reported week when there is nothing earlier)."""
    require(actor, Action.DECLARATION_READ)
    if weeks < 1:
        raise ValidationFailed([FieldError(("weeks",), "must be at least 1")])
    with uow:
        history = _history(uow, actor.org_id)
        active = uow.risk.active_model(actor.org_id)
        audit(
            uow,
            actor,
            clock,
            "risk.drift",
            "risk_model",
            active.version if active else None,
            {"weeks": weeks},
        )
        uow.commit()
    scored = [
        ScoredOutcome(
            d.declared_on,
            float(d.score),
            None if o is None or not o.inspected or o.result is None else (1 if o.is_fraud else 0),
        )
        for d, o in history
        if d.score is not None
    ]
    if not scored:
        return DriftSummary((), "no scored declarations yet", active.version if active else None)

    def week_of(day: date) -> str:
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    all_weeks = sorted({week_of(item.declared_on) for item in scored})
    shown = set(all_weeks[-weeks:])
    window = [item for item in scored if week_of(item.declared_on) in shown]
    earlier = [item.score for item in scored if week_of(item.declared_on) not in shown]
    if earlier:
        reference = f"{len(earlier)} scored declarations before {min(shown)}"
    else:
        first = min(shown)
        earlier = [item.score for item in window if week_of(item.declared_on) == first]
        reference = f"the first week shown ({first}, {len(earlier)} declarations)"
    return DriftSummary(drift_report(earlier, window), reference, active.version if active else None)


def activate(uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, version: str) -> None:
    require(actor, Action.RISK_ADMIN)
    with uow:
        if not uow.risk.activate(actor.org_id, version):
            raise NotFound(f"model version {version}")
        body = {"version": version, "active": True}
        append_record(uow, "risk.model", version, str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "risk.activate", "risk_model", version, {})
        sign_tree_head(uow, signer, clock)
        uow.commit()


def load_rules(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, text: str
) -> tuple[Rule, ...]:
    """Validate a rules file and make it the organisation's rules in force; every rule version is a
    ledger leaf (its body: the rule's id, version, owner and the file's hash)."""
    require(actor, Action.RISK_ADMIN)
    rules = parse_rules(text)
    digest = sha256_hex(text.encode("utf-8"))
    with uow:
        RuleSetRepository(uow.connection).activate(
            actor.org_id,
            new_id(),
            text,
            digest,
            [[rule.rule_id, rule.version] for rule in rules],
            clock.now(),
        )
        for rule in rules:
            body = {
                "rule_id": rule.rule_id,
                "version": rule.version,
                "owner": rule.owner,
                "file_sha256": digest,
            }
            append_record(
                uow, "risk.rule", f"{rule.rule_id}@{rule.version}", str(actor.org_id), clock.now(), body
            )
        audit(uow, actor, clock, "risk.rules.load", "risk_rules", digest, {"rules": len(rules)})
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return rules


def load_trust(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, text: str
) -> TrustRegister:
    """Validate a trusted-trader register file and make it the organisation's whole register (a
    ``risk.trust`` ledger leaf with the file's hash; audited). Intake and rescoring use it at once."""
    require(actor, Action.RISK_ADMIN)
    digest = sha256_hex(text.encode("utf-8"))
    with uow:
        org = uow.accounts.get_org(actor.org_id)
        home = org.country if org is not None else ""
        register = parse_trust_register(text, home)
        uow.risk.replace_trust(actor.org_id, register.statuses, register.arrangements, home, clock.now())
        body = {
            "statuses": len(register.statuses),
            "arrangements": len(register.arrangements),
            "file_sha256": digest,
        }
        append_record(uow, "risk.trust", digest, str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "risk.trust.load", "risk_trust", digest, body)
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return register


def _active_rules(uow: SqlUnitOfWork, org_id: uuid.UUID) -> tuple[Rule, ...]:
    text = RuleSetRepository(uow.connection).active_yaml(org_id)
    return parse_rules(text) if text else ()


def _active_model(uow: SqlUnitOfWork, org_id: uuid.UUID) -> RiskModel:
    stored = uow.risk.active_model(org_id)
    if stored is None:
        raise ModelError("no active risk model for this organisation: run `supplyguard risk retrain`")
    return load_registered_model(stored.path, stored.content_sha256, stored.version)


def score_open(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    *,
    red_per_day: int,
    yellow_per_day: int,
    exploration_share: float,
) -> ScoringSummary:
    """Score every declaration without an outcome and fill each day's lanes within capacity."""
    require(actor, Action.RISK_ADMIN)
    with uow:
        model = _active_model(uow, actor.org_id)
        rules = _active_rules(uow, actor.org_id)
        history = _history(uow, actor.org_id)
        found = signals_for(
            uow, actor.org_id, [d for d, o in history if o is None], trust_book(uow, actor.org_id)
        )
    # Each open declaration's features as of its place in history, then one model call for all
    # (factors deferred: worked out below for the queue's lanes, on view for the rest).
    state = FeatureState()
    open_rows: list[DeclarationRow] = []
    open_declarations: list[Declaration] = []
    vectors: list[list[float]] = []
    for declaration, outcome in history:
        row = row_from_declaration(declaration, outcome)
        if outcome is None:
            unlabelled = row.without_labels()
            open_rows.append(unlabelled)
            open_declarations.append(declaration)
            vectors.append(state.features(unlabelled, found[declaration.id].signals))
        state.observe(row)
        if row.fraud is not None:
            state.record_outcome(row, row.fraud, row.critical_fraud or 0)
    matrix = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), len(FEATURE_NAMES))
    assessments = assess_vectors(
        model,
        open_rows,
        matrix,
        signals=[found[d.id].signals for d in open_declarations],
        rules=rules,
        trusts=[found[d.id].trust for d in open_declarations],
        defer_factors=True,
    )
    by_day: dict[object, list[tuple[Declaration, RiskAssessment]]] = defaultdict(list)
    for declaration, assessment in zip(open_declarations, assessments, strict=True):
        by_day[declaration.declared_on].append((declaration, assessment))
    results: list[StoredAssessment] = []
    lanes: dict[str, int] = defaultdict(int)
    for day, items in sorted(by_day.items(), key=lambda pair: str(pair[0])):
        # Lanes are filled per declaration date within that day's capacity.
        forcing = {d.id: a.forcing_reasons(found[d.id].signals.sanctions_hit) for d, a in items}
        candidates = [
            Candidate(
                str(d.id),
                a.priority + sum(stored.signal.weight for stored in found[d.id].stored),
                a.probability,
                a.forced_lane,
                "; ".join(forcing[d.id]),
            )
            for d, a in items
        ]
        decisions = select_lanes(
            candidates,
            Capacity(red_per_day, yellow_per_day),
            exploration_share=exploration_share,
            exploration_mode=ExplorationMode.UNCERTAINTY,
            seed=int(str(day).replace("-", "")),
        )
        by_id = {decision.declaration_id: decision for decision in decisions}  # decisions come sorted by lane
        for declaration, assessment in items:
            decision = by_id[str(declaration.id)]
            # stored signals (screening, intel, tracking): their weights ranked the candidate above;
            # after the lanes are filled they can only escalate the lane, and their reasons lead,
            # so a rescore never forgets them
            applied = apply_signals(
                assessment.priority,
                decision.lane.value,
                assessment.reasons_in(decision.reason, forcing[declaration.id]),
                [stored.signal for stored in found[declaration.id].stored],
            )
            lane = applied.lane or decision.lane.value
            lanes[lane] += 1
            results.append(
                StoredAssessment(
                    declaration_id=declaration.id,
                    score=min(1.0, max(0.0, assessment.score)),
                    lane=lane,
                    reasons=applied.reasons,
                    model_version=model.version,
                    priority=applied.priority,
                    model_lane=decision.lane.value,
                )
            )
    position = {declaration.id: index for index, declaration in enumerate(open_declarations)}
    order = [position[result.declaration_id] for result in results]
    results, waiting = explain_queued(model, [open_rows[i] for i in order], matrix[order], results)
    with uow:
        pending = PendingFactorsRepository(uow.connection)
        pending.remove_many([d.id for d in open_declarations])  # vectors of the scores replaced here
        uow.risk.save_assessments(results)
        pending.add_many(waiting)
        audit(uow, actor, clock, "risk.score", "risk_model", model.version, {"scored": len(results), **lanes})
        uow.commit()
    return ScoringSummary(len(results), dict(lanes), model.version)
