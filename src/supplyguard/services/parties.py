"""Reading parties of the caller's organisation."""

from __future__ import annotations

import uuid

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import PartyNotFound
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal
from supplyguard.model.parties import Party
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit


def list_parties(
    uow: SqlUnitOfWork, actor: Principal, query: str | None, after: str | None, limit: int
) -> list[Party]:
    require(actor, Action.PARTY_READ)
    with uow:
        return uow.parties.list_page(actor.org_id, query, after, limit)


def get_party(uow: SqlUnitOfWork, clock: Clock, actor: Principal, party_id: uuid.UUID) -> Party:
    require(actor, Action.PARTY_READ)
    with uow:
        party = uow.parties.get(actor.org_id, party_id)
        if party is None:
            raise PartyNotFound(party_id)
        audit(uow, actor, clock, "party.read", "party", str(party_id), {})
        uow.commit()
    return party
