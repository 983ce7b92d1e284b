"""Fast bulk inserts below SQLAlchemy's per-row processing: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL. Values are encoded the way SQLAlchemy's own types store them, so rows written here read
back through the normal repositories unchanged.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from supplyguard.model.ids import new_id

if TYPE_CHECKING:  # SQLAlchemy is imported where used: a forked import reader makes stored rows
    # (new_id_block, Stored, copy_text) without loading it
    from sqlalchemy import Connection, Table

Encoder = Callable[[Any], Any]


def _sqlite_uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else f"{value.int:032x}"  # UUID.hex, without the property call


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@lru_cache(maxsize=1024)
def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def compact_json_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"))``, the text a JSON column holds, without the check
    for circular references (parsed JSON has none) and, where the C encoder is there, without
    making it anew on every call as ``JSONEncoder.encode`` does: one encoder made here, called per
    value (about a quarter cheaper for an event's body). The same text either way."""
    encoder = json.JSONEncoder(separators=(",", ":"), check_circular=False)
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # an interpreter without json's C speed-ups
        return encoder.encode
    chunks = make_encoder(
        None,  # no markers: no check for circular references
        encoder.default,
        json.encoder.encode_basestring_ascii,
        encoder.indent,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    join = "".join

    def encode(value: Any) -> str:
        if type(value) is str:  # a top-level string: what JSONEncoder.encode writes for one
            return encoder.encode(value)
        return join(chunks(value, 0))

    return encode


_JSON_ENCODE = compact_json_encoder()


def _json_text(value: Any) -> str:
    if value is None:
        return "null"  # what json.dumps writes (a JSON null, as before; not SQL NULL)
    if type(value) is list and not value:
        return "[]"
    return _JSON_ENCODE(value)


def _bool_int(value: bool | None) -> int | None:
    return None if value is None else int(value)


@cache
def _encoders(table: Table, dialect: str) -> tuple[Encoder | None, ...]:
    from sqlalchemy import JSON, Boolean, Date, DateTime, Uuid

    encoders: list[Encoder | None] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, JSON):
            encoders.append(_json_text)
        elif dialect == "sqlite" and isinstance(kind, Uuid):
            encoders.append(_sqlite_uuid)
        elif dialect == "sqlite" and isinstance(kind, DateTime):
            encoders.append(_sqlite_datetime)
        elif dialect == "sqlite" and isinstance(kind, Date):
            encoders.append(_sqlite_date)
        elif dialect == "sqlite" and isinstance(kind, Boolean):
            encoders.append(_bool_int)
        else:
            encoders.append(None)
    return tuple(encoders)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in the table's column order) in the caller's transaction."""
    if not rows:
        return
    dialect = conn.dialect.name
    # Rows may stop short of the table's last columns (added later, nullable): those stay NULL.
    width = len(rows[0])
    encoders = _encoders(table, dialect)[:width]
    if any(encoders):
        # Column by column: one map() per encoded column, the rest untouched (transposed in C).
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, enc in enumerate(encoders):
            if enc is not None:
                columns[i] = list(map(enc, columns[i]))
        rows = list(zip(*columns, strict=True))
    names = ", ".join(f'"{c.name}"' for c in list(table.columns)[:width])
    if not conn.in_transaction():
        conn.begin()
    if dialect == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * width)
    # Through SQLAlchemy (not the raw cursor) so that errors arrive wrapped as callers expect.
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', list(map(tuple, rows)))


def new_id_block(count: int) -> list[str]:
    """``count`` new UUIDv7 ids as 32 hex digits (how both backends take a UUID as text), increasing.

    One :func:`~supplyguard.model.ids.new_id` gives the block its 48-bit milliseconds and 12-bit
    counter (unique and increasing in this process); in the 62 bits RFC 9562 leaves to the
    generator, 22 number the ids of the block in order and 40 are random. A bulk import numbers
    its rows this way instead of making a UUID object per row.
    """
    if count > 1 << 22:
        raise ValueError("an id block holds at most 4,194,304 ids")
    prefix = f"{new_id().int >> 64:016x}"
    rand = os.urandom(5 * count).hex()
    return [f"{prefix}{0x800000 | n:06x}{rand[10 * n : 10 * n + 10]}" for n in range(count)]


class Stored:
    """Values in the form a backend stores them, for rows written with :func:`insert_stored`.

    UUIDs are 32 hex digits and dates ISO text on both backends; JSON is its text; a timestamp is
    SQLite's text form or ISO 8601 with its offset for PostgreSQL; booleans 1/0 or ``t``/``f``.
    """

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.true: Any = "t" if postgres else 1
        self.false: Any = "f" if postgres else 0

    @classmethod
    def on(cls, conn: Connection) -> Stored:
        return cls(conn.dialect.name == "postgresql")

    def uuid(self, value: uuid.UUID | None) -> str | None:
        return None if value is None else f"{value.int:032x}"

    def timestamp(self, value: datetime) -> str:
        return value.isoformat() if self.postgres else str(_sqlite_datetime(value))


@dataclass(frozen=True, slots=True)
class CopyText:
    """Rows in stored form already written as one PostgreSQL COPY text stream (:func:`copy_text`),
    e.g. by a process that prepares them for another one to write; ``len()`` is their number."""

    text: str
    rows: int
    width: int

    def __len__(self) -> int:
        return self.rows


@dataclass(frozen=True, slots=True)
class CommonValues:
    """Rows in stored form for a table's first columns, where the columns at the positions of
    ``common`` hold the same value in every row: each row holds only the other columns' values, in
    column order (less to build, to pass between processes and to bind); :meth:`full` gives the
    whole rows. ``len()`` is their number."""

    rows: list[tuple[Any, ...]]
    common: dict[int, Any]

    def __len__(self) -> int:
        return len(self.rows)

    def width(self) -> int:
        return (len(self.rows[0]) if self.rows else 0) + len(self.common)

    def full(self) -> list[tuple[Any, ...]]:
        """The rows with every column."""
        common, width = self.common, self.width()
        own = [position for position in range(width) if position not in common]
        rows = []
        for row in self.rows:
            values = [common.get(position) for position in range(width)]
            for position, value in zip(own, row, strict=True):
                values[position] = value
            rows.append(tuple(values))
        return rows


def _sql_literal(value: Any) -> str:
    """A stored value as an SQLite literal (NULL, a number, or text in single quotes)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"no SQL literal for {value!r}")


def copy_text(rows: Sequence[tuple[Any, ...]]) -> CopyText:
    """``rows`` (stored form, the same width) as a COPY text stream: text is escaped only when some
    value holds a backslash, tab or line break (checked on the whole stream at once)."""
    width = len(rows[0]) if rows else 0
    lines = [
        "\t".join([v if type(v) is str else "\\N" if v is None else repr(v) for v in row]) for row in rows
    ]
    text = "\n".join(lines)
    nulls = sum(row.count(None) for row in rows)  # each NULL is written as one backslash-N
    if (
        text.count("\t") != (width - 1) * len(lines)
        or text.count("\n") != len(lines) - 1
        or text.count("\\") != nulls
        or "\r" in text
    ):
        text = "\n".join(
            "\t".join(
                [
                    v.translate(_COPY_ESCAPES) if type(v) is str else "\\N" if v is None else repr(v)
                    for v in row
                ]
            )
            for row in rows
        )
    return CopyText(text + "\n" if rows else "", len(rows), width)


def insert_stored(
    conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]] | CopyText | CommonValues
) -> None:
    """Insert rows whose values are already in stored form (:class:`Stored`; numbers as numbers,
    None for NULL) in the table's first columns, in the caller's transaction: on SQLite by
    ``executemany`` (the values :class:`CommonValues` shares written once into the statement), on
    PostgreSQL as one COPY text stream (:func:`copy_text`; ``rows`` may be one already, on
    PostgreSQL only)."""
    if not rows:
        return
    if not conn.in_transaction():
        conn.begin()
    if conn.dialect.name != "postgresql":
        if isinstance(rows, CopyText):
            raise ValueError("COPY text is for PostgreSQL only")
        values: Sequence[tuple[Any, ...]]
        if isinstance(rows, CommonValues):
            width, common, values = rows.width(), rows.common, rows.rows
            marks = ", ".join(_sql_literal(common[i]) if i in common else "?" for i in range(width))
        else:
            width, values = len(rows[0]), rows
            marks = ", ".join("?" * width)
        names = ", ".join(f'"{c.name}"' for c in list(table.columns)[:width])
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
        return
    if isinstance(rows, CommonValues):
        rows = rows.full()
    copied = rows if isinstance(rows, CopyText) else copy_text(rows)
    names = ", ".join(f'"{c.name}"' for c in list(table.columns)[: copied.width])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        copy.write(copied.text)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def defer_indexes(
    conn: Connection, tables: Sequence[Table], *, below_rows: int, keys: bool = False
) -> Callable[[], None]:
    """Drop the secondary indexes (neither unique nor primary) of ``tables`` when each of them holds
    fewer than ``below_rows`` rows, in the caller's transaction, and on PostgreSQL their foreign
    keys too; return what creates them again, from their own stored definitions, to call before
    the commit (a foreign key added back checks every row, so nothing unchecked is committed).

    With ``keys`` (PostgreSQL only), their primary and unique keys that no other foreign key
    refers to are put off too, and added back first (each checks every row as it is built): only
    for a load that looks nothing up by them and cannot break them, which the check at the end
    would then report by failing, so that nothing is committed. On PostgreSQL a btree key is
    several times dearer to keep row by row than to build once (COPY of the 108,000 ledger records
    of the KCS import: 0.26–0.35 s with its primary key, 0.07 s without and 0.1–0.13 s to build it).

    For a bulk load into a (nearly) empty table, building an index once from the loaded rows costs
    a fraction of updating it row by row. Without ``keys`` the unique and primary keys stay, so
    look-ups, foreign keys and duplicate checks work throughout. A rollback brings the indexes back
    unchanged (DDL is transactional on both backends). On PostgreSQL, dropping an index locks its
    table: readers of these tables wait for the commit, which is why only small tables qualify.
    """
    postgres = conn.dialect.name == "postgresql"
    if not conn.in_transaction():
        conn.begin()
    for table in tables:
        if conn.exec_driver_sql(f'SELECT 1 FROM "{table.name}" LIMIT 1 OFFSET {below_rows - 1}').first():
            return lambda: None
    definitions: list[tuple[str, str]] = []
    for table in tables:
        if postgres:
            found = conn.exec_driver_sql(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                f"WHERE i.indrelid = '\"{table.name}\"'::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary ORDER BY c.relname"
            ).all()
        else:
            found = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
                (table.name,),
            ).all()
        definitions.extend((str(name), str(sql)) for name, sql in found)
    # PostgreSQL checks a foreign key with a query (and a row lock on the referenced row) per
    # inserted row; added back after the load, it checks every row in one join instead.
    foreign_keys: list[tuple[str, str, str]] = []
    if postgres:
        for table in tables:
            found = conn.exec_driver_sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                f"WHERE conrelid = '\"{table.name}\"'::regclass AND contype = 'f' ORDER BY conname"
            ).all()
            foreign_keys.extend((table.name, str(name), str(sql)) for name, sql in found)
    key_constraints: list[tuple[str, str, str]] = []
    if postgres and keys:
        # a key some other foreign key refers to stays (that key must find it)
        for table in tables:
            found = conn.exec_driver_sql(
                "SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                f"WHERE k.conrelid = '\"{table.name}\"'::regclass AND k.contype IN ('p', 'u') "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                "AND f.conindid = k.conindid AND f.conrelid <> ALL(CAST(%(tables)s AS regclass[]))) "
                "ORDER BY k.conname",
                {"tables": [f'"{other.name}"' for other in tables]},  # their own: dropped above
            ).all()
            key_constraints.extend((table.name, str(name), str(sql)) for name, sql in found)
    for name, _sql in definitions:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    for table_name, name, _sql in foreign_keys + key_constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{table_name}" DROP CONSTRAINT "{name}"')

    def restore() -> None:
        for table_name, name, sql in key_constraints:  # first: a foreign key added back needs its key
            conn.exec_driver_sql(f'ALTER TABLE "{table_name}" ADD CONSTRAINT "{name}" {sql}')
        for _name, sql in definitions:
            conn.exec_driver_sql(sql)
        for table_name, name, sql in foreign_keys:
            conn.exec_driver_sql(f'ALTER TABLE "{table_name}" ADD CONSTRAINT "{name}" {sql}')
        definitions.clear()
        foreign_keys.clear()
        key_constraints.clear()

    return restore
