"""Screening hits stored per party."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from supplyguard.adapters.db.screening_tables import screening_hits
from supplyguard.screening import Hit


class ScreeningRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def replace_hits(
        self, org_id: uuid.UUID, party_id: uuid.UUID, query_name: str, hits: Sequence[Hit], now: datetime
    ) -> None:
        """Store the party's current hits; a false positive stays one while neither the list entry nor
        the party's name as screened has changed."""
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
