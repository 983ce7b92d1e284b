"""/v1/parties: the parties of the caller's organisation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.api.schemas import PartyIn, PartyOut, party_full_out
from supplyguard.services import parties as service

router = APIRouter(prefix="/v1/parties", tags=["parties"])


@router.get("", response_model=list[PartyOut])
def list_parties(
    container: ContainerDep,
    principal: PrincipalDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name or code.")] = None,
    after: Annotated[str | None, Query(description="Code of the last party of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[PartyOut]:
    return [
        party_full_out(p)
        for p in service.list_parties(container.uow(readonly=True), principal, q, after, limit)
    ]


@router.get("/{party_id}", response_model=PartyOut)
def get_party(party_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> PartyOut:
    return party_full_out(service.get_party(container.uow(), container.clock, principal, party_id))


@router.put("", response_model=PartyOut)
def upsert_party(body: PartyIn, container: ContainerDep, principal: PrincipalDep) -> PartyOut:
    """Create the party with this code, or replace its details (name, aliases, identifiers, address)."""
    party = service.upsert_party(
        container.uow(), container.clock, container.refdata, principal, body.model_dump(mode="json")
    )
    return party_full_out(party)
