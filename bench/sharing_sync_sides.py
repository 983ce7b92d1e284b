"""The sync's two sides apart, in one process and without a network: per object, the CPU (or, under
callgrind, the instructions) of what the verification worker does to a page and of what the
storing process does with the worker's verdicts.

Run: ``.venv/bin/python bench/sharing_sync_sides.py write --objects 2000`` publishes that many signed
alerts on a node A and writes the page bytes A's feed sends B (pages of 1,000) to ``--pages``
(default ``/tmp/sg-sync-pages.json``); ``... sides [--reps 3]`` pulls them into fresh B databases and
prints, per object, "worker" (parse the page, check every object, the verdicts through the tuples
the worker sends) and "store" (parse the page, or in a tree that has it hold it unread as the sync
does, ingest with those verdicts, commit), in
``time.process_time``; ``... run none|worker|both`` does one pass of that much, for instruction
counts (``valgrind --tool=callgrind``: per object = difference of two modes / objects). With an
older tree first on ``PYTHONPATH`` it measures that tree (verdicts without ``derive`` where it has
none).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.sharing_sync_bench as sync_bench

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.services import accounts
from supplyguard.services import sharing_sync as sync
from supplyguard.services.sharing_feed import feed_page, objects_envelope, position_cursor
from supplyguard.services.sharing_ingest import check_context, check_objects, gc_paused, ingest_in_uow
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import PartnerInput, register_partner


def write(objects: int, pages_file: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sg-sync-sides-"))
    a, a_admin, a_org = sync_bench._node(tmp, "test.node", False)
    accounts.create_user(a.uow(), a.clock, None, a_org.id, "partner-b", ["partner"], None)
    b = sync_bench._node(tmp, "customs-b", False)[0]
    key = sharing_node(b).key.public_key_raw.hex()
    register_partner(a.uow(), a.clock, a_admin, PartnerInput("customs-b", "B", key, username="partner-b"))
    b.close()
    sync_bench._publish(a.settings, a_admin, objects)
    bodies: list[bytes] = []
    position = 0
    while True:
        cursor = position_cursor(position) if position else None
        page = feed_page(a.uow(readonly=True), "customs-b", cursor=cursor, limit=1000)
        if not page.entries:
            break
        bodies.append(objects_envelope(page))
        position = page.last_position
        if not page.more:
            break
    key_hex = sharing_node(a).key.public_key_raw.hex()
    pages_file.write_text(json.dumps({"key": key_hex, "pages": [body.decode() for body in bodies]}))
    print(f"{objects} objects in {len(bodies)} pages written to {pages_file}")


def _b_node(key: bytes, run: int) -> tuple[Any, Any, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="sg-sync-sides-"))
    b, b_admin, _ = sync_bench._node(tmp, "customs-b", False, run=run)
    register_partner(
        b.uow(), b.clock, b_admin, PartnerInput("test.node", "A", key.hex(), base_url="http://127.0.0.1:9")
    )
    node = sharing_node(b)
    with b.uow(readonly=True) as uow:
        context = check_context(SharingRepository(uow.connection), node, "test.node", node.clock.now().date())
    return b, node, context


def _pass(b: Any, node: Any, context: Any, bodies: list[bytes], mode: str) -> tuple[float, float, int]:
    derive = "derive" in inspect.signature(check_objects).parameters
    unread = hasattr(sync, "_Page")  # a tree whose syncing process does not parse verified pages
    worker = store = 0.0
    stored = 0
    for body in bodies:
        started = time.process_time()
        with gc_paused():
            objects = sync.parse_page(body)["objects"]
        found = check_objects(objects, context, derive=True) if derive else check_objects(objects, context)
        verdicts = [sync._from_tuple(sync._as_tuple(v)) for v in found]
        worker += time.process_time() - started
        if mode != "both":
            continue
        started = time.process_time()
        if unread:  # the page as the syncing process holds it: parsed only where something reads it
            objects = sync._Page(body, "test.node")
            objects.known(len(verdicts), False)  # what the worker tells with its verdicts
        else:
            with gc_paused():
                objects = sync.parse_page(body)["objects"]
        uow = b.uow()
        with uow, gc_paused():
            report = ingest_in_uow(uow, node, "test.node", objects, checked=verdicts, checked_under=context)
            SharingRepository(uow.connection).record_sync("test.node", 1, node.clock.now())
            uow.commit()
        store += time.process_time() - started
        stored += len(report.stored)
    return worker, store, stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["write", "sides", "run"])
    parser.add_argument("mode", nargs="?", default="both", choices=["none", "worker", "both"])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--pages", type=Path, default=Path("/tmp/sg-sync-pages.json"))
    args = parser.parse_args()
    if args.what == "write":
        write(args.objects, args.pages)
        return
    saved = json.loads(args.pages.read_text())
    key, bodies = bytes.fromhex(saved["key"]), [page.encode() for page in saved["pages"]]
    if args.what == "run":
        b, node, context = _b_node(key, 1)
        if args.mode != "none":
            _pass(b, node, context, bodies, args.mode)
        return
    for rep in range(1, args.reps + 1):
        b, node, context = _b_node(key, rep)
        worker, store, stored = _pass(b, node, context, bodies, "both")
        per = 1e6 / stored
        print(f"rep {rep}: worker {worker * per:.1f} us/object, store {store * per:.1f} us/object")
        b.close()


if __name__ == "__main__":
    main()
