"""Received intelligence matched with local declarations, both ways round."""

from __future__ import annotations

from supplyguard.services.declarations import submit_declaration
from supplyguard.services.sharing_correlate import correlate_intel, match_declarations
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import ingest_objects
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from tests.factories import admin_principal, declaration_data, make_org
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode


def test_received_alert_flags_the_matching_declaration(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    stix = build_from_spec(SUSPECT, linked.node.author_ref, linked.clock.now())
    published = publish_object(linked.container.uow(), linked.admin, linked.node, stix).held
    b = node_b.container
    declaration = submit_declaration(
        b.uow(), b.clock, b.refdata, b.signer, node_b.admin, declaration_data("DECL-B-2")
    )
    other = submit_declaration(
        b.uow(),
        b.clock,
        b.refdata,
        b.signer,
        node_b.admin,
        declaration_data(
            "DECL-B-3", containers=["MSKU9070323"], importer={"code": "X", "name": "Acme", "country": "NL"}
        ),
    )
    assert correlate_intel(b.uow(), node_b.admin) == []  # nothing received yet

    delivery = [e.wire for e in feed_page(linked.container.uow(readonly=True), "customs-b").entries]
    ingest_objects(b.uow(), node_b.node, "test.node", delivery)
    matches = correlate_intel(b.uow(), node_b.admin)
    assert {m.match.record_id for m in matches} == {"DECL-B-2"}
    container_hit = next(m for m in matches if m.match.identifier_kind.value == "container")
    assert container_hit.object_id == published.stix_id and "CSQU3054383" in container_hit.reason
    assert "test.node" in container_hit.reason

    at_intake = match_declarations(b.uow(), node_b.admin, [declaration, other])
    assert {m.match.record_id for m in at_intake} == {"DECL-B-2"}

    # Another organisation on the same node sees only its own declarations matched.
    neighbour = admin_principal(make_org(b, "Customs C", "NL"))
    assert correlate_intel(b.uow(), neighbour) == []
    submit_declaration(b.uow(), b.clock, b.refdata, b.signer, neighbour, declaration_data("DECL-C-1"))
    assert {m.match.record_id for m in correlate_intel(b.uow(), neighbour)} == {"DECL-C-1"}
    assert {m.match.record_id for m in correlate_intel(b.uow(), node_b.admin)} == {"DECL-B-2"}
