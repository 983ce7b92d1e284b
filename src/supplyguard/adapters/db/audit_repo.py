"""The audit log: who did or read what, when, from where."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from supplyguard.adapters.db.tables import audit_log
from supplyguard.model.clock import as_utc


@dataclass(frozen=True, slots=True)
class AuditEntry:
    org_id: uuid.UUID | None
    at: datetime
    actor_id: uuid.UUID | None
    actor: str
    action: str
    target_kind: str | None
    target_id: str | None
    source: str | None
    via: str
    details: dict[str, Any]
    id: int | None = None


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, entry: AuditEntry) -> None:
        self.record_many([entry])

    def record_many(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        self._conn.execute(
            audit_log.insert(),
            [
                {
                    "org_id": e.org_id,
                    "at": e.at,
                    "actor_id": e.actor_id,
                    "actor": e.actor[:100],
                    "action": e.action,
                    "target_kind": e.target_kind,
                    "target_id": e.target_id,
                    "source": (e.source or "")[:100] or None,
                    "via": e.via,
                    "details": e.details,
                }
                for e in entries
            ],
        )

    def list_page(
        self,
        org_id: uuid.UUID,
        *,
        action: str | None = None,
        target_id: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        conditions = [audit_log.c.org_id == org_id]
        if action:
            conditions.append(audit_log.c.action == action)
        if target_id:
            conditions.append(audit_log.c.target_id == target_id)
        if before_id is not None:
            conditions.append(audit_log.c.id < before_id)
        rows = self._conn.execute(
            select(audit_log).where(and_(*conditions)).order_by(audit_log.c.id.desc()).limit(limit)
        ).mappings()
        return [
            AuditEntry(
                id=row["id"],
                org_id=row["org_id"],
                at=as_utc(row["at"]),
                actor_id=row["actor_id"],
                actor=row["actor"],
                action=row["action"],
                target_kind=row["target_kind"],
                target_id=row["target_id"],
                source=row["source"],
                via=row["via"],
                details=row["details"] or {},
            )
            for row in rows
        ]
