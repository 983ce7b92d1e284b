"""Stored supply networks (versioned by content hash), their computed views, drills and scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, func, select, update
from sqlalchemy.exc import IntegrityError

from supplyguard.adapters.db.resilience_tables import (
    resilience_drill_decisions,
    resilience_drill_scores,
    resilience_drills,
    resilience_networks,
    resilience_results,
)
from supplyguard.errors import Conflict
from supplyguard.model.clock import as_utc


@dataclass(frozen=True, slots=True)
class StoredNetwork:
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    version: int
    content_sha256: str
    document: dict[str, Any]
    risks: dict[str, Any] | None
    summary: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class StoredDrill:
    id: uuid.UUID
    org_id: uuid.UUID
    network_id: uuid.UUID
    drill_key: str
    title: str
    document: dict[str, Any]
    started_at: datetime
    started_by: str
    offset_minutes: float
    status: str
    scored_at: datetime | None
    key_actions: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: uuid.UUID
    drill_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    action: str
    target: str
    at_minute: float
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class StoredScore:
    drill_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    score: float
    detail: dict[str, Any]
    scored_at: datetime
    drill_title: str = ""


def _network(row: Any) -> StoredNetwork:
    return StoredNetwork(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        version=int(row["version"]),
        content_sha256=row["content_sha256"],
        document=dict(row["document"]),
        risks=dict(row["risks"]) if row["risks"] is not None else None,
        summary=dict(row["summary"]),
        created_at=as_utc(row["created_at"]),
        created_by=row["created_by"],
    )


def _drill(row: Any) -> StoredDrill:
    return StoredDrill(
        id=row["id"],
        org_id=row["org_id"],
        network_id=row["network_id"],
        drill_key=row["drill_key"],
        title=row["title"],
        document=dict(row["document"]),
        started_at=as_utc(row["started_at"]),
        started_by=row["started_by"],
        offset_minutes=float(row["offset_minutes"]),
        status=row["status"],
        scored_at=as_utc(row["scored_at"]) if row["scored_at"] is not None else None,
        key_actions=dict(row["key_actions"]) if row["key_actions"] is not None else None,
    )


class ResilienceRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # networks ---------------------------------------------------------------------------------

    def find_version(self, org_id: uuid.UUID, name: str, content_sha256: str) -> StoredNetwork | None:
        row = (
            self._conn.execute(
                select(resilience_networks).where(
                    resilience_networks.c.org_id == org_id,
                    resilience_networks.c.name == name,
                    resilience_networks.c.content_sha256 == content_sha256,
                )
            )
            .mappings()
            .first()
        )
        return _network(row) if row else None

    def next_version(self, org_id: uuid.UUID, name: str) -> int:
        top = self._conn.execute(
            select(func.max(resilience_networks.c.version)).where(
                resilience_networks.c.org_id == org_id, resilience_networks.c.name == name
            )
        ).scalar()
        return int(top or 0) + 1

    def add_network(self, network: StoredNetwork) -> None:
        """Insert a version; :class:`Conflict` when the same version number was just taken."""
        try:
            with self._conn.begin_nested():
                self._insert_network(network)
        except IntegrityError as exc:
            raise Conflict(
                f"another version of network {network.name!r} was stored at the same time; send it again"
            ) from exc

    def _insert_network(self, network: StoredNetwork) -> None:
        self._conn.execute(
            resilience_networks.insert(),
            [
                {
                    "id": network.id,
                    "org_id": network.org_id,
                    "name": network.name,
                    "version": network.version,
                    "content_sha256": network.content_sha256,
                    "document": network.document,
                    "risks": network.risks,
                    "summary": network.summary,
                    "created_at": network.created_at,
                    "created_by": network.created_by,
                }
            ],
        )

    def _owned(self, table: Table, org_id: uuid.UUID, row_id: uuid.UUID) -> RowMapping | None:
        """The row ``row_id`` of ``table`` when it belongs to ``org_id``."""
        return (
            self._conn.execute(select(table).where(table.c.org_id == org_id, table.c.id == row_id))
            .mappings()
            .first()
        )

    def network(self, org_id: uuid.UUID, network_id: uuid.UUID) -> StoredNetwork | None:
        row = self._owned(resilience_networks, org_id, network_id)
        return _network(row) if row else None

    def networks(self, org_id: uuid.UUID) -> list[StoredNetwork]:
        """Every version, by name, newest version first."""
        rows = self._conn.execute(
            select(resilience_networks)
            .where(resilience_networks.c.org_id == org_id)
            .order_by(resilience_networks.c.name, resilience_networks.c.version.desc())
        ).mappings()
        return [_network(row) for row in rows]

    # computed views ---------------------------------------------------------------------------

    def result(self, network_id: uuid.UUID, kind: str, params_sha256: str) -> Any | None:
        row = self._conn.execute(
            select(resilience_results.c.result).where(
                resilience_results.c.network_id == network_id,
                resilience_results.c.kind == kind,
                resilience_results.c.params_sha256 == params_sha256,
            )
        ).first()
        return None if row is None else row[0]

    def put_result(
        self,
        network_id: uuid.UUID,
        kind: str,
        params_sha256: str,
        params: dict[str, Any],
        result: Any,
        now: datetime,
    ) -> None:
        """Store a computed view; one computed concurrently by another request is kept as is."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    resilience_results.insert(),
                    [
                        {
                            "network_id": network_id,
                            "kind": kind,
                            "params_sha256": params_sha256,
                            "params": params,
                            "result": result,
                            "computed_at": now,
                        }
                    ],
                )
        except IntegrityError:
            pass

    # drills -----------------------------------------------------------------------------------

    def add_drill(self, drill: StoredDrill) -> None:
        self._conn.execute(
            resilience_drills.insert(),
            [
                {
                    "id": drill.id,
                    "org_id": drill.org_id,
                    "network_id": drill.network_id,
                    "drill_key": drill.drill_key,
                    "title": drill.title,
                    "document": drill.document,
                    "started_at": drill.started_at,
                    "started_by": drill.started_by,
                    "offset_minutes": drill.offset_minutes,
                    "status": drill.status,
                    "scored_at": drill.scored_at,
                    "key_actions": drill.key_actions,
                }
            ],
        )

    def drill(self, org_id: uuid.UUID, drill_id: uuid.UUID) -> StoredDrill | None:
        row = self._owned(resilience_drills, org_id, drill_id)
        return _drill(row) if row else None

    def drills(self, org_id: uuid.UUID, network_id: uuid.UUID | None = None) -> list[StoredDrill]:
        query = select(resilience_drills).where(resilience_drills.c.org_id == org_id)
        if network_id is not None:
            query = query.where(resilience_drills.c.network_id == network_id)
        rows = self._conn.execute(query.order_by(resilience_drills.c.started_at.desc())).mappings()
        return [_drill(row) for row in rows]

    def advance_drill(self, drill_id: uuid.UUID, offset_minutes: float) -> None:
        self._conn.execute(
            update(resilience_drills)
            .where(resilience_drills.c.id == drill_id)
            .values(offset_minutes=offset_minutes)
        )

    def close_drill(self, drill_id: uuid.UUID, key_actions: dict[str, str], now: datetime) -> bool:
        """Mark a running drill scored; False when it was already scored (by a concurrent request)."""
        done = self._conn.execute(
            update(resilience_drills)
            .where(resilience_drills.c.id == drill_id, resilience_drills.c.status == "running")
            .values(status="scored", scored_at=now, key_actions=key_actions)
        )
        return bool(done.rowcount)

    def add_decision(self, decision: StoredDecision) -> None:
        self._conn.execute(
            resilience_drill_decisions.insert(),
            [
                {
                    "id": decision.id,
                    "drill_id": decision.drill_id,
                    "user_id": decision.user_id,
                    "username": decision.username,
                    "action": decision.action,
                    "target": decision.target,
                    "at_minute": decision.at_minute,
                    "recorded_at": decision.recorded_at,
                }
            ],
        )

    def decisions(self, drill_id: uuid.UUID) -> list[StoredDecision]:
        rows = self._conn.execute(
            select(resilience_drill_decisions)
            .where(resilience_drill_decisions.c.drill_id == drill_id)
            .order_by(resilience_drill_decisions.c.at_minute, resilience_drill_decisions.c.id)
        ).mappings()
        return [
            StoredDecision(
                id=row["id"],
                drill_id=row["drill_id"],
                user_id=row["user_id"],
                username=row["username"],
                action=row["action"],
                target=row["target"],
                at_minute=float(row["at_minute"]),
                recorded_at=as_utc(row["recorded_at"]),
            )
            for row in rows
        ]

    def add_scores(self, scores: list[StoredScore]) -> None:
        if not scores:
            return
        self._conn.execute(
            resilience_drill_scores.insert(),
            [
                {
                    "drill_id": s.drill_id,
                    "user_id": s.user_id,
                    "username": s.username,
                    "score": s.score,
                    "detail": s.detail,
                    "scored_at": s.scored_at,
                }
                for s in scores
            ],
        )

    def scores(self, drill_id: uuid.UUID) -> list[StoredScore]:
        rows = self._conn.execute(
            select(resilience_drill_scores)
            .where(resilience_drill_scores.c.drill_id == drill_id)
            .order_by(resilience_drill_scores.c.score.desc(), resilience_drill_scores.c.username)
        ).mappings()
        return [_score(row) for row in rows]

    def training_record(self, org_id: uuid.UUID, user_id: uuid.UUID | None = None) -> list[StoredScore]:
        """Scores of one user (or everyone in the organisation), newest first, with drill titles."""
        query = (
            select(resilience_drill_scores, resilience_drills.c.title)
            .join(resilience_drills, resilience_drills.c.id == resilience_drill_scores.c.drill_id)
            .where(resilience_drills.c.org_id == org_id)
        )
        if user_id is not None:
            query = query.where(resilience_drill_scores.c.user_id == user_id)
        rows = self._conn.execute(
            query.order_by(resilience_drill_scores.c.scored_at.desc(), resilience_drill_scores.c.username)
        ).mappings()
        return [_score(row) for row in rows]


def _score(row: Any) -> StoredScore:
    return StoredScore(
        drill_id=row["drill_id"],
        user_id=row["user_id"],
        username=row["username"],
        score=float(row["score"]),
        detail=dict(row["detail"]),
        scored_at=as_utc(row["scored_at"]),
        drill_title=row.get("title", "") or "",
    )
