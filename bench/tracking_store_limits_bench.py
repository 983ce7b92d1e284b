"""EPCIS bad input at full size: a 200 MB document, and the largest document a capture accepts.

    .venv/bin/python bench/tracking_store_limits_bench.py [--mb 200] [--largest-mb 60]

Each case runs in a fresh subprocess (SQLite node in a temporary folder) so that its peak RSS
(``ru_maxrss``) is its own:

- ``api-stream``: ``POST /epcis/capture`` of a ``--mb`` MB EPCIS JSON document sent in 1 MiB chunks
  without Content-Length (the ASGI app driven through httpx's ASGI transport, which pulls the body
  lazily): the status, how much of the body the server read before refusing it, peak RSS;
- ``api-length``: the same with its Content-Length announced;
- ``cli``: ``supplyguard events import`` of that document written to a file;
- ``largest``: ``services.tracking.capture_events`` of a ``--largest-mb`` MB document (under the
  64 MiB limit): events stored, seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

EVENT_BYTES = 330  # about one generated ObjectEvent in JSON


def event_json(n: int) -> bytes:
    moment = f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{n % 59:02d}Z"
    site = f"urn:epc:id:sgln:4012345.{n % 50:05d}.0"
    event = {
        "type": "ObjectEvent",
        "eventTime": moment,
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{n}"],
        "action": "OBSERVE",
        "bizStep": "receiving",
        "readPoint": {"id": site},
        "bizLocation": {"id": site},
        "eventID": f"urn:uuid:{uuid.UUID(int=n + 1, version=4)}",
    }
    return json.dumps(event).encode()


def document_chunks(total_bytes: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """An EPCIS JSON document of about ``total_bytes``, produced piece by piece."""
    head = (
        b'{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], '
        b'"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z", '
        b'"epcisBody": {"eventList": ['
    )
    buffer, size, n = bytearray(head), len(head), 0
    while size < total_bytes:
        piece = (b", " if n else b"") + event_json(n)
        buffer += piece
        size += len(piece)
        n += 1
        if len(buffer) >= chunk:
            yield bytes(buffer)
            buffer.clear()
    buffer += b"]}}"
    yield bytes(buffer)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def node(tmp: Path) -> tuple[Any, Any, str]:
    from supplyguard.adapters.db.migrate import upgrade
    from supplyguard.bootstrap import build
    from supplyguard.config import Settings
    from supplyguard.services import accounts

    container = build(
        Settings(data_dir=tmp / "node", database_url=f"sqlite:///{tmp}/node.db", node_name="b.n")
    )
    upgrade(container.engine)
    org = accounts.create_organisation(container.uow(), container.clock, None, "Bench", "NL", "carrier")
    accounts.create_user(container.uow(), container.clock, None, org.id, "bench", ["logistics"], None)
    token = accounts.create_token(container.uow(), container.clock, None, "bench", "bench").token
    return container, org, token


def case_api(tmp: Path, megabytes: int, announce: bool) -> dict[str, Any]:
    import httpx

    from supplyguard.api.app import create_app

    container, _, token = node(tmp)
    app = create_app(container)
    total = megabytes * 1_000_000
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for piece in document_chunks(total):
            pulled += len(piece)
            yield piece

    async def post() -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json"}
        if announce:
            headers["Content-Length"] = str(total)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return await client.post("/epcis/capture", content=body(), headers=headers)

    before = peak_mb()
    started = time.perf_counter()
    response = asyncio.run(post())
    seconds = time.perf_counter() - started
    stored = container.engine.connect().exec_driver_sql("SELECT count(*) FROM tracking_events").scalar()
    return {
        "status": response.status_code,
        "type": response.headers.get("content-type"),
        "detail": response.json().get("detail"),
        "read_mb": pulled / 1e6,
        "seconds": seconds,
        "rss_before_mb": before,
        "rss_peak_mb": peak_mb(),
        "stored": stored,
    }


def case_cli(tmp: Path, megabytes: int) -> dict[str, Any]:
    path = tmp / "big.jsonld"
    with path.open("wb") as out:
        for piece in document_chunks(megabytes * 1_000_000):
            out.write(piece)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")} | {
        "SUPPLYGUARD_DATA_DIR": str(tmp / "node"),
        "SUPPLYGUARD_DATABASE_URL": f"sqlite:///{tmp}/cli.db",
        "SUPPLYGUARD_NODE_NAME": "b.n",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "supplyguard", *args], env=env, capture_output=True, text=True
        )

    cli("db", "upgrade")
    cli("org", "create", "Bench", "--country", "NL")
    started = time.perf_counter()
    result = cli("events", "import", str(path), "--org", "Bench")
    seconds = time.perf_counter() - started
    return {
        "file_mb": path.stat().st_size / 1e6,
        "exit": result.returncode,
        "stderr": result.stderr.strip().splitlines()[-1:] if result.stderr else [],
        "seconds": seconds,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def case_largest(tmp: Path, megabytes: int) -> dict[str, Any]:
    from supplyguard.model.organisations import Principal, Role
    from supplyguard.services import tracking as service

    container, org, _ = node(tmp)
    data = b"".join(document_chunks(megabytes * 1_000_000))
    actor = Principal(uuid.UUID(int=0), org.id, "bench", frozenset({Role.ADMIN}), "bench", "cli")
    _ = container.signer
    before = peak_mb()
    started = time.perf_counter()
    job = service.capture_events(container.uow(), container.clock, container.signer, actor, data)
    seconds = time.perf_counter() - started
    # a document this large is parsed by a forked worker: its peak counts too (the two at once at
    # most: an upper bound on the capture's memory)
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "document_mb": len(data) / 1e6,
        "events": job.event_count,
        "seconds": seconds,
        "events_per_s": job.event_count / seconds,
        "rss_before_mb": before,
        "rss_peak_mb": peak_mb() + worker_peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--largest-mb", type=int, default=60)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        with tempfile.TemporaryDirectory() as tmp:
            if args.case == "api-stream":
                result = case_api(Path(tmp), args.mb, announce=False)
            elif args.case == "api-length":
                result = case_api(Path(tmp), args.mb, announce=True)
            elif args.case == "cli":
                result = case_cli(Path(tmp), args.mb)
            else:
                result = case_largest(Path(tmp), args.largest_mb)
        print(json.dumps(result))
        return
    for case in ("api-stream", "api-length", "cli", "largest"):
        argv = [
            sys.executable,
            __file__,
            "--case",
            case,
            "--mb",
            str(args.mb),
            "--largest-mb",
            str(args.largest_mb),
        ]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode:
            print(f"{case}: failed\n{done.stderr}")
            continue
        print(f"{case}: {done.stdout.strip().splitlines()[-1]}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
