"""Three nodes on loopback (customs A, customs B, a carrier), each with its own database and port."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.sharing_correlate import correlate_intel
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_feedback import feedback_summary, record_feedback
from supplyguard.services.sharing_node import keyring_of, sharing_node
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_sync import POSITION_HEADER, run_sync, sync_partner
from supplyguard.sharing import SignedObject, verify_object
from tests.e2e.sharing.conftest import LiveNode, connect
from tests.factories import declaration_data
from tests.integration.sharing.nodes import SUSPECT

SEIZURE = {
    "kind": "seizure",
    "tlp": "amber",
    "key": "seizure-1",
    "name": "Seizure of 120 kg cocaine at Rotterdam",
    "seized_at": "2026-11-20T06:30:00Z",
    "concealment_method": "false floor in reefer",
    "shipment": {
        "container_numbers": ["CSQU3054383"],
        "consignee_name": "Golden Harbor Trading",
        "goods": [{"description": "bananas", "hs_code": "080390", "net_mass_kg": 18000}],
    },
}
SUSPECT_PARTY = {
    "kind": "suspect-party",
    "tlp": "amber",
    "key": "party-1",
    "name": "Golden Harbor Trading",
    "roles": ["consignee"],
    "country": "NL",
    "address": "Havenstraat 1, Rotterdam",
}


def publish(live: LiveNode, spec: dict[str, Any]) -> str:
    node = live.node
    stix = build_from_spec(spec, node.node.author_ref, node.clock.now())
    return publish_object(node.container.uow(), node.admin, node.node, stix).held.stix_id


def held_ids(live: LiveNode) -> list[str]:
    page = feed_page(live.node.container.uow(readonly=True), None, limit=1000)
    return [entry.stix_id for entry in page.entries]


def sync(puller: LiveNode, source: LiveNode, **kwargs: Any) -> Any:
    node = puller.node
    return run_sync(node.container, node.admin, source.node.node_id, **kwargs)[0]


def test_a_shares_with_b_whole_and_with_the_carrier_redacted_and_b_reports_back(
    start: Callable[[str, str], LiveNode],
) -> None:
    a, b, carrier = (
        start("test.node", "Customs A"),
        start("customs-b", "Customs B"),
        start("carrier-x", "Carrier X"),
    )
    connect(a, b)
    connect(a, carrier)
    published = [publish(a, SEIZURE), publish(a, SUSPECT_PARTY), publish(a, SUSPECT)]

    bc = b.node.container
    declaration = submit_declaration(
        bc.uow(), bc.clock, bc.refdata, bc.signer, b.node.admin, declaration_data("DECL-B-2")
    )

    at_b = sync(b, a)
    assert at_b.error is None and at_b.stored == 3 and at_b.rejected == 0
    assert held_ids(b) == published
    flagged = correlate_intel(bc.uow(), b.node.admin)
    assert {m.match.record_id for m in flagged} == {"DECL-B-2"}
    assert {m.object_id for m in flagged} >= {published[0], published[2]}  # the seizure and the alert
    # B's queue: the open declaration was raised by what arrived, in the sync's own transaction
    with bc.uow(readonly=True) as uow:
        raised = uow.risk.signals_for([declaration.id])[declaration.id]
        state = uow.risk.risk_state(declaration.id)
    assert {s.signal.ref for s in raised} == set(published)
    assert state is not None and state[2] == "red"
    assert "intel: container CSQU3054383 named in a seizure reported by test.node" in state[3]

    at_carrier = sync(carrier, a)
    assert at_carrier.stored == 1 and at_carrier.rejected == 0
    alert_id = published[2]
    assert held_ids(carrier) == [alert_id]
    with carrier.node.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        held = repo.held(alert_id)
        assert held is not None
        assert "Golden Harbor" not in json.dumps(held.wire) and "CSQU3054383" in json.dumps(held.wire)
        signed = SignedObject.from_stix(held.wire)
        verify_object(signed, keyring_of(repo, carrier.node.node))
        assert signed.withheld_count > 0 and signed.header.author_ref == a.node.node.author_ref

    record_feedback(b.node.container.uow(), b.node.admin, b.node.node, alert_id, "seized", "found 120 kg")
    back = sync(a, b)
    assert back.stored == 1 and back.error is None
    summary = feedback_summary(a.node.container.uow(), a.node.admin, a.node.node)
    assert summary.by_item == {alert_id: {"seized": 1}}
    assert summary.by_partner == {"customs-b": {"seized": 1}}


class CutAfter(httpx.BaseTransport):
    """A network that fails after ``pages`` requests, as a connection cut mid-sync."""

    def __init__(self, pages: int) -> None:
        self.left = pages
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left == 0:
            raise httpx.ReadError("connection reset by peer", request=request)
        self.left -= 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_sync_cut_mid_way_resumes_without_loss_or_duplicates(start: Callable[[str, str], LiveNode]) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    published = [publish(a, {**SUSPECT, "key": f"bulk-{n}"}) for n in range(25)]

    cut = sync(b, a, transport=CutAfter(2), page_size=10)
    assert cut.error is not None and "unreachable" in cut.error
    assert cut.stored == 20 and cut.position == 20

    resumed = sync(b, a, page_size=10)
    assert resumed.error is None and resumed.stored == 5 and resumed.duplicates == 0
    assert held_ids(b) == published
    idle = sync(b, a, page_size=10)
    assert idle.received == 0 and idle.stored == 0
    with b.node.container.uow(readonly=True) as uow:
        partner = SharingRepository(uow.connection).partner("test.node")
        assert partner is not None and partner.last_sync_position == 25 and partner.last_sync_error is None


def test_a_partner_down_is_reported_and_nothing_changes(start: Callable[[str, str], LiveNode]) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    publish(a, SUSPECT)
    a.server.should_exit = True
    a.thread.join(timeout=10)
    down = sync(b, a)
    assert down.error is not None and down.stored == 0
    with b.node.container.uow(readonly=True) as uow:
        partner = SharingRepository(uow.connection).partner("test.node")
        assert partner is not None and partner.last_sync_position == 0 and partner.last_sync_error


def test_a_forged_object_is_rejected_and_reported(start: Callable[[str, str], LiveNode]) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    publish(a, SUSPECT)
    genuine = feed_page(a.node.container.uow(readonly=True), "customs-b").entries[0].wire
    forged = copy.deepcopy(genuine)
    forged["valid_from"] = "2020-01-01T00:00:00.000Z"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"more": False, "objects": [forged]},
            headers={"Content-Type": "application/taxii+json;version=2.1", POSITION_HEADER: "1"},
        )

    result = sync(b, a, transport=httpx.MockTransport(handler))
    assert result.stored == 0 and result.rejected == 1
    assert held_ids(b) == []
    with b.node.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        partner = repo.partner("test.node")
        assert partner is not None and partner.verification_failures == 1
        assert [r.check_name for r in repo.rejections("test.node")] == ["field"]


def test_an_oversized_page_is_refused_without_storing_anything(start: Callable[[str, str], LiveNode]) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    publish(a, SUSPECT)
    container = b.node.container
    token = load_partner_token(container.settings.keys_dir, "test.node")
    result = sync_partner(
        container.uow, sharing_node(container), "test.node", token=token, max_page_bytes=500
    )
    assert result.error is not None and "over 500 bytes" in result.error
    assert held_ids(b) == []


def test_a_feed_that_never_advances_stops_the_sync(start: Callable[[str, str], LiveNode]) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(200, json={"more": True, "next": "x"}, headers={POSITION_HEADER: "0"})

    result = sync(b, a, transport=httpx.MockTransport(handler))
    assert len(calls) == 1 and result.error is not None and "did not advance" in result.error
