"""Platform-core benchmarks: bulk import of the KCS data from the CLI, and queue listing at 1M rows.

    python bench/core_bench.py import [--repeat N] [--workers 1 2]  # KCS 54,000 rows, from the CLI
    python bench/core_bench.py import --backends sqlite --src /tmp/old/src src  # two code trees, in turn
    python bench/core_bench.py import --lists ../shared/data/screening/ofac   # also with lists installed
    python bench/core_bench.py listing [--rows N] # 100-row queue pages over an N-declaration table

Both run on SQLite and, when reachable, PostgreSQL (127.0.0.1:5432). The peer measured beside us is the
raw floor: the same rows loaded with no validation, no ledger and no audit (executemany into a bare
table on SQLite, COPY on PostgreSQL). Prints a table and the machine. ``--workers 1 2`` runs the import
once per setting in each round (the CLI's default: 2 where a second core is free), so the one-process
import is the peer of the two-process one in the same run; the CLI's CPU includes its reader process.
``--src`` runs the CLI from each of several source trees in turn in each round (one made by e.g.
``mkdir /tmp/old && git archive HEAD~1 src | tar -x -C /tmp/old``), so old and new code are measured
interleaved, on the same machine at the same time; ``--backends sqlite`` leaves PostgreSQL out.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchdb import create_pg_database, drop_pg_database

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "customs"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"


def kcs_file(tmp: Path) -> Path:
    target = tmp / "kcs_all.csv"
    with target.open("w", newline="") as out:
        for index, split in enumerate(("train", "valid", "test")):
            lines = (SHARED / f"df_syn_{split}_eng.csv").read_text().splitlines(keepends=True)
            out.writelines(lines if index == 0 else lines[1:])
    return target


def cli(env: dict[str, str], *args: str) -> float:
    return cli_timed(env, *args)[0]


def with_source(env: dict[str, str], src: str | None) -> dict[str, str]:
    """``env`` with ``src`` (a folder holding the supplyguard package) first on the import path."""
    return env if src is None else env | {"PYTHONPATH": str(Path(src).resolve())}


def cli_timed(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one CLI process; CPU time is far less
    sensitive than wall time to other jobs on a shared machine (PostgreSQL's own CPU is not in it)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")} | env
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "supplyguard", *args], env=full, capture_output=True)
    if done.returncode:
        raise SystemExit(
            f"supplyguard {' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def raw_floor(url: str, path: Path) -> float:
    """Load the same CSV with no checks into a bare table: the speed of the database itself."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with path.open(newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        rows = list(reader)
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE raw_kcs ({columns})")
        driver = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy("COPY raw_kcs FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in header)
            conn.exec_driver_sql(f"INSERT INTO raw_kcs VALUES ({marks})", [tuple(r) for r in rows])
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def bench_import(
    lists: list[str],
    repeat: int = 1,
    workers: list[int] | None = None,
    sources: list[str] | None = None,
    only: list[str] | None = None,
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    path = kcs_file(tmp)
    rows = sum(1 for _ in path.open()) - 1
    backends: list[tuple[str, str | None]] = []
    if not only or "sqlite" in only:
        backends.append(("sqlite", None))
    pg = create_pg_database() if not only or "postgresql" in only else None
    if pg:
        backends.append(("postgresql", pg))
    trees: list[str | None] = list(sources) if sources else [None]
    print(f"# bulk import of {rows:,} KCS rows (declarations + their outcomes), end to end from the CLI")
    print(f"# {datetime.now(UTC):%Y-%m-%d} · {machine()}")
    if sources:
        for number, src in enumerate(sources, 1):
            print(f"# code {number}: {Path(src).resolve()}")
    print(
        f"{'backend':<14}{'code':>5}{'workers':>8}{'supplyguard s':>15}{'rows/s':>10}{'CLI CPU s':>11}"
        f"{'rows/CPU-s':>12}{'raw floor s':>13}{'floor rows/s':>14}"
    )
    settings: list[int | None] = list(workers) if workers else [None]
    try:
        for backend, url in backends:
            first = True
            for run in range(repeat):  # each run into a fresh node, the floor beside it
                for setting in settings:
                    for number, src in enumerate(trees, 1):
                        env = {"SUPPLYGUARD_DATA_DIR": str(tmp / f"{backend}-{run}-{setting}-{number}")}
                        if url:
                            if not first:
                                drop_pg_database(url)
                                url = pg = create_pg_database()
                                assert url is not None
                            env["SUPPLYGUARD_DATABASE_URL"] = url
                        first = False
                        env = with_source(env, src)
                        cli(env, "db", "upgrade")
                        cli(env, "org", "create", "KCS", "--country", "KR")
                        extra = [] if setting is None else ["--workers", str(setting)]
                        seconds, cpu = cli_timed(env, "import", "declarations", str(path), *extra)
                        floor = raw_floor(
                            url or f"sqlite:///{tmp / f'floor-{run}-{setting}-{number}.db'}", path
                        )
                        print(
                            f"{backend:<14}{number:>5}{setting or 'default':>8}{seconds:>15.2f}"
                            f"{rows / seconds:>10,.0f}{cpu:>11.2f}{rows / cpu:>12,.0f}{floor:>13.2f}"
                            f"{rows / floor:>14,.0f}   load {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
            if lists:
                # The same import into a fresh node with screening lists installed (the screener is
                # loaded; KCS parties carry only codes, so no name is screened).
                env = {"SUPPLYGUARD_DATA_DIR": str(tmp / f"{backend}-lists")}
                if url:
                    drop_pg_database(url)
                    url = create_pg_database()
                    assert url is not None
                    pg = url
                    env["SUPPLYGUARD_DATABASE_URL"] = url
                cli(env, "db", "upgrade")
                cli(env, "org", "create", "KCS", "--country", "KR")
                cli(env, "lists", "import", "--no-rescreen", *lists)
                seconds, cpu = cli_timed(env, "import", "declarations", str(path))
                label = f"{backend}+lists"
                print(
                    f"{label:<14}{'':>5}{'default':>8}{seconds:>15.2f}{rows / seconds:>10,.0f}{cpu:>11.2f}"
                    f"{rows / cpu:>12,.0f}"
                )
    finally:
        if pg:
            drop_pg_database(pg)
        shutil.rmtree(tmp, ignore_errors=True)


def fill(container, total: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """Write ``total`` synthetic declarations through the bulk path (no ledger: a read bench)."""
    from supplyguard.adapters.db.bulk import bulk_insert
    from supplyguard.adapters.db.tables import declaration_items, declarations, organisations
    from supplyguard.model.ids import new_id

    rng = random.Random(7)
    org_id = new_id()
    now = datetime.now(UTC)
    with container.engine.begin() as conn:
        bulk_insert(conn, organisations, [(org_id, "Bench", "NL", "customs", now)])
    hs_codes = ["420231", "850440", "847130", "610910", "940360", "300490"]
    chunk = 50_000
    for start in range(0, total, chunk):
        decl_rows, item_rows = [], []
        for n in range(start, min(total, start + chunk)):
            did = new_id()
            scored = rng.random() < 0.9
            decl_rows.append(
                (
                    did,
                    org_id,
                    f"R{n:08d}",
                    date(2025, 1, 1) + timedelta(days=rng.randrange(365)),
                    str(rng.choice((10, 20, 30, 40))),
                    "10",
                    "B",
                    "11",
                    "21",
                    "11",
                    f"D{rng.randrange(500)}",
                    f"I{rng.randrange(20000)}",
                    None,
                    None,
                    {"importer": {"code": f"I{n}"}},
                    [],
                    rng.random() * 1e5,
                    rng.random() * 1e4,
                    now,
                    "bench",
                    None,
                    rng.choice(("green", "yellow", "red")) if scored else None,
                    rng.random() if scored else None,
                    "open",
                    None,
                    None,
                    rng.random() if scored else None,
                )
            )
            item_rows.append(
                (did, 1, rng.choice(hs_codes), "CN", "CN", "G", 10.0, 100.0, 8.0, "A", 8.0, None)
            )
        with container.engine.begin() as conn:
            bulk_insert(conn, declarations, decl_rows)
            bulk_insert(conn, declaration_items, item_rows)
    return org_id


def bench_listing(total: int) -> None:
    from supplyguard.adapters.db.declarations_repo import DeclarationFilter
    from supplyguard.adapters.db.migrate import upgrade
    from supplyguard.bootstrap import build
    from supplyguard.config import Settings
    from supplyguard.model.organisations import Principal, Role
    from supplyguard.services.declarations import list_declarations

    tmp = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    backends = [("sqlite", f"sqlite:///{tmp / 'list.db'}")]
    pg = create_pg_database()
    if pg:
        backends.append(("postgresql", pg))
    print(f"# queue listing: 100-row pages over {total:,} declarations (service call incl. audit write)")
    print(f"# {datetime.now(UTC):%Y-%m-%d} · {machine()}")
    print(f"{'backend':<12}{'query':<26}{'p50 ms':>10}{'p95 ms':>10}{'n':>6}")
    try:
        for backend, url in backends:
            container = build(Settings(data_dir=tmp / backend, database_url=url))
            upgrade(container.engine)
            org_id = fill(container, total)
            if backend == "postgresql":
                with container.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            else:
                with container.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            actor = Principal(uuid.UUID(int=0), org_id, "bench", frozenset({Role.OFFICER}), "bench", "api")
            cases = {
                "risk, first pages": (DeclarationFilter(), "risk", 40),
                "risk, red lane": (DeclarationFilter(lane="red"), "risk", 20),
                "newest, office 20": (DeclarationFilter(office_id="20"), "-date", 20),
                "hs 850440, newest": (DeclarationFilter(hs_code="850440"), "-date", 20),
            }
            for label, (filters, sort, pages) in cases.items():
                timings = []
                cursor = None
                for _ in range(pages):
                    started = time.perf_counter()
                    page = list_declarations(
                        container.uow(), container.clock, actor, filters, sort=sort, cursor=cursor, limit=100
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                    cursor = page.next_cursor
                timings.sort()
                p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
                print(
                    f"{backend:<12}{label:<26}{statistics.median(timings):>10.2f}{p95:>10.2f}{len(timings):>6}"
                )
            container.close()
    finally:
        if pg:
            drop_pg_database(pg)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["import", "listing", "all"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="import runs per backend (fresh node each)")
    parser.add_argument(
        "--workers", type=int, nargs="*", default=[], help="`--workers` settings to import with, each round"
    )
    parser.add_argument(
        "--lists", nargs="*", default=[], help="screening list files to install for a second import run"
    )
    parser.add_argument(
        "--src",
        nargs="*",
        default=[],
        help="source trees (folders holding supplyguard), each run in turn",
    )
    parser.add_argument(
        "--backends", nargs="*", default=[], choices=["sqlite", "postgresql"], help="default: both"
    )
    args = parser.parse_args()
    if args.what in ("import", "all"):
        bench_import(args.lists, args.repeat, args.workers, args.src, args.backends)
    if args.what in ("listing", "all"):
        bench_listing(args.rows)


if __name__ == "__main__":
    main()
