"""Writing and reading the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from supplyguard.adapters.db.audit_repo import AuditEntry
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require


def audit(
    uow: SqlUnitOfWork,
    actor: Principal | None,
    clock: Clock,
    action: str,
    target_kind: str | None,
    target_id: str | None,
    details: dict[str, Any] | None = None,
    *,
    org_id: uuid.UUID | None = None,
    source: str | None = None,
    via: str | None = None,
) -> None:
    """Record one entry inside the caller's unit of work (so it commits or rolls back with the change)."""
    uow.audit.record(
        AuditEntry(
            org_id=org_id or (actor.org_id if actor else None),
            at=clock.now(),
            actor_id=actor.user_id if actor else None,
            actor=actor.username if actor else "system",
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            source=source or (actor.source if actor else None),
            via=via or (actor.via if actor else "cli"),
            details=details or {},
        )
    )


def list_audit(
    uow: SqlUnitOfWork,
    actor: Principal,
    *,
    action: str | None = None,
    target_id: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    require(actor, Action.AUDIT_READ)
    with uow:
        return uow.audit.list_page(
            actor.org_id, action=action, target_id=target_id, before_id=before_id, limit=limit
        )
