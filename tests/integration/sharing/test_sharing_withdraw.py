"""Withdrawn intelligence: a signed deletion or revocation withdraws the risk signals it raised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from supplyguard.model.declarations import Lane
from supplyguard.services.sharing_publish import delete_object, publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import stix_timestamp
from tests.integration.sharing.nodes import SharingTestNode, link
from tests.integration.sharing.test_sharing_risk import PARTY, SEIZURE, close, publish, pull, signals, submit


def _state(node: SharingTestNode, declaration: Any) -> dict[str, Any]:
    found = signals(node, declaration)
    with node.container.uow(readonly=True) as uow:
        state = uow.risk.risk_state(declaration.id)
    assert state is not None
    return {**found, "priority": state[1]}


def test_a_signed_deletion_withdraws_its_signals_from_open_declarations_only(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    link(node_a, node_b)
    open_one = submit(node_a, "DECL-W1")
    closed = submit(node_a, "DECL-W2")
    seizure = publish(node_b, SEIZURE)
    party = publish(node_b, PARTY)
    assert pull(node_a, node_b).signals == 4
    before = _state(node_a, open_one)
    by_container = before["by_ref"][seizure]
    by_name = before["by_ref"][party]
    assert (by_container.min_lane, by_name.min_lane) == (Lane.RED, Lane.YELLOW)
    assert before["lane"] == "red"
    close(node_a, closed)

    delete_object(node_b.container.uow(), node_b.admin, node_b.node, seizure, "entered in error")
    report = pull(node_a, node_b)
    assert report.deleted == [seizure]
    after = _state(node_a, open_one)
    assert set(after["by_ref"]) == {party}
    assert after["priority"] == pytest.approx(before["priority"] - by_container.weight)
    assert "intel: " + by_container.reason not in after["reasons"]
    assert "intel: " + by_name.reason in after["reasons"]
    # red came from the seizure's floor; the remaining name match holds yellow (no model decision)
    assert after["lane"] == "yellow"
    # the decided declaration keeps what was known when it was decided
    assert set(_state(node_a, closed)["by_ref"]) == {seizure, party}

    delete_object(node_b.container.uow(), node_b.admin, node_b.node, party, "entered in error")
    pull(node_a, node_b)
    last = _state(node_a, open_one)
    assert last["by_ref"] == {}
    assert last["priority"] == pytest.approx(before["priority"] - by_container.weight - by_name.weight)
    assert not any(reason.startswith("intel: ") for reason in last["reasons"])
    assert last["lane"] is None  # never scored by a model and no signal left: unscored again
    assert pull(node_a, node_b).deleted == []  # the deletions again change nothing


def test_a_revoked_version_withdraws_its_signals(node_a: SharingTestNode, node_b: SharingTestNode) -> None:
    link(node_a, node_b)
    declaration = submit(node_a, "DECL-W3")
    stix = build_from_spec(PARTY, node_b.node.author_ref, node_b.clock.now())
    publish_object(node_b.container.uow(), node_b.admin, node_b.node, stix)
    pull(node_a, node_b)
    assert set(_state(node_a, declaration)["by_ref"]) == {stix["id"]}
    later = node_b.clock.now() + timedelta(hours=1)
    revoked = {**stix, "revoked": True, "modified": stix_timestamp(later)}
    publish_object(node_b.container.uow(), node_b.admin, node_b.node, revoked)
    report = pull(node_a, node_b)
    assert len(report.stored) == 1
    after = _state(node_a, declaration)
    assert after["by_ref"] == {} and after["lane"] is None
