"""Fast bulk inserts below SQLAlchemy's per-row processing: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL. Values are encoded the way SQLAlchemy's own types store them, so rows written here read
back through the normal repositories unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Table, Uuid

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


_JSON_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(value, separators=(",", ":"))`` without building an encoder per call."""


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
    encoders = _encoders(table, dialect)
    if any(encoders):
        # Column by column: one map() per encoded column, the rest untouched (transposed in C).
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, enc in enumerate(encoders):
            if enc is not None:
                columns[i] = list(map(enc, columns[i]))
        rows = list(zip(*columns, strict=True))
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    if not conn.in_transaction():
        conn.begin()
    if dialect == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in table.columns)
    # Through SQLAlchemy (not the raw cursor) so that errors arrive wrapped as callers expect.
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', list(map(tuple, rows)))
