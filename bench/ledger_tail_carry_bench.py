"""What carrying the ledger's tail across the slices of one transaction saves (the EPCIS capture's
ledger step, on PostgreSQL): ``LedgerStore.append_leaves`` of slices of 2,000 leaves, each reading
the log's right edge (lock, last bundle, edge tiles) against one ``tail()`` read once and moved on,
alternating, into a scratch database dropped at the end.

    .venv/bin/python bench/ledger_tail_carry_bench.py --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from benchdb import create_pg_database, drop_pg_database  # the bench folder is on sys.path
from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.ledger_store import LedgerStore, leaf_columns
from supplyguard.adapters.db.migrate import upgrade
from supplyguard.ledger import LeafEnvelope
from supplyguard.ledger.hashing import leaf_hashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slices", type=int, default=20)
    parser.add_argument("--slice-events", type=int, default=2000)
    args = parser.parse_args()
    url = create_pg_database("sg_tail_bench")
    if url is None:
        raise SystemExit("this bench needs PostgreSQL at 127.0.0.1:5432")
    try:
        engine = create_db_engine(url)
        upgrade(engine)
        per = args.slice_events
        org = str(uuid.UUID(int=7))
        slices = []
        for n in range(args.slices):
            envelopes = [
                LeafEnvelope(
                    "tracking.event", str(uuid.UUID(int=n * per + i)), org, "2026-12-06T00:00:00Z", "ab" * 32
                )
                for i in range(per)
            ]
            kinds, ids, leaves = leaf_columns(envelopes)
            slices.append((kinds, ids, leaves, leaf_hashes(leaves)))
        wall: dict[str, list[float]] = {"read each slice": [], "carried": []}
        cpu: dict[str, list[float]] = {"read each slice": [], "carried": []}
        for _ in range(args.rounds):
            for mode in wall:
                with engine.connect() as conn:
                    store = LedgerStore(conn)
                    tail = store.tail() if mode == "carried" else None
                    t0, c0 = time.perf_counter(), time.process_time()
                    for kinds, ids, leaves, hashes in slices:
                        store.append_leaves(kinds, ids, leaves, hashes, tail=tail)
                    wall[mode].append((time.perf_counter() - t0) / len(slices))
                    cpu[mode].append((time.process_time() - c0) / len(slices))
                    conn.commit()
        for mode in wall:
            print(
                f"{mode:16} wall ms a slice: median {statistics.median(wall[mode]) * 1e3:.2f} "
                f"({', '.join(f'{w * 1e3:.2f}' for w in wall[mode])}); this process's CPU "
                f"{statistics.median(cpu[mode]) * 1e3:.2f}"
            )
        engine.dispose()
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
