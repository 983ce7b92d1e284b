"""Ledger benchmark: append, proofs and verification at 1,000,000 leaves, beside pymerkle.

    python bench/ledger_bench.py [--leaves 1000000] [--batch 1000] [--samples 2000] [--dir /tmp]
    python bench/ledger_bench.py --leaves 300000 --append-rounds 3   # the appends only, interleaved

Measures supplyguard's :class:`LedgerStore` on SQLite (interior hashes persisted as tiles) and, in
the same run on the same data, pymerkle's SQLite backend if it is importable. pymerkle is GPL: it
is never a dependency of supplyguard and is imported only here, lazily. To include it::

    python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install pymerkle
    PYMERKLE_SITE=$(/tmp/benchvenv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    .venv/bin/python bench/ledger_bench.py --pymerkle-site "$PYMERKLE_SITE"
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supplyguard.adapters.db import ledger_tables
from supplyguard.adapters.db.engine import create_db_engine, relax_wal_checkpoints
from supplyguard.adapters.db.ledger_store import BUNDLE_WIDTH, LedgerStore, pack_bundle
from supplyguard.ledger import (
    Ed25519Signer,
    LeafEnvelope,
    verify_consistency,
    verify_consistency_bundle,
    verify_inclusion,
    verify_inclusion_bundle,
)
from supplyguard.services.ledger_bulk import append_batches

SEED = 20261123
TABLES = [
    ledger_tables.ledger_bundles,
    ledger_tables.ledger_records,
    ledger_tables.ledger_tiles,
    ledger_tables.ledger_checkpoints,
    ledger_tables.ledger_cosignatures,
]


def envelopes(count: int, seed: int) -> list[LeafEnvelope]:
    """Seeded, realistic envelopes: UUIDv7 record ids (time-ordered, as the platform makes them),
    five orgs and five kinds, random body hashes."""
    rng = random.Random(seed)
    orgs = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(5)]
    kinds = ["declaration", "outcome", "decision", "tracking_event", "config_change"]
    start = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
    out = []
    for i in range(count):
        recorded = datetime.fromtimestamp(start + i * 0.01, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(
            LeafEnvelope(
                kinds[i % 5],
                str(_uuid7(int(start * 1000) + i // 100, rng)),
                orgs[i % 5],
                recorded,
                f"{rng.getrandbits(256):064x}",
            )
        )
    return out


def _uuid7(unix_ms: int, rng: random.Random) -> uuid.UUID:
    value = (unix_ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]


def timed(fn: Callable[[], Any], count: int) -> list[float]:
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_supplyguard(leaves: list[LeafEnvelope], batch: int, samples: int, folder: Path) -> dict[str, Any]:
    db_path = folder / "supplyguard-ledger.db"
    for suffix in ("", "-wal", "-shm"):
        (folder / (db_path.name + suffix)).unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{db_path}")
    ledger_tables.metadata.create_all(engine, tables=TABLES)
    results: dict[str, Any] = {}
    n = len(leaves)
    rng = random.Random(SEED)
    signer = Ed25519Signer.generate("bench.supplyguard.example/log")

    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        for start in range(0, n, batch):
            store.append_many(leaves[start : start + batch])
            conn.commit()
    append_s = time.perf_counter() - t0
    results["append_per_s"] = n / append_s
    results["append_cpu_per_s"] = n / (time.process_time() - c0)
    results["append_s"] = append_s
    for workers in (1, 2):
        results[f"stream{workers}"] = _stream_append(leaves, batch, folder, workers)
    results["bulk_per_s"], results["bulk_cpu_per_s"] = _bulk_append(leaves, batch, folder)
    results["floor_per_s"], results["floor_cpu_per_s"] = _sqlite_floor(leaves, batch, folder)
    results["old_floor_per_s"], results["old_floor_cpu_per_s"] = _old_row_floor(leaves, batch, folder)

    # Memory: Python heap while appending 20 more batches to the full tree (flat in tree size).
    extra = envelopes(20 * batch, SEED + 1)
    tracemalloc.start()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        for start in range(0, len(extra), batch):
            store.append_many(extra[start : start + batch])
        conn.rollback()
    _, append_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["append_peak_mib"] = append_peak / 2**20

    with engine.connect() as conn:
        store = LedgerStore(conn)
        old = n // 2 + 123
        now = datetime.now(UTC)
        # Sign checkpoints at the old size and at the full size (for the bundles).
        conn.commit()
        results["checkpoint_ms"] = min(timed(lambda: store.root(n), 5))
        old_note = _sign_at(store, signer, old, now)
        store.sign_checkpoint(signer, now)
        conn.commit()

        indexes = [rng.randrange(n) for _ in range(samples)]
        it = iter(indexes)
        incl = timed(lambda: store.inclusion_proof(next(it), n), samples)
        olds = [rng.randint(1, n - 1) for _ in range(samples)]
        it2 = iter(olds)
        cons = timed(lambda: store.consistency_proof(next(it2), n), samples)
        results["inclusion_ms"] = percentiles(incl)
        results["consistency_ms"] = percentiles(cons)
        it3 = iter(indexes)
        results["leaf_ms"] = percentiles(timed(lambda: store.leaf(next(it3)), samples))
        it4 = iter([(leaves[i].kind, leaves[i].id) for i in indexes])
        results["record_ms"] = percentiles(timed(lambda: store.find_by_record(*next(it4)), samples))

        root = store.root(n)
        index = indexes[0]
        path = store.inclusion_proof(index, n)
        lh = store.leaf(index).leaf_hash
        results["verify_inclusion_ms"] = percentiles(
            timed(lambda: verify_inclusion(index, n, lh, path, root), samples)
        )
        cpath = store.consistency_proof(old, n)
        old_root = store.root(old)
        results["verify_consistency_ms"] = percentiles(
            timed(lambda: verify_consistency(old, n, cpath, old_root, root), samples)
        )
        bundle = store.inclusion_bundle(index, n).to_json()
        vkey = signer.vkey
        results["verify_bundle_ms"] = percentiles(timed(lambda: verify_inclusion_bundle(bundle, vkey), 200))
        cbundle = store.consistency_bundle(old, n).to_json()
        verify_consistency_bundle(cbundle, vkey)
        results["old_note"] = old_note
        t0 = time.perf_counter()
        problems = store.audit()
        results["audit_s"] = time.perf_counter() - t0
        assert problems == [], problems
        results["db_mib"] = sum(p.stat().st_size for p in folder.glob(db_path.name + "*")) / 2**20
    engine.dispose()
    return results


def _bulk_append(leaves: list[LeafEnvelope], batch: int, folder: Path) -> tuple[float, float]:
    """Like pymerkle's bulk path: the same batches, but one transaction for all of them."""
    db_path = folder / "supplyguard-bulk.db"
    for suffix in ("", "-wal", "-shm"):
        (folder / (db_path.name + suffix)).unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{db_path}")
    ledger_tables.metadata.create_all(engine, tables=TABLES)
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        for start in range(0, len(leaves), batch):
            store.append_many(leaves[start : start + batch])
        conn.commit()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        (folder / (db_path.name + suffix)).unlink(missing_ok=True)
    return len(leaves) / elapsed, len(leaves) / cpu


def _stream_append(
    leaves: list[LeafEnvelope], batch: int, folder: Path, workers: int
) -> tuple[float, float, float]:
    """The same batches through ``append_batches`` (services/ledger_bulk.py), a commit each: the
    rows made in this process (``workers`` 1) or one batch ahead in a forked worker (2). Returns
    (wall leaves/s, leaves per CPU-second of this process, leaves per CPU-second of this process
    and the worker together)."""
    db_path, engine = _fresh_sqlite(folder, f"stream{workers}.db")
    ledger_tables.metadata.create_all(engine, tables=TABLES)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        store = LedgerStore(conn)
        stream = (leaves[start : start + batch] for start in range(0, len(leaves), batch))
        for _ in append_batches(store, stream, workers=workers):
            conn.commit()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    _drop_sqlite(folder, db_path, engine)
    n = len(leaves)
    return n / elapsed, n / cpu, n / (cpu + child)


def _fresh_sqlite(folder: Path, name: str) -> tuple[Path, Any]:
    db_path = folder / name
    for suffix in ("", "-wal", "-shm"):
        (folder / (db_path.name + suffix)).unlink(missing_ok=True)
    return db_path, create_db_engine(f"sqlite:///{db_path}")


def _drop_sqlite(folder: Path, db_path: Path, engine: Any) -> None:
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        (folder / (db_path.name + suffix)).unlink(missing_ok=True)


def _sqlite_floor(leaves: list[LeafEnvelope], batch: int, folder: Path) -> tuple[float, float]:
    """The database's own speed for the same leaf rows: the same ``ledger_bundles`` and
    ``ledger_records`` tables, the same engine settings (WAL, synchronous=NORMAL, the bulk
    appender's WAL checkpoint interval) and a commit per batch, but the rows built beforehand
    (untimed): one bundle row per 256 leaves (the partial last one rewritten per batch as the
    store does) and one look-up row per leaf (executemany), no interior hashes.
    Returns (wall, CPU) leaves per second."""
    db_path, engine = _fresh_sqlite(folder, "floor.db")
    ledger_tables.metadata.create_all(
        engine, tables=[ledger_tables.ledger_bundles, ledger_tables.ledger_records]
    )
    data = [envelope.to_bytes() for envelope in leaves]
    batches = []
    for start in range(0, len(leaves), batch):
        end = min(len(leaves), start + batch)
        first = start // BUNDLE_WIDTH
        bundles = [
            (
                b,
                min(end, (b + 1) * BUNDLE_WIDTH) - b * BUNDLE_WIDTH,
                pack_bundle(data[b * BUNDLE_WIDTH : min(end, (b + 1) * BUNDLE_WIDTH)]),
            )
            for b in range(first, (end - 1) // BUNDLE_WIDTH + 1)
        ]
        records = [(e.kind, e.id, start + i) for i, e in enumerate(leaves[start:end])]
        batches.append((bundles, records))
    bundle_sql = (
        "INSERT INTO ledger_bundles VALUES (?, ?, ?) ON CONFLICT (bundle_index) DO UPDATE "
        "SET width = excluded.width, entries = excluded.entries"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        relax_wal_checkpoints(conn)
        for bundles, records in batches:
            conn.exec_driver_sql(bundle_sql, bundles)
            conn.exec_driver_sql("INSERT INTO ledger_records VALUES (?, ?, ?)", records)
            conn.commit()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _drop_sqlite(folder, db_path, engine)
    return len(leaves) / wall, len(leaves) / cpu


def _old_row_floor(leaves: list[LeafEnvelope], batch: int, folder: Path) -> tuple[float, float]:
    """The same, for the row shape before 2026-12-06: one 7-column row per leaf (bytes, hash, kind,
    record id, org, recorded_at) with a (kind, record_id) index. Returns (wall, CPU) leaves/s."""
    import hashlib

    db_path, engine = _fresh_sqlite(folder, "floor-old.db")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE ledger_leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, "
            "leaf_hash BLOB NOT NULL, "
            "kind VARCHAR(64) NOT NULL, record_id VARCHAR(128) NOT NULL, org VARCHAR(64) NOT NULL, "
            "recorded_at VARCHAR(40) NOT NULL)"
        )
        conn.exec_driver_sql(
            "CREATE INDEX ix_ledger_leaves_kind_record_id ON ledger_leaves (kind, record_id)"
        )
    rows = []
    for index, envelope in enumerate(leaves):
        leaf = envelope.to_bytes()
        rows.append(
            (
                index,
                leaf,
                hashlib.sha256(b"\x00" + leaf).digest(),
                envelope.kind,
                envelope.id,
                envelope.org,
                envelope.recorded_at,
            )
        )
    sql = "INSERT INTO ledger_leaves VALUES (?, ?, ?, ?, ?, ?, ?)"
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        relax_wal_checkpoints(conn)
        for start in range(0, len(rows), batch):
            conn.exec_driver_sql(sql, rows[start : start + batch])
            conn.commit()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _drop_sqlite(folder, db_path, engine)
    return len(rows) / wall, len(rows) / cpu


def _sign_at(store: LedgerStore, signer: Ed25519Signer, size: int, now: datetime) -> str:
    from supplyguard.ledger import Checkpoint, sign_checkpoint

    note = sign_checkpoint(Checkpoint(signer.name, size, store.root(size)), signer)
    store.save_checkpoint(note, now)
    return note


def bench_pymerkle(
    leaves: list[LeafEnvelope], batch: int, samples: int, folder: Path, site: str | None
) -> dict[str, Any] | None:
    if site:
        sys.path.append(site)
    try:
        from pymerkle import SqliteTree  # type: ignore[import-not-found]  # GPL: bench only, lazy
    except ImportError:
        print(
            "pymerkle is not installed: to compare, run\n"
            "  python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install pymerkle\n"
            "and pass --pymerkle-site with that venv's site-packages (never install it into the project).",
            file=sys.stderr,
        )
        return None
    import pymerkle

    path = folder / "pymerkle.db"
    path.unlink(missing_ok=True)
    n = len(leaves)
    data = [e.to_bytes() for e in leaves]
    results: dict[str, Any] = {"version": getattr(pymerkle, "__version__", "?")}
    rng = random.Random(SEED)
    with SqliteTree(str(path), algorithm="sha256") as tree:
        t0, c0 = time.perf_counter(), time.process_time()
        # pymerkle's bulk path: one call, one transaction, executemany per chunk of `batch`.
        tree.append_entries(data, chunksize=batch)
        append_s = time.perf_counter() - t0
        results["append_per_s"] = n / append_s
        results["append_cpu_per_s"] = n / (time.process_time() - c0)
        indexes = [rng.randrange(n) for _ in range(samples)]
        it = iter(indexes)
        # pymerkle indexes leaves from 1.
        incl = timed(lambda: tree.prove_inclusion(next(it) + 1, n), samples)
        olds = [rng.randint(1, n - 1) for _ in range(samples)]
        it2 = iter(olds)
        cons = timed(lambda: tree.prove_consistency(next(it2), n), samples)
        results["inclusion_ms"] = percentiles(incl)
        results["consistency_ms"] = percentiles(cons)
        base = tree.get_root(n)
        proof = tree.prove_inclusion(indexes[0] + 1, n)
        target = tree.get_leaf(indexes[0] + 1)
        results["verify_inclusion_ms"] = percentiles(
            timed(lambda: pymerkle.verify_inclusion(target, base, proof), samples)
        )
    return results


def _append_rounds(
    leaves: list[LeafEnvelope], batch: int, folder: Path, rounds: int, site: str | None
) -> None:
    """Only the appends, ``rounds`` times, each path after the other in every round (so that a load
    change hits them alike): batch by batch with ``append_many``, the stream in process and with
    the worker (a commit per batch each), pymerkle's bulk append of the same leaves (one
    transaction) and the floor. One line per round: wall leaves/s (leaves per CPU-second)."""
    if site:
        sys.path.append(site)
    try:
        from pymerkle import SqliteTree  # type: ignore[import-not-found]  # GPL: bench only, lazy
    except ImportError:
        SqliteTree = None
    data = [e.to_bytes() for e in leaves]
    n = len(leaves)

    def per_batch() -> tuple[float, float, float]:
        db_path, engine = _fresh_sqlite(folder, "rounds.db")
        ledger_tables.metadata.create_all(engine, tables=TABLES)
        t0, c0 = time.perf_counter(), time.process_time()
        with engine.connect() as conn:
            store = LedgerStore(conn)
            for start in range(0, n, batch):
                store.append_many(leaves[start : start + batch])
                conn.commit()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        _drop_sqlite(folder, db_path, engine)
        return n / wall, n / cpu, n / cpu

    def pymerkle_bulk() -> tuple[float, float, float]:
        path = folder / "rounds-pymerkle.db"
        path.unlink(missing_ok=True)
        with SqliteTree(str(path), algorithm="sha256") as tree:
            t0, c0 = time.perf_counter(), time.process_time()
            tree.append_entries(data, chunksize=batch)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        path.unlink(missing_ok=True)
        return n / wall, n / cpu, n / cpu

    for r in range(rounds):
        load = os.getloadavg()[0]
        results = {
            "append_many": per_batch(),
            "stream in process": _stream_append(leaves, batch, folder, 1),
            "stream + worker": _stream_append(leaves, batch, folder, 2),
        }
        if SqliteTree is not None:
            results["pymerkle bulk"] = pymerkle_bulk()
        floor_wall, floor_cpu = _sqlite_floor(leaves, batch, folder)
        results["floor"] = (floor_wall, floor_cpu, floor_cpu)
        print(
            f"round {r + 1} (load {load:.2f} -> {os.getloadavg()[0]:.2f}): "
            + "; ".join(
                f"{name} {w:,.0f} ({c:,.0f} CPU" + (f", {t:,.0f} both processes)" if t != c else ")")
                for name, (w, c, t) in results.items()
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the SQLite files (default: a temp dir)"
    )
    parser.add_argument("--pymerkle-site", default=os.environ.get("PYMERKLE_SITE"))
    parser.add_argument("--skip-pymerkle", action="store_true")
    parser.add_argument(
        "--append-rounds",
        type=int,
        default=0,
        help="only the appends (ours three ways, pymerkle, the floor), interleaved, this many rounds",
    )
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        f"python {platform.python_version()}, sqlite {__import__('sqlite3').sqlite_version}, folder {folder}"
    )
    t0 = time.perf_counter()
    leaves = envelopes(args.leaves, SEED)
    print(f"generated {args.leaves:,} envelopes in {time.perf_counter() - t0:.1f} s (seed {SEED})")
    if args.append_rounds:
        _append_rounds(leaves, args.batch, folder, args.append_rounds, args.pymerkle_site)
        return
    ours = bench_supplyguard(leaves, args.batch, args.samples, folder)
    theirs = (
        None
        if args.skip_pymerkle
        else bench_pymerkle(leaves, args.batch, args.samples, folder, args.pymerkle_site)
    )

    def fmt(pair: tuple[float, float]) -> str:
        return f"{pair[0]:.4f} / {pair[1]:.4f}"

    print()
    print(f"load average at the end: {os.getloadavg()}; rates: wall (per CPU-second of this process)")
    print(f"{'measure (n = ' + format(args.leaves, ',') + ')':<50} {'supplyguard':>22} {'pymerkle':>22}")

    def rate(wall: float, cpu: float) -> str:
        return f"{wall:,.0f} ({cpu:,.0f} CPU)"

    rows = [
        (
            f"append/s, one transaction per {args.batch}-leaf batch",
            rate(ours["append_per_s"], ours["append_cpu_per_s"]),
            None,
        ),
        (
            f"append/s, stream (append_batches), in process, {args.batch}-leaf commits",
            rate(*ours["stream1"][:2]),
            None,
        ),
        (
            f"append/s, stream, rows made in a forked worker, {args.batch}-leaf commits",
            rate(*ours["stream2"][:2]),
            None,
        ),
        (
            "  the same, per CPU-second of both processes",
            f"{ours['stream2'][2]:,.0f} CPU",
            None,
        ),
        (
            f"floor: bundles + look-up rows, {args.batch}-leaf commits",
            rate(ours["floor_per_s"], ours["floor_cpu_per_s"]),
            None,
        ),
        (
            "floor of the old 7-column leaf rows + index",
            rate(ours["old_floor_per_s"], ours["old_floor_cpu_per_s"]),
            None,
        ),
        (
            f"append/s, {args.batch}-leaf batches, one transaction",
            rate(ours["bulk_per_s"], ours["bulk_cpu_per_s"]),
            "append_per_s",
        ),
        ("inclusion proof ms p50 / p95", fmt(ours["inclusion_ms"]), "inclusion_ms"),
        ("consistency proof ms p50 / p95", fmt(ours["consistency_ms"]), "consistency_ms"),
        ("leaf by index (its bundle) ms p50 / p95", fmt(ours["leaf_ms"]), None),
        ("leaves of a record (kind, id) ms p50 / p95", fmt(ours["record_ms"]), None),
        ("verify inclusion ms p50 / p95", fmt(ours["verify_inclusion_ms"]), "verify_inclusion_ms"),
        ("verify consistency ms p50 / p95", fmt(ours["verify_consistency_ms"]), None),
        ("verify inclusion bundle (sig + proof) ms", fmt(ours["verify_bundle_ms"]), None),
    ]
    for label, value, key in rows:
        other = "-"
        if theirs is not None and key is not None:
            v = theirs[key]
            other = (
                rate(v, theirs["append_cpu_per_s"])
                if key == "append_per_s"
                else (f"{v:,.0f}" if isinstance(v, float) else fmt(v))
            )
        print(f"{label:<50} {value:>22} {other:>22}")
    print(f"{'audit: the whole log recomputed and checked, s':<50} {ours['audit_s']:>22.1f}")
    print(f"{'append at size n: Python heap peak MiB':<50} {ours['append_peak_mib']:>22.1f}")
    print(f"{'process peak RSS MiB (incl. generated data)':<50} {peak_rss_mib():>22.1f}")
    print(f"{'SQLite files MiB':<50} {ours['db_mib']:>22.1f}")
    if theirs is not None:
        print(
            f"pymerkle {theirs['version']}: SqliteTree, one bulk append_entries call "
            "(one transaction, chunks of the batch size), no interior hashes stored"
        )
        for key in ("inclusion_ms", "consistency_ms"):
            print(f"  {key.split('_')[0]} p50 speed-up over pymerkle: {theirs[key][0] / ours[key][0]:.1f}x")


if __name__ == "__main__":
    main()
