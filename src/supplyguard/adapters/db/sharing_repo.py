"""Repository of intelligence sharing: partners, agreements, held objects, deliveries, feedback.

Works on the caller's :class:`~sqlalchemy.Connection` inside the caller's transaction
(``SharingRepository(uow.connection)``). Log positions are allocated as ``max + 1`` under the
writer lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL), so
positions become visible in increasing order and a reader's cursor never skips a row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy import Connection, Table, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from supplyguard.adapters.db.bulk import bulk_insert
from supplyguard.adapters.db.sharing_tables import (
    sharing_agreements,
    sharing_declaration_keys,
    sharing_deliveries,
    sharing_disclosures,
    sharing_feedback,
    sharing_intel_keys,
    sharing_objects,
    sharing_partners,
    sharing_rejections,
    sharing_request_nonces,
    sharing_tombstones,
    sharing_witnessed,
)
from supplyguard.adapters.db.tables import declarations, outcomes
from supplyguard.model.clock import as_utc

_POSITION_LOCK = 0x5347_5348_4152  # "SGSHAR": serialises log-position allocation on PostgreSQL


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    id: uuid.UUID
    node_id: str
    name: str
    country: str | None
    base_url: str | None
    public_key: bytes
    key_id: str
    author_ref: str
    user_id: uuid.UUID | None
    ledger_vkey: str | None
    status: str
    last_sync_position: int
    last_sync_at: datetime | None
    last_sync_error: str | None
    verification_failures: int
    last_failure: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    agreement_id: str
    title: str
    yaml_text: str
    version: str
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class HeldObject:
    """One signed version held by this node, at its log position."""

    position: int
    stix_id: str
    stix_type: str
    version: str
    author_ref: str
    author_node: str
    content_hash: str
    tlp: str | None
    wire: dict[str, Any]
    received_from: str | None
    agreement_id: str | None
    current: bool
    revoked: bool
    deleted: bool
    stored_at: datetime
    #: The JSON text stored for ``wire``, when it was written already: the sync's verification
    #: worker writes that of the very object it verified (``wire`` is then the object as received:
    #: the same header, salts, signature and fields). None: written from ``wire`` when stored.
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one partner receives of one version: the compiled copy, still signed by the author."""

    partner_node: str
    position: int
    stix_id: str
    stix_type: str
    version: str
    agreement_id: str
    outcome: str
    removed_fields: tuple[str, ...]
    wire: dict[str, Any]
    current: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: uuid.UUID
    stix_id: str
    from_node: str
    to_node: str
    outcome: str
    notes: str
    note_id: str | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class WitnessedCheckpoint:
    """A partner's ledger checkpoint we verified (signature, consistency) and cosigned."""

    partner_node: str
    tree_size: int
    root_hash: bytes
    note: str
    witnessed_at: datetime


@dataclass(frozen=True, slots=True)
class Rejection:
    partner_node: str
    stix_id: str
    check_name: str
    detail: str
    rejected_at: datetime


def _partner(row: Any) -> PartnerRecord:
    return PartnerRecord(
        id=row.id,
        node_id=row.node_id,
        name=row.name,
        country=row.country,
        base_url=row.base_url,
        public_key=bytes(row.public_key),
        key_id=row.key_id,
        author_ref=row.author_ref,
        user_id=row.user_id,
        ledger_vkey=row.ledger_vkey,
        status=row.status,
        last_sync_position=int(row.last_sync_position),
        last_sync_at=None if row.last_sync_at is None else as_utc(row.last_sync_at),
        last_sync_error=row.last_sync_error,
        verification_failures=int(row.verification_failures),
        last_failure=row.last_failure,
        created_at=as_utc(row.created_at),
    )


def _held(row: Any) -> HeldObject:
    return HeldObject(
        position=int(row.position),
        stix_id=row.stix_id,
        stix_type=row.stix_type,
        version=row.version,
        author_ref=row.author_ref,
        author_node=row.author_node,
        content_hash=row.content_hash,
        tlp=row.tlp,
        wire=json.loads(row.wire),
        received_from=row.received_from,
        agreement_id=row.agreement_id,
        current=bool(row.current),
        revoked=bool(row.revoked),
        deleted=bool(row.deleted),
        stored_at=as_utc(row.stored_at),
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        partner_node=row.partner_node,
        position=int(row.position),
        stix_id=row.stix_id,
        stix_type=row.stix_type,
        version=row.version,
        agreement_id=row.agreement_id,
        outcome=row.outcome,
        removed_fields=tuple(json.loads(row.removed_fields)),
        wire=json.loads(row.wire),
        current=bool(row.current),
        created_at=as_utc(row.created_at),
    )


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One feed entry as stored: the wire is the JSON text, served without re-encoding."""

    position: int
    stix_id: str
    stix_type: str
    version: str
    added: datetime
    wire_text: str


def _feed_row(row: Any, added: Any) -> FeedRow:
    return FeedRow(int(row.position), row.stix_id, row.stix_type, row.version, as_utc(added), row.wire)


# Statements built once (the per-call ``.values(...)`` forms cost more to key than to run).
_RETIRE_OBJECT = (
    update(sharing_objects)
    .where(sharing_objects.c.stix_id == bindparam("retired_id"), sharing_objects.c.current)
    .values(current=False)
)
_INSERT_OBJECT = insert(sharing_objects)
_RETIRE_DELIVERY = (
    update(sharing_deliveries)
    .where(
        sharing_deliveries.c.partner_node == bindparam("retired_partner"),
        sharing_deliveries.c.stix_id == bindparam("retired_id"),
        sharing_deliveries.c.current,
    )
    .values(current=False)
)
_INSERT_DELIVERY = insert(sharing_deliveries)
_PARTNERS = select(sharing_partners).order_by(sharing_partners.c.node_id)
_AGREEMENTS = select(sharing_agreements).order_by(sharing_agreements.c.agreement_id)
_LAST_POSITION = select(func.max(sharing_objects.c.position))
_HELD = select(sharing_objects).where(
    sharing_objects.c.stix_id == bindparam("held_id"), sharing_objects.c.current
)
_TOMBSTONE = select(sharing_tombstones.c.wire).where(
    sharing_tombstones.c.stix_id == bindparam("tombstone_id")
)


def wire_text(wire: dict[str, Any]) -> str:
    """The stored JSON text of an object: compact, non-ASCII kept. pydantic-core's encoder writes
    the text ``json.dumps(wire, separators=(",", ":"), ensure_ascii=False)`` gives (a property
    test checks it; only a float may be spelt otherwise, as the same number: ``1e-7``, not
    ``1e-07``) in about a third of the time; a value it cannot write goes through ``json.dumps``,
    which raises its own error."""
    try:
        return to_json(wire).decode()
    except PydanticSerializationError:
        return json.dumps(wire, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """Filters of a feed page: TAXII ``match[id]``, ``match[type]``, ``added_after`` and versions."""

    after_position: int = 0
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    added_after: datetime | None = None
    all_versions: bool = False
    limit: int = 100


class IntelKey(NamedTuple):
    """One identifier (or name key) of received intelligence, as intake matches it: a row of
    ``sharing_intel_keys``, its fields in the table's column order (a page's thousands of keys
    are made and inserted as they are, with no object per key to build and take apart)."""

    stix_id: str
    kind: str
    value: str
    found_in: str
    object_kind: str
    author_node: str
    position: int


@dataclass(frozen=True, slots=True)
class OpenDeclaration:
    """What intel matching needs of a declaration still awaiting its outcome (no items)."""

    id: uuid.UUID
    org_id: uuid.UUID
    containers: tuple[str, ...]
    party_names: dict[str, str | None]


def _open_declaration(row: Any) -> OpenDeclaration:
    named = row.parties or {}
    return OpenDeclaration(
        row.id,
        row.org_id,
        tuple(row.containers or ()),
        {role: (ref or {}).get("name") for role, ref in named.items() if isinstance(ref, dict)},
    )


@dataclass(frozen=True, slots=True)
class DisclosureRecord:
    """A disclosure request after a keyed watch-list hit: ``outgoing`` we asked, ``incoming`` we own."""

    id: uuid.UUID
    direction: str
    partner_node: str
    agreement_id: str
    kind: str
    digest: str
    reason: str
    request_note: str
    status: str
    answer: str | None
    answer_note: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


def _disclosure(row: Any) -> DisclosureRecord:
    return DisclosureRecord(
        row.id,
        row.direction,
        row.partner_node,
        row.agreement_id,
        row.kind,
        row.digest,
        row.reason,
        row.request_note,
        row.status,
        row.answer,
        row.answer_note,
        row.decided_by,
        as_utc(row.decided_at) if row.decided_at is not None else None,
        as_utc(row.created_at),
    )


class SharingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _instant(self, moment: datetime) -> datetime:
        # SQLite keeps UTC instants as naive text; PostgreSQL compares aware values.
        utc = as_utc(moment)
        return utc.replace(tzinfo=None) if self._conn.dialect.name == "sqlite" else utc

    # --- partners -------------------------------------------------------------------------------

    def add_partner(self, partner: PartnerRecord) -> None:
        self._conn.execute(
            insert(sharing_partners).values(
                id=partner.id,
                node_id=partner.node_id,
                name=partner.name,
                country=partner.country,
                base_url=partner.base_url,
                public_key=partner.public_key,
                key_id=partner.key_id,
                author_ref=partner.author_ref,
                user_id=partner.user_id,
                ledger_vkey=partner.ledger_vkey,
                status=partner.status,
                last_sync_position=partner.last_sync_position,
                last_sync_at=partner.last_sync_at,
                last_sync_error=partner.last_sync_error,
                verification_failures=partner.verification_failures,
                last_failure=partner.last_failure,
                created_at=partner.created_at,
            )
        )

    def partner(self, node_id: str) -> PartnerRecord | None:
        row = self._conn.execute(
            select(sharing_partners).where(sharing_partners.c.node_id == node_id)
        ).first()
        return None if row is None else _partner(row)

    def partner_by_user(self, user_id: uuid.UUID) -> PartnerRecord | None:
        row = self._conn.execute(
            select(sharing_partners).where(sharing_partners.c.user_id == user_id)
        ).first()
        return None if row is None else _partner(row)

    def partner_by_key(self, key_id: str) -> PartnerRecord | None:
        row = self._conn.execute(select(sharing_partners).where(sharing_partners.c.key_id == key_id)).first()
        return None if row is None else _partner(row)

    def partners(self) -> list[PartnerRecord]:
        rows = self._conn.execute(_PARTNERS)
        return [_partner(row) for row in rows]

    def record_sync(self, node_id: str, position: int, at: datetime, error: str | None = None) -> None:
        self._conn.execute(
            update(sharing_partners)
            .where(sharing_partners.c.node_id == node_id)
            .values(last_sync_position=position, last_sync_at=at, last_sync_error=error)
        )

    def set_status(self, node_id: str, status: str) -> None:
        self._conn.execute(
            update(sharing_partners).where(sharing_partners.c.node_id == node_id).values(status=status)
        )

    def record_sync_error(self, node_id: str, error: str) -> None:
        self._conn.execute(
            update(sharing_partners)
            .where(sharing_partners.c.node_id == node_id)
            .values(last_sync_error=error)
        )

    def record_rejection(self, rejection: Rejection) -> None:
        self._conn.execute(
            insert(sharing_rejections).values(
                id=uuid.uuid4(),
                partner_node=rejection.partner_node,
                stix_id=rejection.stix_id[:200],
                check_name=rejection.check_name[:40],
                detail=rejection.detail,
                rejected_at=rejection.rejected_at,
            )
        )
        self._conn.execute(
            update(sharing_partners)
            .where(sharing_partners.c.node_id == rejection.partner_node)
            .values(
                verification_failures=sharing_partners.c.verification_failures + 1,
                last_failure=f"{rejection.stix_id}: {rejection.check_name}: {rejection.detail}",
            )
        )

    def rejections(self, partner_node: str | None = None) -> list[Rejection]:
        query = select(sharing_rejections).order_by(sharing_rejections.c.rejected_at)
        if partner_node is not None:
            query = query.where(sharing_rejections.c.partner_node == partner_node)
        return [
            Rejection(r.partner_node, r.stix_id, r.check_name, r.detail, as_utc(r.rejected_at))
            for r in self._conn.execute(query)
        ]

    # --- agreements -----------------------------------------------------------------------------

    def save_agreement(self, record: AgreementRecord) -> None:
        """Insert or replace the agreement with this id."""
        self._conn.execute(
            sharing_agreements.delete().where(sharing_agreements.c.agreement_id == record.agreement_id)
        )
        self._conn.execute(
            insert(sharing_agreements).values(
                agreement_id=record.agreement_id,
                title=record.title,
                yaml_text=record.yaml_text,
                version=record.version,
                registered_at=record.registered_at,
            )
        )

    def agreements(self) -> list[AgreementRecord]:
        rows = self._conn.execute(_AGREEMENTS)
        return [
            AgreementRecord(r.agreement_id, r.title, r.yaml_text, r.version, as_utc(r.registered_at))
            for r in rows
        ]

    # --- the object log -------------------------------------------------------------------------

    def next_position(self) -> int:
        """The next log position; call once per transaction, before inserting (takes the lock)."""
        if self._conn.dialect.name == "postgresql":
            self._conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_POSITION_LOCK})")
        last = self._conn.execute(_LAST_POSITION).scalar()
        return 1 if last is None else int(last) + 1

    def held(self, stix_id: str) -> HeldObject | None:
        """The current version of ``stix_id`` held here, if any."""
        row = self._conn.execute(_HELD, {"held_id": stix_id}).first()
        return None if row is None else _held(row)

    def held_many(self, stix_ids: Sequence[str]) -> dict[str, HeldObject]:
        """Current versions of several ids, in chunks (one query per 500 ids)."""
        found: dict[str, HeldObject] = {}
        unique = sorted(set(stix_ids))
        for start in range(0, len(unique), 500):
            rows = self._conn.execute(
                select(sharing_objects).where(
                    sharing_objects.c.stix_id.in_(unique[start : start + 500]), sharing_objects.c.current
                )
            )
            for row in rows:
                found[row.stix_id] = _held(row)
        return found

    def tombstones_many(self, stix_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        unique = sorted(set(stix_ids))
        for start in range(0, len(unique), 500):
            rows = self._conn.execute(
                select(sharing_tombstones.c.stix_id, sharing_tombstones.c.wire).where(
                    sharing_tombstones.c.stix_id.in_(unique[start : start + 500])
                )
            )
            for row in rows:
                found[row.stix_id] = dict(json.loads(row.wire))
        return found

    def add_objects(self, objects: Sequence[HeldObject], *, held: Iterable[str] | None = None) -> None:
        """Store many versions at once (bulk insert); current ones retire the held current versions.

        ``held``, when the caller knows it, names the ids that may have a current version stored
        (a superset is fine): only those are retired, the others are known to be new here."""
        replacing = sorted({obj.stix_id for obj in objects if obj.current})
        if held is not None:
            known = set(held)
            replacing = [stix_id for stix_id in replacing if stix_id in known]
        for start in range(0, len(replacing), 500):
            self._conn.execute(
                update(sharing_objects)
                .where(
                    sharing_objects.c.stix_id.in_(replacing[start : start + 500]), sharing_objects.c.current
                )
                .values(current=False)
            )
        bulk_insert(
            self._conn,
            sharing_objects,
            [
                (
                    o.position,
                    o.stix_id,
                    o.stix_type,
                    o.version,
                    o.author_ref,
                    o.author_node,
                    o.content_hash,
                    o.tlp,
                    wire_text(o.wire) if o.text is None else o.text,
                    o.received_from,
                    o.agreement_id,
                    o.current,
                    o.revoked,
                    o.deleted,
                    o.stored_at,
                )
                for o in objects
            ],
        )

    def versions(self, stix_id: str) -> list[HeldObject]:
        rows = self._conn.execute(
            select(sharing_objects)
            .where(sharing_objects.c.stix_id == stix_id)
            .order_by(sharing_objects.c.position)
        )
        return [_held(row) for row in rows]

    def add_object(self, obj: HeldObject) -> None:
        """Store a version; if it is current, the previous current version of its id stops being so."""
        if obj.current:
            self._conn.execute(_RETIRE_OBJECT, {"retired_id": obj.stix_id})
        self._conn.execute(
            _INSERT_OBJECT,
            {
                "position": obj.position,
                "stix_id": obj.stix_id,
                "stix_type": obj.stix_type,
                "version": obj.version,
                "author_ref": obj.author_ref,
                "author_node": obj.author_node,
                "content_hash": obj.content_hash,
                "tlp": obj.tlp,
                "wire": wire_text(obj.wire) if obj.text is None else obj.text,
                "received_from": obj.received_from,
                "agreement_id": obj.agreement_id,
                "current": obj.current,
                "revoked": obj.revoked,
                "deleted": obj.deleted,
                "stored_at": obj.stored_at,
            },
        )

    def mark_deleted(self, stix_id: str) -> None:
        self._conn.execute(
            update(sharing_objects).where(sharing_objects.c.stix_id == stix_id).values(deleted=True)
        )
        self._conn.execute(sharing_deliveries.delete().where(sharing_deliveries.c.stix_id == stix_id))

    def _feed_conditions(self, table: Table, query: ObjectQuery, added_at: Any) -> list[Any]:
        """The log-position, version, id, type and added-after filters shared by every feed page."""
        conditions: list[Any] = [table.c.position > query.after_position]
        if not query.all_versions:
            conditions.append(table.c.current)
        if query.ids:
            conditions.append(table.c.stix_id.in_(query.ids))
        if query.types:
            conditions.append(table.c.stix_type.in_(query.types))
        if query.added_after is not None:
            conditions.append(added_at > self._instant(query.added_after))
        return conditions

    def objects_page(self, query: ObjectQuery) -> list[HeldObject]:
        """Held objects after ``query.after_position`` in log order (deleted ones left out)."""
        table = sharing_objects
        conditions = [~table.c.deleted, *self._feed_conditions(table, query, table.c.stored_at)]
        rows = self._conn.execute(
            select(table).where(and_(*conditions)).order_by(table.c.position).limit(query.limit)
        )
        return [_held(row) for row in rows]

    def held_page(
        self,
        *,
        after_position: int = 0,
        types: Sequence[str] = (),
        tlp: Sequence[str] = (),
        origin: str | None = None,
        partner: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[HeldObject]:
        """Current, not deleted versions for people: ``origin`` ``received`` or ``published``;
        ``partner``: received from it, or (our own) delivered to it; ``since``: stored after."""
        table = sharing_objects
        conditions: list[Any] = [
            table.c.position > after_position,
            table.c.current,
            ~table.c.deleted,
            ~table.c.stix_type.like("x-supplyguard-%"),
        ]
        if types:
            conditions.append(table.c.stix_type.in_(types))
        if tlp:
            conditions.append(table.c.tlp.in_(tlp))
        if origin == "received":
            conditions.append(table.c.received_from.is_not(None))
        elif origin == "published":
            conditions.append(table.c.received_from.is_(None))
        if partner is not None:
            delivered = select(sharing_deliveries.c.stix_id).where(
                sharing_deliveries.c.partner_node == partner
            )
            conditions.append((table.c.received_from == partner) | table.c.stix_id.in_(delivered))
        if since is not None:
            conditions.append(table.c.stored_at > self._instant(since))
        rows = self._conn.execute(
            select(table).where(and_(*conditions)).order_by(table.c.position).limit(limit)
        )
        return [_held(row) for row in rows]

    def counts_by_partner(self) -> dict[str, dict[str, int]]:
        """Per partner: objects received from it, copies delivered to it, objects refused from it."""
        counts: dict[str, dict[str, int]] = {}

        def add(rows: Any, what: str) -> None:
            for node, count in rows:
                counts.setdefault(str(node), {})[what] = int(count)

        objects = sharing_objects
        add(
            self._conn.execute(
                select(objects.c.received_from, func.count())
                .where(objects.c.received_from.is_not(None))
                .group_by(objects.c.received_from)
            ),
            "received",
        )
        add(
            self._conn.execute(
                select(sharing_deliveries.c.partner_node, func.count()).group_by(
                    sharing_deliveries.c.partner_node
                )
            ),
            "delivered",
        )
        add(
            self._conn.execute(
                select(sharing_rejections.c.partner_node, func.count()).group_by(
                    sharing_rejections.c.partner_node
                )
            ),
            "rejected",
        )
        return counts

    def count_objects(self) -> int:
        return int(
            self._conn.execute(
                select(func.count()).select_from(sharing_objects).where(sharing_objects.c.current)
            ).scalar_one()
        )

    # --- deliveries -----------------------------------------------------------------------------

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Store deliveries; a current one retires that partner's current copy of the object.

        One ``executemany`` per statement: every retirement first, then every insert (the same
        rows as one at a time, since a call never holds two current copies for one partner and id).
        """
        current = [(d.partner_node, d.stix_id) for d in deliveries if d.current]
        if len(set(current)) != len(current):  # not a shape publishing makes: one at a time
            for delivery in deliveries:
                self.add_deliveries([delivery])
            return
        if current:
            self._conn.execute(
                _RETIRE_DELIVERY,
                [{"retired_partner": partner, "retired_id": stix_id} for partner, stix_id in current],
            )
        if deliveries:
            self._conn.execute(
                _INSERT_DELIVERY,
                [
                    {
                        "partner_node": d.partner_node,
                        "position": d.position,
                        "stix_id": d.stix_id,
                        "stix_type": d.stix_type,
                        "version": d.version,
                        "agreement_id": d.agreement_id,
                        "outcome": d.outcome,
                        "removed_fields": json.dumps(list(d.removed_fields)),
                        "wire": wire_text(d.wire),
                        "current": d.current,
                        "created_at": d.created_at,
                    }
                    for d in deliveries
                ],
            )

    def deliveries_page(self, partner_node: str, query: ObjectQuery) -> list[Delivery]:
        table = sharing_deliveries
        conditions = [
            table.c.partner_node == partner_node,
            *self._feed_conditions(table, query, table.c.created_at),
        ]
        rows = self._conn.execute(
            select(table).where(and_(*conditions)).order_by(table.c.position).limit(query.limit)
        )
        return [_delivery(row) for row in rows]

    def deliveries_feed_rows(self, partner_node: str, query: ObjectQuery) -> list[FeedRow]:
        """:meth:`deliveries_page` without parsing: the stored wire text, spliced into the page."""
        table = sharing_deliveries
        conditions = [
            table.c.partner_node == partner_node,
            *self._feed_conditions(table, query, table.c.created_at),
        ]
        columns = (table.c.position, table.c.stix_id, table.c.stix_type, table.c.version, table.c.created_at)
        rows = self._conn.execute(
            select(*columns, table.c.wire)
            .where(and_(*conditions))
            .order_by(table.c.position)
            .limit(query.limit)
        )
        return [_feed_row(row, row.created_at) for row in rows]

    def objects_feed_rows(self, query: ObjectQuery) -> list[FeedRow]:
        """:meth:`objects_page` without parsing the wire text."""
        table = sharing_objects
        conditions = [~table.c.deleted, *self._feed_conditions(table, query, table.c.stored_at)]
        columns = (table.c.position, table.c.stix_id, table.c.stix_type, table.c.version, table.c.stored_at)
        rows = self._conn.execute(
            select(*columns, table.c.wire)
            .where(and_(*conditions))
            .order_by(table.c.position)
            .limit(query.limit)
        )
        return [_feed_row(row, row.stored_at) for row in rows]

    def deliveries_of(self, stix_id: str) -> list[Delivery]:
        rows = self._conn.execute(
            select(sharing_deliveries)
            .where(sharing_deliveries.c.stix_id == stix_id)
            .order_by(sharing_deliveries.c.position, sharing_deliveries.c.partner_node)
        )
        return [_delivery(row) for row in rows]

    # --- tombstones -----------------------------------------------------------------------------

    def tombstone(self, stix_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(_TOMBSTONE, {"tombstone_id": stix_id}).first()
        return None if row is None else dict(json.loads(row.wire))

    def save_tombstone(
        self, stix_id: str, author_ref: str, deleted_at: str, reason: str, wire: dict[str, Any], at: datetime
    ) -> None:
        self._conn.execute(sharing_tombstones.delete().where(sharing_tombstones.c.stix_id == stix_id))
        self._conn.execute(
            insert(sharing_tombstones).values(
                stix_id=stix_id,
                author_ref=author_ref,
                deleted_at=deleted_at,
                reason=reason,
                wire=wire_text(wire),
                recorded_at=at,
            )
        )

    # --- intel keys (intake matching) ---------------------------------------------------------

    def replace_intel_keys(self, stix_id: str, keys: Sequence[IntelKey]) -> None:
        """The keys of an object's current version (none: it no longer serves risk targeting)."""
        self.replace_intel_keys_many([stix_id], keys)

    def replace_intel_keys_many(
        self, stix_ids: Sequence[str], keys: Sequence[IntelKey], *, new: Collection[str] = ()
    ) -> None:
        """Drop the keys of ``stix_ids`` and store ``keys`` (theirs, current versions) in bulk;
        ids in ``new`` (no version was stored before: they have no keys) are not looked up."""
        dropping = [stix_id for stix_id in stix_ids if stix_id not in new] if new else list(stix_ids)
        for start in range(0, len(dropping), 500):
            chunk = dropping[start : start + 500]
            self._conn.execute(delete(sharing_intel_keys).where(sharing_intel_keys.c.stix_id.in_(chunk)))
        if keys:  # one bulk insert (executemany / COPY): an IntelKey is a row in column order
            bulk_insert(self._conn, sharing_intel_keys, keys)

    def intel_keys_matching(self, values: Iterable[tuple[str, str]]) -> list[IntelKey]:
        """Stored keys equal to any of ``values`` ((kind, value) pairs)."""
        wanted = set(values)
        by_value = sorted({value for _kind, value in wanted})
        found: list[IntelKey] = []
        for start in range(0, len(by_value), 500):
            rows = self._conn.execute(
                select(sharing_intel_keys)
                .where(sharing_intel_keys.c.value.in_(by_value[start : start + 500]))
                .order_by(sharing_intel_keys.c.position)
            )
            found.extend(
                IntelKey(r.stix_id, r.kind, r.value, r.found_in, r.object_kind, r.author_node, r.position)
                for r in rows
                if (r.kind, r.value) in wanted
            )
        return found

    # --- disclosure requests -------------------------------------------------------------------

    def add_disclosure(self, record: DisclosureRecord) -> bool:
        """Store a request; False when its request note is already recorded (a second copy)."""
        table = sharing_disclosures
        if self._conn.execute(select(table.c.id).where(table.c.request_note == record.request_note)).first():
            return False
        self._conn.execute(
            insert(table).values(
                id=record.id,
                direction=record.direction,
                partner_node=record.partner_node,
                agreement_id=record.agreement_id,
                kind=record.kind,
                digest=record.digest,
                reason=record.reason,
                request_note=record.request_note,
                status=record.status,
                answer=record.answer,
                answer_note=record.answer_note,
                decided_by=record.decided_by,
                decided_at=record.decided_at,
                created_at=record.created_at,
            )
        )
        return True

    def disclosure(self, disclosure_id: uuid.UUID) -> DisclosureRecord | None:
        row = self._conn.execute(
            select(sharing_disclosures).where(sharing_disclosures.c.id == disclosure_id)
        ).first()
        return None if row is None else _disclosure(row)

    def disclosure_by_note(self, request_note: str) -> DisclosureRecord | None:
        table = sharing_disclosures
        row = self._conn.execute(select(table).where(table.c.request_note == request_note)).first()
        return None if row is None else _disclosure(row)

    def disclosures(self, status: str | None = None) -> list[DisclosureRecord]:
        query = select(sharing_disclosures).order_by(
            sharing_disclosures.c.created_at, sharing_disclosures.c.id
        )
        if status is not None:
            query = query.where(sharing_disclosures.c.status == status)
        return [_disclosure(row) for row in self._conn.execute(query)]

    def answer_disclosure(
        self,
        disclosure_id: uuid.UUID,
        status: str,
        answer: str,
        answer_note: str,
        decided_by: str,
        decided_at: datetime,
    ) -> None:
        self._conn.execute(
            update(sharing_disclosures)
            .where(sharing_disclosures.c.id == disclosure_id)
            .values(
                status=status,
                answer=answer,
                answer_note=answer_note,
                decided_by=decided_by,
                decided_at=decided_at,
            )
        )

    # --- open declarations (read for intel matching) --------------------------------------------

    def open_declarations(self, chunk: int = 5000) -> Iterator[OpenDeclaration]:
        """Declarations of every organisation with no inspection outcome yet, in id order, chunk by
        chunk: only their id, organisation, containers and named parties are read."""
        d = declarations
        last: uuid.UUID | None = None
        while True:
            query = (
                select(d.c.id, d.c.org_id, d.c.containers, d.c.parties)
                .where(~exists().where(outcomes.c.declaration_id == d.c.id))
                .order_by(d.c.id)
                .limit(chunk)
            )
            if last is not None:
                query = query.where(d.c.id > last)
            rows = list(self._conn.execute(query))
            if not rows:
                return
            yield from map(_open_declaration, rows)
            last = rows[-1].id

    def add_declaration_keys(self, rows: Iterable[tuple[str, str, uuid.UUID, uuid.UUID]]) -> None:
        """Index declarations by their keys: ``(kind, value, declaration id, org id)`` rows, each
        pair once per declaration (duplicates are dropped here)."""
        unique = list(dict.fromkeys(rows))
        bulk_insert(self._conn, sharing_declaration_keys, unique)

    def remove_declaration_keys(self, declaration_id: uuid.UUID, keys: Iterable[tuple[str, str]]) -> None:
        """Drop a declaration's ``keys`` ((kind, value) pairs) from the index, by primary key: it
        has its outcome and no intelligence can raise its risk any more."""
        k = sharing_declaration_keys
        rows = [
            {"b_kind": kind, "b_value": value, "b_id": declaration_id} for kind, value in dict.fromkeys(keys)
        ]
        if rows:
            self._conn.execute(
                delete(k).where(
                    k.c.kind == bindparam("b_kind"),
                    k.c.value == bindparam("b_value"),
                    k.c.declaration_id == bindparam("b_id"),
                ),
                rows,
            )

    def open_declarations_matching(self, values: Iterable[tuple[str, str]]) -> list[OpenDeclaration]:
        """The declarations still awaiting their outcome that have any of ``values`` ((kind, value)
        pairs) among their indexed keys, in id order: indexed look-ups of what the values can
        match, whatever the number of declarations held. Only id, organisation, containers and
        named parties are read."""
        wanted = set(values)
        by_kind: dict[str, list[str]] = {}
        for kind, value in sorted(wanted):
            by_kind.setdefault(kind, []).append(value)
        k, d = sharing_declaration_keys, declarations
        found: dict[uuid.UUID, OpenDeclaration] = {}
        for kind, kind_values in by_kind.items():
            for start in range(0, len(kind_values), 500):
                matching = (
                    select(k.c.declaration_id)
                    .where(k.c.kind == kind, k.c.value.in_(kind_values[start : start + 500]))
                    .distinct()
                    .subquery()
                )
                query = (
                    select(d.c.id, d.c.org_id, d.c.containers, d.c.parties)
                    .join(matching, matching.c.declaration_id == d.c.id)
                    .where(~exists().where(outcomes.c.declaration_id == d.c.id))
                )
                for row in self._conn.execute(query):
                    if row.id not in found:
                        found[row.id] = _open_declaration(row)
        return [found[key] for key in sorted(found)]

    # --- request nonces -------------------------------------------------------------------------

    def remember_nonce(self, partner_node: str, nonce: str, created_at: datetime) -> bool:
        """Record a signed request's nonce; False when this partner already used it (a replay)."""
        seen = self._conn.execute(
            select(sharing_request_nonces.c.nonce).where(
                sharing_request_nonces.c.partner_node == partner_node,
                sharing_request_nonces.c.nonce == nonce,
            )
        ).first()
        if seen is not None:
            return False
        try:
            self._conn.execute(
                insert(sharing_request_nonces).values(
                    partner_node=partner_node, nonce=nonce, created_at=self._instant(created_at)
                )
            )
        except IntegrityError:  # another worker took it between our select and insert
            return False
        return True

    def forget_nonces(self, created_before: datetime) -> int:
        """Drop nonces of signatures created before the window (those requests are refused as stale)."""
        result = self._conn.execute(
            delete(sharing_request_nonces).where(
                sharing_request_nonces.c.created_at < self._instant(created_before)
            )
        )
        return int(result.rowcount or 0)

    # --- feedback -------------------------------------------------------------------------------

    def add_feedback(self, record: FeedbackRecord) -> bool:
        """Store one feedback record; False when the same note was already recorded."""
        if record.note_id is not None:
            exists = self._conn.execute(
                select(sharing_feedback.c.id).where(
                    sharing_feedback.c.stix_id == record.stix_id,
                    sharing_feedback.c.from_node == record.from_node,
                    sharing_feedback.c.note_id == record.note_id,
                )
            ).first()
            if exists is not None:
                return False
        self._conn.execute(
            insert(sharing_feedback).values(
                id=record.id,
                stix_id=record.stix_id,
                from_node=record.from_node,
                to_node=record.to_node,
                outcome=record.outcome,
                notes=record.notes,
                note_id=record.note_id,
                recorded_at=record.recorded_at,
            )
        )
        return True

    def feedback(self, stix_id: str | None = None) -> list[FeedbackRecord]:
        query = select(sharing_feedback).order_by(sharing_feedback.c.recorded_at)
        if stix_id is not None:
            query = query.where(sharing_feedback.c.stix_id == stix_id)
        return [
            FeedbackRecord(
                r.id, r.stix_id, r.from_node, r.to_node, r.outcome, r.notes, r.note_id, as_utc(r.recorded_at)
            )
            for r in self._conn.execute(query)
        ]

    # --- witnessed ledger checkpoints -----------------------------------------------------------

    def latest_witnessed(self, partner_node: str) -> WitnessedCheckpoint | None:
        row = self._conn.execute(
            select(sharing_witnessed)
            .where(sharing_witnessed.c.partner_node == partner_node)
            .order_by(sharing_witnessed.c.tree_size.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return WitnessedCheckpoint(
            row.partner_node, int(row.tree_size), bytes(row.root_hash), row.note, as_utc(row.witnessed_at)
        )

    def add_witnessed(self, witnessed: WitnessedCheckpoint) -> None:
        self._conn.execute(
            insert(sharing_witnessed).values(
                partner_node=witnessed.partner_node,
                tree_size=witnessed.tree_size,
                root_hash=witnessed.root_hash,
                note=witnessed.note,
                witnessed_at=witnessed.witnessed_at,
            )
        )
