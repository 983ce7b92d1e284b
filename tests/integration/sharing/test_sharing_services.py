"""Publishing, per-partner compilation, ingest, versions, deletions and feedback on real databases."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.errors import Conflict, PermissionDenied
from supplyguard.services.sharing_feed import export_bundle, feed_page, show_intel
from supplyguard.services.sharing_feedback import feedback_summary, record_feedback
from supplyguard.services.sharing_ingest import ingest_objects
from supplyguard.services.sharing_node import keyring_of
from supplyguard.services.sharing_publish import delete_object, preview_recipients, publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import Outcome, SignedObject, verify_object
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, link


def publish_suspect(node: SharingTestNode, **overrides: Any) -> Any:
    spec = {**SUSPECT, **overrides}
    stix = build_from_spec(spec, node.node.author_ref, node.clock.now())
    return publish_object(node.container.uow(), node.admin, node.node, stix)


def feed_for(node: SharingTestNode, partner: str | None, **kwargs: Any) -> list[dict[str, Any]]:
    page = feed_page(node.container.uow(readonly=True), partner, limit=1000, **kwargs)
    return [entry.wire for entry in page.entries]


def test_publish_compiles_whole_and_redacted_copies_and_proves_it(linked: SharingTestNode) -> None:
    a = linked
    preview = preview_recipients(
        a.container.uow(), a.admin, a.node, build_from_spec(SUSPECT, a.node.author_ref, a.clock.now())
    )
    outcomes = {d.recipient: d.outcome for d in preview}
    assert outcomes == {"carrier-x": Outcome.REDACTED, "customs-b": Outcome.WHOLE}

    result = publish_suspect(a)
    assert result.recipients == ["carrier-x", "customs-b"]
    assert result.held.position == 1
    whole = feed_for(a, "customs-b")
    redacted = feed_for(a, "carrier-x")
    assert len(whole) == len(redacted) == 1
    shipment_ext = next(v for k, v in whole[0]["extensions"].items() if "consignee_name" in v)
    assert shipment_ext["consignee_name"] == "Golden Harbor Trading"
    carrier_text = str(redacted[0])
    assert "Golden Harbor" not in carrier_text and "DECL-A-17" not in carrier_text
    assert "CSQU3054383" in carrier_text
    with a.container.uow(readonly=True) as uow:
        leaves = uow.ledger.find_by_record("intel.published", result.held.stix_id)
        assert len(leaves) == 1
        assert uow.ledger.latest_checkpoint() is not None
        keyring = keyring_of(SharingRepository(uow.connection), a.node)
    # Both copies verify against the author's key.
    verify_object(SignedObject.from_stix(whole[0]), keyring)
    verify_object(SignedObject.from_stix(redacted[0]), keyring)


def test_partner_ingests_once_and_ledger_records_it(linked: SharingTestNode, node_b: SharingTestNode) -> None:
    publish_suspect(linked)
    delivery = feed_for(linked, "customs-b")
    report = ingest_objects(node_b.container.uow(), node_b.node, "test.node", delivery)
    assert len(report.stored) == 1 and not report.rejected
    again = ingest_objects(node_b.container.uow(), node_b.node, "test.node", delivery)
    assert again.stored == [] and again.duplicates == 1
    with node_b.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        held = repo.held(delivery[0]["id"])
        assert held is not None and held.received_from == "test.node" and held.author_node == "test.node"
        assert len(uow.ledger.find_by_record("intel.received", held.stix_id)) == 1


def test_carrier_accepts_its_redacted_copy_but_refuses_the_whole(
    linked: SharingTestNode, carrier: SharingTestNode
) -> None:
    publish_suspect(linked)
    whole = feed_for(linked, "customs-b")
    refused = ingest_objects(carrier.container.uow(), carrier.node, "test.node", whole)
    assert refused.stored == [] and refused.rejected[0].check_name == "agreement"
    assert "consignee" in refused.rejected[0].detail or "personal" in refused.rejected[0].detail
    accepted = ingest_objects(
        carrier.container.uow(), carrier.node, "test.node", feed_for(linked, "carrier-x")
    )
    assert len(accepted.stored) == 1


def test_forged_and_unsigned_objects_are_rejected_and_reported(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    publish_suspect(linked)
    genuine = feed_for(linked, "customs-b")[0]
    forged = copy.deepcopy(genuine)
    forged["name"] = "Nothing to see here"
    unsigned = {k: v for k, v in genuine.items() if k != "extensions"}
    report = ingest_objects(node_b.container.uow(), node_b.node, "test.node", [forged, unsigned])
    assert report.stored == []
    assert [r.check_name for r in report.rejected] == ["field", "format"]
    with node_b.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        assert repo.held(genuine["id"]) is None
        partner = repo.partner("test.node")
        assert partner is not None and partner.verification_failures == 2
        assert len(repo.rejections("test.node")) == 2
    # The genuine copy still goes in afterwards.
    assert len(ingest_objects(node_b.container.uow(), node_b.node, "test.node", [genuine]).stored) == 1


def test_unknown_sender_is_refused(node_b: SharingTestNode) -> None:
    with pytest.raises(PermissionDenied):
        ingest_objects(node_b.container.uow(), node_b.node, "stranger", [{"id": "x"}])


def test_new_version_replaces_old_and_old_is_a_replay(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    first = publish_suspect(linked)
    old_copy = feed_for(linked, "customs-b")
    linked.clock.advance(timedelta(hours=1))
    second = publish_suspect(linked, name="Cocaine in banana reefer (updated)")
    assert second.held.stix_id == first.held.stix_id and second.held.position == 2
    latest = feed_for(linked, "customs-b")
    assert [o["name"] for o in latest] == ["Cocaine in banana reefer (updated)"]
    assert len(feed_for(linked, "customs-b", versions="all")) == 2
    assert len(ingest_objects(node_b.container.uow(), node_b.node, "test.node", latest).stored) == 1
    replay = ingest_objects(node_b.container.uow(), node_b.node, "test.node", old_copy)
    assert [r.check_name for r in replay.rejected] == ["replay"]


def test_deletion_travels_as_a_signed_tombstone(linked: SharingTestNode, node_b: SharingTestNode) -> None:
    result = publish_suspect(linked)
    original = feed_for(linked, "customs-b")
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", original)
    linked.clock.advance(timedelta(minutes=5))
    delete_object(
        linked.container.uow(), linked.admin, linked.node, result.held.stix_id, "withdrawn: wrong container"
    )
    tombstones = feed_for(linked, "customs-b")
    assert [o["type"] for o in tombstones] == ["x-supplyguard-tombstone"]
    report = ingest_objects(node_b.container.uow(), node_b.node, "test.node", tombstones)
    assert report.deleted == [result.held.stix_id]
    resurrect = ingest_objects(node_b.container.uow(), node_b.node, "test.node", original)
    assert resurrect.stored == []
    with node_b.container.uow(readonly=True) as uow:
        assert SharingRepository(uow.connection).held(result.held.stix_id).deleted  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        publish_suspect(linked)


def test_feedback_reaches_the_author(linked: SharingTestNode, node_b: SharingTestNode) -> None:
    result = publish_suspect(linked)
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", feed_for(linked, "customs-b"))
    sent = record_feedback(
        node_b.container.uow(), node_b.admin, node_b.node, result.held.stix_id, "seized", "12 kg"
    )
    assert sent.recipients == ["test.node"]
    notes = feed_for(node_b, "test.node")
    report = ingest_objects(linked.container.uow(), linked.node, "customs-b", notes)
    assert report.feedback == 1
    summary = feedback_summary(linked.container.uow(), linked.admin, linked.node)
    assert summary.by_item == {result.held.stix_id: {"seized": 1}}
    assert summary.by_partner == {"customs-b": {"seized": 1}}
    detail = show_intel(linked.container.uow(), linked.admin, result.held.stix_id)
    assert detail.feedback[0]["outcome"] == "seized"
    assert {d["partner"] for d in detail.deliveries} == {"customs-b", "carrier-x"}


def test_feed_pages_are_stateless_and_repeatable(linked: SharingTestNode) -> None:
    for n in range(5):
        publish_suspect(linked, key=f"alert-{n}")
    uow = linked.container.uow
    first = feed_page(uow(readonly=True), "customs-b", limit=2)
    assert first.more and first.next_cursor is not None
    second = feed_page(uow(readonly=True), "customs-b", limit=2, cursor=first.next_cursor)
    retried = feed_page(uow(readonly=True), "customs-b", limit=2, cursor=first.next_cursor)
    assert [e.position for e in second.entries] == [e.position for e in retried.entries] == [3, 4]
    third = feed_page(uow(readonly=True), "customs-b", limit=2, cursor=second.next_cursor)
    assert [e.position for e in third.entries] == [5] and not third.more
    only = feed_page(uow(readonly=True), "customs-b", ids=[second.entries[0].stix_id])
    assert [e.position for e in only.entries] == [3]
    assert feed_page(uow(readonly=True), "customs-b", types=["incident"]).entries == ()


def test_export_bundle_holds_every_current_object(linked: SharingTestNode) -> None:
    publish_suspect(linked, key="one")
    publish_suspect(linked, key="two")
    bundle = export_bundle(linked.container.uow(), linked.admin)
    assert bundle["type"] == "bundle" and len(bundle["objects"]) == 2


def test_relay_keeps_the_author_signature_and_the_agreement(
    linked: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    link(node_b, carrier)
    result = publish_suspect(linked)
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", feed_for(linked, "customs-b"))
    relayed = feed_for(node_b, "carrier-x")
    assert len(relayed) == 1 and "Golden Harbor" not in str(relayed[0])
    report = ingest_objects(carrier.container.uow(), carrier.node, "customs-b", relayed)
    assert report.stored == [result.held.stix_id]
    with carrier.container.uow(readonly=True) as uow:
        held = SharingRepository(uow.connection).held(result.held.stix_id)
        assert held is not None and held.author_node == "test.node" and held.received_from == "customs-b"


def test_red_objects_are_never_relayed(
    linked: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    link(node_b, carrier)
    publish_suspect(linked, tlp="amber+strict")
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", feed_for(linked, "customs-b"))
    assert feed_for(node_b, "carrier-x") == []


def test_deletions_follow_relayed_copies(
    linked: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    link(node_b, carrier)
    result = publish_suspect(linked)
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", feed_for(linked, "customs-b"))
    ingest_objects(carrier.container.uow(), carrier.node, "customs-b", feed_for(node_b, "carrier-x"))
    linked.clock.advance(timedelta(minutes=5))
    delete_object(linked.container.uow(), linked.admin, linked.node, result.held.stix_id, "withdrawn")
    ingest_objects(node_b.container.uow(), node_b.node, "test.node", feed_for(linked, "customs-b"))
    relayed = feed_for(node_b, "carrier-x")
    assert [o["type"] for o in relayed] == ["x-supplyguard-tombstone"]
    report = ingest_objects(carrier.container.uow(), carrier.node, "customs-b", relayed)
    assert report.deleted == [result.held.stix_id]
    with carrier.container.uow(readonly=True) as uow:
        assert SharingRepository(uow.connection).held(result.held.stix_id).deleted  # type: ignore[union-attr]
