"""Server CPU a row of two choices in the EPCIS event table, alternating rounds in one run: the body
and namespaces as ``json`` or ``text`` (migration 0022), and the unique hash / eventID and location
keys led by ``org_id`` or by their own column (not changed).

    .venv/bin/python bench/tracking_column_cost_bench.py [--rounds 4]

Rows go by COPY into temporary tables of a PostgreSQL server on this machine (127.0.0.1:5432); the
server backend's CPU is read from ``/proc``. Bodies are the store bench's events (compact JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from tracking_store_bench import SEED, make_document

ROWS = 100_000
KEY_SHAPES = {
    "led by org_id": ("(org_id, event_hash, declared)", "(org_id, event_id, declared)", "(org_id, site, t)"),
    "led by column": ("(event_hash, org_id, declared)", "(event_id, org_id, declared)", "(site, org_id, t)"),
}


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_copy(conn: psycopg.Connection[Any], pid: int, table: str, rows: Sequence[tuple[Any, ...]]) -> float:
    """Server CPU µs a row of COPYing ``rows`` into ``table`` (20,000 a transaction)."""
    before = backend_cpu(pid)
    for first in range(0, len(rows), 20_000):
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows[first : first + 20_000]:
                copy.write_row(row)
    return (backend_cpu(pid) - before) * 1e6 / len(rows)


def run(conn: psycopg.Connection[Any], rounds: int, cases: dict[str, Callable[[], float]]) -> None:
    figures: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            figures[name].append(case())
    for name, values in figures.items():
        print(f"  {name:16} " + " ".join(f"{v:5.2f}" for v in values) + "  us of server CPU a row")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    conn = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

    document = json.loads(make_document(random.Random(SEED), 20_000, 0))
    bodies = [json.dumps(e, separators=(",", ":")) for e in document["epcisBody"]["eventList"]]
    body_rows = [(body, "{}") for body in bodies * (ROWS // len(bodies))]
    print(f"body and namespaces columns, {len(body_rows):,} bodies of the store bench")

    def bodies_as(kind: str) -> Callable[[], float]:
        def case() -> float:
            conn.execute("DROP TABLE IF EXISTS bench_column_cost")
            conn.execute(f"CREATE TEMP TABLE bench_column_cost (body {kind} NOT NULL, ns {kind} NOT NULL)")
            return timed_copy(conn, pid, "bench_column_cost", body_rows)

        return case

    run(conn, args.rounds, {"json": bodies_as("json"), "text": bodies_as("text")})

    org = str(uuid.uuid4())
    rng = random.Random(SEED)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    key_rows = [
        (
            org,
            f"ni:///sha-256;{hashlib.sha256(str(i).encode()).hexdigest()}?ver=CBV2.0",
            f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            False,
            f"urn:epc:id:sgln:4012345.{rng.randrange(50):05d}.0",
            start + timedelta(seconds=7 * i),
        )
        for i in range(ROWS)
    ]
    print(f"the three keys of the event table alone, {ROWS:,} events of one organisation")

    def keys(shape: Sequence[str]) -> Callable[[], float]:
        def case() -> float:
            conn.execute("DROP TABLE IF EXISTS bench_column_cost")
            conn.execute(
                "CREATE TEMP TABLE bench_column_cost (org_id uuid NOT NULL,"
                ' event_hash varchar(100) COLLATE "C" NOT NULL, event_id text COLLATE "C" NOT NULL,'
                ' declared bool NOT NULL, site text COLLATE "C", t timestamptz NOT NULL)'
            )
            for number, key in enumerate(shape):
                unique = "UNIQUE " if number < 2 else ""
                conn.execute(f"CREATE {unique}INDEX ON bench_column_cost {key}")
            return timed_copy(conn, pid, "bench_column_cost", key_rows)

        return case

    run(conn, args.rounds, {name: keys(shape) for name, shape in KEY_SHAPES.items()})
    conn.execute("DROP TABLE IF EXISTS bench_column_cost")
    conn.close()


if __name__ == "__main__":
    main()
