"""Importing a partner's bundle file as a stream: verified like sync, chunked, oversized objects refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.errors import PermissionDenied
from supplyguard.model.organisations import Principal, Role
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import import_bundle
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing.bundle_stream import BundleInvalid
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode


def _bundle(node: SharingTestNode, partner: str, count: int) -> list[dict[str, Any]]:
    for n in range(count):
        stix = build_from_spec({**SUSPECT, "key": f"import-{n}"}, node.node.author_ref, node.clock.now())
        publish_object(node.container.uow(), node.admin, node.node, stix)
    page = feed_page(node.container.uow(readonly=True), partner, limit=1000)
    return [entry.wire for entry in page.entries]


def _write(path: Path, objects: list[Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}, indent=1))
    return path


def _held(node: SharingTestNode) -> int:
    with node.container.uow(readonly=True) as uow:
        return len(SharingRepository(uow.connection).held_page(limit=1000))


def test_import_streams_a_bundle_in_chunks_verifying_every_object(
    linked: SharingTestNode, node_b: SharingTestNode, tmp_path: Path
) -> None:
    objects = _bundle(linked, "customs-b", 5)
    forged = copy.deepcopy(objects[0])
    forged["id"] = forged["id"][:-1] + ("0" if forged["id"][-1] != "0" else "1")
    path = _write(tmp_path / "bundle.json", [*objects, forged])
    with path.open(encoding="utf-8") as source:
        report = import_bundle(
            node_b.container.uow,
            node_b.admin,
            node_b.node,
            "test.node",
            source,
            chunk_objects=2,
            chunk_chars=512,
        )
    assert (report.objects, report.chunks, report.stored, report.rejected) == (6, 3, 5, 1)
    assert report.rejections[0]["check"] in ("header", "signature")
    assert _held(node_b) == 5
    with path.open(encoding="utf-8") as source:  # importing again changes nothing
        again = import_bundle(
            node_b.container.uow, node_b.admin, node_b.node, "test.node", source, chunk_bytes=1
        )
    assert (again.stored, again.duplicates, again.chunks) == (0, 5, 6)  # a chunk also ends at chunk_bytes


def test_an_oversized_object_stops_the_import_after_the_chunks_before_it(
    linked: SharingTestNode, node_b: SharingTestNode, tmp_path: Path
) -> None:
    objects = _bundle(linked, "customs-b", 4)
    limit = max(len(json.dumps(o, indent=1)) for o in objects) + 500
    huge = {**objects[3], "description": "z" * limit}
    path = _write(tmp_path / "big.json", [*objects[:3], huge])
    with path.open(encoding="utf-8") as source, pytest.raises(BundleInvalid, match=r"object #4 .* refused"):
        import_bundle(
            node_b.container.uow,
            node_b.admin,
            node_b.node,
            "test.node",
            source,
            chunk_objects=2,
            max_object_bytes=limit,
        )
    assert _held(node_b) == 2  # the first chunk was committed; the chunk holding the refused one was not


def test_import_needs_the_sync_permission(node_b: SharingTestNode, tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.json", [])
    auditor = Principal(
        node_b.admin.user_id, node_b.admin.org_id, "auditor", frozenset({Role.AUDITOR}), "t", "cli"
    )
    with path.open(encoding="utf-8") as source, pytest.raises(PermissionDenied):
        import_bundle(node_b.container.uow, auditor, node_b.node, "test.node", source)
