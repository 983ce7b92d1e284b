"""The model registry and stored assessments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, select, update

from supplyguard.adapters.db.risk_trust_tables import risk_mutual_recognitions, risk_trusted_parties
from supplyguard.adapters.db.tables import declarations, outcomes, risk_models, risk_rule_sets, risk_signals
from supplyguard.compliance import MutualRecognition, Programme, TrustedStatus
from supplyguard.model.clock import as_utc
from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource


@dataclass(frozen=True, slots=True)
class StoredModel:
    version: str
    org_id: uuid.UUID
    path: str
    content_sha256: str
    summary: dict[str, Any]
    created_at: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    declaration_id: uuid.UUID
    score: float
    lane: str
    reasons: list[str]
    model_version: str
    priority: float
    model_lane: str  # the scorer's own lane decision, before stored signals escalated ``lane``


class RiskRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_model(self, model: StoredModel) -> None:
        self._conn.execute(
            risk_models.insert(),
            [
                {
                    "version": model.version,
                    "org_id": model.org_id,
                    "path": model.path,
                    "content_sha256": model.content_sha256,
                    "summary": model.summary,
                    "created_at": model.created_at,
                    "active": model.active,
                }
            ],
        )

    def activate(self, org_id: uuid.UUID, version: str) -> bool:
        found = self._conn.execute(
            select(risk_models.c.version).where(
                risk_models.c.org_id == org_id, risk_models.c.version == version
            )
        ).first()
        if found is None:
            return False
        self._conn.execute(update(risk_models).where(risk_models.c.org_id == org_id).values(active=False))
        self._conn.execute(update(risk_models).where(risk_models.c.version == version).values(active=True))
        return True

    def active_model(self, org_id: uuid.UUID) -> StoredModel | None:
        row = (
            self._conn.execute(
                select(risk_models).where(risk_models.c.org_id == org_id, risk_models.c.active.is_(True))
            )
            .mappings()
            .first()
        )
        return _to_model(row) if row else None

    def models(self, org_id: uuid.UUID) -> list[StoredModel]:
        rows = self._conn.execute(
            select(risk_models)
            .where(risk_models.c.org_id == org_id)
            .order_by(risk_models.c.created_at.desc())
        ).mappings()
        return [_to_model(row) for row in rows]

    def save_assessments(self, assessments: Sequence[StoredAssessment]) -> None:
        if not assessments:
            return
        statement = (
            update(declarations)
            .where(declarations.c.id == bindparam("b_id"))
            .values(
                score=bindparam("b_score"),
                lane=bindparam("b_lane"),
                risk_reasons=bindparam("b_reasons", type_=declarations.c.risk_reasons.type),
                model_version=bindparam("b_version"),
                priority=bindparam("b_priority"),
                model_lane=bindparam("b_model_lane"),
            )
        )
        self._conn.execute(
            statement,
            [
                {
                    "b_id": a.declaration_id,
                    "b_score": a.score,
                    "b_lane": a.lane,
                    "b_reasons": a.reasons,
                    "b_version": a.model_version,
                    "b_priority": a.priority,
                    "b_model_lane": a.model_lane,
                }
                for a in assessments
            ],
        )

    def reasons_for(self, declaration_id: uuid.UUID) -> tuple[list[str], str | None]:
        row = self._conn.execute(
            select(declarations.c.risk_reasons, declarations.c.model_version).where(
                declarations.c.id == declaration_id
            )
        ).first()
        if row is None:
            return [], None
        return list(row[0] or []), row[1]

    def risk_state(
        self, declaration_id: uuid.UUID
    ) -> tuple[uuid.UUID, float | None, str | None, list[str]] | None:
        """(org, priority, lane, reasons) of one declaration, or None when it does not exist."""
        row = self._conn.execute(
            select(
                declarations.c.org_id,
                declarations.c.priority,
                declarations.c.lane,
                declarations.c.risk_reasons,
            ).where(declarations.c.id == declaration_id)
        ).first()
        if row is None:
            return None
        return row[0], row[1], row[2], list(row[3] or [])

    def model_lane(self, declaration_id: uuid.UUID) -> Lane | None:
        """The lane the scorer itself last decided for the declaration; None when never scored."""
        value = self._conn.execute(
            select(declarations.c.model_lane).where(declarations.c.id == declaration_id)
        ).scalar()
        return Lane(value) if value else None

    def set_risk_state(
        self, declaration_id: uuid.UUID, priority: float, lane: str | None, reasons: list[str]
    ) -> None:
        self._conn.execute(
            update(declarations)
            .where(declarations.c.id == declaration_id)
            .values(priority=priority, lane=lane, risk_reasons=reasons)
        )

    def has_signal(self, declaration_id: uuid.UUID, source: SignalSource, ref: str) -> bool:
        found = self._conn.execute(
            select(risk_signals.c.id).where(
                risk_signals.c.declaration_id == declaration_id,
                risk_signals.c.source == source.value,
                risk_signals.c.ref == ref,
            )
        ).first()
        return found is not None

    def add_signal(
        self, org_id: uuid.UUID, declaration_id: uuid.UUID, signal: RiskSignal, raised_at: datetime
    ) -> None:
        self._conn.execute(
            risk_signals.insert().values(
                org_id=org_id,
                declaration_id=declaration_id,
                source=signal.source.value,
                ref=signal.ref,
                kind=signal.kind,
                weight=signal.weight,
                min_lane=signal.min_lane.value if signal.min_lane else None,
                reason=signal.reason,
                raised_at=raised_at,
            )
        )

    def open_signals_with_ref(
        self, source: SignalSource, ref: str
    ) -> list[tuple[int, uuid.UUID, RiskSignal]]:
        """(signal id, declaration, signal) of the signals ``(source, ref)`` on declarations with no
        inspection outcome yet (closed ones keep what was known when they were decided)."""
        rows = self._conn.execute(
            select(risk_signals)
            .where(
                risk_signals.c.source == source.value,
                risk_signals.c.ref == ref,
                ~exists().where(outcomes.c.declaration_id == risk_signals.c.declaration_id),
            )
            .order_by(risk_signals.c.id)
        ).mappings()
        return [(int(row["id"]), row["declaration_id"], _signal(row)) for row in rows]

    def delete_signal(self, signal_id: int) -> None:
        self._conn.execute(risk_signals.delete().where(risk_signals.c.id == signal_id))

    def signals_for(self, declaration_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredSignal]]:
        """Every stored signal of these declarations, oldest first."""
        found: dict[uuid.UUID, list[StoredSignal]] = {}
        for start in range(0, len(declaration_ids), 500):
            chunk = list(declaration_ids[start : start + 500])
            rows = self._conn.execute(
                select(risk_signals)
                .where(risk_signals.c.declaration_id.in_(chunk))
                .order_by(risk_signals.c.id)
            ).mappings()
            for row in rows:
                found.setdefault(row["declaration_id"], []).append(
                    StoredSignal(_signal(row), as_utc(row["raised_at"]))
                )
        return found

    def lanes_used(self, org_id: uuid.UUID, day: date) -> dict[str, int]:
        """How many declarations of ``day`` are in each lane already."""
        rows = self._conn.execute(
            select(declarations.c.lane, func.count())
            .where(
                declarations.c.org_id == org_id,
                declarations.c.declared_on == day,
                declarations.c.lane.is_not(None),
            )
            .group_by(declarations.c.lane)
        )
        return {str(lane): int(count) for lane, count in rows}

    def changed_since(self, org_id: uuid.UUID, since: datetime) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        """Declarations received and outcomes recorded at or after ``since`` (their declaration ids)."""
        received = [
            row[0]
            for row in self._conn.execute(
                select(declarations.c.id).where(
                    declarations.c.org_id == org_id, declarations.c.received_at >= since
                )
            )
        ]
        recorded = [
            row[0]
            for row in self._conn.execute(
                select(outcomes.c.declaration_id)
                .join(declarations, declarations.c.id == outcomes.c.declaration_id)
                .where(declarations.c.org_id == org_id, outcomes.c.recorded_at >= since)
            )
        ]
        return received, recorded

    def intake_key(self, org_id: uuid.UUID) -> tuple[StoredModel, str | None, str] | None:
        """In one read: the active model, the rules file's hash and the register's load times (what
        intake's cache must be current with); None without an active model."""
        rules = (
            select(risk_rule_sets.c.content_sha256)
            .where(risk_rule_sets.c.org_id == org_id, risk_rule_sets.c.active.is_(True))
            .scalar_subquery()
        )
        parties = (
            select(func.max(risk_trusted_parties.c.loaded_at))
            .where(risk_trusted_parties.c.org_id == org_id)
            .scalar_subquery()
        )
        arrangements = (
            select(func.max(risk_mutual_recognitions.c.loaded_at))
            .where(risk_mutual_recognitions.c.org_id == org_id)
            .scalar_subquery()
        )
        row = (
            self._conn.execute(
                select(
                    risk_models,
                    rules.label("rules_sha256"),
                    parties.label("trusted_loaded_at"),
                    arrangements.label("arrangements_loaded_at"),
                ).where(risk_models.c.org_id == org_id, risk_models.c.active.is_(True))
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        trust = f"{row['trusted_loaded_at']}|{row['arrangements_loaded_at']}"
        return _to_model(row), row["rules_sha256"], trust

    def trusted_statuses(self, org_id: uuid.UUID) -> list[TrustedStatus]:
        rows = self._conn.execute(
            select(risk_trusted_parties)
            .where(risk_trusted_parties.c.org_id == org_id)
            .order_by(risk_trusted_parties.c.id)
        ).mappings()
        return [
            TrustedStatus(
                party_id=row["party_code"],
                programme=Programme(row["programme"]),
                tier=int(row["tier"]),
                issuing_country=row["issuing_country"],
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
                certificate=row["certificate"],
            )
            for row in rows
        ]

    def arrangements(self, org_id: uuid.UUID, home_country: str) -> list[MutualRecognition]:
        rows = self._conn.execute(
            select(risk_mutual_recognitions)
            .where(risk_mutual_recognitions.c.org_id == org_id)
            .order_by(risk_mutual_recognitions.c.id)
        ).mappings()
        return [
            MutualRecognition(
                home_country,
                row["partner_country"],
                frozenset(Programme(p) for p in row["programmes"]),
                row["valid_from"],
                row["valid_to"],
            )
            for row in rows
        ]

    def replace_trust(
        self,
        org_id: uuid.UUID,
        statuses: Sequence[TrustedStatus],
        arrangements: Sequence[MutualRecognition],
        home_country: str,
        now: datetime,
    ) -> None:
        """Make ``statuses`` and ``arrangements`` the organisation's whole trusted-trader register."""
        self._conn.execute(delete(risk_trusted_parties).where(risk_trusted_parties.c.org_id == org_id))
        self._conn.execute(
            delete(risk_mutual_recognitions).where(risk_mutual_recognitions.c.org_id == org_id)
        )
        if statuses:
            self._conn.execute(
                risk_trusted_parties.insert(),
                [
                    {
                        "org_id": org_id,
                        "party_code": s.party_id,
                        "programme": s.programme.value,
                        "tier": s.tier,
                        "issuing_country": s.issuing_country,
                        "valid_from": s.valid_from,
                        "valid_to": s.valid_to,
                        "certificate": s.certificate,
                        "loaded_at": now,
                    }
                    for s in statuses
                ],
            )
        if arrangements:
            self._conn.execute(
                risk_mutual_recognitions.insert(),
                [
                    {
                        "org_id": org_id,
                        "partner_country": a.country_b if a.country_a == home_country else a.country_a,
                        "programmes": sorted(p.value for p in a.programmes),
                        "valid_from": a.valid_from,
                        "valid_to": a.valid_to,
                        "loaded_at": now,
                    }
                    for a in arrangements
                ],
            )


def _signal(row: Any) -> RiskSignal:
    return RiskSignal(
        SignalSource(row["source"]),
        row["ref"],
        row["kind"],
        float(row["weight"]),
        row["reason"],
        Lane(row["min_lane"]) if row["min_lane"] else None,
    )


@dataclass(frozen=True, slots=True)
class StoredSignal:
    signal: RiskSignal
    raised_at: datetime


def _to_model(row: Any) -> StoredModel:
    return StoredModel(
        version=row["version"],
        org_id=row["org_id"],
        path=row["path"],
        content_sha256=row["content_sha256"],
        summary=dict(row["summary"] or {}),
        created_at=as_utc(row["created_at"]),
        active=bool(row["active"]),
    )


class RuleSetRepository:
    """The analysts' rule files: the one in force per organisation, and every earlier version."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def activate(
        self,
        org_id: uuid.UUID,
        set_id: uuid.UUID,
        text: str,
        digest: str,
        rules: list[list[object]],
        now: datetime,
    ) -> None:
        self._conn.execute(
            update(risk_rule_sets).where(risk_rule_sets.c.org_id == org_id).values(active=False)
        )
        self._conn.execute(
            risk_rule_sets.insert(),
            [
                {
                    "id": set_id,
                    "org_id": org_id,
                    "yaml": text,
                    "content_sha256": digest,
                    "rules": rules,
                    "loaded_at": now,
                    "active": True,
                }
            ],
        )

    def active_yaml(self, org_id: uuid.UUID) -> str | None:
        row = self._conn.execute(
            select(risk_rule_sets.c.yaml).where(
                risk_rule_sets.c.org_id == org_id, risk_rule_sets.c.active.is_(True)
            )
        ).first()
        return None if row is None else str(row[0])
