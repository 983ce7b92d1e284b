"""Where an object is and who held it, from the organisation's stored EPCIS events.

The events naming the object, and those naming whatever it was packed in (two levels: item in case
in pallet), are rebuilt from their stored JSON bodies and folded by the engine's custody reducers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import EpcisEventNotFound, FieldError, ValidationFailed
from supplyguard.model.clock import iso_utc
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import require
from supplyguard.services.tracking import QUERY_ACTION
from supplyguard.tracking import (
    EPCIS_CONTEXT,
    CustodyRecord,
    EpcisEvent,
    EventQuery,
    ObjectState,
    custody_chain,
    object_states,
    parse_epcis_json,
)

PARENT_LEVELS = 2
MAX_EVENTS = 10_000


@dataclass(frozen=True, slots=True)
class ObjectView:
    epc: str
    state: ObjectState | None
    custody: list[CustodyRecord]
    events: int

    def as_dict(self) -> dict[str, Any]:
        state = _plain(asdict(self.state)) if self.state else None
        if state is not None and self.state is not None:
            state["position"] = self.state.position
        return {
            "epc": self.epc,
            "state": state,
            "custody": [_plain(asdict(record)) for record in self.custody],
            "events": self.events,
        }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: iso_utc(value)
        if isinstance(value, datetime)
        else list(value)
        if isinstance(value, tuple)
        else value
        for key, value in values.items()
    }


def full_event(stored: EpcisEvent) -> EpcisEvent:
    """A stored event with every field parsed back from its JSON body (identifiers, quantities...)."""
    context: list[Any] = [EPCIS_CONTEXT]
    if stored.namespaces:
        context.append(dict(stored.namespaces))
    document = {"@context": context, "type": "EPCISDocument", "epcisBody": {"eventList": [dict(stored.body)]}}
    (event,) = parse_epcis_json(document).events
    return event


def object_view(uow: SqlUnitOfWork, actor: Principal, epc: str) -> ObjectView:
    """The current state and custody chain of ``epc`` (any identifier form); 404 when no event names it."""
    require(actor, QUERY_ACTION)
    named = EventQuery.from_params({"MATCH_anyEPC": epc}).any_epcs
    if not named:  # blank, or nothing but commas: no identifier to look up
        raise ValidationFailed([FieldError(("epc",), "an object identifier (EPC URI, Digital Link or bare)")])
    canonical = named[0]
    events: dict[str, EpcisEvent] = {}
    wanted, seen = {canonical}, set[str]()
    with uow:
        repo = TrackingRepository(uow.connection)
        for _ in range(PARENT_LEVELS + 1):
            fresh = sorted(wanted - seen)
            if not fresh:
                break
            seen.update(fresh)
            query = EventQuery(any_epcs=tuple(fresh))
            for row in repo.query(actor.org_id, query, None, MAX_EVENTS):
                events.setdefault(str(row.id), full_event(row.event))
            wanted = {e.parent_id for e in events.values() if e.parent_id and fresh_child(e, fresh)}
    if not events:
        raise EpcisEventNotFound(epc)
    states = object_states(events.values())
    return ObjectView(
        canonical, states.get(canonical), custody_chain(events.values(), canonical), len(events)
    )


def fresh_child(event: EpcisEvent, objects: list[str]) -> bool:
    """Whether ``event`` packs one of ``objects`` into its parent."""
    return any(child in objects for child in event.child_epcs)
