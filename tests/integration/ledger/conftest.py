"""Ledger integration fixtures: a fresh database per test on SQLite (file) and PostgreSQL.

PostgreSQL tests create their own uniquely named database on the server at 127.0.0.1:5432 (user
postgres, trust auth) and drop it afterwards; they skip, loudly, if the server is unreachable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from supplyguard.adapters.db import ledger_tables
from supplyguard.adapters.db.engine import create_db_engine

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
LEDGER_TABLES = [
    ledger_tables.ledger_bundles,
    ledger_tables.ledger_records,
    ledger_tables.ledger_tiles,
    ledger_tables.ledger_checkpoints,
    ledger_tables.ledger_cosignatures,
]


def _sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger_tables.metadata.create_all(engine, tables=LEDGER_TABLES)
    yield engine
    engine.dispose()


def _postgres() -> Iterator[Engine]:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"sg_ledger_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"!!! PostgreSQL at 127.0.0.1:5432 is unreachable, ledger PostgreSQL tests SKIPPED: {exc}"
        )
    engine = create_db_engine(f"{PG_SERVER}/{name}")
    try:
        ledger_tables.metadata.create_all(engine, tables=LEDGER_TABLES)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield from _sqlite(tmp_path)
    else:
        yield from _postgres()
