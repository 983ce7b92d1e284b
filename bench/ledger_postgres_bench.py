"""Ledger on PostgreSQL: append rate and proof latency, in a throw-away database.

    python bench/ledger_postgres_bench.py [--leaves 200000] [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Creates a uniquely named database on the server, runs, and drops it. Same data as ledger_bench.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
import uuid

from sqlalchemy import create_engine, text

from ledger_bench import SEED, TABLES, envelopes, percentiles, timed  # the bench folder is on sys.path
from supplyguard.adapters.db import ledger_tables
from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.ledger_store import LedgerStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    admin = create_engine(f"{args.server}/postgres", isolation_level="AUTOCOMMIT")
    name = f"sg_ledger_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; PostgreSQL {version}")
    try:
        engine = create_db_engine(f"{args.server}/{name}")
        ledger_tables.metadata.create_all(engine, tables=TABLES)
        leaves = envelopes(args.leaves, SEED)
        n = len(leaves)
        t0 = time.perf_counter()
        with engine.connect() as conn:
            store = LedgerStore(conn)
            for start in range(0, n, args.batch):
                store.append_many(leaves[start : start + args.batch])
                conn.commit()
        rate = n / (time.perf_counter() - t0)
        rng = random.Random(SEED)
        with engine.connect() as conn:
            store = LedgerStore(conn)
            indexes = iter([rng.randrange(n) for _ in range(args.samples)])
            inclusion = percentiles(timed(lambda: store.inclusion_proof(next(indexes), n), args.samples))
            olds = iter([rng.randint(1, n - 1) for _ in range(args.samples)])
            consistency = percentiles(timed(lambda: store.consistency_proof(next(olds), n), args.samples))
        engine.dispose()
        print(f"n = {n:,}, batches of {args.batch}, one transaction per batch")
        print(f"append leaves/s                  {rate:>12,.0f}")
        print(f"inclusion proof ms p50 / p95     {inclusion[0]:.4f} / {inclusion[1]:.4f}")
        print(f"consistency proof ms p50 / p95   {consistency[0]:.4f} / {consistency[1]:.4f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
