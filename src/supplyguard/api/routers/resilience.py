"""/v1/resilience: networks, analyses, Monte Carlo, stockpiles, routes and drills."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from supplyguard.adapters.db.resilience_repo import StoredDecision, StoredDrill, StoredNetwork, StoredScore
from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.services import resilience as service
from supplyguard.services import resilience_files

router = APIRouter(prefix="/v1/resilience", tags=["resilience"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain", "")


def _network_out(stored: StoredNetwork, *, with_document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(stored.id),
        "name": stored.name,
        "version": stored.version,
        "content_sha256": stored.content_sha256,
        "summary": stored.summary,
        "has_risks": stored.risks is not None,
        "created_at": stored.created_at.isoformat(),
        "created_by": stored.created_by,
    }
    if with_document:
        out["document"] = stored.document
        out["risks"] = stored.risks
    return out


def _drill_out(drill: StoredDrill) -> dict[str, Any]:
    return {
        "id": str(drill.id),
        "network_id": str(drill.network_id),
        "drill": drill.drill_key,
        "title": drill.title,
        "status": drill.status,
        "started_at": drill.started_at.isoformat(),
        "started_by": drill.started_by,
        "scored_at": drill.scored_at.isoformat() if drill.scored_at else None,
    }


def _decision_out(decision: StoredDecision) -> dict[str, Any]:
    return {
        "user": decision.username,
        "action": decision.action,
        "target": decision.target,
        "at_minute": decision.at_minute,
        "recorded_at": decision.recorded_at.isoformat(),
    }


def _score_out(score: StoredScore) -> dict[str, Any]:
    return {
        "drill_id": str(score.drill_id),
        "drill": score.drill_title or None,
        "user": score.username,
        "score": score.score,
        "scored_at": score.scored_at.isoformat(),
        **{k: v for k, v in score.detail.items() if k not in ("participant", "score")},
    }


async def _body_text(request: Request, limit: int) -> bytes:
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(len(body), limit)
    return body


def _text_or_mapping(value: object, where: str) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, str | dict):
        return value
    raise ValidationFailed([FieldError((where,), "must be YAML text or an object")])


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string", "description": "the network file"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["network"],
                    "properties": {
                        "network": {"description": "the network: YAML text or an object"},
                        "sites_csv": {"type": "string", "description": "sites table (CSV)"},
                        "lanes_csv": {"type": "string", "description": "lanes table (CSV)"},
                        "risks": {"description": "Monte Carlo risk profiles: YAML text or an object"},
                    },
                    "additionalProperties": False,
                }
            },
        },
    }
}


@router.post(
    "/networks",
    status_code=201,
    responses={
        200: {
            "description": "This content is already stored: the version stored before",
            "content": {"application/json": {"schema": {}}},
        }
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_network(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Store a network: a YAML body (``application/yaml``), or JSON ``{"network": YAML text or
    object, "sites_csv": CSV text, "lanes_csv": CSV text, "risks": YAML text or object}``.
    The same content again answers 200 with the version already stored."""
    body = await _body_text(request, container.settings.max_body_bytes)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed([FieldError(("body",), "must be UTF-8 text")]) from exc
    fields: dict[str, Any]
    if media == "application/json":
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed([FieldError(("body",), f"not valid JSON: {exc.msg}")]) from exc
        if not isinstance(fields, dict) or "network" not in fields:
            raise ValidationFailed([FieldError(("network",), "is required")])
        unknown = set(fields) - {"network", "sites_csv", "lanes_csv", "risks"}
        if unknown:
            raise ValidationFailed([FieldError((name,), "unknown field") for name in sorted(unknown)])
        for name in ("sites_csv", "lanes_csv"):
            if fields.get(name) is not None and not isinstance(fields[name], str):
                raise ValidationFailed([FieldError((name,), "must be CSV text")])
    elif media in YAML_TYPES:
        fields = {"network": text}
    else:
        raise ValidationFailed([FieldError(("content-type",), "send application/yaml or application/json")])
    network = _text_or_mapping(fields["network"], "network")
    if network is None:
        raise ValidationFailed([FieldError(("network",), "is required")])
    risks = _text_or_mapping(fields.get("risks"), "risks")
    result = await run_in_threadpool(
        service.store_network,
        container.uow(),
        container.clock,
        container.signer,
        principal,
        network,
        sites_csv=fields.get("sites_csv"),
        lanes_csv=fields.get("lanes_csv"),
        risks=risks,
    )
    content = json.dumps({**_network_out(result.network), "created": result.created})
    return Response(content, status_code=201 if result.created else 200, media_type="application/json")


@router.get("/networks")
def list_networks(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Every stored version of every network of the caller's organisation, newest version first."""
    return [_network_out(n) for n in service.list_networks(container.uow(readonly=True), principal)]


@router.get("/networks/{network_id}")
def get_network(network_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    stored = service.get_network(container.uow(readonly=True), principal, network_id)
    return _network_out(stored, with_document=True)


@router.get("/networks/{network_id}/analysis")
def analyse(network_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Every single-point and declared scenario, most harmful first: the ``resilience analyse``
    fields plus the contingency plan and the reasons."""
    return service.analyse(container.uow(), container.clock, principal, network_id)


@router.get("/networks/{network_id}/simulation")
def simulate(
    network_id: uuid.UUID,
    container: ContainerDep,
    principal: PrincipalDep,
    runs: Annotated[int, Query(description="sampled scenarios (1 to 100,000)")] = service.PAGE_RUNS,
    seed: Annotated[int, Query(description="random seed")] = service.PAGE_SEED,
    horizon: Annotated[float | None, Query(description="periods per sample")] = None,
) -> dict[str, Any]:
    """Monte Carlo: loss distribution (summary and histogram), unmet demand per product."""
    return service.simulate(
        container.uow(), container.clock, principal, network_id, runs=runs, seed=seed, horizon=horizon
    )


@router.get("/networks/{network_id}/stockpile")
def stockpile(
    network_id: uuid.UUID,
    container: ContainerDep,
    principal: PrincipalDep,
    scenario: Annotated[
        list[str] | None, Query(description="scenarios to survive (default: site outages)")
    ] = None,
    lead_periods: Annotated[float, Query(description="protection interval of the base-stock view")] = 1.0,
) -> dict[str, Any]:
    """The cheapest emergency stock making TTS >= TTR, and the service-level view with costs."""
    return service.stockpile(
        container.uow(), container.clock, principal, network_id, scenarios=scenario, lead_periods=lead_periods
    )


@router.get("/networks/{network_id}/reroute")
def reroute(
    network_id: uuid.UUID,
    container: ContainerDep,
    principal: PrincipalDep,
    passage: Annotated[str, Query(max_length=40, description="the passage that closes")] = "suez",
) -> dict[str, Any]:
    """Each sea lane crossing ``passage``: its detour when the passage closes, and the impact."""
    router_ = service.sea_router_for(container.extras)
    return service.reroute(container.uow(), container.clock, principal, network_id, router_, passage)


@router.get("/routes")
def routes(
    principal: PrincipalDep,
    origin: Annotated[str, Query(alias="from", max_length=10, description="UN/LOCODE, e.g. CNSHA")],
    destination: Annotated[str, Query(alias="to", max_length=10, description="UN/LOCODE, e.g. NLRTM")],
    close: Annotated[list[str] | None, Query(description="passages to close")] = None,
    alternatives: Annotated[int, Query(ge=1, le=10)] = 3,
) -> dict[str, Any]:
    """Sea routes between two ports with passages closed, and the detour each closure forces."""
    return resilience_files.sea_routes(origin, destination, list(close or []), alternatives)


class DrillStart(BaseModel):
    scenario: str | None = Field(None, max_length=200, description="a scenario of the network")
    drill: dict[str, Any] | str | None = Field(None, description="a drill document (YAML text or object)")


class DecisionIn(BaseModel):
    action: str = Field(max_length=40, description="use-alternative | draw-stock | reroute | no-action")
    target: str = Field("", max_length=200, description="alternative id, SITE/PRODUCT or lane id")


@router.post("/networks/{network_id}/drills", status_code=201)
def start_drill(
    network_id: uuid.UUID, body: DrillStart, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    drill = service.start_drill(
        container.uow(), container.clock, principal, network_id, scenario=body.scenario, document=body.drill
    )
    return _drill_out(drill)


@router.get("/drills/{drill_id}")
def drill_state(drill_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """The drill now: injects delivered, choices, decisions visible to the caller, scores."""
    view = service.drill_view(container.uow(), container.clock, principal, drill_id)
    return {
        **_drill_out(view.drill),
        "elapsed_minutes": round(view.elapsed_minutes, 2),
        "injects": view.injects,
        "next_inject_minute": view.next_inject_minute,
        "options": view.options,
        "decisions": [_decision_out(d) for d in view.decisions],
        "scores": [_score_out(s) for s in view.scores],
        "key_actions": view.key_actions,
    }


@router.post("/drills/{drill_id}/advance")
def advance_drill(drill_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Deliver the next inject now."""
    minute = service.advance_drill(container.uow(), container.clock, principal, drill_id)
    return {"delivered_minute": minute}


@router.post("/drills/{drill_id}/decisions", status_code=201)
def record_decision(
    drill_id: uuid.UUID, body: DecisionIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    decision = service.record_decision(
        container.uow(), container.clock, principal, drill_id, body.action, body.target
    )
    return _decision_out(decision)


@router.post("/drills/{drill_id}/score")
def score_drill(
    drill_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """Close the drill and score every participant (stored on their training records)."""
    scores = service.score(container.uow(), container.clock, container.signer, principal, drill_id)
    return [_score_out(s) for s in scores]


@router.get("/training")
def training_record(
    container: ContainerDep,
    principal: PrincipalDep,
    user_id: uuid.UUID | None = None,
    everyone: Annotated[bool, Query(description="every participant of the organisation (planners)")] = False,
) -> list[dict[str, Any]]:
    """The caller's drill scores, or (for planners) another user's or everyone's."""
    scores = service.training_record(container.uow(readonly=True), principal, user_id, everyone=everyone)
    return [_score_out(s) for s in scores]
