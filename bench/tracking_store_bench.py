"""EPCIS capture and query on a node: events/s stored (parse, schema-free checks, CBV hash, rows,
identifier index, one ledger leaf each, one checkpoint) and query latency.

    .venv/bin/python bench/tracking_store_bench.py [--events 20000] [--docs 5] [--queries 200]
        [--devices 10000] [--compare OLD_SRC] [--no-worker] [--floor]

``--compare`` runs the capture part first with an older supplyguard (e.g. ``git archive e85e848 src |
tar -x -C /tmp/base`` then ``--compare /tmp/base/src``): the previous figures, on the same machine in
the same run. ``CPU us/ev`` is this process's CPU time per event (the PostgreSQL server's is not in
it): it moves less than the wall-clock rates when other work shares the machine. A capture's
parsing worker (a forked process, for documents of 512 KB and more) is reported beside it;
``--no-worker`` captures in one process, the peer of the worker figures.

Runs on SQLite and, when reachable, PostgreSQL (127.0.0.1:5432). Data come from a fixed seed:
``--docs`` documents of ``--events`` events each, 5,000 objects over 50 sites. Prints a table and the
machine. Capture figures include parsing; the parse-only column is the engine alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from benchdb import create_pg_database, drop_pg_database
from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.bootstrap import build
from supplyguard.config import Settings
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import accounts
from supplyguard.services import tracking as service
from supplyguard.tracking import parse_epcis_document

SEED = 20260301
START = datetime(2026, 1, 1, tzinfo=UTC)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"


def make_document(rng: random.Random, count: int, offset: int) -> bytes:
    events: list[dict[str, Any]] = []
    for n in range(count):
        moment = START + timedelta(seconds=offset + n * 7)
        site = f"urn:epc:id:sgln:4012345.{rng.randrange(50):05d}.0"
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": moment.isoformat().replace("+00:00", "Z"),
                "eventTimeZoneOffset": "+00:00",
                "epcList": [f"urn:epc:id:sgtin:4012345.011111.{rng.randrange(5000)}"],
                "action": "OBSERVE",
                "bizStep": rng.choice(("receiving", "shipping", "storing")),
                "readPoint": {"id": site},
                "bizLocation": {"id": site},
                "eventID": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            }
        )
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": START.isoformat(),
        "epcisBody": {"eventList": events},
    }
    return json.dumps(document).encode()


def server_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving this database (a server on this machine)."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars()
        seconds = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return seconds


def rows_alone(url: str, docs: list[bytes]) -> dict[str, float]:
    """Floor of the storage step: the repository's rows of already parsed events (no parse, hash or
    ledger), inserted and committed per document into a fresh database; this process's CPU and wall."""
    engine = create_db_engine(url)
    upgrade(engine)
    parsed = [parse_epcis_document(data).events for data in docs]
    org = uuid.uuid4()
    cpu = wall = 0.0
    total = 0
    for events in parsed:
        triples = [(new_id(), event, index) for index, event in enumerate(events)]
        with engine.connect() as conn:
            conn.begin()
            t0, c0 = time.perf_counter(), time.process_time()
            TrackingRepository(conn).add_events(org, new_id(), datetime.now(UTC), triples)
            conn.commit()
            cpu += time.process_time() - c0
            wall += time.perf_counter() - t0
        total += len(events)
    engine.dispose()
    return {"rows_eps": total / wall, "rows_cpu_us": cpu * 1e6 / total}


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (a capture's parsing worker, once it ended)."""
    times = os.times()
    return times.children_user + times.children_system


def run(
    backend: str, url: str, data_dir: Path, docs: list[bytes], queries: int, options: dict[str, Any]
) -> dict[str, Any]:
    container = build(Settings(data_dir=data_dir, database_url=url, node_name="bench.node"))
    upgrade(container.engine)
    org = accounts.create_organisation(container.uow(), container.clock, None, "Bench", "NL", "carrier")
    actor = Principal(uuid.UUID(int=0), org.id, "bench", frozenset({Role.ADMIN}), "bench", "cli")
    _ = container.signer
    postgres = container.engine.dialect.name == "postgresql"
    server_before = server_cpu(container.engine) if postgres else {}
    total = 0
    started, cpu_started, worker_started = time.perf_counter(), time.process_time(), children_cpu()
    per_doc: list[float] = []
    for data in docs:
        t0 = time.perf_counter()
        total += service.capture_events(
            container.uow(), container.clock, container.signer, actor, data, **options
        ).event_count
        per_doc.append(time.perf_counter() - t0)
    capture_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    worker_s = children_cpu() - worker_started
    server_after = server_cpu(container.engine) if postgres else {}
    server_s = sum(v - server_before.get(pid, 0.0) for pid, v in server_after.items())
    rng = random.Random(SEED + 1)
    latencies: dict[str, list[float]] = {"epc": [], "site+window": []}
    for _ in range(queries):
        for kind in latencies:
            if kind == "epc":
                params = {"MATCH_epc": f"urn:epc:id:sgtin:4012345.011111.{rng.randrange(5000)}"}
            else:
                begin = START + timedelta(seconds=rng.randrange(len(docs) * 7 * 1000))
                params = {
                    "EQ_bizLocation": f"urn:epc:id:sgln:4012345.{rng.randrange(50):05d}.0",
                    "GE_eventTime": begin.isoformat(),
                    "LT_eventTime": (begin + timedelta(hours=6)).isoformat(),
                }
            t0 = time.perf_counter()
            service.query_events(
                container.uow(readonly=True), container.clock, actor, params | {"perPage": "100"}
            )
            latencies[kind].append((time.perf_counter() - t0) * 1000)
    container.close()
    result: dict[str, Any] = {
        "backend": backend,
        "events": total,
        "capture_eps": total / capture_s,
        "best_doc_eps": total / len(docs) / min(per_doc),
        "cpu_us": cpu_s * 1e6 / total,
        "worker_us": worker_s * 1e6 / total,
        "server_us": server_s * 1e6 / total if postgres else None,
    }
    for kind, values in latencies.items():
        values.sort()
        result[f"{kind}_p50"] = statistics.median(values)
        result[f"{kind}_p95"] = values[int(len(values) * 0.95) - 1]
    return result


def telemetry(backend: str, url: str, data_dir: Path, devices: int, batches: int) -> dict[str, Any]:
    """Positions/s through the HTTP batch service: filters, alert rules (100 geofences), storage."""
    from supplyguard.services import telemetry as telemetry_service
    from supplyguard.tracking import DeviceProfile, GeofenceIndex, TrackingRules, circle_geofence

    container = build(Settings(data_dir=data_dir, database_url=url, node_name="bench.node"))
    upgrade(container.engine)
    org = accounts.create_organisation(container.uow(), container.clock, None, "Fleet", "NL", "carrier")
    actor = Principal(uuid.UUID(int=0), org.id, "bench", frozenset({Role.ADMIN}), "bench", "cli")
    rng = random.Random(SEED + 2)
    fences = [
        circle_geofence(f"g{i}", f"site {i}", (rng.uniform(45, 55), rng.uniform(0, 10)), 2.0, kind="site")
        for i in range(100)
    ]
    rules = TrackingRules(GeofenceIndex(fences), default_profile=DeviceProfile(max_temperature_c=8.0))
    pipelines = telemetry_service.TelemetryPipelines(rules)
    places = [(rng.uniform(45, 55), rng.uniform(0, 10)) for _ in range(devices)]
    start = datetime.now(UTC) - timedelta(hours=2)
    stored = alerts = 0
    started = time.perf_counter()
    for round_ in range(batches):
        batch = []
        for d in range(devices):
            lat, lon = places[d]
            places[d] = (lat + rng.uniform(-0.005, 0.005), lon + rng.uniform(-0.005, 0.005))
            batch.append(
                {
                    "device_id": f"TRK-{d:05d}",
                    "time": (start + timedelta(seconds=30 * round_)).isoformat(),
                    "lat": places[d][0],
                    "lon": places[d][1],
                    "speed_kmh": 40.0,
                    "temperature_c": rng.gauss(5.0, 1.5),
                }
            )
        for first in range(0, devices, 1000):
            report = telemetry_service.ingest_positions(
                container.uow(), container.clock, actor, batch[first : first + 1000], pipelines
            )
            stored += report.stored
            alerts += len(report.alerts)
    elapsed = time.perf_counter() - started
    container.close()
    return {
        "backend": backend,
        "positions": devices * batches,
        "stored": stored,
        "alerts": alerts,
        "pps": devices * batches / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per document")
    parser.add_argument("--docs", type=int, default=5, help="documents captured")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--devices", type=int, default=10_000, help="telemetry devices (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="positions per device")
    parser.add_argument(
        "--compare",
        metavar="SRC",
        help="also run the capture part with the supplyguard package under SRC first (an older "
        "checkout's src/, e.g. from `git archive`), in a subprocess of the same run",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also store the already parsed documents alone (the repository's rows, no parse, hash or "
        "ledger) into a fresh database: the storage step's floor in the same run",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="capture in this process only (no forked parsing worker): the one-process peer",
    )
    parser.add_argument("--label", default="this tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare:
        argv = [a for a in sys.argv[1:] if a not in ("--compare", args.compare, "--floor", "--no-worker")]
        bench = str(Path(__file__).resolve().parent)
        env = os.environ | {"PYTHONPATH": os.pathsep.join([args.compare, bench])}
        print(f"--- baseline: supplyguard from {args.compare}", flush=True)
        subprocess.run(
            [sys.executable, __file__, *argv, "--devices", "0", "--label", args.compare], env=env, check=True
        )
        print("--- this tree", flush=True)
    rng = random.Random(SEED)
    docs = [make_document(rng, args.events, i * args.events * 7) for i in range(args.docs)]
    t0 = time.perf_counter()
    parse_epcis_document(docs[0])
    parse_eps = args.events / (time.perf_counter() - t0)
    results = []
    fleet = []
    # an older checkout's capture_events (--compare) has no worker option: pass it only when asked
    options = {"worker": False} if args.no_worker else {}
    with tempfile.TemporaryDirectory() as tmp:
        results.append(
            run("SQLite", f"sqlite:///{tmp}/bench.db", Path(tmp) / "a", docs, args.queries, options)
        )
        if args.floor:
            results[-1] |= rows_alone(f"sqlite:///{tmp}/floor.db", docs)
        if args.devices:
            target = f"sqlite:///{tmp}/fleet.db"
            fleet.append(telemetry("SQLite", target, Path(tmp) / "c", args.devices, args.rounds))
        url = create_pg_database()
        if url:
            try:
                results.append(run("PostgreSQL", url, Path(tmp) / "b", docs, args.queries, options))
                if args.floor:
                    floor_url = create_pg_database()
                    if floor_url:
                        try:
                            results[-1] |= rows_alone(floor_url, docs)
                        finally:
                            drop_pg_database(floor_url)
                if args.devices:
                    fleet.append(telemetry("PostgreSQL", url, Path(tmp) / "d", args.devices, args.rounds))
            finally:
                drop_pg_database(url)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    mode = "one process" if args.no_worker else "parsing worker where the code has one"
    print(f"code: {args.label} ({mode}); {args.docs} documents of {args.events:,} ObjectEvents")
    print(f"engine parse + hash alone: {parse_eps:,.0f} events/s")
    header = ("backend", "events", "capture ev/s", "best doc ev/s", "CPU us/ev", "EPC p50/p95 ms")
    print(
        f"{header[0]:<11} {header[1]:>8} {header[2]:>13} {header[3]:>14} {header[4]:>10} {header[5]:>16}"
        " site+window p50/p95 ms"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['events']:>8,} {r['capture_eps']:>13,.0f} {r['best_doc_eps']:>14,.0f} "
            f"{r['cpu_us']:>10.0f} {r['epc_p50']:>7.1f}/{r['epc_p95']:<8.1f} "
            f"{r['site+window_p50']:>11.1f}/{r['site+window_p95']:<8.1f}"
        )
    for r in results:
        if r["worker_us"]:
            print(f"{r['backend']}: parsing worker CPU {r['worker_us']:.0f} us/ev (beside this process's)")
        if r["server_us"] is not None:
            print(f"{r['backend']}: server CPU {r['server_us']:.1f} us/ev during the capture (its backends)")
        if "rows_eps" in r:
            print(
                f"{r['backend']} floor, rows alone (parsed events, repository rows, commit): "
                f"{r['rows_eps']:,.0f} events/s, this process {r['rows_cpu_us']:.0f} us/ev CPU"
            )

    if fleet:
        print(
            f"telemetry batches of 1,000, {args.devices:,} devices x {args.rounds} positions, 100 geofences"
        )
        print(f"{'backend':<11} {'positions':>10} {'stored':>8} {'alerts':>7} {'positions/s':>12}")
        for f in fleet:
            counts = f"{f['positions']:>10,} {f['stored']:>8,} {f['alerts']:>7,}"
            print(f"{f['backend']:<11} {counts} {f['pps']:>12,.0f}")


if __name__ == "__main__":
    main()
