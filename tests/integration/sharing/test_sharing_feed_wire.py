"""The fast paths of sync: pages served from the stored bytes, the collector paused while storing."""

from __future__ import annotations

import gc
import json
import mmap
import threading

import pytest

from supplyguard.services import sharing_feed
from supplyguard.services.sharing_feed import (
    feed_page,
    objects_envelope,
    objects_envelope_parts,
    split_envelope,
)
from supplyguard.services.sharing_ingest import gc_paused
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode


def test_a_page_spliced_from_stored_text_is_the_page_json_would_write(linked: SharingTestNode) -> None:
    for n in range(3):
        stix = build_from_spec({**SUSPECT, "key": f"wire-{n}"}, linked.node.author_ref, linked.clock.now())
        publish_object(linked.container.uow(), linked.admin, linked.node, stix)
    for partner in ("customs-b", "carrier-x", None):
        page = feed_page(linked.container.uow(readonly=True), partner, limit=2)
        assert page.more and page.next_cursor
        body = json.loads(objects_envelope(page))
        assert body == {
            "more": True,
            "next": page.next_cursor,
            "objects": [entry.wire for entry in page.entries],
        }
        rest = feed_page(linked.container.uow(readonly=True), partner, cursor=page.next_cursor, limit=2)
        assert json.loads(objects_envelope(rest)) == {"more": False, "objects": [rest.entries[0].wire]}
        empty = feed_page(linked.container.uow(readonly=True), partner, cursor=page.next_cursor, limit=2)
        assert len(empty.entries) == 1
    nothing = feed_page(linked.container.uow(readonly=True), "customs-b", types=["no-such-type"])
    assert json.loads(objects_envelope(nothing)) == {"more": False}


def test_a_page_is_cut_into_its_objects_texts_without_parsing(linked: SharingTestNode) -> None:
    for n in range(3):
        stix = build_from_spec({**SUSPECT, "key": f"cut-{n}"}, linked.node.author_ref, linked.clock.now())
        publish_object(linked.container.uow(), linked.admin, linked.node, stix)
    page = feed_page(linked.container.uow(readonly=True), "customs-b", limit=3)
    body = objects_envelope(page)
    texts = [entry.wire_text.encode() for entry in page.entries]
    envelope = {"more": page.more, **({"next": page.next_cursor} if page.more else {}), "objects": []}
    split = split_envelope(body)
    assert split is not None and json.loads(split[0]) == envelope and split[1] == texts
    # The same page held in a shared memory map at an offset (as a verification worker gets it).
    held = mmap.mmap(-1, len(body) + 10)
    held[5 : 5 + len(body)] = body
    assert split_envelope(held, 5, 5 + len(body)) == split
    one = feed_page(linked.container.uow(readonly=True), "customs-b", limit=1)
    assert split_envelope(objects_envelope(one)) == (
        f'{{"more":true,"next":"{one.next_cursor}","objects":[]}}'.encode(),
        [one.entries[0].wire_text.encode()],
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"more":false}',
        b'{"more":false,"objects":[]}',
        b'{"more":false,"objects":[{"a":1},{"b":2}]}',  # compact: no line breaks
        b'{"more":false,"objects":[\n]}',  # the opening and the closing overlap
        b'{"more":false,"objects":[\n{"a":1}\n]} ',  # something after the closing
    ],
)
def test_a_page_not_in_line_form_is_not_cut(body: bytes) -> None:
    assert split_envelope(body) is None


@pytest.mark.parametrize("per_part", [1, 2, 5])
def test_a_page_sent_in_parts_is_the_same_document(
    linked: SharingTestNode, monkeypatch: pytest.MonkeyPatch, per_part: int
) -> None:
    monkeypatch.setattr(sharing_feed, "ENVELOPE_PART_OBJECTS", per_part)
    for n in range(5):
        stix = build_from_spec({**SUSPECT, "key": f"part-{n}"}, linked.node.author_ref, linked.clock.now())
        publish_object(linked.container.uow(), linked.admin, linked.node, stix)
    page = feed_page(linked.container.uow(readonly=True), None, limit=4)
    parts = objects_envelope_parts(page)
    assert len(parts) == -(-4 // per_part)
    body = json.loads(b"".join(parts))
    assert body == {"more": True, "next": page.next_cursor, "objects": [e.wire for e in page.entries]}
    assert b"".join(parts) == objects_envelope(page)
    nothing = feed_page(linked.container.uow(readonly=True), None, types=["no-such-type"])
    assert objects_envelope_parts(nothing) == [b'{"more":false}']


def test_gc_pauses_nest_across_threads_and_restore_the_collector() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        inside.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread still holds its pause
    leave.set()
    thread.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
