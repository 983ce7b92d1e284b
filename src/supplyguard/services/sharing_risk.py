"""Received intelligence raises the risk of matching declarations, both ways round.

* **At ingest** (:func:`index_received`, called by the sync's ingest in its transaction): each
  accepted object that may serve risk targeting has its identifiers (containers with check digit,
  IMO, EORI, tax ids) and normalised party names stored in ``sharing_intel_keys``; then the open
  declarations (no inspection outcome yet) of every organisation on the node that are indexed
  under one of those keys (``sharing_declaration_keys``) are read and matched against them, and a
  :class:`~supplyguard.risk.signals.RiskSignal` is raised on each hit.
* **At intake** (:func:`raise_intake_signals`, called by declaration submit and bulk import in
  their transaction): the new declarations' containers and party names are indexed in
  ``sharing_declaration_keys`` and looked up in ``sharing_intel_keys`` (indexed queries, no scan
  of the intelligence or of the declarations held).

Who may see what:

* an object serves risk targeting only if the agreement it came under lets this node use it for
  ``risk-targeting`` (the recipient's purposes), it is not marked TLP:RED (named recipients only)
  and not revoked; a later version that no longer qualifies, or a signed deletion, removes its keys;
* a signed deletion or revocation also withdraws the signals the object raised from open
  declarations (:func:`supplyguard.services.risk_signals.withdraw_signals`: weight subtracted,
  reason removed, lane lowered only as far as the model and the remaining signals allow);
* the signal's reason names the declaration's own data that matched (its container, which of its
  parties), the kind of intelligence and the partner that reported it — never the content of the
  intelligence itself, which only holders of ``SHARING_READ`` see on the intel pages;
* a signal belongs to the declaration's organisation (``raise_signal`` never crosses them).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.sharing_repo import HeldObject, IntelKey, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.logging import get_logger
from supplyguard.model.declarations import Declaration, Lane
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services.risk_signals import raise_signal, withdraw_signals
from supplyguard.sharing import Agreement, IdentifierKind, Tlp, canonical_identifier, tlp_of
from supplyguard.sharing.correlation import found_observables
from supplyguard.sharing.extensions import PARTY_EXTENSION_ID, SEIZURE_EXTENSION_ID, SHIPMENT_EXTENSION_ID
from supplyguard.sharing.identifiers import IdentifierInvalid

log = get_logger(__name__)

RISK_PURPOSE = "risk-targeting"

#: (weight, lowest lane) of a signal by the kind of intelligence and how it matched.
_EXACT: dict[str, tuple[float, Lane | None]] = {
    "seizure": (0.6, Lane.RED),
    "suspect shipment": (0.5, Lane.RED),
    "suspect party": (0.5, Lane.RED),
}
_BY_NAME: dict[str, tuple[float, Lane | None]] = {
    "seizure": (0.4, Lane.YELLOW),
    "suspect shipment": (0.3, Lane.YELLOW),
    "suspect party": (0.4, Lane.YELLOW),
}
_OTHER_EXACT = (0.3, Lane.YELLOW)
_OTHER_BY_NAME = (0.2, None)
_WORDS = {
    IdentifierKind.CONTAINER.value: "container",
    IdentifierKind.IMO.value: "vessel IMO",
    IdentifierKind.EORI.value: "EORI",
    IdentifierKind.TAX_ID.value: "tax id",
}


def object_kind(stix: Mapping[str, Any]) -> str:
    """What an object is, in words officers use (seizure, suspect shipment, suspect party...)."""
    extensions = stix.get("extensions") or {}
    if SEIZURE_EXTENSION_ID in extensions:
        return "seizure"
    if SHIPMENT_EXTENSION_ID in extensions:
        return "suspect shipment"
    if PARTY_EXTENSION_ID in extensions:
        return "suspect party"
    return str(stix.get("type", "object")).replace("-", " ")


def serves_risk_targeting(stix: Mapping[str, Any], agreement: Agreement | None, node_id: str) -> bool:
    """May this node use the object to target declarations (agreement purpose, TLP, not revoked)?"""
    return _serves(agreement, node_id, bool(stix.get("revoked")), tlp_of(stix))


def _held_serves_risk_targeting(held: HeldObject, agreement: Agreement | None, node_id: str) -> bool:
    """:func:`serves_risk_targeting` of a held version, from its stored TLP and revocation (what
    it reads of the object), so that its wire is not read (a version stored from the sync's
    worker verdict holds its object as text only)."""
    return _serves(agreement, node_id, held.revoked, None if held.tlp is None else Tlp(held.tlp))


def _serves(agreement: Agreement | None, node_id: str, revoked: bool, level: Tlp | None) -> bool:
    if agreement is None or revoked:
        return False
    rule = agreement.recipients.get(node_id)
    if rule is None or RISK_PURPOSE not in rule.purposes:
        return False
    return level is not None and level.rank < Tlp.RED.rank


#: What an object gives the intel-key index, worked out from the object alone: its kind in words
#: and its observables as (kind, value, found in). The sync's verification worker works it out for
#: each object it passes, so the storing process does not walk the object again.
Observed = tuple[str, tuple[tuple[str, str, str], ...]]


def observed(wire: Mapping[str, Any]) -> Observed:
    """The :data:`Observed` of an object (as stored: ``HeldObject.wire``)."""
    found = found_observables(wire)
    return object_kind(wire), tuple((_KIND_VALUES[kind], value, where) for kind, value, where in found)


_KIND_VALUES = {kind: kind.value for kind in IdentifierKind}  # without the enum's property per value


def intel_keys(held: HeldObject, seen: Observed | None = None) -> list[IntelKey]:
    """The keys of a held version; ``seen``, when given, is :func:`observed` of its wire."""
    kind, found = observed(held.wire) if seen is None else seen
    return [
        IntelKey(held.stix_id, key_kind, value, found_in, kind, held.author_node, held.position)
        for key_kind, value, found_in in found
    ]


@dataclass(frozen=True, slots=True)
class _DeclarationKey:
    kind: str
    value: str
    words: str  # how the declaration's side is named in the reason: "container CSQU3054383", "importer"


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A declaration as matching sees it: who owns it and its keys."""

    id: uuid.UUID
    org_id: uuid.UUID
    keys: tuple[_DeclarationKey, ...]


def _candidate(declaration: Declaration) -> _Candidate:
    names = {role: ref.name for role, ref in declaration.parties().items()}
    return _Candidate(declaration.id, declaration.org_id, _keys(declaration.containers, names))


#: The kinds of key a declaration has (:func:`_keys`): the only ones worth looking declarations up by.
_DECLARATION_KINDS = frozenset({IdentifierKind.CONTAINER.value, IdentifierKind.PARTY_NAME.value})


def declaration_keys(containers: Iterable[str], names: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """The (kind, value) keys a declaration is indexed and matched by (containers, party names)."""
    return list(dict.fromkeys((key.kind, key.value) for key in _keys(containers, names)))


def _keys(containers: Iterable[str], names: Mapping[str, str | None]) -> tuple[_DeclarationKey, ...]:
    keys: list[_DeclarationKey] = []
    for number in containers:
        try:
            value = canonical_identifier(IdentifierKind.CONTAINER, str(number))
        except IdentifierInvalid:
            continue
        keys.append(_DeclarationKey(IdentifierKind.CONTAINER.value, value, f"container {value}"))
    for role, name in names.items():
        if not name:
            continue
        try:
            name_key = canonical_identifier(IdentifierKind.PARTY_NAME, name)
        except IdentifierInvalid:
            continue
        keys.append(_DeclarationKey(IdentifierKind.PARTY_NAME.value, name_key, role))
    return tuple(keys)


def _signal(key: _DeclarationKey, hit: IntelKey) -> RiskSignal:
    by_name = key.kind == IdentifierKind.PARTY_NAME.value
    weight, lane = (
        _BY_NAME.get(hit.object_kind, _OTHER_BY_NAME)
        if by_name
        else _EXACT.get(hit.object_kind, _OTHER_EXACT)
    )
    source = f"{hit.object_kind} reported by {hit.author_node}"
    reason = (
        f"{key.words} on partner watch list ({source})" if by_name else f"{key.words} named in a {source}"
    )
    return RiskSignal(
        SignalSource.INTEL,
        ref=hit.stix_id,
        kind="intel-" + hit.object_kind.replace(" ", "-"),
        weight=weight,
        reason=reason,
        min_lane=lane,
    )


def _best_signals(
    candidate: _Candidate, hits_by_pair: Mapping[tuple[str, str], list[IntelKey]]
) -> list[RiskSignal]:
    """One signal per intelligence object (the strongest way it matched the declaration)."""
    best: dict[str, RiskSignal] = {}
    for key in candidate.keys:
        for hit in hits_by_pair.get((key.kind, key.value), ()):
            signal = _signal(key, hit)
            held = best.get(hit.stix_id)
            if held is None or signal.weight > held.weight:
                best[hit.stix_id] = signal
    return list(best.values())


def _raise_all(
    uow: SqlUnitOfWork, candidates: Iterable[_Candidate], hits: Sequence[IntelKey], now: datetime
) -> int:
    by_pair: dict[tuple[str, str], list[IntelKey]] = {}
    for hit in hits:
        by_pair.setdefault((hit.kind, hit.value), []).append(hit)
    raised = 0
    for candidate in candidates:
        for signal in _best_signals(candidate, by_pair):
            if raise_signal(uow, candidate.org_id, candidate.id, signal, now):
                raised += 1
                log.info("intel.signal_raised", declaration_id=str(candidate.id), ref=signal.ref)
    return raised


def raise_intake_signals(uow: SqlUnitOfWork, declarations: Sequence[Declaration], now: datetime) -> int:
    """At intake, inside the caller's open unit of work: match new declarations against the held
    intelligence keys and raise a signal on each hit. Returns the number of signals raised."""
    candidates = [_candidate(d) for d in declarations]
    repo = SharingRepository(uow.connection)
    repo.add_declaration_keys((k.kind, k.value, c.id, c.org_id) for c in candidates for k in c.keys)
    wanted = {(key.kind, key.value) for c in candidates for key in c.keys}
    if not wanted:
        return 0
    hits = repo.intel_keys_matching(wanted)
    return _raise_all(uow, candidates, hits, now) if hits else 0


def forget_closed_declaration(uow: SqlUnitOfWork, declaration: Declaration) -> None:
    """When a declaration's outcome is recorded, inside the caller's unit of work: its keys leave
    ``sharing_declaration_keys`` (intelligence matching looks at open declarations only, and a key
    shared by many closed declarations would otherwise be read on every synced page)."""
    closed = _candidate(declaration)  # the keys intake indexed it by
    SharingRepository(uow.connection).remove_declaration_keys(
        closed.id, ((k.kind, k.value) for k in closed.keys)
    )


def index_received(
    uow: SqlUnitOfWork,
    node_id: str,
    agreements: Sequence[Agreement],
    accepted: Sequence[HeldObject],
    now: datetime,
    *,
    new: Collection[str] = (),
    seen: Mapping[int, Observed] | None = None,
) -> int:
    """At ingest, inside the caller's open unit of work: store the keys of the accepted versions
    that serve risk targeting (dropping those of versions that no longer do), then match them
    against the open declarations of every organisation and raise signals. Returns signals raised.
    ``new`` may name accepted ids of which no version was stored before (no keys to drop);
    ``seen`` may hold :func:`observed` of accepted versions' wire by log position."""
    if not accepted:
        return 0
    repo = SharingRepository(uow.connection)
    by_id = {agreement.agreement_id: agreement for agreement in agreements}
    latest: dict[str, HeldObject] = {}
    for held in accepted:  # later versions in one delivery replace earlier ones
        latest[held.stix_id] = held
    fresh: list[IntelKey] = []
    for held in latest.values():
        if _held_serves_risk_targeting(held, by_id.get(held.agreement_id or ""), node_id):
            fresh.extend(intel_keys(held, None if seen is None else seen.get(held.position)))
        elif held.revoked:  # a signed revocation withdraws what the object raised, as a deletion does
            withdraw_signals(uow, SignalSource.INTEL, held.stix_id)
    repo.replace_intel_keys_many(list(latest), fresh, new=new)
    if not fresh:
        return 0
    # Only the declarations indexed under one of these keys (sharing_declaration_keys, written at
    # intake) are read: indexed look-ups, whatever the number of open declarations held.
    wanted = {(key.kind, key.value) for key in fresh if key.kind in _DECLARATION_KINDS}
    if not wanted:
        return 0
    candidates = [
        _Candidate(open_one.id, open_one.org_id, _keys(open_one.containers, open_one.party_names))
        for open_one in repo.open_declarations_matching(wanted)
    ]
    return _raise_all(uow, candidates, fresh, now) if candidates else 0


def forget_deleted(uow: SqlUnitOfWork, stix_id: str) -> int:
    """A signed deletion: the object no longer matches anything new, and the signals it raised
    are withdrawn from open declarations (:func:`withdraw_signals`). Returns declarations changed."""
    SharingRepository(uow.connection).replace_intel_keys(stix_id, [])
    withdrawn = withdraw_signals(uow, SignalSource.INTEL, stix_id)
    if withdrawn:
        log.info("intel.signals_withdrawn", ref=stix_id, declarations=withdrawn)
    return withdrawn
