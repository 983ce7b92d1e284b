"""Verdicts reached outside the storing transaction (the sync's verification worker) are used only
under the very context they were reached in, and only for the objects they name."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from supplyguard.adapters.db.sharing_repo import SharingRepository, wire_text
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import (
    Checked,
    UnreadObjects,
    check_context,
    check_objects,
    ingest_in_uow,
)
from supplyguard.services.sharing_publish import held_from_signed, publish_object
from supplyguard.services.sharing_risk import observed
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import SignedObject
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, link


def _delivery(a: SharingTestNode) -> list[dict[str, Any]]:
    stix = build_from_spec(SUSPECT, a.node.author_ref, a.clock.now())
    publish_object(a.container.uow(), a.admin, a.node, stix)
    page = feed_page(a.container.uow(readonly=True), "customs-b", limit=10)
    return [entry.wire for entry in page.entries]


def _genuine_and_forged(a: SharingTestNode) -> tuple[dict[str, Any], dict[str, Any]]:
    """One object A delivers, and a copy whose signed name was altered after signing."""
    genuine = _delivery(a)[0]
    forged = copy.deepcopy(genuine)
    forged["name"] = "Nothing to see here"
    return genuine, forged


def _held_as_read(wire: dict[str, Any], b: SharingTestNode) -> Any:
    """The held row B stores for ``wire`` when it reads and checks the object itself (position 1)."""
    return held_from_signed(
        SignedObject.from_stix(wire),
        position=1,
        author_node="test.node",
        received_from="test.node",
        agreement_id="cmaa-test",
        stored_at=b.clock.now(),
    )


def _stored_with_keys(b: SharingTestNode, object_id: str, found: Any) -> tuple[Any, list[Any]]:
    """What B holds of ``object_id``, and its intel keys among the observables ``found``."""
    with b.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        return repo.held(object_id), repo.intel_keys_matching((k, v) for k, v, _ in found)


def _context(b: SharingTestNode) -> Any:
    with b.container.uow(readonly=True) as uow:
        return check_context(SharingRepository(uow.connection), b.node, "test.node", b.clock.now().date())


def _ingest(b: SharingTestNode, objects: Sequence[Any], **kwargs: Any) -> Any:
    uow = b.container.uow()
    with uow:
        report = ingest_in_uow(uow, b.node, "test.node", objects, **kwargs)
        uow.commit()
    return report


def _relayed_signed(node_b: SharingTestNode, carrier: SharingTestNode, first_id: str) -> None:
    """B's feed for the carrier holds the one object it may see, redacted, and the carrier stores
    it: the author's signature still verifies for the fields B passed on."""
    page = feed_page(node_b.container.uow(readonly=True), "carrier-x", limit=10)
    relayed = [entry.wire for entry in page.entries]
    assert len(relayed) == 1 and "Golden Harbor" not in str(relayed[0])
    uow = carrier.container.uow()
    with uow:
        onward = ingest_in_uow(uow, carrier.node, "customs-b", relayed)
        uow.commit()
    assert onward.stored == [first_id] and not onward.rejected


def test_verdicts_match_what_ingest_decides_itself(linked: SharingTestNode, node_b: SharingTestNode) -> None:
    genuine, forged = _genuine_and_forged(linked)
    context = _context(node_b)
    verdicts = check_objects([genuine, forged, "not an object"], context)
    assert verdicts[0] == Checked(genuine["id"], "test.node", "cmaa-test")
    assert verdicts[1] is not None and verdicts[1].check == "field"
    assert verdicts[2] is None
    report = _ingest(node_b, [forged, genuine], checked=[verdicts[1], verdicts[0]], checked_under=context)
    assert report.stored == [genuine["id"]] and [r.check_name for r in report.rejected] == ["field"]


def test_a_verdict_under_another_context_is_not_trusted(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    forged = copy.deepcopy(_delivery(linked)[0])
    forged["name"] = "Nothing to see here"
    context = _context(node_b)
    lie = [Checked(forged["id"], "test.node", "cmaa-test")]
    stale = type(context)(context.keys, (), context.sender, context.recipient, context.on)
    report = _ingest(node_b, [forged], checked=lie, checked_under=stale)
    assert report.stored == [] and [r.check_name for r in report.rejected] == ["field"]


def test_a_verdict_naming_another_object_is_not_used(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    forged = copy.deepcopy(_delivery(linked)[0])
    forged["name"] = "Nothing to see here"
    lie = [Checked("indicator--00000000-0000-4000-8000-000000000000", "test.node", "cmaa-test")]
    report = _ingest(node_b, [forged], checked=lie, checked_under=_context(node_b))
    assert report.stored == [] and [r.check_name for r in report.rejected] == ["field"]


def test_a_worker_verdict_carries_what_storing_would_work_out(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    genuine, forged = _genuine_and_forged(linked)
    context = _context(node_b)
    plain, refused = check_objects([genuine, forged], context)
    passed, refused_derived = check_objects([genuine, forged], context, derive=True)
    assert plain is not None and plain.derived is None
    assert refused == refused_derived and refused is not None and refused.derived is None
    assert passed is not None and passed.derived is not None
    held = _held_as_read(genuine, node_b)
    assert passed.derived == (
        held.content_hash,
        observed(held.wire),
        wire_text(held.wire),
        held.stix_type,
        held.version,
        held.author_ref,
        held.tlp,
        held.revoked,
    )
    kind, found = passed.derived[1]
    assert found  # a suspect shipment names its container and parties
    report = _ingest(node_b, [genuine], checked=[passed], checked_under=context)
    assert report.stored == [genuine["id"]]
    stored, keys = _stored_with_keys(node_b, genuine["id"], found)
    assert stored is not None
    assert replace(stored, position=1, stored_at=held.stored_at) == held  # as if stored without it
    assert sorted((k.kind, k.value, k.found_in, k.object_kind) for k in keys) == sorted(
        (k, v, where, kind) for k, v, where in found
    )


def test_objects_stored_from_worker_verdicts_are_relayed_signed(
    linked: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    link(node_b, carrier)
    wires = _delivery(linked)
    context = _context(node_b)
    verdicts = check_objects(wires, context, derive=True)
    assert all(v is not None and v.derived is not None for v in verdicts)
    report = _ingest(node_b, wires, checked=verdicts, checked_under=context)
    assert report.stored == [w["id"] for w in wires]
    _relayed_signed(node_b, carrier, wires[0]["id"])


class _Unread(UnreadObjects):
    """A delivery not read yet (like the sync's page): notes which objects were read."""

    def __init__(self, objects: list[Any]) -> None:
        self._objects = objects
        self.reads: list[int] = []

    def is_read(self) -> bool:
        return bool(self.reads)

    def __len__(self) -> int:
        return len(self._objects)

    def __getitem__(self, index: Any) -> Any:
        self.reads.append(index)
        return self._objects[index]


def test_first_versions_of_an_unread_delivery_are_stored_from_their_verdicts_unread(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    genuine = _delivery(linked)[0]
    context = _context(node_b)
    (passed,) = check_objects([genuine], context, derive=True)
    assert passed is not None and passed.derived is not None
    _, found = passed.derived[1]
    unread = _Unread([genuine])
    report = _ingest(node_b, unread, checked=[passed], checked_under=context)
    assert report.stored == [genuine["id"]] and unread.reads == []
    held = _held_as_read(genuine, node_b)
    stored, keys = _stored_with_keys(node_b, genuine["id"], found)
    assert stored is not None
    assert replace(stored, position=1, stored_at=held.stored_at) == held  # as if read and stored
    assert len(keys) == len(found) > 0  # its intel keys, from the TLP and revocation it holds


def test_an_unread_delivery_reads_what_its_verdicts_cannot_store(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    genuine, forged = _genuine_and_forged(linked)
    context = _context(node_b)
    passed, refused = check_objects([genuine, forged], context, derive=True)
    # The same object twice: the second is read and found a duplicate of the first, stored unread.
    unread = _Unread([genuine, forged, genuine, "not an object"])
    report = _ingest(node_b, unread, checked=[passed, refused, passed, None], checked_under=context)
    assert report.stored == [genuine["id"]] and report.duplicates == 1
    assert [r.check_name for r in report.rejected] == ["field", "format"]
    assert unread.reads == [1, 3, 1, 2, 3]  # ids, then each object without a usable verdict
    # Delivered again: held now, so each is read and checked against what is held.
    again = _Unread([genuine])
    report = _ingest(node_b, again, checked=[passed], checked_under=context)
    assert report.stored == [] and report.duplicates == 1 and again.reads == [0]


def test_an_unread_delivery_with_a_stale_context_is_read_and_checked(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    genuine, forged = _genuine_and_forged(linked)
    context = _context(node_b)
    (passed,) = check_objects([genuine], context, derive=True)
    stale = type(context)(context.keys, (), context.sender, context.recipient, context.on)
    unread = _Unread([forged])
    report = _ingest(node_b, unread, checked=[passed], checked_under=stale)
    assert report.stored == [] and [r.check_name for r in report.rejected] == ["field"]
    assert unread.reads


def test_first_versions_stored_unread_are_relayed_signed(
    linked: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    link(node_b, carrier)
    wires = _delivery(linked)
    context = _context(node_b)
    unread = _Unread(wires)
    report = _ingest(
        node_b, unread, checked=check_objects(wires, context, derive=True), checked_under=context
    )
    assert report.stored == [w["id"] for w in wires] and unread.reads == []
    _relayed_signed(node_b, carrier, wires[0]["id"])
