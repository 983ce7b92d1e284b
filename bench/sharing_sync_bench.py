"""Sync benchmark: node B pulls N signed objects from node A's TAXII feed over loopback.

Run: ``.venv/bin/python bench/sharing_sync_bench.py [--objects 5000] [--page 1000] [--postgres]
[--runs 2] [--profile]`` (from the repository root). Two nodes, each with its own SQLite database
(or, with ``--postgres``, its own PostgreSQL database at 127.0.0.1:5432); A is served by uvicorn in
its own process on a free port (a real peer, not a thread competing with B). Prints the machine, the
publish rate on A and the pull rate on B: every request signed by B's node key and checked by A,
every object's signature and field commitments verified, the agreement re-checked, versions
resolved, intel keys indexed, each object a ledger leaf. ``--runs N`` pulls into N fresh B
databases; ``--profile`` prints the pull's top functions; ``--verify-workers N`` sets the sync's
forked verification workers (default: the sync's own choice, one on a machine with two cores).

Besides wall time it prints the CPU seconds each side spent on the pull (B: the syncing process
and its verification workers; A: the server process), which stay meaningful on a busy machine:
with both nodes on the same cores, the pull cannot beat (B + A CPU) / cores. A is warmed up first
by one refused request (its first request builds the routes' state, once per process: about
0.15 s, printed apart), as a node that has been serving would be. Each page's commit time is printed
too, with the rate between the first page's commit and the last but one's: the pull without its
start (forking the worker, the first fetch) and its end (the last page stored after every check).
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import platform
import pstats
import resource
import shutil
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchdb import create_pg_database, drop_pg_database

from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.sharing_keys import save_partner_token
from supplyguard.api.app import create_app
from supplyguard.bootstrap import build
from supplyguard.config import Settings
from supplyguard.model.clock import FixedClock
from supplyguard.services import accounts
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import (
    PartnerInput,
    register_agreement,
    register_partner,
)
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_sync import collection_id_for, run_sync
from tests.factories import admin_principal
from tests.integration.sharing.nodes import AGREEMENT, SUSPECT

CREATED: list[str] = []  # URLs of the PostgreSQL databases this run made (dropped by drop_created)


def _database(tmp: Path, name: str, postgres: bool) -> str:
    if not postgres:
        return f"sqlite:///{tmp / name}.db"
    url = create_pg_database(f"sg_bench_{name.replace('.', '_').replace('-', '_')}")
    if url is None:
        raise SystemExit("--pg needs PostgreSQL at 127.0.0.1:5432")
    CREATED.append(url)
    return url


def drop_created() -> None:
    """Drop every database this run made."""
    while CREATED:
        drop_pg_database(CREATED.pop())


BENCH_TIME = datetime(2026, 11, 23, 8, tzinfo=UTC)


def _serve(settings: Settings, port: int) -> None:
    """Node A's server in its own process (a real peer: it does not share B's interpreter)."""
    container = build(settings, clock=FixedClock(BENCH_TIME))
    uvicorn.run(create_app(container), host="127.0.0.1", port=port, log_level="warning")


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc; 0.0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _warm_up(pid: int, port: int) -> float:
    """One unauthenticated request through A's routes before the pull (refused: 401), and the CPU
    seconds it took: the first request builds the routes' dependency state and imports lazily,
    once per server process, which is not a cost of the objects pulled."""
    before = _process_cpu_s(pid)
    url = f"http://127.0.0.1:{port}/v1/taxii2/api/collections/{collection_id_for('test.node')}/objects/"
    httpx.get(url, params={"limit": 1}, timeout=30)
    return _process_cpu_s(pid) - before


def _process_faults(pid: int) -> int:
    """Minor page faults of a live process so far (Linux /proc; 0 where there is none)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])
    except OSError:
        return 0


def _faults() -> tuple[int, int]:
    """Minor page faults of this process and of its joined children so far."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt,
    )


def _reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop (best of three): how fast this VM runs Python
    now. It moved by a factor of two to three between sessions on the shared development VM, so
    absolute rates from different days compare only through it (or through a peer run beside)."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for n in range(3_000_000):
            total += n
        best = min(best, time.process_time() - started)
    return best * 1000


def _pages_line(committed: list[tuple[int, float]]) -> str:
    """Each page's commit time, and the rate between the first page's commit and the last but
    one's: the pull with its start (forking the worker, the first fetch, before which nothing can
    be checked) and its end (the last page stored after every check is done) left out."""
    commits = ", ".join(f"{count} at {at:.2f}" for count, at in committed)
    text = f"pages committed (objects at s): {commits}"
    if len(committed) >= 4:
        middle = sum(count for count, _ in committed[1:-1])
        span = committed[-2][1] - committed[0][1]
        text += f"; between the first and the last commit but one: {middle / span:.0f} objects/s"
    return text


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _publish(settings: Settings, admin: Any, count: int) -> None:
    """Publish ``count`` signed suspect-shipment alerts on A (in a process of its own)."""
    container = build(settings, clock=FixedClock(BENCH_TIME))
    node = sharing_node(container)
    for n in range(count):
        stix = build_from_spec({**SUSPECT, "key": f"bench-{n}"}, node.author_ref, container.clock.now())
        publish_object(container.uow(), admin, node, stix)
    container.close()


def _node(tmp: Path, node_id: str, postgres: bool, run: int = 0) -> Any:
    settings = Settings(
        data_dir=tmp / node_id,  # one key per node id, whichever run
        database_url=_database(tmp, f"{node_id}-{run}", postgres),
        node_name=node_id,
    )
    container = build(settings, clock=FixedClock(BENCH_TIME))
    upgrade(container.engine)
    org = accounts.create_organisation(container.uow(), container.clock, None, node_id, "NL", "customs")
    admin = admin_principal(org)
    register_agreement(container.uow(), container.clock, admin, sharing_node(container), AGREEMENT)
    return container, admin, org


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print the pull's top functions (cProfile)")
    parser.add_argument("--profile-out", default=None, help="with --profile: also dump the stats here")
    parser.add_argument("--runs", type=int, default=1, help="pulls into fresh B databases")
    parser.add_argument("--verify-workers", type=int, default=None, help="the sync's verification workers")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sg-sync-bench-"))
    try:
        a, a_admin, a_org = _node(tmp, "test.node", args.postgres)
        a_node = sharing_node(a)
        accounts.create_user(a.uow(), a.clock, None, a_org.id, "partner-b", ["partner"], None)
        token = accounts.create_token(a.uow(), a.clock, None, "partner-b", "bench").token
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        first_b = _node(tmp, "customs-b", args.postgres)[0]
        register_partner(
            a.uow(),
            a.clock,
            a_admin,
            PartnerInput(
                "customs-b", "B", sharing_node(first_b).key.public_key_raw.hex(), username="partner-b"
            ),
        )
        first_b.close()
        # A publishes in a process of its own: the pulling process stays the size a `sync run`
        # process has (a verification worker is forked from it, and a big heap makes the fork dear).
        started = time.perf_counter()
        publisher = multiprocessing.get_context("spawn").Process(
            target=_publish, args=(a.settings, a_admin, args.objects)
        )
        publisher.start()
        publisher.join()
        if publisher.exitcode != 0:
            raise SystemExit(f"publishing on A failed (exit {publisher.exitcode})")
        publish_s = time.perf_counter() - started

        # (run, s, CPU s of B, of its workers, of A, A's warm-up, minor page faults of B, workers, A,
        # each page's objects and commit time)
        runs: list[
            tuple[int, float, float, float, float, float, tuple[int, int, int], list[tuple[int, float]]]
        ] = []
        for run in range(1, args.runs + 1):
            b, b_admin, _ = _node(tmp, "customs-b", args.postgres, run=run)
            register_partner(
                b.uow(),
                b.clock,
                b_admin,
                PartnerInput(
                    "test.node", "A", a_node.key.public_key_raw.hex(), base_url=f"http://127.0.0.1:{port}"
                ),
            )
            if not runs:
                save_partner_token(b.settings.keys_dir, "test.node", token)
            server = multiprocessing.get_context("spawn").Process(target=_serve, args=(a.settings, port))
            server.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            profiler = cProfile.Profile() if args.profile else None
            assert server.pid is not None
            warm_cpu = _warm_up(server.pid, port)
            server_cpu = _process_cpu_s(server.pid)
            workers_cpu = _children_cpu_s()  # the workers are joined when the sync ends
            faults, server_faults = _faults(), _process_faults(server.pid)
            cpu = time.process_time()
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            result = run_sync(
                b, b_admin, "test.node", page_size=args.page, verify_workers=args.verify_workers
            )[0]
            if profiler is not None:
                profiler.disable()
            sync_s = time.perf_counter() - started
            own_cpu = time.process_time() - cpu
            workers_cpu = _children_cpu_s() - workers_cpu
            b_cpu = own_cpu + workers_cpu
            a_cpu = _process_cpu_s(server.pid) - server_cpu
            own_faults, workers_faults = (now - then for now, then in zip(_faults(), faults, strict=True))
            a_faults = _process_faults(server.pid) - server_faults
            server.terminate()
            server.join(timeout=10)
            if profiler is not None:
                sort = os.environ.get("SG_PROFILE_SORT", "cumulative")
                pstats.Stats(profiler).sort_stats(sort).print_stats(45)
                if args.profile_out:
                    profiler.dump_stats(args.profile_out)
            assert result.error is None and result.stored == args.objects, result.as_dict()
            runs.append(
                (
                    run,
                    sync_s,
                    b_cpu,
                    workers_cpu,
                    a_cpu,
                    warm_cpu,
                    (own_faults, workers_faults, a_faults),
                    getattr(result, "committed", []),  # an older tree's result has none
                )
            )
            b.close()

        backend = "PostgreSQL" if args.postgres else "SQLite"
        machine = f"{platform.machine()} {platform.system()} {os.cpu_count()} cpus"
        print(f"machine: {machine}, Python {platform.python_version()}")
        print(f"backend: {backend}, objects: {args.objects}, page: {args.page}")
        print(f"{'step':52} {'seconds':>9} {'objects/s':>10}")
        publish_rate = args.objects / publish_s
        print(f"{'publish on A (sign, compile copies, ledger)':52} {publish_s:9.2f} {publish_rate:10.0f}")
        for run, sync_s, b_cpu, workers_cpu, a_cpu, warm_cpu, run_faults, committed in runs:
            label = f"pull A -> B over loopback TAXII, verified (run {run})"
            print(f"{label:52} {sync_s:9.2f} {args.objects / sync_s:10.0f}")
            per_object = (b_cpu + a_cpu) / args.objects * 1e6
            print(
                f"  CPU: B {b_cpu:.2f} s (sync + verification workers), A {a_cpu:.2f} s (server); "
                f"{per_object:.0f} us/object in all (A's warm-up before the pull: {warm_cpu:.2f} s)"
            )
            own_us, workers_us = (b_cpu - workers_cpu) / args.objects * 1e6, workers_cpu / args.objects * 1e6
            print(
                f"  B per object: syncing process {own_us:.0f} us, verification workers {workers_us:.0f} us"
            )
            b_faults, w_faults, a_faults = (count / args.objects for count in run_faults)
            print(
                f"  minor page faults per object: syncing process {b_faults:.1f}, "
                f"verification workers {w_faults:.1f}, A {a_faults:.1f}"
            )
            if committed:
                print(f"  {_pages_line(committed)}")
        print(f"load average after the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"reference loop (3,000,000 additions, best of 3): {_reference_loop_ms():.0f} ms of CPU")
        a.close()
        b.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        drop_created()


if __name__ == "__main__":
    main()
