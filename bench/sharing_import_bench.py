"""Bundle import benchmark: peak memory while a partner's large STIX bundle is imported as a stream.

Run: ``.venv/bin/python bench/sharing_import_bench.py [--mb 1024] [--object-kb 64] [--postgres]
[--naive-mb 0]`` (from the repository root). Writes, in a temp dir (deleted afterwards, never
committed), a bundle of about ``--mb`` MB of distinct objects signed by partner A's key (each a
suspect-shipment alert padded with a description to ``--object-kb`` KB), then imports it into node
B in a fresh process (``import_bundle``: parsed one object at a time, verified and stored 1,000
objects per transaction) and prints that process's peak RSS next to the RSS of the same process
before the import (interpreter, app and database connection loaded). ``--naive-mb N`` also
measures ``json.load`` of an N MB bundle, the whole-file approach, for comparison.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sharing_sync_bench import _node, drop_created

from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import PartnerInput, register_partner
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import sign_object
from supplyguard.sharing.signing import SigningKey
from tests.integration.sharing.nodes import SUSPECT

BENCH_TIME = datetime(2026, 11, 23, 8, tzinfo=UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def write_bundle(path: Path, key: SigningKey, target_bytes: int, object_kb: int) -> int:
    """Stream a bundle of distinct signed objects to ``path`` until it reaches ``target_bytes``."""
    base = build_from_spec({**SUSPECT, "key": "bench-import"}, key.author_ref, BENCH_TIME)
    padding = "x" * max(0, object_kb * 1024 - 3500)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(f'{{"type": "bundle", "id": "bundle--{uuid.uuid4()}", "objects": [\n')
        while out.tell() < target_bytes:
            stix = {**base, "id": f"indicator--{uuid.uuid4()}", "description": f"{count} {padding}"}
            if count:
                out.write(",\n")
            out.write(json.dumps(sign_object(stix, key).to_stix(), ensure_ascii=False))
            count += 1
        out.write("\n]}\n")
    return count


def _import(settings: Any, path: str, queue: Any) -> None:
    from supplyguard.bootstrap import build
    from supplyguard.model.clock import FixedClock
    from supplyguard.services.sharing_ingest import import_bundle
    from tests.factories import admin_principal

    container = build(settings, clock=FixedClock(BENCH_TIME))
    with container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    node = sharing_node(container)
    before = _rss_mb()
    started = time.perf_counter()
    with open(path, encoding="utf-8") as source:
        report = import_bundle(container.uow, admin_principal(org), node, "test.node", source)
    queue.put((before, _peak_mb(), time.perf_counter() - started, report.as_dict()))
    container.close()


def _naive(path: str, queue: Any) -> None:
    before = _rss_mb()
    with open(path, encoding="utf-8") as source:
        objects = json.load(source)["objects"]
    queue.put((before, _peak_mb(), len(objects)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--object-kb", type=int, default=64)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--naive-mb", type=int, default=0, help="also json.load a bundle of this size")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sg-import-bench-"))
    context = multiprocessing.get_context("spawn")
    try:
        a, _a_admin, _ = _node(tmp, "test.node", args.postgres)
        key = sharing_node(a).key
        b, b_admin, _ = _node(tmp, "customs-b", args.postgres)
        register_partner(b.uow(), b.clock, b_admin, PartnerInput("test.node", "A", key.public_key_raw.hex()))
        path = tmp / "bundle.json"
        started = time.perf_counter()
        count = write_bundle(path, key, args.mb * 2**20, args.object_kb)
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {size_mb:.0f} MB, {count} signed objects in {time.perf_counter() - started:.0f} s")
        queue = context.Queue()
        child = context.Process(target=_import, args=(b.settings, str(path), queue))
        child.start()
        before, peak, seconds, report = queue.get()
        child.join()
        assert report["stored"] == count and report["rejected"] == 0, report
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"machine: {platform.machine()} {platform.system()} {os.cpu_count()} cpus, "
            f"Python {platform.python_version()}"
        )
        print(
            f"import into B ({backend}): {count} objects, {size_mb:.0f} MB in {seconds:.1f} s "
            f"({count / seconds:.0f} objects/s, {size_mb / seconds:.1f} MB/s)"
        )
        print(f"RSS before import {before:.0f} MB, peak during import {peak:.0f} MB")
        if args.naive_mb:
            small = tmp / "naive.json"
            n = write_bundle(small, key, args.naive_mb * 2**20, args.object_kb)
            child = context.Process(target=_naive, args=(str(small), queue))
            child.start()
            n_before, n_peak, loaded = queue.get()
            child.join()
            assert loaded == n
            print(
                f"json.load of a {small.stat().st_size / 2**20:.0f} MB bundle: RSS before {n_before:.0f} MB, "
                f"peak {n_peak:.0f} MB"
            )
        a.close()
        b.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        drop_created()


if __name__ == "__main__":
    main()
