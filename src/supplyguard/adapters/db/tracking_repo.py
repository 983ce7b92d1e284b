"""Stored EPCIS events and capture jobs: bulk writes, query filters in SQL, keyset pages."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import psycopg
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    Uuid,
    and_,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError

from supplyguard.adapters.db.bulk import CopyText, compact_json_encoder, copy_text, insert_stored
from supplyguard.adapters.db.tracking_tables import (
    tracking_capture_jobs,
    tracking_event_epcs,
    tracking_event_sensors,
    tracking_events,
)
from supplyguard.model.clock import as_utc
from supplyguard.tracking import EpcisEvent, EventQuery

#: Identifier roles that ``MATCH_epc`` looks at (the others only ``MATCH_anyEPC``).
EPC_ROLES = ("epc", "child")
_CHUNK = 500
#: Events encoded and inserted at a time (one transaction for all of them).
_INSERT_SLICE = 5000


_JSON_ENCODE = compact_json_encoder()


def _sqlite_time(moment: datetime) -> str:
    """A time as SQLAlchemy's SQLite ``DateTime`` stores it: UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]


def _pg_time(moment: datetime) -> str:
    """A time as PostgreSQL reads a ``timestamptz`` from COPY text (with its offset)."""
    return moment.isoformat()


# PostgreSQL's binary COPY format (the event rows): a signature, then per row a 16-bit field count
# and each field as a 32-bit length (-1: NULL) and its bytes in the type's binary form, then -1.
# Nothing is escaped and nothing is parsed from text: about 2.5 us of server CPU an event less than
# COPY text for these rows (uuids, times), for about what making the text cost here.
_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, no flags, no header extension
_BINARY_TRAILER = b"\xff\xff"
_BINARY_NULL = b"\xff\xff\xff\xff"
_LENGTH = struct.Struct(">i").pack
_INT8 = struct.Struct(">iq").pack  # length 8 and a signed 64-bit value
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # timestamptz: microseconds since then
_MICROSECOND = timedelta(microseconds=1)
_UUID_FIELD = b"\x00\x00\x00\x10"  # length 16
_FALSE_FIELD, _TRUE_FIELD = b"\x00\x00\x00\x01\x00", b"\x00\x00\x00\x01\x01"


def _binary_text(value: str) -> bytes:
    """A text, varchar or json field: its length and its UTF-8 bytes."""
    data = value.encode()
    return _LENGTH(len(data)) + data


def _binary_time(moment: datetime) -> bytes:
    """A timestamptz field (an aware time)."""
    return _INT8(8, (moment - _PG_EPOCH) // _MICROSECOND)


def _as_sent(text: str) -> str | None:
    """An event's JSON text as its document has it, where it can be stored as the body as it is:
    on one line (a pretty-printed document's indentation is not kept) and in UTF-8 (no lone
    surrogate), else None (the body is written anew, compact)."""
    if "\n" in text:
        return None
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return None
    return text


class EventsAlreadyStored(Exception):
    """An event hash of this organisation is already stored (the unique index refused the insert)."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as it is stored: the row id, its owner, capture and ledger place, and the event."""

    id: uuid.UUID
    org_id: uuid.UUID
    capture_id: uuid.UUID
    ledger_index: int | None
    event: EpcisEvent


@dataclass(frozen=True, slots=True)
class CaptureJob:
    id: uuid.UUID
    org_id: uuid.UUID
    status: str
    source: str
    actor: str
    created_at: datetime
    finished_at: datetime | None
    event_count: int
    error_text: str | None
    errors: tuple[dict[str, Any], ...]

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def identifier_keys(event: EpcisEvent) -> list[tuple[str, str]]:
    """The (identifier, role) pairs an event is indexed under (each identifier once per role)."""
    if not (
        event.child_epcs
        or event.parent_id
        or event.input_epcs
        or event.output_epcs
        or event.quantities
        or event.child_quantities
        or event.input_quantities
        or event.output_quantities
    ):  # the common case: an epcList only
        epcs = event.epcs
        if len(epcs) == 1:
            return [(epcs[0], "epc")]
        return [(epc, "epc") for epc in dict.fromkeys(epcs)]
    roles: dict[tuple[str, str], None] = {}
    for role, values in (
        ("epc", event.epcs),
        ("child", event.child_epcs),
        ("parent", (event.parent_id,) if event.parent_id else ()),
        ("input", event.input_epcs),
        ("output", event.output_epcs),
        ("class", event.all_epc_classes),
    ):
        for value in values:
            roles[(value, role)] = None
    return list(roles)


def identifier_rows(row_id: uuid.UUID, org_id: uuid.UUID, event: EpcisEvent) -> list[tuple[Any, ...]]:
    """The ``tracking_event_epcs`` rows of one event (each identifier once per role)."""
    return [(row_id, org_id, epc, role) for epc, role in identifier_keys(event)]


@dataclass(frozen=True, slots=True)
class EncodedEvents:
    """Rows of captured events as the tables store them (see :class:`EventEncoder`), cheap to
    pickle: on SQLite tuples of strings, numbers and ``None``; on PostgreSQL the event and
    identifier rows in binary COPY form and the sensor rows as COPY text
    (:func:`~supplyguard.adapters.db.bulk.copy_text`). Event rows lack their last column, the
    ledger index, which :meth:`TrackingRepository.write_events` adds: ``events`` holds a tuple, or
    a binary COPY row without its last field, per event. On PostgreSQL ``epcs`` is the identifier
    rows' binary COPY rows, one after the other (no signature, no trailer)."""

    postgres: bool
    events: list[Any]
    epcs: list[tuple[Any, ...]] | bytes
    sensors: list[tuple[Any, ...]] | CopyText


class EventEncoder:
    """Encodes events into the rows one capture stores, in the form SQLAlchemy's own types store
    (so they read back through the queries unchanged): ids as 32 hex digits, times as UTC text on
    SQLite and as offset text for ``COPY`` on PostgreSQL, JSON as text. Needs no connection, so
    a capture's worker process can encode while the capturing process stores."""

    def __init__(
        self, postgres: bool, org_id: uuid.UUID, capture_id: uuid.UUID, record_time: datetime
    ) -> None:
        self.postgres = postgres
        self._timestamp = _pg_time if postgres else _sqlite_time
        self._org = f"{org_id.int:032x}"
        self._capture = f"{capture_id.int:032x}"
        self._record_time = record_time
        self._recorded = self._timestamp(record_time)
        self._declared: tuple[Any, Any] = ("t", "f") if postgres else (1, 0)

    def encode(
        self, events: Iterable[tuple[str, EpcisEvent]], texts: Sequence[str] | None = None
    ) -> EncodedEvents:
        """The rows of (row id, event) pairs, each row id as its 32 hex digits. ``texts``, when
        given, holds each event's JSON text as its document has it (its ``body`` is that JSON,
        parsed): stored as the body as it is when it is on one line (:func:`_as_sent`), instead of
        the body written anew."""
        sent = iter(texts) if texts is not None else None
        if self.postgres:
            return self._encode_copy(events, sent)
        timestamp, org, capture, recorded = self._timestamp, self._org, self._capture, self._recorded
        declared = self._declared
        namespace_text: dict[int, str] = {}
        event_rows: list[tuple[Any, ...]] = []
        epc_rows: list[tuple[Any, ...]] = []
        sensor_rows: list[tuple[Any, ...]] = []
        for row, event in events:
            body_text = _as_sent(next(sent)) if sent is not None else None
            if body_text is None:
                body_text = _JSON_ENCODE(event.body if type(event.body) is dict else dict(event.body))
            namespaces = event.namespaces
            names = namespace_text.get(id(namespaces))
            if names is None:
                names = namespace_text[id(namespaces)] = _JSON_ENCODE(dict(namespaces))
            event_rows.append(
                (
                    row,
                    org,
                    event.event_hash,
                    event.event_id or event.event_hash,
                    event.event_type,
                    timestamp(event.event_time),
                    recorded,
                    event.action,
                    event.biz_step,
                    event.disposition,
                    event.read_point,
                    event.biz_location,
                    event.parent_id,
                    declared[0] if event.error_declaration is not None else declared[1],
                    body_text,
                    names,
                    capture,
                )
            )
            epc_rows.extend([(row, org, epc, role) for epc, role in identifier_keys(event)])
            if event.sensor_readings:
                sensor_rows.extend(
                    (row, seq, org, reading.type, reading.value)
                    for seq, reading in enumerate(event.sensor_readings)
                    if reading.value is not None
                )
        return EncodedEvents(False, event_rows, epc_rows, sensor_rows)

    def _encode_copy(
        self, events: Iterable[tuple[str, EpcisEvent]], sent: Iterator[str] | None
    ) -> EncodedEvents:
        """:meth:`encode` for PostgreSQL: each event row in binary COPY form (without its ledger
        index) and the identifier rows in binary COPY form, one after the other (nothing to escape).

        The columns most events share with others (type; action, bizStep, disposition, readPoint,
        bizLocation and parentID) are written once per slice and their bytes reused."""
        # each row starts with its 16-bit field count: every column of the table (COPY names them all)
        row_start = struct.pack(">h", len(tracking_events.columns)) + _UUID_FIELD
        epc_start = struct.pack(">h", len(tracking_event_epcs.columns)) + _UUID_FIELD
        org_field = _UUID_FIELD + bytes.fromhex(self._org)
        capture_field = _UUID_FIELD + bytes.fromhex(self._capture)
        recorded_field = _binary_time(self._record_time)
        namespace_fields: dict[int, bytes] = {}
        type_fields: dict[str, bytes] = {}
        where_fields: dict[tuple[str | None, ...], bytes] = {}
        role_fields: dict[str, bytes] = {}
        rows: list[bytes] = []
        add_row = rows.append
        epc_rows: list[bytes] = []
        add_epc = epc_rows.append
        sensor_rows: list[tuple[Any, ...]] = []
        encode_json, text, time, null, fromhex = (
            _JSON_ENCODE,
            _binary_text,
            _binary_time,
            _BINARY_NULL,
            bytes.fromhex,
        )
        for row, event in events:
            namespaces = event.namespaces
            names = namespace_fields.get(id(namespaces))
            if names is None:
                names = namespace_fields[id(namespaces)] = text(_JSON_ENCODE(dict(namespaces)))
            event_type = event.event_type
            type_field = type_fields.get(event_type)
            if type_field is None:
                type_field = type_fields[event_type] = text(event_type)
            where = (
                event.action,
                event.biz_step,
                event.disposition,
                event.read_point,
                event.biz_location,
                event.parent_id,
            )
            where_field = where_fields.get(where)
            if where_field is None:
                where_field = where_fields[where] = b"".join(
                    [null if value is None else text(value) for value in where]
                )
            row_id = fromhex(row)
            body_text = _as_sent(next(sent)) if sent is not None else None
            if body_text is None:
                body = event.body
                body_text = encode_json(body if type(body) is dict else dict(body))
            add_row(
                b"".join(
                    (
                        row_start,
                        row_id,
                        org_field,
                        text(event.event_hash),
                        text(event.event_id or event.event_hash),
                        type_field,
                        time(event.event_time),
                        recorded_field,
                        where_field,
                        _FALSE_FIELD if event.error_declaration is None else _TRUE_FIELD,
                        text(body_text),
                        names,
                        capture_field,
                    )
                )
            )
            for epc, role in identifier_keys(event):
                role_field = role_fields.get(role)
                if role_field is None:
                    role_field = role_fields[role] = text(role)
                add_epc(b"".join((epc_start, row_id, org_field, text(epc), role_field)))
            if event.sensor_readings:
                sensor_rows.extend(
                    (row, seq, self._org, reading.type, reading.value)
                    for seq, reading in enumerate(event.sensor_readings)
                    if reading.value is not None
                )
        return EncodedEvents(True, rows, b"".join(epc_rows), copy_text(sensor_rows))


class TrackingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- capture ------------------------------------------------------------------------------

    def existing_hashes(self, org_id: uuid.UUID, keys: Iterable[tuple[str, bool]]) -> set[tuple[str, bool]]:
        """Which (event hash, error declared) pairs the organisation already holds."""
        wanted = list(dict.fromkeys(keys))
        found: set[tuple[str, bool]] = set()
        t = tracking_events.c
        for start in range(0, len(wanted), _CHUNK):
            hashes = sorted({h for h, _ in wanted[start : start + _CHUNK]})
            rows = self._conn.execute(
                select(t.event_hash, t.error_declared).where(t.org_id == org_id, t.event_hash.in_(hashes))
            )
            found.update((row[0], bool(row[1])) for row in rows)
        return found.intersection(wanted)

    def existing_event_ids(
        self, org_id: uuid.UUID, keys: Iterable[tuple[str, bool]]
    ) -> set[tuple[str, bool]]:
        """Which (eventID, error declared) pairs the organisation already holds."""
        wanted = list(dict.fromkeys(keys))
        found: set[tuple[str, bool]] = set()
        t = tracking_events.c
        for start in range(0, len(wanted), _CHUNK):
            ids = sorted({i for i, _ in wanted[start : start + _CHUNK]})
            rows = self._conn.execute(
                select(t.event_id, t.error_declared).where(t.org_id == org_id, t.event_id.in_(ids))
            )
            found.update((row[0], bool(row[1])) for row in rows)
        return found.intersection(wanted)

    def add_events(
        self,
        org_id: uuid.UUID,
        capture_id: uuid.UUID,
        record_time: datetime,
        events: Sequence[tuple[uuid.UUID, EpcisEvent, int | None]],
    ) -> None:
        """Insert (row id, event, ledger index) triples with their identifiers, in bulk.

        Raises :class:`EventsAlreadyStored` when the organisation holds one of the events already;
        the transaction is then unusable and must be rolled back.
        """
        encoder = self.event_encoder(org_id, capture_id, record_time)
        # in slices, so that the encoded rows of a large document never all exist at once
        for first in range(0, len(events), _INSERT_SLICE):
            part = events[first : first + _INSERT_SLICE]
            self.write_events(
                encoder.encode([(f"{row_id.int:032x}", event) for row_id, event, _ in part]),
                [i for _, _, i in part],
            )

    def event_encoder(self, org_id: uuid.UUID, capture_id: uuid.UUID, record_time: datetime) -> EventEncoder:
        """The encoder of this capture's rows for this connection's database."""
        return EventEncoder(self._conn.dialect.name == "postgresql", org_id, capture_id, record_time)

    def write_events(self, rows: EncodedEvents, ledger_indexes: Sequence[int | None]) -> None:
        """Insert encoded events (each with its ledger index, in order), their identifiers and
        sensor values. Raises :class:`EventsAlreadyStored` like :meth:`add_events`."""
        postgres = self._conn.dialect.name == "postgresql"
        if postgres != rows.postgres:
            raise ValueError("events encoded for another database")
        if len(rows.events) != len(ledger_indexes):
            raise ValueError("one ledger index per event")
        try:
            if postgres:
                self._copy_binary_events(rows.events, ledger_indexes)
            else:
                event_rows = [(*row, index) for row, index in zip(rows.events, ledger_indexes, strict=True)]
                insert_stored(self._conn, tracking_events, event_rows)
        except (IntegrityError, psycopg.IntegrityError) as exc:
            raise EventsAlreadyStored(str(exc)) from exc
        if isinstance(rows.epcs, bytes):
            if rows.epcs:
                self._copy_binary(
                    tracking_event_epcs, b"".join((_BINARY_SIGNATURE, rows.epcs, _BINARY_TRAILER))
                )
        else:
            insert_stored(self._conn, tracking_event_epcs, rows.epcs)
        insert_stored(self._conn, tracking_event_sensors, rows.sensors)

    def _copy_binary_events(self, rows: Sequence[bytes], ledger_indexes: Sequence[int | None]) -> None:
        """COPY event rows in binary form (each lacking its last field), each with its ledger index."""
        indexes = [_BINARY_NULL if index is None else _INT8(8, index) for index in ledger_indexes]
        # each row and its index field side by side, joined once (no row copied twice)
        pieces = chain.from_iterable(zip(rows, indexes, strict=True))
        self._copy_binary(tracking_events, b"".join([_BINARY_SIGNATURE, *pieces, _BINARY_TRAILER]))

    def _copy_binary(self, table: Table, data: bytes) -> None:
        """COPY binary COPY ``data`` (signature, rows, trailer) into all columns of ``table``."""
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        if not self._conn.in_transaction():
            self._conn.begin()
        driver = self._conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy,
        ):
            copy.write(data)

    def add_job(self, job: CaptureJob) -> None:
        self._conn.execute(
            tracking_capture_jobs.insert(),
            [
                {
                    "id": job.id,
                    "org_id": job.org_id,
                    "status": job.status,
                    "source": job.source,
                    "actor": job.actor,
                    "created_at": job.created_at,
                    "finished_at": job.finished_at,
                    "event_count": job.event_count,
                    "error_text": job.error_text,
                    "errors": list(job.errors) or None,
                }
            ],
        )

    def get_job(self, org_id: uuid.UUID, job_id: uuid.UUID) -> CaptureJob | None:
        c = tracking_capture_jobs.c
        row = (
            self._conn.execute(select(tracking_capture_jobs).where(c.org_id == org_id, c.id == job_id))
            .mappings()
            .first()
        )
        return _to_job(row) if row else None

    def jobs(self, org_id: uuid.UUID, limit: int = 50) -> list[CaptureJob]:
        c = tracking_capture_jobs.c
        rows = self._conn.execute(
            select(tracking_capture_jobs)
            .where(c.org_id == org_id)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        ).mappings()
        return [_to_job(row) for row in rows]

    # --- query --------------------------------------------------------------------------------

    def find(self, org_id: uuid.UUID, reference: str) -> list[EventRow]:
        """Events whose eventID or event hash is ``reference`` (an error declaration last)."""
        t = tracking_events.c
        rows = self._conn.execute(
            select(tracking_events)
            .where(t.org_id == org_id, or_(t.event_id == reference, t.event_hash == reference))
            .order_by(t.record_time, t.id)
        ).mappings()
        return [_to_row(row) for row in rows]

    def query(
        self,
        org_id: uuid.UUID,
        query: EventQuery,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[EventRow]:
        """Events of one organisation matching ``query``, in (record time, row id) order."""
        rows = self._conn.execute(self.query_statement(org_id, query, after, limit)).mappings()
        return [_to_row(row) for row in rows]

    def query_statement(
        self,
        org_id: uuid.UUID,
        query: EventQuery,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Select[Any]:
        """The SELECT that :meth:`query` runs (benchmarks EXPLAIN it)."""
        t = tracking_events.c
        owner: ColumnElement[bool] = t.org_id == org_id
        by_index = query.epcs or query.any_epcs or query.sensor_type is not None
        if self._conn.dialect.name == "sqlite" and by_index:
            # "+column" keeps SQLite from walking the organisation's whole record-time index when
            # the identifier index names the few events wanted (it has no statistics to know better)
            owner = type_coerce(literal_column("+tracking_events.org_id"), Uuid) == org_id
        conditions: list[ColumnElement[bool]] = [owner, *_conditions(org_id, query)]
        if after is not None:
            moment, row_id = after
            conditions.append(or_(t.record_time > moment, and_(t.record_time == moment, t.id > row_id)))
        return select(tracking_events).where(*conditions).order_by(t.record_time, t.id).limit(limit)

    def count(self, org_id: uuid.UUID) -> int:
        return int(
            self._conn.execute(
                select(func.count()).select_from(tracking_events).where(tracking_events.c.org_id == org_id)
            ).scalar_one()
        )


def _conditions(org_id: uuid.UUID, q: EventQuery) -> list[ColumnElement[bool]]:
    t = tracking_events.c
    out: list[ColumnElement[bool]] = []
    for column, values in (
        (t.event_type, q.event_types),
        (t.biz_step, q.biz_steps),
        (t.disposition, q.dispositions),
        (t.read_point, q.read_points),
        (t.biz_location, q.biz_locations),
        (t.parent_id, q.parent_ids),
        (t.action, q.actions),
    ):
        if values:
            out.append(column.in_(values))
    for column, bound, lower in (
        (t.event_time, q.ge_event_time, True),
        (t.event_time, q.lt_event_time, False),
        (t.record_time, q.ge_record_time, True),
        (t.record_time, q.lt_record_time, False),
    ):
        if bound is not None:
            out.append(column >= as_utc(bound) if lower else column < as_utc(bound))
    e = tracking_event_epcs.c
    if q.epcs:
        out.append(
            t.id.in_(
                select(e.event_row_id).where(e.org_id == org_id, e.epc.in_(q.epcs), e.role.in_(EPC_ROLES))
            )
        )
    if q.any_epcs:
        out.append(t.id.in_(select(e.event_row_id).where(e.org_id == org_id, e.epc.in_(q.any_epcs))))
    if q.sensor_type is not None or q.ge_value is not None or q.le_value is not None:
        s = tracking_event_sensors.c
        reports: list[ColumnElement[bool]] = [s.org_id == org_id]
        if q.sensor_type is not None:
            reports.append(s.type == q.sensor_type)
        if q.ge_value is not None:
            reports.append(s.value >= q.ge_value)
        if q.le_value is not None:
            reports.append(s.value <= q.le_value)
        out.append(t.id.in_(select(s.event_row_id).where(*reports)))
    return out


def _to_row(row: Any) -> EventRow:
    # a body or namespaces text that is not a JSON object (only written behind the application's
    # back: PostgreSQL stores them as text) is read as empty, an event `ledger verify` names
    body = row["body"]
    body = dict(body) if isinstance(body, dict) else {}
    namespaces = row["namespaces"]
    event = EpcisEvent(
        event_type=row["event_type"],
        body=body,
        namespaces=dict(namespaces) if isinstance(namespaces, dict) else {},
        event_hash=row["event_hash"],
        event_time=as_utc(row["event_time"]),
        event_time_zone_offset=str(body.get("eventTimeZoneOffset", "")),
        record_time=as_utc(row["record_time"]),
        event_id=row["event_id"],
        action=row["action"],
        biz_step=row["biz_step"],
        disposition=row["disposition"],
        read_point=row["read_point"],
        biz_location=row["biz_location"],
        parent_id=row["parent_id"],
        error_declaration=body.get("errorDeclaration") if row["error_declared"] else None,
    )
    return EventRow(row["id"], row["org_id"], row["capture_id"], row["ledger_index"], event)


def _to_job(row: Any) -> CaptureJob:
    return CaptureJob(
        id=row["id"],
        org_id=row["org_id"],
        status=row["status"],
        source=row["source"],
        actor=row["actor"],
        created_at=as_utc(row["created_at"]),
        finished_at=as_utc(row["finished_at"]) if row["finished_at"] else None,
        event_count=int(row["event_count"]),
        error_text=row["error_text"],
        errors=tuple(row["errors"] or ()),
    )


__all__ = [
    "EPC_ROLES",
    "CaptureJob",
    "EventRow",
    "EventsAlreadyStored",
    "TrackingRepository",
    "identifier_keys",
    "identifier_rows",
]
