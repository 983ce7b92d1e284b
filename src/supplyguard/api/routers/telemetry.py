"""/v1/telemetry and /v1/alerts: tracker position batches, current positions, the alert queue.

- ``POST /v1/telemetry/positions``: a JSON array of position messages (docs/tracking.md); malformed
  messages refuse the batch (422, each field named as ``[index, field]``); filtered positions are
  counted by reason; the answer lists the alerts raised.
- ``GET /v1/telemetry/devices``: the last position of every device.
- ``GET /v1/tracking/objects/{epc}``: where an object is, what holds it, and its custody chain,
  from the stored EPCIS events (identifier in any form, URL-encoded).
- ``GET /v1/alerts`` (``open=false`` for acknowledged ones too) and
  ``POST /v1/alerts/{id}/acknowledge``.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.services import telemetry as service
from supplyguard.services.tracking_state import object_view

router = APIRouter(prefix="/v1", tags=["telemetry"])


@router.post("/telemetry/positions")
async def positions(request: Request, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Filter, evaluate and store a batch of positions."""
    limit = container.settings.max_body_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    try:
        messages = json.loads(b"".join(chunks))
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed([FieldError(("body",), f"not a JSON array: {exc}")]) from exc
    pipelines = service.telemetry_pipelines(container.extras)
    report = await run_in_threadpool(
        service.ingest_positions, container.uow(), container.clock, principal, messages, pipelines
    )
    return report.as_dict()


@router.get("/telemetry/devices")
def devices(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The last stored position of each device."""
    return service.position_batch(service.current_positions(container.uow(readonly=True), principal))


@router.get("/alerts")
def alerts(
    container: ContainerDep,
    principal: PrincipalDep,
    open: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Alerts, newest first; only those not yet acknowledged unless ``open=false``."""
    found = service.list_alerts(container.uow(readonly=True), principal, open_only=open, limit=limit)
    return [service.alert_json(a) for a in found]


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Mark an alert as seen and handled by the caller."""
    return service.alert_json(
        service.acknowledge_alert(container.uow(), container.clock, principal, alert_id)
    )


@router.get("/tracking/objects/{epc:path}")
def tracked_object(epc: str, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Current state (location, step, holder, parent, position) and custody chain of one object."""
    return object_view(container.uow(readonly=True), principal, epc).as_dict()
