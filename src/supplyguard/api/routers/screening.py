"""/v1/screening: screen one party or a batch against the installed sanctions lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from supplyguard.adapters.db.metadata import MAX_STORED_INT
from supplyguard.adapters.lists_store import ListStore
from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.bootstrap import Container
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.permissions import Action, require
from supplyguard.screening import Screener
from supplyguard.services.screening import (
    mark_false_positive,
    rescreen,
    runs_of,
    screen_parties,
    screener_for,
)

router = APIRouter(prefix="/v1/screening", tags=["screening"])
MAX_BATCH = 10_000
DEFAULT_THRESHOLD = 0.75
StoredId = Annotated[int, Path(ge=1, le=MAX_STORED_INT)]


class PartyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=10_000)
    country: str = Field(default="", max_length=100)
    dob: str = Field(default="", max_length=100)
    id: str = Field(default="", max_length=100)


class BatchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parties: list[PartyQuery] = Field(max_length=MAX_BATCH)
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)


def _screener(container: Container) -> Screener:
    screener = screener_for(container.extras, container.settings.lists_dir, DEFAULT_THRESHOLD)
    if screener is None:
        raise ValidationFailed([FieldError(("lists",), "no sanctions list is installed on this node")])
    return screener


@router.post("/party")
async def screen_party(body: PartyQuery, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Hits for one party at or above the threshold, each with its reasons in words."""
    require(principal, Action.PARTY_READ)
    return await run_in_threadpool(_screen_one, container, body.model_dump())


def _screen_one(container: Container, party: dict[str, str]) -> dict[str, Any]:
    """One hop to the thread pool per request: the cached screener and the screening together."""
    return screen_parties(_screener(container), [party])[0].as_dict()


@router.post("/batch")
async def screen_batch(
    body: BatchQuery, container: ContainerDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """One result per party, in order (up to 10,000 per request)."""
    require(principal, Action.PARTY_READ)
    screener = await run_in_threadpool(_screener, container)
    parties = [party.model_dump() for party in body.parties]
    results = await run_in_threadpool(screen_parties, screener, parties, body.threshold)
    return [result.as_dict() for result in results]


@router.post("/rescreen")
async def rescreen_parties(container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Screen the parties of the organisation's open declarations again against the lists in force;
    the hits added and removed are stored as a run (also done by `lists import` / `lists update`)."""
    require(principal, Action.SCREENING_DECIDE)
    screener = await run_in_threadpool(_screener, container)
    report = await run_in_threadpool(
        rescreen,
        container.uow,
        container.clock,
        screener,
        ListStore(container.settings.lists_dir),
        principal,
        trigger="api",
    )
    return report.as_dict()


@router.get("/runs")
def screening_runs(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The latest re-screening runs of the organisation, newest first."""
    return runs_of(container.uow(readonly=True), principal)


@router.get("/runs/{run_id}")
def screening_run(run_id: StoredId, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """One re-screening run with the hits it added and removed."""
    return runs_of(container.uow(readonly=True), principal, run_id)[0]


class FalsePositiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


@router.post("/hits/{hit_id}/false-positive")
def false_positive(
    hit_id: StoredId, body: FalsePositiveIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Mark a stored hit a false positive for its party (audited, in the ledger)."""
    hit = mark_false_positive(
        container.uow(), container.clock, container.signer, principal, hit_id, body.reason
    )
    return {"id": hit_id, "status": "false_positive", "entity_id": hit["entity_id"], "list": hit["list_id"]}
