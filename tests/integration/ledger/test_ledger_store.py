"""LedgerStore on real SQLite and PostgreSQL: appends in the caller's transaction, proofs from
stored tiles equal to the in-memory tree, checkpoints, cosignatures, bundles, audit."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from supplyguard.adapters.db import ledger_tables
from supplyguard.adapters.db.engine import BULK_WAL_BYTES, SQLITE_PAGE_SIZE, create_db_engine
from supplyguard.adapters.db.ledger_store import LedgerStore, leaf_columns, pack_bundle, unpack_bundle
from supplyguard.errors import InvalidInput, ProofRequestInvalid, VerificationFailed
from supplyguard.ledger import (
    COSIGNATURE_V1,
    Checkpoint,
    Ed25519Signer,
    LeafEnvelope,
    MemoryTree,
    cosign_checkpoint,
    open_checkpoint,
    parse_vkey,
    sign_checkpoint,
    verify_consistency,
    verify_consistency_bundle,
    verify_inclusion,
    verify_inclusion_bundle,
)

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ORIGIN = "node-a.example/ledger"


def envelopes(count: int, start: int = 0) -> list[LeafEnvelope]:
    return [
        LeafEnvelope(
            "declaration" if i % 3 else "outcome",
            f"rec-{i}",
            "org-1",
            "2026-11-23T00:00:00.000000Z",
            f"{i:064x}",
        )
        for i in range(start, start + count)
    ]


def test_appends_in_odd_batches_match_the_memory_tree(engine: Engine) -> None:
    rng = random.Random(7)
    all_envelopes = envelopes(1300)
    memory = MemoryTree()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        at = 0
        for step in (1, 1, 3, 250, 7, 256, 512, 1, 269):
            batch = all_envelopes[at : at + step]
            assert store.append_many(batch) == list(range(at, at + step))
            for envelope in batch:
                memory.append(envelope.to_bytes())
            at += step
            conn.commit()
            assert store.size() == at
            assert store.root() == memory.root()
        for _ in range(150):
            size = rng.randint(1, at)
            index = rng.randrange(size)
            proof = store.inclusion_proof(index, size)
            assert proof == memory.inclusion_proof(index, size)
            verify_inclusion(index, size, store.leaf(index).leaf_hash, proof, memory.root(size))
            old = rng.randint(1, size)
            cproof = store.consistency_proof(old, size)
            assert cproof == memory.consistency_proof(old, size)
            verify_consistency(old, size, cproof, store.root(old), store.root(size))


def test_batches_appended_on_a_carried_tail_store_the_same_log(engine: Engine) -> None:
    all_envelopes = envelopes(1400)
    memory = MemoryTree()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(all_envelopes[:5])
        conn.commit()
        tail = store.tail(bulk=False)  # read once; the transaction's appends move it on
        at = 5
        for step in (1, 250, 7, 256, 512, 369):
            kinds, ids, leaves = leaf_columns(all_envelopes[at : at + step])
            assert store.append_leaves(kinds, ids, leaves, tail=tail) == list(range(at, at + step))
            at += step
        conn.commit()
        for envelope in all_envelopes:
            memory.append(envelope.to_bytes())
        assert store.size() == tail.size == 1400
        assert store.root() == memory.root()
        assert store.audit() == []


def test_record_ids_with_copy_escapes_are_found_again(engine: Engine) -> None:
    odd = ["tab\there", "back\\slash", "new\nline", "cr\rhere", "plain", "ünï ☃"]
    batch = [
        LeafEnvelope("declaration", rid, "org-1", "2026-11-23T00:00:00.000000Z", f"{i:064x}")
        for i, rid in enumerate(odd)
    ]
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(batch[4:])  # only plain ids: one block of COPY text on PostgreSQL
        store.append_many(batch[:4] + batch[4:])  # escaped ones: row by row
        conn.commit()
        for rid in odd:
            found = store.find_by_record("declaration", rid)
            assert [leaf.record_id for leaf in found] == [rid] * (2 if rid in odd[4:] else 1)
        assert store.audit() == []


def test_append_rolls_back_with_the_callers_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(envelopes(10))
        conn.commit()
        root = store.root()
        store.append_many(envelopes(300, 10))
        assert store.size() == 310
        conn.rollback()
        assert store.size() == 10
        assert store.root() == root
        store.append_many(envelopes(5, 10))
        conn.commit()
        assert store.size() == 15
        assert store.audit() == []


def test_leaves_lookups_and_bad_requests(engine: Engine) -> None:
    with engine.connect() as conn:
        store = LedgerStore(conn)
        assert store.size() == 0
        assert store.root() == MemoryTree().root()
        with pytest.raises(ProofRequestInvalid, match="current size 0"):
            store.inclusion_proof(0, 1)
        store.append_many(envelopes(20))
        conn.commit()
        assert store.leaf(4).envelope.id == "rec-4"
        assert [leaf.index for leaf in store.leaves(3, 6)] == [3, 4, 5]
        assert [leaf.index for leaf in store.find_by_record("declaration", "rec-7")] == [7]
        assert store.find_by_record("outcome", "rec-7") == []
        assert [leaf.index for leaf in store.iter_leaves(0, None, batch_size=6)] == list(range(20))
        with pytest.raises(ProofRequestInvalid, match="not below tree size 20"):
            store.inclusion_proof(20, 20)
        with pytest.raises(ProofRequestInvalid, match="current size 20"):
            store.inclusion_proof(1, 21)
        with pytest.raises(ProofRequestInvalid, match="beyond the current size"):
            store.consistency_proof(2, 30)
        with pytest.raises(ProofRequestInvalid, match="old size 0"):
            store.consistency_proof(0, 10)
        with pytest.raises(ProofRequestInvalid, match="not below tree size"):
            store.leaf(99)
        with pytest.raises(ProofRequestInvalid, match="between 0 and the current size"):
            store.root(21)
        too_long = LeafEnvelope("declaration", "x" * 129, "org", "2026-11-23T00:00:00.000000Z", "0" * 64)
        with pytest.raises(InvalidInput, match="too long"):
            store.append_many([too_long])


def test_checkpoints_cosignatures_and_bundles_verify_offline(engine: Engine) -> None:
    signer = Ed25519Signer.generate(ORIGIN)
    witness = Ed25519Signer.generate("partner.example/witness", COSIGNATURE_V1)
    with engine.connect() as conn:
        store = LedgerStore(conn)
        with pytest.raises(ProofRequestInvalid, match="empty"):
            store.sign_checkpoint(signer, NOW)
        store.append_many(envelopes(37))
        first = store.sign_checkpoint(signer, NOW)
        assert store.sign_checkpoint(signer, NOW) == first  # idempotent at one size
        store.append_many(envelopes(100, 37))
        second = store.sign_checkpoint(signer, NOW)
        conn.commit()
        assert (first.tree_size, second.tree_size) == (37, 137)
        latest = store.latest_checkpoint()
        assert latest is not None
        assert latest.tree_size == 137
        assert store.checkpoint_at(50) is None
        assert open_checkpoint(latest.note, [signer.verifier()]).checkpoint.root_hash == store.root(137)

        line = cosign_checkpoint(second.note, witness, 1_790_000_000)
        cosigned = store.add_cosignature(137, line, NOW)
        store.add_cosignature(137, line, NOW)  # same key again replaces, never duplicates
        conn.commit()
        stored = store.checkpoint_at(137)
        assert stored is not None
        assert stored.note == cosigned.note
        assert stored.note.count("\u2014 ") == 2
        opened = open_checkpoint(stored.note, [signer.verifier(), parse_vkey(witness.vkey)])
        assert set(opened.verified_by) == {ORIGIN, "partner.example/witness"}

        bundle = store.inclusion_bundle(12)
        result = verify_inclusion_bundle(bundle.to_json(), signer.vkey)
        assert (result.leaf_index, result.tree_size) == (12, 137)
        assert result.envelope is not None
        assert result.envelope.id == "rec-12"
        assert verify_inclusion_bundle(store.inclusion_bundle(3, 37).to_json(), signer.vkey).tree_size == 37

        consistency = store.consistency_bundle(37)
        checked = verify_consistency_bundle(consistency.to_json(), signer.vkey)
        assert checked.first_checkpoint_checked
        unsigned_first = verify_consistency_bundle(store.consistency_bundle(50, 137).to_json(), signer.vkey)
        assert not unsigned_first.first_checkpoint_checked

        with pytest.raises(ProofRequestInvalid, match="no checkpoint was signed at tree size 50"):
            store.inclusion_bundle(1, 50)
        with pytest.raises(ProofRequestInvalid, match="no checkpoint was signed at tree size 51"):
            store.add_cosignature(51, line, NOW)


def test_checkpoints_that_do_not_match_the_tree_are_refused(engine: Engine) -> None:
    signer = Ed25519Signer.generate(ORIGIN)
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(envelopes(10))
        wrong = sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), signer)
        with pytest.raises(VerificationFailed, match="does not match the stored tree"):
            store.save_checkpoint(wrong, NOW)
        beyond = sign_checkpoint(Checkpoint(ORIGIN, 11, bytes(32)), signer)
        with pytest.raises(ProofRequestInvalid, match="not within the log"):
            store.save_checkpoint(beyond, NOW)


def _bundle(conn, index: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    blob = conn.execute(
        text("SELECT entries FROM ledger_bundles WHERE bundle_index = :b"), {"b": index}
    ).scalar_one()
    return unpack_bundle(bytes(blob))


def _rewrite(conn, index: int, leaves: list[bytes], width: int | None = None) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text("UPDATE ledger_bundles SET entries = :e, width = :w WHERE bundle_index = :b"),
        {"e": pack_bundle(leaves), "w": len(leaves) if width is None else width, "b": index},
    )


def _set_leaf_hash(conn, index: int, digest: bytes) -> None:  # type: ignore[no-untyped-def]
    blob = bytearray(
        conn.execute(
            text("SELECT hashes FROM ledger_tiles WHERE tile_key = :k"), {"k": index // 256}
        ).scalar_one()
    )
    blob[(index % 256) * 32 : (index % 256) * 32 + 32] = digest
    conn.execute(
        text("UPDATE ledger_tiles SET hashes = :h WHERE tile_key = :k"), {"h": bytes(blob), "k": index // 256}
    )


def test_audit_names_changed_deleted_and_inserted_rows(engine: Engine) -> None:
    signer = Ed25519Signer.generate(ORIGIN)
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(envelopes(300))
        store.sign_checkpoint(signer, NOW)
        conn.commit()
        assert store.audit() == []
        first, last = _bundle(conn, 0), _bundle(conn, 1)
        assert len(first) == 256 and len(last) == 44

        _rewrite(conn, 0, [*first[:5], b"tampered", *first[6:]])
        assert any("leaf 5 (declaration rec-5) was changed" in p for p in store.audit())
        conn.rollback()

        # Changing a leaf and its hash in the tile together still breaks the signed checkpoint.
        forged = envelopes(1, 900)[0].to_bytes()
        _rewrite(conn, 0, [*first[:6], forged, *first[7:]])
        _set_leaf_hash(conn, 6, hashlib.sha256(b"\x00" + forged).digest())
        assert any("checkpoint at size 300 does not match" in p for p in store.audit())
        conn.rollback()

        _rewrite(conn, 1, last[:-1])
        assert any("beyond the 299 leaves stored" in p for p in store.audit())
        conn.rollback()

        _rewrite(conn, 0, [*first[:100], *first[101:]], width=256)
        assert any("leaves 100 to 100 are missing" in p for p in store.audit())
        conn.rollback()

        conn.execute(text("DELETE FROM ledger_bundles WHERE bundle_index = 0"))
        assert any("leaves 0 to 255 are missing" in p for p in store.audit())
        conn.rollback()

        _rewrite(conn, 0, [*first[:50], forged, *first[50:]], width=256)
        assert any("were inserted behind the ledger's back" in p for p in store.audit())
        conn.rollback()

        _rewrite(conn, 1, [*last, forged])
        assert any("interior hashes do not match" in p for p in store.audit())
        conn.rollback()

        # The record look-up: a row removed, and a row added that no leaf backs.
        conn.execute(text("DELETE FROM ledger_records WHERE idx = 7"))
        assert any("look-up row of leaf 7 (declaration rec-7) was removed" in p for p in store.audit())
        assert store.find_by_record("declaration", "rec-7") == []
        conn.rollback()
        conn.execute(
            text("INSERT INTO ledger_records (kind, record_id, idx) VALUES ('declaration', 'sneaky', 8)")
        )
        assert any("declaration sneaky -> leaf 8" in p for p in store.audit())
        assert store.find_by_record("declaration", "sneaky") == []
        conn.rollback()
        assert store.audit() == []


def test_leaves_come_back_from_their_bundles(engine: Engine) -> None:
    with engine.connect() as conn:
        store = LedgerStore(conn)
        made = envelopes(600)
        for start in (0, 1, 255, 256, 300, 599):  # batches that end inside and on bundle edges
            store.append_many(made[store.size() : start + 1])
        assert store.size() == 600
        leaves = store.leaves(250, 520)
        assert [leaf.index for leaf in leaves] == list(range(250, 520))
        assert [leaf.leaf for leaf in leaves] == [e.to_bytes() for e in made[250:520]]
        assert store.leaf(511).envelope == made[511] and store.leaf(599).record_id == "rec-599"
        assert store.leaf(300).leaf_hash == hashlib.sha256(b"\x00" + made[300].to_bytes()).digest()
        assert [leaf.index for leaf in store.iter_kind("declaration")] == sorted(
            (i for i in range(600) if i % 3), key=lambda i: f"rec-{i}"
        )
        assert store.find_in_kinds(("declaration",), "rec-257")[0].org == made[257].org
        in_pages = [(leaf.index, leaf.leaf) for leaf in store.iter_kind("outcome", batch_size=7)]
        assert in_pages == [(leaf.index, leaf.leaf) for leaf in store.iter_kind("outcome")]
        assert len(in_pages) == 200
        assert store.audit() == [] and store.audit(batch_bundles=1) == []


def _sqlite_engine(tmp_path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    tables = [t for t in ledger_tables.metadata.sorted_tables if t.name.startswith("ledger_")]
    ledger_tables.metadata.create_all(engine, tables=tables)
    return engine


def test_bulk_appends_on_sqlite_checkpoint_the_wal_less_often(tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path)
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(envelopes(3))
        conn.commit()
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        store.append_many(envelopes(300, 3))
        conn.commit()
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == BULK_WAL_BYTES // SQLITE_PAGE_SIZE
    engine.dispose()


def test_a_new_sqlite_database_gets_large_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    engine = _sqlite_engine(tmp_path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE
    engine.dispose()
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as raw:
        raw.execute("CREATE TABLE t (x)")
    engine = create_db_engine(f"sqlite:///{old}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_appends_past_the_third_tile_level_match_the_memory_tree(tmp_path: Path) -> None:
    # 70,000 leaves: the level-2 tile (nodes of 65,536 leaves) fills only once, and in between the
    # appends leave it alone.
    engine = _sqlite_engine(tmp_path)
    all_envelopes = envelopes(70_000)
    memory = MemoryTree()
    rng = random.Random(11)
    with engine.connect() as conn:
        store = LedgerStore(conn)
        for at in range(0, len(all_envelopes), 1000):
            batch = all_envelopes[at : at + 1000]
            store.append_many(batch)
            conn.commit()
            for envelope in batch:
                memory.append(envelope.to_bytes())
        for size in (65_535, 65_536, 65_537, 70_000):
            assert store.root(size) == memory.root(size)
            index = rng.randrange(size)
            assert store.inclusion_proof(index, size) == memory.inclusion_proof(index, size)
            for old in (1_000, 65_535, rng.randint(1, size)):
                assert store.consistency_proof(old, size) == memory.consistency_proof(old, size)
        assert store.audit() == []
    engine.dispose()
