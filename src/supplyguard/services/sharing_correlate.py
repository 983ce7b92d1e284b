"""Matching received intelligence with this node's declarations, and new declarations with held intel.

Containers (ISO 6346, check digit verified) are matched exactly; party names through the sharing
engine's normaliser (legal forms, diacritics and word order ignored). Each match names the
identifier, where it was found in the object and which declaration it hit, in words. Only the
caller's organisation's declarations are looked at; only current, not deleted objects count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supplyguard.adapters.db.sharing_repo import ObjectQuery, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.model.declarations import Declaration
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.sharing import CorrelationIndex, CorrelationMatch, IdentifierKind, LocalRecord

_PAGE = 1000


def declaration_record(declaration: Declaration) -> LocalRecord:
    """A declaration as the correlation index sees it: its containers and its parties' names."""
    names = tuple(
        ref.name
        for ref in (declaration.importer, declaration.seller, declaration.declarant)
        if ref and ref.name
    )
    return LocalRecord(
        record_id=declaration.reference,
        kind="declaration",
        identifiers=tuple((IdentifierKind.CONTAINER, number) for number in declaration.containers),
        party_names=names,
    )


@dataclass(frozen=True, slots=True)
class IntelMatch:
    """One hit: the intelligence object, its author, and the engine's match with its reason."""

    object_id: str
    author_node: str
    match: CorrelationMatch

    @property
    def reason(self) -> str:
        return f"{self.match.reason} (intelligence from {self.author_node})"


def _received(
    repo: SharingRepository, object_ids: Sequence[str] = ()
) -> Iterable[tuple[str, dict[str, object]]]:
    after = 0
    while True:
        page = repo.objects_page(ObjectQuery(after_position=after, ids=tuple(object_ids), limit=_PAGE))
        if not page:
            return
        for held in page:
            if held.received_from is not None and not held.stix_type.startswith("x-"):
                yield held.author_node, held.wire
        after = page[-1].position


def correlate_intel(uow: SqlUnitOfWork, actor: Principal, object_ids: Sequence[str] = ()) -> list[IntelMatch]:
    """Received intelligence (all, or ``object_ids``) against the organisation's declarations."""
    require(actor, Action.SHARING_READ)
    index = CorrelationIndex()
    with uow:
        for declaration in uow.declarations.iter_all(org_id=actor.org_id):
            index.add(declaration_record(declaration))
        repo = SharingRepository(uow.connection)
        return [
            IntelMatch(str(wire.get("id")), author, match)
            for author, wire in _received(repo, object_ids)
            for match in index.match_object(wire)
        ]


def match_declarations(
    uow: SqlUnitOfWork, actor: Principal, declarations: Sequence[Declaration]
) -> list[IntelMatch]:
    """New declarations (at intake) against every received object held: the hits, with reasons."""
    require(actor, Action.SHARING_READ)
    index = CorrelationIndex()
    for declaration in declarations:
        index.add(declaration_record(declaration))
    with uow:
        repo = SharingRepository(uow.connection)
        return [
            IntelMatch(str(wire.get("id")), author, match)
            for author, wire in _received(repo)
            for match in index.match_object(wire)
        ]
