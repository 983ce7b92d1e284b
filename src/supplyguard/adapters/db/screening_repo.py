"""Screening hits stored per party."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, select, update

from supplyguard.adapters.db.declarations_repo import lookup_by_key
from supplyguard.adapters.db.screening_tables import screening_hit_changes, screening_hits, screening_runs
from supplyguard.adapters.db.tables import declarations, outcomes, parties
from supplyguard.screening import Hit


@dataclass(frozen=True, slots=True)
class HitChanges:
    """What storing a party's hits changed: hits new to the party, and stored ones no longer found."""

    added: list[Hit] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OpenParty:
    party_id: uuid.UUID
    code: str
    name: str
    country: str
    declaration_ids: tuple[uuid.UUID, ...]


class ScreeningRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def replace_hits(
        self, org_id: uuid.UUID, party_id: uuid.UUID, query_name: str, hits: Sequence[Hit], now: datetime
    ) -> HitChanges:
        """Store the party's current hits; a false positive stays one while neither the list entry nor
        the party's name as screened has changed. Returns the hits added and removed (by list entry)."""
        before = {
            (row.list_id, row.entity_id): row
            for row in self._conn.execute(
                select(
                    screening_hits.c.list_id,
                    screening_hits.c.entity_id,
                    screening_hits.c.entity_name,
                    screening_hits.c.score,
                    screening_hits.c.query_name,
                ).where(screening_hits.c.party_id == party_id)
            )
        }
        kept = {
            (row.list_id, row.entity_id): row.entry_digest
            for row in self._conn.execute(
                select(
                    screening_hits.c.list_id, screening_hits.c.entity_id, screening_hits.c.entry_digest
                ).where(
                    screening_hits.c.party_id == party_id,
                    screening_hits.c.status == "false_positive",
                    screening_hits.c.query_name == query_name[:500],
                )
            )
        }
        self._conn.execute(delete(screening_hits).where(screening_hits.c.party_id == party_id))
        rows = [
            {
                "org_id": org_id,
                "party_id": party_id,
                "list_id": hit.list_id,
                "entity_id": hit.entity_id,
                "entity_name": hit.entity_name[:500],
                "matched_name": hit.matched_alias[:500],
                "score": hit.score,
                "why": hit.why,
                "entry_digest": hit.entry_digest,
                "query_name": query_name[:500],
                "status": "false_positive"
                if kept.get((hit.list_id, hit.entity_id)) == hit.entry_digest
                else "open",
                "screened_at": now,
            }
            for hit in hits
        ]
        if rows:
            self._conn.execute(screening_hits.insert(), rows)
        after = {(hit.list_id, hit.entity_id) for hit in hits}
        added = [hit for hit in hits if (hit.list_id, hit.entity_id) not in before]
        removed = [
            {
                "list_id": key[0],
                "entity_id": key[1],
                "entity_name": row.entity_name,
                "score": row.score,
                "query_name": row.query_name,
            }
            for key, row in before.items()
            if key not in after
        ]
        return HitChanges(added, removed)

    def open_parties(self, org_id: uuid.UUID) -> list[OpenParty]:
        """The named parties of the organisation's open declarations (status open, no outcome
        recorded): for each party, the name and country its latest such declaration gives, and the
        ids of those declarations."""
        rows = self._conn.execute(
            select(declarations.c.id, declarations.c.parties, declarations.c.received_at)
            .where(
                declarations.c.org_id == org_id,
                declarations.c.status == "open",
                ~exists().where(outcomes.c.declaration_id == declarations.c.id),
            )
            .order_by(declarations.c.received_at, declarations.c.id)
        )
        named: dict[str, tuple[str, str]] = {}
        used_in: dict[str, list[uuid.UUID]] = {}
        for declaration_id, parties_json, _received in rows:
            for ref in (parties_json or {}).values():
                if not ref or not ref.get("name"):
                    continue
                named[ref["code"]] = (ref["name"], ref.get("country") or "")
                used_in.setdefault(ref["code"], []).append(declaration_id)
        ids = lookup_by_key(self._conn, parties, "code", org_id, list(named))
        return [
            OpenParty(ids[code], code, name, country, tuple(used_in[code]))
            for code, (name, country) in named.items()
            if code in ids
        ]

    def record_run(
        self,
        org_id: uuid.UUID,
        now: datetime,
        trigger: str,
        actor: str,
        lists: dict[str, Any],
        party_count: int,
        changes: Sequence[tuple[uuid.UUID, str, HitChanges]],
    ) -> int:
        """Store one re-screening run and the hits it added and removed; the run's id."""
        added = sum(len(c.added) for _, _, c in changes)
        removed = sum(len(c.removed) for _, _, c in changes)
        run_id = int(
            self._conn.execute(
                screening_runs.insert()
                .values(
                    org_id=org_id,
                    run_at=now,
                    trigger=trigger[:40],
                    actor=actor[:200],
                    lists=lists,
                    parties=party_count,
                    hits_added=added,
                    hits_removed=removed,
                )
                .returning(screening_runs.c.id)
            ).scalar_one()
        )
        rows = []
        for party_id, query_name, change in changes:
            for hit in change.added:
                rows.append(
                    {
                        "run_id": run_id,
                        "org_id": org_id,
                        "party_id": party_id,
                        "change": "added",
                        "list_id": hit.list_id,
                        "entity_id": hit.entity_id,
                        "entity_name": hit.entity_name[:500],
                        "score": hit.score,
                        "query_name": query_name[:500],
                    }
                )
            for gone in change.removed:
                rows.append(
                    {
                        "run_id": run_id,
                        "org_id": org_id,
                        "party_id": party_id,
                        "change": "removed",
                        "list_id": gone["list_id"],
                        "entity_id": gone["entity_id"],
                        "entity_name": gone["entity_name"],
                        "score": gone["score"],
                        "query_name": gone["query_name"],
                    }
                )
        if rows:
            self._conn.execute(screening_hit_changes.insert(), rows)
        return run_id

    def runs(self, org_id: uuid.UUID, limit: int = 20, run_id: int | None = None) -> list[dict[str, Any]]:
        """The organisation's latest runs, newest first (or the one numbered ``run_id``)."""
        query = select(screening_runs).where(screening_runs.c.org_id == org_id)
        if run_id is not None:
            query = query.where(screening_runs.c.id == run_id)
        rows = self._conn.execute(query.order_by(screening_runs.c.id.desc()).limit(limit)).mappings()
        return [dict(row) for row in rows]

    def changes_of(self, org_id: uuid.UUID, run_id: int) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            select(screening_hit_changes)
            .where(screening_hit_changes.c.run_id == run_id, screening_hit_changes.c.org_id == org_id)
            .order_by(screening_hit_changes.c.id)
        ).mappings()
        return [dict(row) for row in rows]

    def hits_for(self, org_id: uuid.UUID, party_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        if not party_ids:
            return []
        rows = self._conn.execute(
            select(screening_hits)
            .where(screening_hits.c.org_id == org_id, screening_hits.c.party_id.in_(list(party_ids)))
            .order_by(screening_hits.c.score.desc())
        ).mappings()
        return [dict(row) for row in rows]

    def mark_false_positive(self, org_id: uuid.UUID, hit_id: int) -> dict[str, Any] | None:
        row = (
            self._conn.execute(
                select(screening_hits).where(screening_hits.c.id == hit_id, screening_hits.c.org_id == org_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        self._conn.execute(
            update(screening_hits).where(screening_hits.c.id == hit_id).values(status="false_positive")
        )
        return dict(row)
