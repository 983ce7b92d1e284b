"""Bulk appends to the node's log: a stream of leaf batches, one transaction per batch, with the
leaves, their hashes and the rows to write made one batch ahead in a forked worker process.

``for indexes in append_batches(uow.ledger, batches): ...; uow.commit()`` writes each batch's rows
(entry bundles, look-up rows, interior-hash tiles) in the caller's open transaction and yields the
batch's leaf indexes; the caller writes what else belongs to the batch, signs a checkpoint if it
wants one, and commits (or rolls back) before it takes the next. Each batch is all or nothing: its
rows are written only once all of them are made, and an error in a batch (a field too long) is
raised before any of its rows is written.

With a worker (:func:`default_append_workers`), a forked child reads the log's right edge as it
was when the stream started (:class:`~supplyguard.ledger.tail.LogTail`), iterates ``batches``
itself (it inherits them through the fork, so ``batches`` may be a generator; it must not use this
process's database connections or open files it shares with it), and for each batch makes the leaf
bytes, the leaf hashes, the interior hashes and the rows, while this process writes the previous
batch's rows into the database. Each batch's rows carry the compact range they were made on; should
the stored log differ when they arrive (another writer appended between the caller's commits, or
the caller rolled a batch back), they are not written: that batch and every later one are
appended in this process from the stored tail instead (:meth:`LedgerStore.write_rows`). Without a
worker the same happens in this process, keeping the right edge in memory from batch to batch.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

from supplyguard.adapters.db.ledger_store import LedgerStore, check_leaf_columns, leaf_columns
from supplyguard.errors import LedgerError
from supplyguard.ledger import LeafEnvelope
from supplyguard.ledger.hashing import leaf_hashes
from supplyguard.ledger.tail import AppendRows, LogTail
from supplyguard.services.forked import ForkedStream, WorkerFailed, can_fork

__all__ = ["append_batches", "default_append_workers"]

_SLOT_BYTES = 16 * 1024 * 1024  # a 1,000-leaf batch's rows pickle to about 0.4 MB; larger ones use the pipe


def default_append_workers() -> int:
    """2 (a worker beside this process) where a fork is safe (see
    :func:`~supplyguard.services.forked.can_fork`) and a core is free (a 1-minute load average at
    most the usable cores less one), else 1: on a busy machine the worker only competes for the
    same cores and costs its transfers."""
    if not can_fork():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 and os.getloadavg()[0] <= cores - 1 else 1


def _rows(tail: LogTail, batch: Sequence[LeafEnvelope]) -> AppendRows:
    if not batch:
        return tail.extend((), (), (), [])
    kinds, ids, leaves = leaf_columns(batch)
    check_leaf_columns(kinds, ids, leaves, None)
    return tail.extend(kinds, ids, leaves, leaf_hashes(leaves))


def _append_again(store: LedgerStore, rows: AppendRows) -> list[int]:
    """The leaves of ``rows`` appended from the stored tail (rows made on another tail)."""
    kinds = cast("list[str]", rows.records[0::3])
    ids = cast("list[str]", rows.records[1::3])
    return store.append_leaves(kinds, ids, rows.leaves())


def append_batches(
    store: LedgerStore, batches: Iterable[Sequence[LeafEnvelope]], *, workers: int | None = None
) -> Iterator[list[int]]:
    """Append each batch of ``batches`` in ``store``'s open transaction and yield its leaf indexes;
    the caller commits (or rolls back) each batch before taking the next. ``workers``: 2 to make
    the rows in a forked worker, 1 in this process, ``None`` for :func:`default_append_workers`
    (1 wherever a fork would not be safe)."""
    tail = store.tail()
    if (default_append_workers() if workers is None else workers) < 2 or not can_fork():
        for batch in batches:
            rows = _rows(tail, batch)
            indexes = store.write_rows(rows)
            if indexes is None:  # the stored log moved on: append from its own tail
                indexes = _append_again(store, rows)
                tail = store.tail()
            yield indexes
        return

    def produce() -> Iterator[AppendRows]:  # in the worker
        gc.disable()  # it only makes short-lived lists; it ends with the stream
        for batch in batches:
            yield _rows(tail, batch)

    stale = False
    with ForkedStream(produce, slots=4, slot_bytes=_SLOT_BYTES) as prepared:
        try:
            for rows in prepared:
                indexes = None if stale else store.write_rows(rows)
                if indexes is None:  # the worker's tail is out of date from here on
                    stale = True
                    indexes = _append_again(store, rows)
                yield indexes
        except WorkerFailed as failure:
            if failure.cause is not None:
                raise failure.cause from None
            raise LedgerError(f"the ledger's append worker ended without finishing: {failure}") from None
