"""/v1/health and /v1/audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from supplyguard.adapters.db.metadata import MAX_STORED_INT
from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.api.schemas import AuditEntryOut, HealthOut
from supplyguard.services.audit import list_audit
from supplyguard.services.health import check_health

router = APIRouter(prefix="/v1", tags=["system"])


@router.get("/health", response_model=HealthOut)
def health(container: ContainerDep) -> HealthOut:
    state = check_health(container.uow(readonly=True))
    settings = container.settings
    return HealthOut(
        status="ok",
        node=settings.node_name,
        country=settings.node_country,
        database=state.database,
        ledger_size=state.ledger_size,
    )


@router.get("/audit", response_model=list[AuditEntryOut], tags=["audit"])
def audit_log(
    container: ContainerDep,
    principal: PrincipalDep,
    action: str | None = None,
    target_id: str | None = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_STORED_INT, description="Entries older than this id (paging).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryOut]:
    entries = list_audit(
        container.uow(readonly=True),
        principal,
        action=action,
        target_id=target_id,
        before_id=before_id,
        limit=limit,
    )
    return [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
