"""/v1/ledger: checkpoints, inclusion and consistency proofs, leaves (for partners and auditors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from supplyguard.adapters.db.metadata import MAX_STORED_INT
from supplyguard.api.deps import ContainerDep, SignedPrincipalDep
from supplyguard.model.permissions import Action, require
from supplyguard.services import ledger as service

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("/checkpoint", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def checkpoint(container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    """The latest signed checkpoint, as C2SP signed-note text (with any cosignatures)."""
    require(principal, Action.LEDGER_READ)
    stored = service.latest_checkpoint(container.uow(readonly=True))
    return Response(stored.note, media_type="text/plain; charset=utf-8")


@router.get("/proof/inclusion")
def inclusion(
    container: ContainerDep,
    principal: SignedPrincipalDep,
    record_id: Annotated[str | None, Query(max_length=128)] = None,
    index: Annotated[int | None, Query(ge=0, le=MAX_STORED_INT)] = None,
    size: Annotated[
        int | None, Query(ge=1, le=MAX_STORED_INT, description="Tree size of a signed checkpoint.")
    ] = None,
) -> dict[str, Any]:
    """Inclusion proof bundle for a record id or a leaf index (see docs/ledger.md)."""
    require(principal, Action.LEDGER_READ)
    return service.inclusion_bundle(
        container.uow(readonly=True), record_id=record_id, index=index, size=size
    ).as_dict()


@router.get("/proof/consistency")
def consistency(
    container: ContainerDep,
    principal: SignedPrincipalDep,
    first: Annotated[int, Query(ge=1, le=MAX_STORED_INT)],
    second: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
) -> dict[str, Any]:
    """Consistency proof bundle between two tree sizes (the second one signed)."""
    require(principal, Action.LEDGER_READ)
    return service.consistency_bundle(container.uow(readonly=True), first, second).as_dict()


@router.get("/leaves")
def leaves(
    container: ContainerDep,
    principal: SignedPrincipalDep,
    start: Annotated[int, Query(ge=0, le=MAX_STORED_INT)],
    end: Annotated[int, Query(ge=1, le=MAX_STORED_INT)],
) -> list[dict[str, Any]]:
    """Leaves ``start`` (inclusive) to ``end`` (exclusive), at most 1,000: envelopes, never bodies."""
    require(principal, Action.LEDGER_READ)
    return [
        service.describe_leaf(leaf) for leaf in service.leaf_range(container.uow(readonly=True), start, end)
    ]
