"""Migration 0013 moves the leaves into entry bundles and the record look-up, and back again."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from supplyguard.adapters.db import ledger_tables
from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.ledger_store import LedgerStore
from supplyguard.adapters.db.migrate import _config, upgrade
from supplyguard.ledger import LeafEnvelope, MemoryTree
from tests.integration.ledger.conftest import LEDGER_TABLES, PG_SERVER

COUNT = 600  # two full bundles and a partial one


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"sg_ledger_mig_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"!!! PostgreSQL at 127.0.0.1:5432 is unreachable, migration test SKIPPED: {exc}")
    engine = create_db_engine(f"{PG_SERVER}/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _envelope(i: int) -> LeafEnvelope:
    return LeafEnvelope(
        "declaration" if i % 2 else "outcome", f"rec-{i % 250}", "org-1", "2026-12-06T00:00:00Z", f"{i:064x}"
    )


def _tiles_for(tmp_path: Path, count: int) -> list[dict[str, object]]:
    scratch = create_db_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    ledger_tables.metadata.create_all(scratch, tables=LEDGER_TABLES)
    with scratch.connect() as conn:
        LedgerStore(conn).append_many([_envelope(i) for i in range(count)])
        rows = [dict(row._mapping) for row in conn.execute(text("SELECT * FROM ledger_tiles"))]
        conn.rollback()
    scratch.dispose()
    return rows


def test_upgrade_moves_the_leaves_and_downgrade_brings_them_back(bare_engine: Engine, tmp_path: Path) -> None:
    upgrade(bare_engine, "0012")
    old_rows = [
        {
            "idx": i,
            "leaf": (leaf := _envelope(i).to_bytes()),
            "leaf_hash": hashlib.sha256(b"\x00" + leaf).digest(),
            "kind": _envelope(i).kind,
            "record_id": _envelope(i).id,
            "org": "org-1",
            "recorded_at": "2026-12-06T00:00:00Z",
        }
        for i in range(COUNT)
    ]
    with bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_leaves (idx, leaf, leaf_hash, kind, record_id, org, recorded_at) "
                "VALUES (:idx, :leaf, :leaf_hash, :kind, :record_id, :org, :recorded_at)"
            ),
            old_rows,
        )
    # The tiles (unchanged by 0013) as the log wrote them for these leaves.
    with bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_tiles (tile_key, tile_level, tile_index, width, hashes) "
                "VALUES (:tile_key, :tile_level, :tile_index, :width, :hashes)"
            ),
            _tiles_for(tmp_path, COUNT),
        )
    upgrade(bare_engine, "0013")
    memory = MemoryTree([_envelope(i).to_bytes() for i in range(COUNT)])
    with bare_engine.connect() as conn:
        store = LedgerStore(conn)
        assert store.size() == COUNT
        assert store.root() == memory.root(COUNT)
        assert [leaf.leaf for leaf in store.leaves(0, COUNT)] == [row["leaf"] for row in old_rows]
        assert [leaf.index for leaf in store.find_by_record("declaration", "rec-1")] == [1, 251, 501]
        if conn.dialect.name == "postgresql":  # stored uncompressed, out of line
            storage = conn.execute(
                text(
                    "SELECT attrelid::regclass::text, attstorage FROM pg_attribute "
                    "WHERE (attrelid, attname) IN (('ledger_bundles'::regclass, 'entries'), "
                    "('ledger_tiles'::regclass, 'hashes'))"
                )
            ).all()
            assert sorted(map(tuple, storage)) == [("ledger_bundles", "e"), ("ledger_tiles", "e")]
        # Tiles were never touched, and they still agree with the moved leaves.
        assert store.audit() == []
        store.append_many([_envelope(COUNT)])
        conn.commit()
    _downgrade(bare_engine, "0012")
    with bare_engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT idx, leaf, leaf_hash, kind, record_id, org, recorded_at "
                "FROM ledger_leaves ORDER BY idx"
            )
        ).all()
    assert len(back) == COUNT + 1
    assert [dict(row._mapping) for row in back[:COUNT]] == [
        {**row, "leaf": row["leaf"], "leaf_hash": row["leaf_hash"]} for row in old_rows
    ]
    assert back[COUNT].idx == COUNT and back[COUNT].kind == "outcome"


def test_upgrade_refuses_a_log_with_a_gap(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0012")
    leaf = _envelope(0).to_bytes()
    with bare_engine.begin() as conn:
        for idx in (0, 2):
            conn.execute(
                text(
                    "INSERT INTO ledger_leaves (idx, leaf, leaf_hash, kind, record_id, org, recorded_at) "
                    "VALUES (:idx, :leaf, :h, 'outcome', 'rec-0', 'org-1', 'now')"
                ),
                {"idx": idx, "leaf": leaf, "h": hashlib.sha256(b"\x00" + leaf).digest()},
            )
    with pytest.raises(RuntimeError, match="has no leaf 1"):
        upgrade(bare_engine, "0013")
