"""The demo world's shared intelligence: Korea's seizure and suspect consignee raise a Dutch
declaration in the queue, the Dutch alert reaches the carrier redacted, Korea reports back."""

from __future__ import annotations

import json

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.demo.intel import NL_ORG, _target, demo_key
from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world
from supplyguard.services.sharing_feedback import feedback_summary
from supplyguard.services.sharing_node import keyring_of, sharing_node
from supplyguard.sharing import SignedObject, verify_object
from tests.factories import admin_principal


def test_demo_intel_is_shared_matched_redacted_and_answered(container) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, declarations_total=120)
    steps: list[str] = []
    load_world(container, world, steps.append)
    target = _target(world)
    assert target is not None
    importer = target["importer"]["name"]
    assert any("risk signals raised" in step for step in steps)
    with container.uow(readonly=True) as uow:
        org = next(o for o in uow.accounts.list_orgs() if o.name == NL_ORG)
        repo = SharingRepository(uow.connection)
        assert {p.node_id for p in repo.partners()} == {"customs-kr", "carrier-oceanic"}
        received = repo.held_page(origin="received")
        assert {h.stix_type for h in received} == {"incident", "identity", "note"}
        declaration_id = uow.declarations.ids_for_references(org.id, [target["reference"]])[
            target["reference"]
        ]
        state = uow.risk.risk_state(declaration_id)
        # the alert (the demo's watch-list exchange also sends Korea a disclosure request note)
        ours = [h for h in repo.held_page(origin="published") if h.stix_type == "indicator"]
        assert len(ours) == 1
        copies = {d.partner_node: d for d in repo.deliveries_of(ours[0].stix_id)}
        keyring = keyring_of(repo, sharing_node(container))
    assert state is not None
    assert "intel: importer on partner watch list (seizure reported by customs-kr)" in state[3]
    assert state[2] in ("yellow", "red")
    assert copies["customs-kr"].outcome == "whole" and importer in json.dumps(copies["customs-kr"].wire)
    carrier_copy = copies["carrier-oceanic"]
    assert carrier_copy.outcome == "redacted" and importer not in json.dumps(carrier_copy.wire)
    assert target["containers"][0] in json.dumps(carrier_copy.wire)
    verify_object(SignedObject.from_stix(carrier_copy.wire), keyring)  # still the author's signature
    summary = feedback_summary(container.uow(readonly=True), admin_principal(org), sharing_node(container))
    assert summary.by_partner == {"customs-kr": {"seized": 1}}
    assert demo_key("customs-kr").public_key_raw == demo_key("customs-kr").public_key_raw  # fixed demo key
