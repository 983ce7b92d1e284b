"""The EPCIS capture's parsing worker alone: what it does for one bench document (parse, checks, CBV
hash, rows in stored form, row ids, leaf bytes and hashes, pickling for the hand-over), without a
database or a storing process to wait for.

    .venv/bin/python bench/tracking_worker_bench.py [--events 20000] [--runs 5] [--in-process]

Each run forks a child, as a capture does, and reports its CPU per event (its page faults
included) and when its first slice was ready; ``--in-process`` runs the same work ``--runs`` times
in this process instead (for ``valgrind --tool=callgrind``: the instructions of two runs minus one
are the work on one document). The document is ``tracking_store_bench``'s (same seed). Another tree's
worker, in the same run: ``PYTHONPATH=/tmp/base/src .venv/bin/python bench/tracking_worker_bench.py``.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import random
import resource
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import supplyguard
from supplyguard.adapters.db.tracking_repo import EventEncoder
from supplyguard.services import tracking as service
from tracking_store_bench import SEED, make_document

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def work(data: bytes) -> float | None:
    """The worker's items for ``data``, each pickled; seconds until the first one (None: none)."""
    options = service._ParseOptions(None, None, service.MAX_DOCUMENT_BYTES, None, NOW, 2000, True)
    encoder = EventEncoder(True, uuid.UUID(int=1), uuid.UUID(int=2), NOW)
    started, first = time.perf_counter(), None
    for item in service._parsed_slices(data, options, encoder, str(uuid.UUID(int=3)), "2026-12-06T20:00:00Z"):
        pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        if first is None:
            first = time.perf_counter() - started
    return first


def forked(data: bytes, events: int) -> tuple[float, float, int]:
    """CPU µs an event, ms to the first slice and page faults of one run in a forked child."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, leave without clean-up
        cpu, faults = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        first = work(data) or 0.0
        used = time.process_time() - cpu
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        os.write(write, f"{used} {first} {faults}".encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    used, first, faults = os.read(read, 200).decode().split()
    os.close(read)
    return float(used) * 1e6 / events, float(first) * 1e3, int(faults)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events in the document")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--in-process", action="store_true", help="no fork: the runs in this process")
    args = parser.parse_args()
    data = make_document(random.Random(SEED), args.events, 0)
    gc.disable()  # as a capture does
    tree = Path(supplyguard.__file__).resolve().parents[1]
    if args.in_process:
        for _ in range(args.runs):
            work(data)
        return
    runs = [forked(data, args.events) for _ in range(args.runs)]
    size = f"{args.events:,} events ({len(data) / 1e6:.1f} MB)"
    print(f"supplyguard from {tree}; {size}; load {os.getloadavg()[0]:.1f}")
    print("worker CPU us/ev: " + " ".join(f"{cpu:.2f}" for cpu, _, _ in runs))
    print("first slice ms:   " + " ".join(f"{first:.1f}" for _, first, _ in runs))
    print("page faults/ev:   " + " ".join(f"{faults / args.events:.2f}" for _, _, faults in runs))


if __name__ == "__main__":
    main()
