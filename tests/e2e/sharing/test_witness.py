"""Partners witness each other's ledgers: consistency checked, cosigned, kept; a fork is caught."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.ledger import Checkpoint, sign_checkpoint
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_witness import run_witness, witness_partner
from tests.e2e.sharing.conftest import LiveNode, connect
from tests.integration.sharing.nodes import SUSPECT


def publish(live: LiveNode, key: str) -> None:
    node = live.node
    stix = build_from_spec({**SUSPECT, "key": key}, node.node.author_ref, node.clock.now())
    publish_object(node.container.uow(), node.admin, node.node, stix)


def test_witness_cosigns_consistent_checkpoints_and_reports_a_fork(
    start: Callable[[str, str], LiveNode],
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    publish(a, "one")
    assert [r.outcome for r in run_witness(b.node.container, "test.node")] == ["first"]
    publish(a, "two")
    advanced = run_witness(b.node.container, "test.node")[0]
    assert advanced.outcome == "advanced" and "consistent" in advanced.detail
    assert run_witness(b.node.container, "test.node")[0].outcome == "unchanged"
    with b.node.container.uow(readonly=True) as uow:
        kept = SharingRepository(uow.connection).latest_witnessed("test.node")
    assert kept is not None and kept.tree_size == advanced.tree_size
    assert f"— {b.node.container.signer.name} " in kept.note  # our cosignature line

    # A signs a second, different tree at the same size: equivocation, with A's own ledger key.
    forged = sign_checkpoint(Checkpoint("test.node", kept.tree_size, bytes(32)), a.node.container.signer)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=forged, headers={"Content-Type": "text/plain; charset=utf-8"})

    container = b.node.container
    result = witness_partner(
        container.uow,
        sharing_node(container),
        "test.node",
        token=load_partner_token(container.settings.keys_dir, "test.node"),
        transport=httpx.MockTransport(handler),
    )
    assert result.outcome == "fork" and "two different roots" in result.detail
    with container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        assert [r.check_name for r in repo.rejections("test.node")] == ["fork"]
        assert repo.latest_witnessed("test.node") == kept
