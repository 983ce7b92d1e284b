"""/v1/tracking: alert rules (geofences, corridors, profiles), their assignment to devices, device
links to containers and declarations, expected stock and the stock check.

The alert queue itself is ``GET /v1/alerts`` and ``POST /v1/alerts/{id}/acknowledge`` (router
``telemetry``); it is not repeated here.

- ``GET /v1/tracking/rules[?kind=]``, ``POST /v1/tracking/rules`` (one rule, 201),
  ``GET|DELETE /v1/tracking/rules/{name or id}``
- ``POST /v1/tracking/rules/{name or id}/assign`` and ``/unassign``: ``{"devices": [...]}``
- ``POST /v1/tracking/rules/load[?replace=true]``: a rules file, YAML (``application/yaml``) or JSON
- ``GET|POST /v1/tracking/links``, ``DELETE /v1/tracking/links/{id}``
- ``POST /v1/tracking/expected-stock``: ``{"declaration", "site", "items": {...}, "containers": [...]}``
- ``POST /v1/tracking/stock/check``: compare the depots with the declarations; the alerts raised
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.concurrency import run_in_threadpool

from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.services import tracking_rules as rules
from supplyguard.services.telemetry import alert_json
from supplyguard.services.tracking_stock import check_stock

router = APIRouter(prefix="/v1/tracking", tags=["alerts"])

JsonObject = Annotated[dict[str, Any], Body()]


@router.get("/rules")
def list_rules(
    container: ContainerDep, principal: PrincipalDep, kind: str | None = None
) -> list[dict[str, Any]]:
    """Stored rules of the caller's organisation, by kind and name."""
    return [rules.rule_json(r) for r in rules.list_rules(container.uow(readonly=True), principal, kind)]


@router.post("/rules", status_code=201)
async def create_rule(
    payload: JsonObject, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Validate and store one rule (sea corridors are planned on the shipping lanes here)."""
    rule = await run_in_threadpool(
        rules.create_rule, container.uow(), container.clock, container.signer, principal, payload
    )
    return rules.rule_json(rule)


@router.post("/rules/load")
async def load_rules(
    request: Request, container: ContainerDep, principal: PrincipalDep, replace: bool = False
) -> dict[str, Any]:
    """Put a rules file in force, all or nothing (``replace=true``: instead of the stored rules)."""
    body = await _body(request, container.settings.max_body_bytes)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise ValidationFailed([FieldError(("body",), f"not valid JSON: {exc}")]) from exc
        if not isinstance(document, dict):
            raise ValidationFailed([FieldError(("body",), "a rules document is an object of sections")])
    else:
        try:
            document = rules.parse_rules_yaml(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValidationFailed([FieldError(("body",), "must be UTF-8 text")]) from exc
    report = await run_in_threadpool(
        rules.load_rules,
        container.uow(),
        container.clock,
        container.signer,
        principal,
        document,
        replace=replace,
    )
    return report.as_dict()


@router.get("/rules/{ref}")
def get_rule(ref: str, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    return rules.rule_json(rules.get_rule(container.uow(readonly=True), principal, ref))


@router.delete("/rules/{ref}", status_code=204)
def delete_rule(ref: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    rules.delete_rule(container.uow(), container.clock, container.signer, principal, ref)
    return Response(status_code=204)


@router.post("/rules/{ref}/assign")
def assign_rule(
    ref: str, payload: JsonObject, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Apply a profile or corridor to ``devices`` (``"*"``: every device)."""
    rule = rules.assign_rule(
        container.uow(), container.clock, container.signer, principal, ref, payload.get("devices")
    )
    return rules.rule_json(rule)


@router.post("/rules/{ref}/unassign")
def unassign_rule(
    ref: str, payload: JsonObject, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    rule = rules.unassign_rule(
        container.uow(), container.clock, container.signer, principal, ref, payload.get("devices")
    )
    return rules.rule_json(rule)


@router.get("/links")
def list_links(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Devices and the containers / declarations they travel with."""
    return [rules.link_json(link) for link in rules.list_links(container.uow(readonly=True), principal)]


@router.post("/links", status_code=201)
def link_device(payload: JsonObject, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """``{"device": "TRK-1", "asset": "CSQU3054383", "declaration": "REF-1"}`` (asset or declaration)."""
    unknown = sorted(set(payload) - {"device", "asset", "declaration"})
    if unknown:
        raise ValidationFailed([FieldError((key,), "unknown field") for key in unknown])
    link = rules.link_device(
        container.uow(),
        container.clock,
        container.signer,
        principal,
        payload.get("device"),  # type: ignore[arg-type]  # validated by the service
        asset=payload.get("asset"),
        declaration=payload.get("declaration"),
    )
    return rules.link_json(link)


@router.delete("/links/{link_id}", status_code=204)
def unlink_device(link_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> Response:
    rules.unlink_device(container.uow(), container.clock, container.signer, principal, link_id)
    return Response(status_code=204)


@router.post("/expected-stock", status_code=201)
def expect_stock(payload: JsonObject, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """What a declaration ships to a site: ``items`` (item class -> quantity) and ``containers``."""
    rows = rules.expect_stock(
        container.uow(),
        container.clock,
        container.signer,
        principal,
        payload.get("declaration"),  # type: ignore[arg-type]  # validated by the service
        payload.get("site"),  # type: ignore[arg-type]
        payload.get("items"),
        payload.get("containers") or (),
    )
    return {
        "declaration_id": str(rows[0].declaration_id),
        "site": rows[0].site,
        "items": {r.item: r.quantity for r in rows},
    }


@router.post("/stock/check")
async def stock_check(container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Compare the stock of each site declarations ship to with what they say; store mismatch alerts."""
    result = await run_in_threadpool(check_stock, container.uow(), container.clock, principal)
    return {
        "sites": result.sites,
        "expected": result.expected,
        "observed": result.observed,
        "alerts": [alert_json(a) for a in result.alerts],
        "risk_signals": result.signals,
    }


async def _body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)
