"""Bulk appends by stream (services.ledger_bulk.append_batches) on SQLite and PostgreSQL: the same
tree, proofs and look-ups as batch-by-batch appends, with the rows made in this process or in a
forked worker; each batch all or nothing, also when the worker fails or dies, or when the stored
log moves on between the caller's commits."""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from supplyguard.adapters.db.ledger_store import LedgerStore
from supplyguard.errors import InvalidInput, LedgerError
from supplyguard.ledger import LeafEnvelope, MemoryTree
from supplyguard.ledger.tail import LogTail
from supplyguard.services.forked import can_fork
from supplyguard.services.ledger_bulk import append_batches

SIZES = (1, 3, 0, 250, 7, 256, 1000, 1, 700, 300)


def envelopes(count: int, start: int = 0) -> list[LeafEnvelope]:
    return [
        LeafEnvelope(
            ("declaration", "outcome", "tracking_event")[i % 3],
            f"0190a1b2-c3d4-7e5f-8a9b-{i:012x}",
            "org-1",
            "2026-11-23T00:00:00.000000Z",
            f"{i:064x}",
        )
        for i in range(start, start + count)
    ]


def batches_of(
    leaves: list[LeafEnvelope], sizes: Sequence[int], pid_file: Path | None = None
) -> Iterator[list[LeafEnvelope]]:
    """The batches, noting in ``pid_file`` which process iterates them."""
    at = 0
    for size in sizes:
        if pid_file is not None:
            pid_file.write_text(str(os.getpid()))
        yield leaves[at : at + size]
        at += size


def _commit_each(conn: Connection, stream: Iterator[list[int]], written: list[int] | None = None) -> None:
    for indexes in stream:
        conn.commit()
        if written is not None:
            written.extend(indexes)


def _check(store: LedgerStore, memory: MemoryTree, leaves: Sequence[LeafEnvelope]) -> None:
    rng = random.Random(5)
    size = store.size()
    assert size == memory.size
    assert store.root() == memory.root()
    for _ in range(40):
        index = rng.randrange(size)
        assert store.inclusion_proof(index, size) == memory.inclusion_proof(index, size)
        old = rng.randint(1, size)
        assert store.consistency_proof(old, size) == memory.consistency_proof(old, size)
        assert store.leaf(index).leaf == leaves[index].to_bytes()
    probe = leaves[rng.randrange(size)]
    assert [leaf.envelope for leaf in store.find_by_record(probe.kind, probe.id)] == [probe]
    assert store.audit() == []


def _need_fork() -> None:
    """Skip, naming why, where no worker can be forked now: checked when the test runs, not when it
    is collected (a thread another test left running would make the stream run in this process)."""
    if not can_fork():
        threads = ", ".join(thread.name for thread in threading.enumerate())
        pytest.skip(f"no fork here (threads: {threads}): the stream would run in this process")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stream_of_batches_builds_the_same_tree(engine: Engine, workers: int, tmp_path: Path) -> None:
    if workers == 2:
        _need_fork()
    leaves = envelopes(sum(SIZES) + 10)
    memory = MemoryTree()
    pid_file = tmp_path / "pid"
    with engine.connect() as conn:
        store = LedgerStore(conn)
        store.append_many(leaves[:10])  # a log that does not start empty
        conn.commit()
        for envelope in leaves[:10]:
            memory.append(envelope.to_bytes())
        at = 10
        for size, indexes in zip(
            SIZES,
            append_batches(store, batches_of(leaves[10:], SIZES, pid_file), workers=workers),
            strict=True,
        ):
            assert indexes == list(range(at, at + size))
            conn.commit()
            for envelope in leaves[at : at + size]:
                memory.append(envelope.to_bytes())
            at += size
        _check(store, memory, leaves)
    made_in = int(pid_file.read_text())
    assert (made_in != os.getpid()) == (workers == 2)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_log_that_moved_on_between_batches_is_appended_to_as_stored(engine: Engine, workers: int) -> None:
    # Between the stream's batches another writer appends, and the caller rolls one batch back: the
    # rows made for the old right edge are not written; those leaves go onto the log as stored.
    leaves = envelopes(3000)
    memory = MemoryTree()
    order: list[LeafEnvelope] = []
    with engine.connect() as conn, engine.connect() as other:
        store = LedgerStore(conn)
        batches = [leaves[0:500], leaves[500:1000], leaves[1000:1700], leaves[1700:2000], leaves[2000:2600]]
        for n, indexes in enumerate(append_batches(store, iter(batches), workers=workers)):
            assert len(indexes) == len(batches[n])
            if n == 2:
                conn.rollback()  # batch 2 is not kept
                continue
            conn.commit()
            order.extend(batches[n])
            if n == 0:
                LedgerStore(other).append_many(leaves[2600:2900])  # another writer, between commits
                other.commit()
                order.extend(leaves[2600:2900])
        for envelope in order:
            memory.append(envelope.to_bytes())
        _check(store, memory, order)


def test_a_batch_the_worker_refuses_writes_nothing(engine: Engine) -> None:
    _need_fork()
    leaves = envelopes(2000)
    bad = [*leaves[1500:1700], LeafEnvelope("declaration", "x", "o" * 65, "2026-11-23T00:00:00Z", "0" * 64)]
    with engine.connect() as conn:
        store = LedgerStore(conn)
        stream = append_batches(store, iter([leaves[:1000], leaves[1000:1500], bad]), workers=2)
        with pytest.raises(InvalidInput, match="too long"):
            _commit_each(conn, stream)
        conn.rollback()
        assert store.size() == 1500
        assert store.audit() == []


def test_a_worker_that_dies_leaves_nothing_half_written(engine: Engine) -> None:
    _need_fork()
    leaves = envelopes(3000)
    parent = os.getpid()

    def batches() -> Iterator[list[LeafEnvelope]]:
        yield leaves[:1000]
        yield leaves[1000:2000]
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies making the third batch
        yield leaves[2000:]

    with engine.connect() as conn:
        store = LedgerStore(conn)
        written: list[int] = []
        with pytest.raises(LedgerError, match="worker ended without finishing"):
            _commit_each(conn, append_batches(store, batches(), workers=2), written)
        conn.rollback()
        assert written == list(range(2000))
        assert store.size() == 2000
        memory = MemoryTree([leaf.to_bytes() for leaf in leaves[:2000]])
        _check(store, memory, leaves)


def test_a_tail_hands_back_the_leaves_it_packed() -> None:
    tail = LogTail(0, b"", {})
    memory = MemoryTree()
    for size in (5, 300, 1, 251, 1000):
        leaves = [e.to_bytes() for e in envelopes(size, memory.size)]
        rows = tail.extend(["k"] * size, [str(i) for i in range(size)], leaves, [b"\0" * 32] * size)
        assert rows.first == memory.size and rows.leaves() == leaves
        for leaf in leaves:
            memory.append(leaf)
    assert tail.size == memory.size
