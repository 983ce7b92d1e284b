"""Where each object is and who holds it, and the chain of custody, reduced from EPCIS events.

Pure reducers: :func:`apply_event` folds one event into a dict of :class:`ObjectState`;
:func:`object_states` folds a whole (time-ordered) stream. Custody follows the CBV source and
destination types: a ``possessing_party`` destination hands the objects over to that party, an
``owning_party`` destination transfers ownership. Objects packed into a parent (AggregationEvent ADD)
move with the parent until they are unpacked (DELETE).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from supplyguard.tracking.epcis_hash import CBV
from supplyguard.tracking.epcis_model import EpcisEvent

__all__ = [
    "CustodyRecord",
    "ObjectState",
    "apply_event",
    "custody_chain",
    "geo_uri_position",
    "object_states",
]

POSSESSING = CBV + "SDT-possessing_party"
OWNING = CBV + "SDT-owning_party"


@dataclass(frozen=True, slots=True)
class ObjectState:
    epc: str
    last_event_time: datetime
    last_event_hash: str
    read_point: str | None = None
    biz_location: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    possessor: str | None = None
    owner: str | None = None
    parent: str | None = None
    deleted: bool = False

    @property
    def position(self) -> tuple[float, float] | None:
        """(lat, lon) when the last read point or location is a ``geo:`` URI (RFC 5870), else ``None``."""
        for place in (self.read_point, self.biz_location):
            coordinates = geo_uri_position(place) if place else None
            if coordinates is not None:
                return coordinates
        return None


def geo_uri_position(uri: str) -> tuple[float, float] | None:
    """(lat, lon) of a ``geo:lat,lon[,alt][;params]`` URI, or ``None``."""
    if not uri.startswith("geo:"):
        return None
    parts = uri[4:].split(";", 1)[0].split(",")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    """One link of a custody chain: ``holder`` had the object (as ``role``) from ``since`` to ``until``."""

    epc: str
    holder: str
    role: str
    since: datetime
    until: datetime | None
    location: str | None
    biz_transactions: tuple[str, ...]
    event_hash: str


def _parties(event: EpcisEvent, party_type: str) -> str | None:
    return next((d.value for d in event.destinations if d.type == party_type), None)


def _named_objects(event: EpcisEvent) -> tuple[str, ...]:
    if event.event_type == "TransformationEvent":
        return event.input_epcs + event.output_epcs
    parent = (event.parent_id,) if event.parent_id else ()
    return parent + event.epcs + event.child_epcs


def _children_of(states: dict[str, ObjectState], parents: set[str]) -> list[str]:
    return [epc for epc, state in states.items() if state.parent in parents and not state.deleted]


def apply_event(states: dict[str, ObjectState], event: EpcisEvent) -> dict[str, ObjectState]:
    """Fold one event into ``states`` (a new dict; the old one is left unchanged)."""
    states = dict(states)
    named = _named_objects(event)
    affected = list(named) + _children_of(states, set(named))
    possessor, owner = _parties(event, POSSESSING), _parties(event, OWNING)
    for epc in dict.fromkeys(affected):
        previous = states.get(epc)
        if previous is not None and previous.last_event_time > event.event_time:
            continue  # a late event does not move an object back in time
        state = previous or ObjectState(epc, event.event_time, event.event_hash)
        state = replace(
            state,
            last_event_time=event.event_time,
            last_event_hash=event.event_hash,
            read_point=event.read_point or state.read_point,
            biz_location=event.biz_location,
            biz_step=event.biz_step or state.biz_step,
            disposition=event.disposition or state.disposition,
            possessor=possessor or state.possessor,
            owner=owner or state.owner,
        )
        if event.event_type == "AggregationEvent" and epc != event.parent_id and epc in named:
            state = replace(state, parent=event.parent_id if event.action != "DELETE" else None)
        consumed = event.event_type == "TransformationEvent" and epc in event.input_epcs
        if consumed or (event.action == "DELETE" and event.event_type == "ObjectEvent"):
            state = replace(state, deleted=True)
        states[epc] = state
    return states


def object_states(events: Iterable[EpcisEvent]) -> dict[str, ObjectState]:
    """Current state of every object named in ``events`` (fed in any order; sorted by event time)."""
    states: dict[str, ObjectState] = {}
    for event in sorted(events, key=lambda e: e.event_time):
        states = apply_event(states, event)
    return states


def custody_chain(events: Iterable[EpcisEvent], epc: str) -> list[CustodyRecord]:
    """Who held ``epc`` (directly or through a parent it was packed in), when and where, in time order."""
    chain: list[CustodyRecord] = []
    open_by_role: dict[str, int] = {}
    parents: set[str] = set()
    for event in sorted(events, key=lambda e: e.event_time):
        named = set(_named_objects(event))
        if event.event_type == "AggregationEvent" and epc in event.child_epcs and event.parent_id:
            if event.action == "DELETE":
                parents.discard(event.parent_id)
            else:
                parents.add(event.parent_id)
        if epc not in named and not (named & parents):
            continue
        for role, party in ((POSSESSING, _parties(event, POSSESSING)), (OWNING, _parties(event, OWNING))):
            if party is None:
                continue
            if role in open_by_role:
                previous = chain[open_by_role[role]]
                if previous.holder == party:
                    continue
                chain[open_by_role[role]] = replace(previous, until=event.event_time)
            chain.append(
                CustodyRecord(
                    epc=epc,
                    holder=party,
                    role=role.rpartition("-")[2],
                    since=event.event_time,
                    until=None,
                    location=event.biz_location or event.read_point,
                    biz_transactions=tuple(t.value for t in event.biz_transactions),
                    event_hash=event.event_hash,
                )
            )
            open_by_role[role] = len(chain) - 1
    return chain


def current_associations(events: Iterable[EpcisEvent]) -> dict[str, str]:
    """Device (or sensor) -> the asset it is attached to now, from AssociationEvents (ADD/OBSERVE link,
    DELETE unlinks). Telemetry from a device can then name the objects it travels with."""
    attached: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.event_time):
        if event.event_type != "AssociationEvent" or not event.parent_id:
            continue
        for child in event.child_epcs + event.epcs:
            if event.action == "DELETE":
                if attached.get(child) == event.parent_id:
                    del attached[child]
            else:
                attached[child] = event.parent_id
    return attached
