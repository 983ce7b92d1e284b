"""EPCIS query latency over a large stored event table (SQLite and, when reachable, PostgreSQL).

    .venv/bin/python bench/tracking_query_bench.py [--events 1000000] [--queries 300]

Rows are written straight through the repository (no parsing: the capture bench measures that):
``--events`` ObjectEvents from a fixed seed, 100,000 objects over 200 sites, one minute apart, in
transactions of 50,000. Then ``--queries`` of each kind, 100 events a page: a single EPC's history
(``MATCH_epc``) and a site over a 6-hour window (``EQ_bizLocation`` + ``GE_/LT_eventTime``).
Prints a table and the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.model.ids import new_id
from supplyguard.tracking import EpcisEvent, EventQuery
from tracking_store_bench import drop_pg, machine, pg_url

SEED = 20260302
START = datetime(2024, 1, 1, tzinfo=UTC)
OBJECTS, SITES, BATCH = 100_000, 200, 50_000


def gtin_link(serial: int) -> str:
    return f"https://id.gs1.org/01/04012345111118/21/{serial}"


def site(number: int) -> str:
    return f"https://id.gs1.org/414/40123450{number:04d}9"


def load(url: str, total: int) -> tuple[uuid.UUID, float]:
    engine = create_db_engine(url)
    upgrade(engine)
    org = uuid.uuid4()
    rng = random.Random(SEED)
    started = time.perf_counter()
    for first in range(0, total, BATCH):
        batch = []
        for n in range(first, min(total, first + BATCH)):
            moment = START + timedelta(minutes=n)
            serial, where = rng.randrange(OBJECTS), site(rng.randrange(SITES))
            body = {"type": "ObjectEvent", "eventTime": moment.isoformat(), "epcList": [gtin_link(serial)]}
            event = EpcisEvent(
                "ObjectEvent",
                body,
                {},
                f"ni:///sha-256;{n:064x}?ver=CBV2.0",
                moment,
                "+00:00",
                action="OBSERVE",
                biz_step="https://ref.gs1.org/cbv/BizStep-receiving",
                read_point=where,
                biz_location=where,
                epcs=(gtin_link(serial),),
            )
            batch.append((new_id(), event, None))
        with engine.begin() as conn:
            TrackingRepository(conn).add_events(org, uuid.uuid4(), START + timedelta(minutes=first), batch)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return org, time.perf_counter() - started


def measure(url: str, org: uuid.UUID, total: int, queries: int) -> dict[str, float]:
    engine = create_db_engine(url)
    rng = random.Random(SEED + 1)
    times: dict[str, list[float]] = {"epc": [], "window": []}
    with engine.connect() as conn:
        repo = TrackingRepository(conn)
        for _ in range(queries):
            epc_query = EventQuery.from_params({"MATCH_epc": gtin_link(rng.randrange(OBJECTS))})
            begin = START + timedelta(minutes=rng.randrange(total))
            window_query = EventQuery.from_params(
                {
                    "EQ_bizLocation": site(rng.randrange(SITES)),
                    "GE_eventTime": begin.isoformat(),
                    "LT_eventTime": (begin + timedelta(hours=6)).isoformat(),
                }
            )
            for kind, query in (("epc", epc_query), ("window", window_query)):
                t0 = time.perf_counter()
                repo.query(org, query, None, 101)
                times[kind].append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    result = {}
    for kind, values in times.items():
        values.sort()
        result[f"{kind}_p50"] = statistics.median(values)
        result[f"{kind}_p95"] = values[int(len(values) * 0.95) - 1]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = []
        if args.backend in ("both", "sqlite"):
            targets.append(("SQLite", f"sqlite:///{tmp}/query.db"))
        url = pg_url() if args.backend in ("both", "postgresql") else None
        if url:
            targets.append(("PostgreSQL", url))
        try:
            for name, target in targets:
                org, load_s = load(target, args.events)
                rows.append((name, load_s, measure(target, org, args.events, args.queries)))
        finally:
            if url:
                drop_pg(url)
    print(f"machine: {machine()}")
    print(f"{args.events:,} stored events; {args.queries} queries of each kind, 100 events a page")
    print(f"{'backend':<11} {'load rows/s':>12} {'EPC p50/p95 ms':>16} {'site+6h p50/p95 ms':>20}")
    for name, load_s, r in rows:
        print(
            f"{name:<11} {args.events / load_s:>12,.0f} {r['epc_p50']:>7.1f}/{r['epc_p95']:<8.1f} "
            f"{r['window_p50']:>9.1f}/{r['window_p95']:<8.1f}"
        )


if __name__ == "__main__":
    main()
