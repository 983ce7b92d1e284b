"""Repository of keyed watch-list exchange: our watch list, lists published and received, hits.

Works on the caller's connection inside the caller's transaction (``WatchRepository(uow.connection)``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from supplyguard.adapters.db.sharing_tables import sharing_disclosures
from supplyguard.adapters.db.sharing_watch_tables import (
    sharing_watch_entries,
    sharing_watch_matches,
    sharing_watch_published,
    sharing_watch_received,
)
from supplyguard.model.clock import as_utc


@dataclass(frozen=True, slots=True)
class WatchEntryRecord:
    id: uuid.UUID
    kind: str
    value: str
    canonical: str
    country: str | None
    reference: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class KeyedListRecord:
    """A signed keyed list: one we published (``node`` = recipient) or one we received (= owner)."""

    node: str
    agreement_id: str
    key_id: str
    digest_count: int
    list_sha256: str
    envelope: str
    published_at: datetime
    recorded_at: datetime
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class WatchMatchRecord:
    id: uuid.UUID
    partner_node: str
    agreement_id: str
    kind: str
    digest: str
    local_ref: str
    org_id: uuid.UUID | None
    reason: str
    disclosure_id: uuid.UUID | None
    note: str | None
    found_at: datetime


def _entry(row: Any) -> WatchEntryRecord:
    return WatchEntryRecord(
        row.id,
        row.kind,
        row.value,
        row.canonical,
        row.country,
        row.reference,
        row.added_by,
        as_utc(row.added_at),
    )


def _match(row: Any) -> WatchMatchRecord:
    return WatchMatchRecord(
        row.id,
        row.partner_node,
        row.agreement_id,
        row.kind,
        row.digest,
        row.local_ref,
        row.org_id,
        row.reason,
        row.disclosure_id,
        row.note,
        as_utc(row.found_at),
    )


class WatchRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- our watch list ---------------------------------------------------------------------------

    def add_entry(self, record: WatchEntryRecord) -> bool:
        """Store one entry; False when the same identifier (kind, canonical form) is already listed."""
        table = sharing_watch_entries
        found = self._conn.execute(
            select(table.c.id).where(and_(table.c.kind == record.kind, table.c.canonical == record.canonical))
        ).first()
        if found is not None:
            return False
        self._conn.execute(
            insert(table).values(
                id=record.id,
                kind=record.kind,
                value=record.value,
                canonical=record.canonical,
                country=record.country,
                reference=record.reference,
                added_by=record.added_by,
                added_at=record.added_at,
            )
        )
        return True

    def remove_entry(self, entry_id: uuid.UUID) -> bool:
        result = self._conn.execute(
            delete(sharing_watch_entries).where(sharing_watch_entries.c.id == entry_id)
        )
        return bool(result.rowcount)

    def entries(self) -> list[WatchEntryRecord]:
        table = sharing_watch_entries
        rows = self._conn.execute(select(table).order_by(table.c.added_at, table.c.id))
        return [_entry(row) for row in rows]

    # --- keyed lists ------------------------------------------------------------------------------

    def save_published(self, record: KeyedListRecord) -> None:
        """Replace our list for (agreement, recipient): a partner always gets the latest one."""
        table = sharing_watch_published
        self._conn.execute(
            delete(table).where(
                and_(table.c.agreement_id == record.agreement_id, table.c.recipient == record.node)
            )
        )
        self._conn.execute(
            insert(table).values(
                agreement_id=record.agreement_id,
                recipient=record.node,
                key_id=record.key_id,
                digest_count=record.digest_count,
                list_sha256=record.list_sha256,
                envelope=record.envelope,
                published_by=record.recorded_by or "",
                published_at=record.published_at,
            )
        )

    def published(
        self, agreement_id: str | None = None, recipient: str | None = None
    ) -> list[KeyedListRecord]:
        table = sharing_watch_published
        query = select(table).order_by(table.c.agreement_id, table.c.recipient)
        if agreement_id is not None:
            query = query.where(table.c.agreement_id == agreement_id)
        if recipient is not None:
            query = query.where(table.c.recipient == recipient)
        return [
            KeyedListRecord(
                row.recipient,
                row.agreement_id,
                row.key_id,
                row.digest_count,
                row.list_sha256,
                row.envelope,
                as_utc(row.published_at),
                as_utc(row.published_at),
                row.published_by,
            )
            for row in self._conn.execute(query)
        ]

    def save_received(self, record: KeyedListRecord) -> None:
        table = sharing_watch_received
        self._conn.execute(
            delete(table).where(
                and_(table.c.partner_node == record.node, table.c.agreement_id == record.agreement_id)
            )
        )
        self._conn.execute(
            insert(table).values(
                partner_node=record.node,
                agreement_id=record.agreement_id,
                key_id=record.key_id,
                digest_count=record.digest_count,
                list_sha256=record.list_sha256,
                envelope=record.envelope,
                published_at=record.published_at,
                fetched_at=record.recorded_at,
            )
        )

    def received(self, partner_node: str | None = None) -> list[KeyedListRecord]:
        table = sharing_watch_received
        query = select(table).order_by(table.c.partner_node, table.c.agreement_id)
        if partner_node is not None:
            query = query.where(table.c.partner_node == partner_node)
        return [
            KeyedListRecord(
                row.partner_node,
                row.agreement_id,
                row.key_id,
                row.digest_count,
                row.list_sha256,
                row.envelope,
                as_utc(row.published_at),
                as_utc(row.fetched_at),
            )
            for row in self._conn.execute(query)
        ]

    def received_heads(self) -> list[tuple[str, str, str, str]]:
        """(partner, agreement, key id, list_sha256) of every received list, without the lists
        themselves (intake reads these on every declaration; the digests are cached by hash)."""
        t = sharing_watch_received.c
        query = select(t.partner_node, t.agreement_id, t.key_id, t.list_sha256).order_by(
            t.partner_node, t.agreement_id
        )
        return [(r[0], r[1], r[2], r[3]) for r in self._conn.execute(query)]

    def received_envelope(self, partner_node: str, agreement_id: str) -> str | None:
        t = sharing_watch_received.c
        return self._conn.execute(
            select(t.envelope).where(and_(t.partner_node == partner_node, t.agreement_id == agreement_id))
        ).scalar()

    # --- hits ---------------------------------------------------------------------------------------

    def add_match(self, record: WatchMatchRecord) -> bool:
        """Store a hit; False when this record already hit this digest of this partner's list."""
        table = sharing_watch_matches
        found = self._conn.execute(
            select(table.c.id).where(
                and_(
                    table.c.partner_node == record.partner_node,
                    table.c.agreement_id == record.agreement_id,
                    table.c.digest == record.digest,
                    table.c.local_ref == record.local_ref,
                )
            )
        ).first()
        if found is not None:
            return False
        self._conn.execute(
            insert(table).values(
                id=record.id,
                partner_node=record.partner_node,
                agreement_id=record.agreement_id,
                kind=record.kind,
                digest=record.digest,
                local_ref=record.local_ref,
                org_id=record.org_id,
                reason=record.reason,
                disclosure_id=record.disclosure_id,
                note=record.note,
                found_at=record.found_at,
            )
        )
        return True

    def link_disclosure(
        self,
        partner_node: str,
        agreement_id: str,
        digest: str,
        disclosure_id: uuid.UUID | None,
        note: str | None,
    ) -> None:
        """Record on every hit of one digest the request it opened (or why none was opened)."""
        table = sharing_watch_matches
        self._conn.execute(
            update(table)
            .where(
                and_(
                    table.c.partner_node == partner_node,
                    table.c.agreement_id == agreement_id,
                    table.c.digest == digest,
                    table.c.disclosure_id.is_(None),
                )
            )
            .values(disclosure_id=disclosure_id, note=note)
        )

    def matches(self, org_id: uuid.UUID | None = None, limit: int = 1000) -> list[WatchMatchRecord]:
        """Hits, newest first: those on the watch list, and those on ``org_id``'s declarations."""
        table = sharing_watch_matches
        query = select(table).order_by(table.c.found_at.desc(), table.c.id).limit(limit)
        query = query.where(table.c.org_id.is_(None) | (table.c.org_id == org_id))
        return [_match(row) for row in self._conn.execute(query)]

    def requested_digests(self, partner_node: str, agreement_id: str) -> dict[str, uuid.UUID]:
        """Digests we already asked ``partner_node`` about under ``agreement_id`` (outgoing requests)."""
        table = sharing_disclosures
        rows = self._conn.execute(
            select(table.c.digest, table.c.id).where(
                and_(
                    table.c.direction == "outgoing",
                    table.c.partner_node == partner_node,
                    table.c.agreement_id == agreement_id,
                )
            )
        )
        return {row.digest: row.id for row in rows}
