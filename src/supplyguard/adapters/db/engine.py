"""Creating the database engine: SQLite (WAL) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from supplyguard.errors import ConfigurationError


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own handling is too lazy).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Writers take the write lock up front (BEGIN IMMEDIATE) so two writers never deadlock."""
    readonly = conn.get_execution_options().get("supplyguard_readonly", False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a plain message
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    raise ConfigurationError(f"unsupported database backend {parsed.get_backend_name()!r}")


BULK_WAL_PAGES = 10_000
"""WAL pages (about 40 MB) a bulk writer lets pile up before it checkpoints. SQLite's default, 1,000,
means a checkpoint and its two fsyncs every eight or so commits of a 1,000-leaf ledger batch."""


def relax_wal_checkpoints(conn: Connection) -> None:
    """For a bulk writer on SQLite: checkpoint the WAL every :data:`BULK_WAL_PAGES` pages instead of
    every 1,000. Set once per pooled connection (it stays so on it); a no-op on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return
    info = conn.connection.info
    if not info.get("supplyguard_bulk_wal"):
        conn.connection.driver_connection.execute(f"PRAGMA wal_autocheckpoint={BULK_WAL_PAGES}")  # type: ignore[union-attr]
        info["supplyguard_bulk_wal"] = True


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
