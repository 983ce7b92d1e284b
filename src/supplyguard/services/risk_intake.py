"""Risk at intake: score each declaration in the transaction that stores it, with what the node knows.

The node keeps one :class:`IntakeRisk` in ``container.extras`` (:func:`intake_risk_for`). Per
organisation it caches the active model, the rules in force, the trusted-trader register, the lane
lines and a :class:`FeatureState` built from the organisation's history, so one declaration costs
features + rules + one model call, not a walk of the history. The cache is checked on every intake
against the registered active model and the rules file's hash (two indexed reads), so a retrain,
``risk activate`` or ``risk rules load`` in any process takes effect at the next declaration; the
services of this process also drop it at once (:meth:`IntakeRisk.invalidate`). Declarations and
outcomes stored by other processes reach the cached state within ``REFRESH_SECONDS``.

The same :func:`signals_for` computes the signal features (screening hits, trusted-trader tier,
partner intel, tracking alerts) for training, rescoring and intake, from what was stored at a cutoff
time: intake and rescore use "now", training uses the moment the outcome was recorded.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from supplyguard.adapters.db.risk_factors_repo import PendingFactors, PendingFactorsRepository
from supplyguard.adapters.db.risk_repo import RuleSetRepository, StoredAssessment, StoredSignal
from supplyguard.adapters.db.screening_repo import ScreeningRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.compliance import (
    MutualRecognition,
    TrustDecision,
    TrustedStatus,
    TrustPolicy,
    trust_for_party,
)
from supplyguard.config import Settings
from supplyguard.errors import ModelError
from supplyguard.logging import get_logger
from supplyguard.model.clock import as_utc
from supplyguard.model.declarations import Declaration, InspectionOutcome
from supplyguard.risk import (
    FEATURE_NAMES,
    Candidate,
    Capacity,
    DeclarationRow,
    FeatureState,
    FeatureTable,
    IntakeSignals,
    LaneLines,
    RiskAssessment,
    RiskModel,
    Rule,
    assess_vectors,
    build_feature_table,
    intake_lanes,
    load_model,
    parse_rules,
    row_from_declaration,
)
from supplyguard.risk.explain import (
    FACTORS_PENDING,
    FEATURE_LIST_SHA256,
    pack_features,
    place_factors,
    unpack_features,
)
from supplyguard.risk.scoring import explain_vectors
from supplyguard.risk.signals import SignalSource, apply_signals

INTAKE_EXTRA = "risk_intake"
#: how often (seconds) a cached state picks up declarations and outcomes stored by other processes
REFRESH_SECONDS = 30.0
#: past this many changes a refresh rebuilds the state from history instead of applying them one by one
REBUILD_AFTER = 5000
#: how far back a refresh looks before its last run (transactions commit after their timestamps)
_OVERLAP = timedelta(minutes=5)
#: lane lines are learnt from the latest rows of history
_LINE_ROWS = 20_000

log = get_logger(__name__)
#: what a cache is current with: the active model (version:sha256), the rules file's hash, the
#: trusted-trader register's load time
_CacheKey = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """The day's capacity and exploration share (from settings) and the trusted-trader policy."""

    red_per_day: int
    yellow_per_day: int
    exploration_share: float
    trust_policy: TrustPolicy = field(default_factory=TrustPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeConfig:
        return cls(
            settings.inspection_red_per_day,
            settings.inspection_yellow_per_day,
            settings.exploration_share,
        )

    @property
    def capacity(self) -> Capacity:
        return Capacity(self.red_per_day, self.yellow_per_day)


@dataclass(frozen=True, slots=True)
class TrustBook:
    """The organisation's trusted-trader register: statuses by party code, arrangements, home country."""

    home_country: str
    statuses: Mapping[str, tuple[TrustedStatus, ...]]
    arrangements: tuple[MutualRecognition, ...] = ()
    policy: TrustPolicy = field(default_factory=TrustPolicy)

    def decision(self, party_code: str, on_date: date) -> TrustDecision | None:
        """The importer's trust on ``on_date``; None when the party has no status at all."""
        statuses = self.statuses.get(party_code)
        if not statuses:
            return None
        return trust_for_party(
            party_code,
            statuses,
            home_country=self.home_country,
            on_date=on_date,
            arrangements=self.arrangements,
            policy=self.policy,
        )


def trust_book(uow: SqlUnitOfWork, org_id: uuid.UUID, policy: TrustPolicy | None = None) -> TrustBook:
    org = uow.accounts.get_org(org_id)
    home = org.country if org is not None else ""
    by_party: dict[str, list[TrustedStatus]] = defaultdict(list)
    for status in uow.risk.trusted_statuses(org_id):
        by_party[status.party_id].append(status)
    return TrustBook(
        home,
        {code: tuple(items) for code, items in by_party.items()},
        tuple(uow.risk.arrangements(org_id, home)),
        policy or TrustPolicy(),
    )


@dataclass(frozen=True, slots=True)
class DeclarationSignals:
    """What the node knew about one declaration besides the declaration itself."""

    signals: IntakeSignals
    trust: TrustDecision | None
    stored: tuple[StoredSignal, ...] = ()


_NO_PARTY = uuid.UUID(int=0)


def signals_for(
    uow: SqlUnitOfWork,
    org_id: uuid.UUID,
    declarations: Sequence[Declaration],
    book: TrustBook,
    cutoffs: Mapping[uuid.UUID, datetime] | None = None,
) -> dict[uuid.UUID, DeclarationSignals]:
    """The signal features of each declaration, from what was stored at its cutoff (default: now).

    ``screening_hits`` / ``screening_hit_score`` / ``sanctions_hit`` come from the parties' open
    screening hits (false positives do not count), ``intel_signals`` and ``tracking_alerts``
    from the declaration's stored risk signals, ``trusted_tier`` from the importer's status on the
    declaration date. Inside an open unit of work.
    """
    if not declarations:
        return {}
    cutoffs = cutoffs or {}
    codes = {ref.code for d in declarations for ref in d.parties().values()}
    party_ids = uow.parties.ids_for_codes(org_id, codes)
    hits_by_party: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for hit in ScreeningRepository(uow.connection).hits_for(org_id, list(party_ids.values())):
        if hit["status"] == "open":
            hits_by_party[hit["party_id"]].append(hit)
    stored = uow.risk.signals_for([d.id for d in declarations])
    found: dict[uuid.UUID, DeclarationSignals] = {}
    for declaration in declarations:
        cutoff = cutoffs.get(declaration.id)
        hits = (
            [
                hit
                for ref in declaration.parties().values()
                for hit in hits_by_party.get(party_ids.get(ref.code, _NO_PARTY), ())
                if cutoff is None or as_utc(hit["screened_at"]) <= cutoff
            ]
            if hits_by_party  # most imports: no open hit at all
            else []
        )
        mine = tuple(s for s in stored.get(declaration.id, ()) if cutoff is None or s.raised_at <= cutoff)
        trust = book.decision(declaration.importer.code, declaration.declared_on)
        signals = IntakeSignals(
            screening_hits=len(hits),
            sanctions_hit=bool(hits),
            trusted_tier=trust.tier if trust is not None else 0,
            intel_signals=sum(1 for s in mine if s.signal.source is SignalSource.INTEL),
            tracking_alerts=sum(1 for s in mine if s.signal.source is SignalSource.TRACKING),
            screening_hit_score=max((float(hit["score"]) for hit in hits), default=0.0),
        )
        found[declaration.id] = DeclarationSignals(signals, trust, mine)
    return found


@dataclass
class _OrgScorer:
    key: _CacheKey
    model: RiskModel
    rules: tuple[Rule, ...]
    book: TrustBook
    state: FeatureState
    lines: LaneLines
    #: the latest history rows' features, to learn lane lines from (again, for another model)
    recent: FeatureTable
    rows: dict[uuid.UUID, DeclarationRow]
    learnt_outcomes: set[uuid.UUID]
    refreshed_at: float
    watermark: datetime
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True, slots=True)
class IntakeScore:
    """What one intake call scored; :meth:`IntakeRisk.learn` it once the transaction has committed."""

    org_id: uuid.UUID
    rows: tuple[tuple[uuid.UUID, DeclarationRow], ...]
    assessments: tuple[StoredAssessment, ...]
    key: _CacheKey | None


class IntakeRisk:
    """The per-organisation scoring caches of one node process (thread-safe)."""

    def __init__(self, config: IntakeConfig) -> None:
        self.config = config
        self._orgs: dict[uuid.UUID, _OrgScorer] = {}
        self._lock = threading.Lock()

    def invalidate(self, org_id: uuid.UUID | None = None) -> None:
        """Forget the cached model, rules and state of one organisation (or all)."""
        with self._lock:
            if org_id is None:
                self._orgs.clear()
            else:
                self._orgs.pop(org_id, None)

    def cached(self, org_id: uuid.UUID) -> tuple[str, frozenset[uuid.UUID]] | None:
        """The cached model (``version:sha256``) and the declarations its state has learnt."""
        with self._lock:
            scorer = self._orgs.get(org_id)
        if scorer is None:
            return None
        with scorer.lock:
            return scorer.key[0], frozenset(scorer.rows)

    def score(
        self,
        uow: SqlUnitOfWork,
        org_id: uuid.UUID,
        declarations: Sequence[Declaration],
        now: datetime,
        outcomes: Mapping[uuid.UUID, InspectionOutcome] | None = None,
    ) -> IntakeScore:
        """Score newly stored declarations inside the caller's open unit of work and store the result.

        Declarations stored with an outcome (labelled imports) are history: learnt, not scored.
        Without an active model nothing is scored (the declarations stay unscored). Lanes fill what
        is left of each declaration date's capacity; stored signals are applied last.
        """
        outcomes = outcomes or {}
        pending = {d.id for d in declarations}
        scorer = self._scorer(uow, org_id, now, pending)
        rows = [(d.id, row_from_declaration(d, outcomes.get(d.id))) for d in declarations]
        if scorer is None:
            return IntakeScore(org_id, tuple(rows), (), None)
        open_declarations = [d for d in declarations if d.id not in outcomes]
        found = signals_for(uow, org_id, open_declarations, scorer.book)
        ordered = sorted(open_declarations, key=lambda d: d.declared_on)
        row_of = dict(rows)
        scored_rows = [row_of[d.id] for d in ordered]  # open declarations: rows without labels
        matrix = np.empty((len(ordered), len(FEATURE_NAMES)), dtype=np.float64)
        with scorer.lock:
            for index, declaration in enumerate(ordered):
                matrix[index] = scorer.state.features(scored_rows[index], found[declaration.id].signals)
        assessments = assess_vectors(
            scorer.model,
            scored_rows,
            matrix,
            signals=[found[d.id].signals for d in ordered],
            rules=scorer.rules,
            trusts=[found[d.id].trust for d in ordered],
            trust_policy=self.config.trust_policy,
            defer_factors=True,
        )
        laned = self._lanes(uow, org_id, scorer, ordered, assessments, found)
        stored, waiting = explain_queued(scorer.model, scored_rows, matrix, laned)
        uow.risk.save_assessments(stored)
        PendingFactorsRepository(uow.connection).add_many(waiting)
        return IntakeScore(org_id, tuple(rows), tuple(stored), scorer.key)

    def learn(self, scored: IntakeScore) -> None:
        """After the intake transaction committed: the cached state learns the new declarations."""
        with self._lock:
            scorer = self._orgs.get(scored.org_id)
        if scorer is None or not scored.rows:
            return
        with scorer.lock:
            for declaration_id, row in scored.rows:
                if declaration_id in scorer.rows:
                    continue
                scorer.rows[declaration_id] = row
                if row.fraud is not None:
                    scorer.learnt_outcomes.add(declaration_id)
                scorer.state.learn_late(row, row.fraud, row.critical_fraud or 0)

    def _lanes(
        self,
        uow: SqlUnitOfWork,
        org_id: uuid.UUID,
        scorer: _OrgScorer,
        ordered: Sequence[Declaration],
        assessments: Sequence[RiskAssessment],
        found: Mapping[uuid.UUID, DeclarationSignals],
    ) -> list[StoredAssessment]:
        capacity = self.config.capacity
        by_day: dict[date, list[int]] = defaultdict(list)
        for index, declaration in enumerate(ordered):
            by_day[declaration.declared_on].append(index)
        stored: list[StoredAssessment | None] = [None] * len(ordered)
        for day, indices in by_day.items():
            used = uow.risk.lanes_used(org_id, day)
            forcing = {
                i: assessments[i].forcing_reasons(found[ordered[i].id].signals.sanctions_hit) for i in indices
            }
            candidates = [
                Candidate(
                    str(ordered[i].id),
                    assessments[i].priority + sum(s.signal.weight for s in found[ordered[i].id].stored),
                    assessments[i].probability,
                    assessments[i].forced_lane,
                    "; ".join(forcing[i]),
                )
                for i in indices
            ]
            lanes = intake_lanes(
                candidates, scorer.lines, capacity, Capacity(used.get("red", 0), used.get("yellow", 0))
            )
            for i, lane in zip(indices, lanes, strict=True):
                assessment = assessments[i]
                signals = [s.signal for s in found[ordered[i].id].stored]
                applied = apply_signals(
                    assessment.priority,
                    lane.lane.value,
                    assessment.reasons_in(lane.reason, forcing[i]),
                    signals,
                )
                stored[i] = StoredAssessment(
                    declaration_id=ordered[i].id,
                    score=min(1.0, max(0.0, assessment.score)),
                    lane=applied.lane or lane.lane.value,
                    reasons=applied.reasons,
                    model_version=scorer.model.version,
                    priority=applied.priority,
                    model_lane=lane.lane.value,
                )
        return [item for item in stored if item is not None]

    def _scorer(
        self, uow: SqlUnitOfWork, org_id: uuid.UUID, now: datetime, pending: set[uuid.UUID]
    ) -> _OrgScorer | None:
        """The organisation's cache, current with the registered model and rules; ``pending`` are
        the declarations being scored (already stored in this transaction, not yet history)."""
        found = uow.risk.intake_key(org_id)
        if found is None:
            return None
        active, rules_digest, trust_loaded = found
        key = (f"{active.version}:{active.content_sha256}", rules_digest, trust_loaded)
        with self._lock:
            scorer = self._orgs.get(org_id)
        if scorer is not None and scorer.key == key:
            if time.monotonic() - scorer.refreshed_at >= REFRESH_SECONDS:
                scorer = self._refresh(uow, org_id, scorer, now, pending)
            return scorer
        if scorer is not None:
            # another model, rules or register: the state (history only) stays, the rest is reloaded
            scorer = self._rearm(uow, org_id, scorer, key, active.path, active.content_sha256)
        else:
            scorer = self._build(uow, org_id, key, active.path, active.content_sha256, now, pending)
        with self._lock:
            self._orgs[org_id] = scorer
        return scorer

    def _load(
        self, uow: SqlUnitOfWork, org_id: uuid.UUID, path: str, digest: str
    ) -> tuple[RiskModel, tuple[Rule, ...], TrustBook]:
        model = load_registered_model(path, digest)
        text = RuleSetRepository(uow.connection).active_yaml(org_id)
        rules = parse_rules(text) if text else ()
        return model, rules, trust_book(uow, org_id, self.config.trust_policy)

    def _lines(self, model: RiskModel, recent: FeatureTable) -> LaneLines:
        if len(recent):
            priorities = model.combined(model.probabilities(recent.matrix), recent.duty_at_stake())
        else:
            priorities = np.empty(0)
        days = [row.declared_on for row in recent.rows]
        return LaneLines.from_history(priorities, days, self.config.capacity, self.config.exploration_share)

    def _rearm(
        self, uow: SqlUnitOfWork, org_id: uuid.UUID, old: _OrgScorer, key: _CacheKey, path: str, digest: str
    ) -> _OrgScorer:
        model, rules, book = self._load(uow, org_id, path, digest)
        log.info("risk.intake.cache_rearmed", org_id=str(org_id), model_version=model.version)
        return dataclasses.replace(
            old, key=key, model=model, rules=rules, book=book, lines=self._lines(model, old.recent)
        )

    def _build(
        self,
        uow: SqlUnitOfWork,
        org_id: uuid.UUID,
        key: _CacheKey,
        path: str,
        digest: str,
        now: datetime,
        pending: set[uuid.UUID],
    ) -> _OrgScorer:
        started = time.perf_counter()
        model, rules, book = self._load(uow, org_id, path, digest)
        history = [(i, row) for i, row in history_of(uow, org_id) if i not in pending]
        state = FeatureState()
        table = build_feature_table([row for _id, row in history], state, learn=True)
        recent = table.subset(np.arange(max(0, len(table) - _LINE_ROWS), len(table)))
        lines = self._lines(model, recent)
        log.info(
            "risk.intake.cache_built",
            org_id=str(org_id),
            model_version=model.version,
            history=len(history),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return _OrgScorer(
            key=key,
            model=model,
            rules=rules,
            book=book,
            state=state,
            lines=lines,
            recent=recent,
            rows=dict(history),
            learnt_outcomes={i for i, row in history if row.fraud is not None},
            refreshed_at=time.monotonic(),
            watermark=now,
        )

    def _refresh(
        self,
        uow: SqlUnitOfWork,
        org_id: uuid.UUID,
        scorer: _OrgScorer,
        now: datetime,
        pending: set[uuid.UUID],
    ) -> _OrgScorer:
        """Learn what other processes stored since the last refresh (or rebuild when it is a lot)."""
        received, recorded = uow.risk.changed_since(org_id, scorer.watermark - _OVERLAP)
        new_ids = [i for i in received if i not in scorer.rows and i not in pending]
        new_outcomes = [i for i in recorded if i not in scorer.learnt_outcomes]
        if len(new_ids) + len(new_outcomes) > REBUILD_AFTER:
            active = uow.risk.active_model(org_id)
            assert active is not None
            rebuilt = self._build(uow, org_id, scorer.key, active.path, active.content_sha256, now, pending)
            with self._lock:
                self._orgs[org_id] = rebuilt
            return rebuilt
        wanted = list(dict.fromkeys([*new_ids, *new_outcomes]))
        declarations = uow.declarations.get_many(org_id, wanted)
        outcomes = uow.declarations.outcomes_for([d.id for d in declarations])
        fetched = [(d.id, row_from_declaration(d, _labelled(outcomes.get(d.id)))) for d in declarations]
        fetched.sort(key=lambda pair: pair[1].declared_on)
        with scorer.lock:
            for declaration_id, row in fetched:
                if declaration_id not in scorer.rows:
                    scorer.rows[declaration_id] = row
                    if row.fraud is not None:
                        scorer.learnt_outcomes.add(declaration_id)
                    scorer.state.learn_late(row, row.fraud, row.critical_fraud or 0)
                elif row.fraud is not None and declaration_id not in scorer.learnt_outcomes:
                    scorer.learnt_outcomes.add(declaration_id)
                    scorer.state.learn_outcome_late(row, row.fraud, row.critical_fraud or 0)
            scorer.refreshed_at = time.monotonic()
            scorer.watermark = now
        return scorer


#: lanes whose declarations get their model factors at intake: what goes into the officers' queue
EXPLAINED_LANES = frozenset({"red", "yellow"})


def explain_queued(
    model: RiskModel, rows: Sequence[DeclarationRow], matrix: np.ndarray, stored: Sequence[StoredAssessment]
) -> tuple[list[StoredAssessment], list[PendingFactors]]:
    """Factors now for the queue's lanes (one ``pred_contrib`` call for them all); for the rest the
    feature vector the model saw is kept, and :func:`factors_on_view` works them out when asked."""
    queued = [
        i for i, item in enumerate(stored) if item.lane in EXPLAINED_LANES and FACTORS_PENDING in item.reasons
    ]
    explained = list(stored)
    if queued:
        factors = explain_vectors(model, [rows[i] for i in queued], matrix[queued])
        for i, found in zip(queued, factors, strict=True):
            reasons = place_factors(stored[i].reasons, [factor.words for factor in found])
            explained[i] = dataclasses.replace(stored[i], reasons=reasons)
    pending = [
        PendingFactors(item.declaration_id, model.version, FEATURE_LIST_SHA256, pack_features(matrix[i]))
        for i, item in enumerate(explained)
        if FACTORS_PENDING in item.reasons
    ]
    return explained, pending


def factors_on_view(uow: SqlUnitOfWork, declaration: Declaration, reasons: Sequence[str]) -> list[str]:
    """``reasons`` with the declaration's model factors in place of :data:`FACTORS_PENDING`.

    The factors are worked out from the feature vector the model saw at intake, with the model
    version that scored it, and stored in place of the vector (inside the caller's open, writable
    unit of work), so the next reader gets them as they are. When that can't be done (the model file
    is gone or changed, the vector was built for another feature list) the reasons say so instead,
    and the vector stays for a later try.
    """
    if FACTORS_PENDING not in reasons:
        return list(reasons)
    repository = PendingFactorsRepository(uow.connection)
    pending = repository.get(declaration.id)
    words, kept = _pending_words(uow, declaration, pending)
    placed = place_factors(reasons, words)
    if kept:
        state = uow.risk.risk_state(declaration.id)
        if state is not None and state[1] is not None:
            uow.risk.set_risk_state(declaration.id, state[1], state[2], placed)
            repository.remove(declaration.id)
    return placed


def _pending_words(
    uow: SqlUnitOfWork, declaration: Declaration, pending: PendingFactors | None
) -> tuple[list[str], bool]:
    """The factors' words, and whether they are the factors (to keep) or why there are none."""
    if pending is None:
        return ["top model factors unavailable: the feature vector the model saw was not kept"], False
    version = pending.model_version
    if pending.feature_list_sha256 != FEATURE_LIST_SHA256:
        return [
            f"top model factors unavailable: model {version} scored this declaration with another "
            "feature list than this version of supplyguard knows"
        ], False
    registered = next((m for m in uow.risk.models(declaration.org_id) if m.version == version), None)
    if registered is None:
        return [f"top model factors unavailable: model {version} is not registered on this node"], False
    try:
        model = _model_file(registered.path, registered.content_sha256)
        vector = unpack_features(pending.features)
    except FileNotFoundError:
        log.warning("risk.factors.model_missing", model_version=version, path=registered.path)
        return [
            f"top model factors unavailable: the file of model {version}, which scored this "
            "declaration, is no longer on disk"
        ], False
    except (ModelError, OSError, ValueError) as exc:
        log.warning("risk.factors.model_unusable", model_version=version, error=str(exc))
        return [f"top model factors unavailable: model {version} cannot be used ({exc})"], False
    row = row_from_declaration(declaration)  # without its outcome, as at intake
    factors = explain_vectors(model, [row], vector.reshape(1, -1))[0]
    return [factor.words for factor in factors], True


def _model_file(path: str, digest: str) -> RiskModel:
    """The registered model file, loaded once per content (FileNotFoundError when it is gone)."""
    stat = Path(path).stat()
    return _loaded_model(path, digest, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _loaded_model(path: str, digest: str, _mtime_ns: int, _size: int) -> RiskModel:
    return load_registered_model(path, digest)


def load_registered_model(path: str, digest: str, version: str | None = None) -> RiskModel:
    """The model file of a registered model; :class:`ModelError` when it cannot be read or its
    content is not the registered one (``digest``, its SHA-256)."""
    model = load_model(path)
    if model.content_sha256 != digest:
        named = f" {version}" if version else ""
        raise ModelError(f"model file {path} does not match the registered model{named}")
    return model


def history_of(uow: SqlUnitOfWork, org_id: uuid.UUID) -> list[tuple[uuid.UUID, DeclarationRow]]:
    """Every declaration of the organisation as a risk row (with its outcome), in date order."""
    outcomes = {o.declaration_id: o for o in uow.declarations.iter_outcomes(org_id=org_id)}
    pairs = [
        (d.id, d.declared_on, row_from_declaration(d, _labelled(outcomes.get(d.id))))
        for d in uow.declarations.iter_all(org_id=org_id)
    ]
    pairs.sort(key=lambda item: (item[1], str(item[0])))
    return [(declaration_id, row) for declaration_id, _day, row in pairs]


def _labelled(outcome: InspectionOutcome | None) -> InspectionOutcome | None:
    return outcome if outcome is not None and outcome.inspected and outcome.result is not None else None


def intake_risk_for(extras: MutableMapping[str, Any], settings: Settings) -> IntakeRisk:
    """The node's intake scorer (cached in the container's extras)."""
    found = extras.get(INTAKE_EXTRA)
    if not isinstance(found, IntakeRisk):
        found = IntakeRisk(IntakeConfig.from_settings(settings))
        extras[INTAKE_EXTRA] = found
    return found


def invalidate_intake(extras: MutableMapping[str, Any], org_id: uuid.UUID | None = None) -> None:
    """Drop the cached model, rules and state (after a retrain, an activation or a rules load)."""
    found = extras.get(INTAKE_EXTRA)
    if isinstance(found, IntakeRisk):
        found.invalidate(org_id)


__all__ = [
    "INTAKE_EXTRA",
    "DeclarationSignals",
    "IntakeConfig",
    "IntakeRisk",
    "IntakeScore",
    "TrustBook",
    "factors_on_view",
    "history_of",
    "intake_risk_for",
    "invalidate_intake",
    "signals_for",
    "trust_book",
]
