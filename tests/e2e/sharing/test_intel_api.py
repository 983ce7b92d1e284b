"""/v1/intel through the ASGI app: lists with filters, preview, publish, feedback, partners, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import ingest_objects
from supplyguard.sharing import IdentifierKind, WatchEntry, key_watch_list, match_watch_lists
from tests.factories import declaration_data, make_user
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, link, make_sharing_node, sqlite_settings


@dataclass
class Side:
    node: SharingTestNode
    client: TestClient
    headers: dict[str, str]

    def as_user(self, name: str, *roles: str) -> dict[str, str]:
        with self.node.container.uow(readonly=True) as uow:
            org = uow.accounts.list_orgs()[0]
        make_user(self.node.container, org, name, roles)
        token = create_token(self.node.container.uow(), self.node.clock, None, name, "t").token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sides(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Side, Side]]:
    a = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "test.node"), "Customs A")
    b = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "customs-b"), "Customs B")
    c = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "carrier-x"), "Carrier X")
    link(a, b)
    link(a, c)
    made: list[Side] = []
    with (
        TestClient(create_app(a.container), raise_server_exceptions=False) as client_a,
        TestClient(create_app(b.container), raise_server_exceptions=False) as client_b,
    ):
        for node, client in ((a, client_a), (b, client_b)):
            side = Side(node, client, {})
            side.headers = side.as_user("anna", "analyst")
            made.append(side)
        yield made[0], made[1]
    for node in (a, b, c):
        node.container.close()


def pull(receiver: SharingTestNode, sender: SharingTestNode) -> Any:
    wires = [
        e.wire for e in feed_page(sender.container.uow(readonly=True), receiver.node_id, limit=1000).entries
    ]
    return ingest_objects(receiver.container.uow(), receiver.node, sender.node_id, wires)


def test_preview_shows_who_receives_what_then_publish_list_and_show(sides: tuple[Side, Side]) -> None:
    a, _ = sides
    preview = a.client.post("/v1/intel/preview", json=SUSPECT, headers=a.headers)
    assert preview.status_code == 200
    recipients = {r["partner"]: r for r in preview.json()["recipients"]}
    assert recipients["customs-b"]["outcome"] == "whole"
    assert recipients["carrier-x"]["outcome"] == "redacted"
    assert "shipment.consignee_name" in recipients["carrier-x"]["withheld_fields"]
    assert a.client.get("/v1/intel", headers=a.headers).json()["objects"] == []  # a preview publishes nothing

    published = a.client.post("/v1/intel", json=SUSPECT, headers=a.headers)
    assert published.status_code == 201
    object_id = published.json()["object"]["id"]
    assert published.json()["object"]["kind"] == "suspect shipment"

    listed = a.client.get("/v1/intel", params={"origin": "published", "tlp": "amber"}, headers=a.headers)
    assert [o["id"] for o in listed.json()["objects"]] == [object_id]
    assert a.client.get("/v1/intel", params={"tlp": "red"}, headers=a.headers).json()["objects"] == []
    assert a.client.get("/v1/intel", params={"origin": "received"}, headers=a.headers).json()["objects"] == []
    to_carrier = a.client.get("/v1/intel", params={"partner": "carrier-x"}, headers=a.headers).json()
    assert [o["id"] for o in to_carrier["objects"]] == [object_id]

    shown = a.client.get(f"/v1/intel/{object_id}", headers=a.headers).json()
    assert {d["partner"]: d["outcome"] for d in shown["deliveries"]} == {
        "customs-b": "whole",
        "carrier-x": "redacted",
    }
    assert shown["object"]["id"] == object_id and shown["versions"] == 1

    status = {p["node_id"]: p for p in a.client.get("/v1/intel/partners", headers=a.headers).json()}
    assert status["customs-b"]["delivered"] == 1 and status["customs-b"]["last_sync_at"] is None
    assert status["customs-b"]["lag_s"] is None and status["carrier-x"]["verification_failures"] == 0


def test_received_intel_matches_feedback_and_counts(sides: tuple[Side, Side]) -> None:
    a, b = sides
    object_id = a.client.post("/v1/intel", json=SUSPECT, headers=a.headers).json()["object"]["id"]
    bc = b.node.container
    submit_declaration(bc.uow(), bc.clock, bc.refdata, bc.signer, b.node.admin, declaration_data("DECL-B-2"))
    pull(b.node, a.node)

    received = b.client.get(
        "/v1/intel", params={"origin": "received", "partner": "test.node"}, headers=b.headers
    )
    assert [o["id"] for o in received.json()["objects"]] == [object_id]
    matches = b.client.get(f"/v1/intel/{object_id}/matches", headers=b.headers).json()
    assert {m["declaration"] for m in matches} == {"DECL-B-2"}
    assert all("intelligence from test.node" in m["reason"] for m in matches)

    sent = b.client.post(
        f"/v1/intel/{object_id}/feedback", json={"outcome": "seized", "notes": "120 kg"}, headers=b.headers
    )
    assert sent.status_code == 201 and sent.json()["to"] == ["test.node"]
    pull(a.node, b.node)
    summary = a.client.get("/v1/intel/feedback", headers=a.headers).json()
    assert summary == {"by_item": {object_id: {"seized": 1}}, "by_partner": {"customs-b": {"seized": 1}}}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_bad_input_and_who_may_use_it(sides: tuple[Side, Side]) -> None:
    a, _ = sides
    client, headers = a.client, a.headers
    assert problem(client.get("/v1/intel", params={"tlp": "purple"}, headers=headers), 422)["errors"]
    problem(client.get("/v1/intel", params={"origin": "sideways"}, headers=headers), 422)
    problem(client.get("/v1/intel", params={"since": "last week"}, headers=headers), 422)
    problem(client.get("/v1/intel", params={"next": "!!"}, headers=headers), 422)
    problem(client.post("/v1/intel", json={"kind": "rumour"}, headers=headers), 422)
    problem(client.post("/v1/intel/preview", json=["not", "a", "spec"], headers=headers), 422)
    problem(client.get("/v1/intel/indicator--nope", headers=headers), 404)
    problem(
        client.post("/v1/intel/indicator--nope/feedback", json={"outcome": "seized"}, headers=headers), 404
    )
    problem(client.post("/v1/intel/x/feedback", json={"outcome": "maybe"}, headers=headers), 422)
    problem(client.get("/v1/intel"), 401)
    officer = a.as_user("olga", "officer")
    assert client.get("/v1/intel", headers=officer).status_code == 200
    problem(client.post("/v1/intel", json=SUSPECT, headers=officer), 403)  # officers read, analysts publish
    partner = a.as_user("partner-z", "partner")
    problem(client.get("/v1/intel", headers=partner), 403)  # partners read their copies over TAXII only
    assert client.get("/v1/intel", headers=headers).json()["objects"] == []  # nothing half-written


def test_a_keyed_hit_opens_a_disclosure_request_the_owner_answers_on_the_record(
    sides: tuple[Side, Side],
) -> None:
    a, b = sides
    key = b"k" * 32  # the agreement's watch-list key, exchanged out of band
    ours = key_watch_list([WatchEntry(IdentifierKind.CONTAINER, "CSQU3054383", "case-1")], key, "cmaa-test")
    theirs = key_watch_list([WatchEntry(IdentifierKind.CONTAINER, "CSQU 305438-3", "b-9")], key, "cmaa-test")
    (hit,) = match_watch_lists(ours, theirs.keyed)
    request = {
        "partner": "customs-b",
        "agreement": "cmaa-test",
        "kind": "container",
        "digest": hit.digest,
        "reason": "our case 1 names this container; what do you hold on it?",
    }
    opened = a.client.post("/v1/intel/disclosures", json=request, headers=a.headers)
    assert opened.status_code == 201 and opened.json()["status"] == "open"
    assert opened.json()["direction"] == "outgoing"

    pull(b.node, a.node)
    incoming = b.client.get("/v1/intel/disclosures", params={"status": "open"}, headers=b.headers).json()
    assert [(d["direction"], d["partner"], d["digest"]) for d in incoming] == [
        ("incoming", "test.node", hit.digest)
    ]
    answer = {"answer": "on our list since 2026-10: consignee under investigation (case B-9)"}
    decided = b.client.post(
        f"/v1/intel/disclosures/{incoming[0]['id']}/approve", json=answer, headers=b.headers
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    problem(
        b.client.post(f"/v1/intel/disclosures/{incoming[0]['id']}/refuse", json=answer, headers=b.headers),
        409,
    )

    pull(a.node, b.node)
    (asked,) = a.client.get("/v1/intel/disclosures", headers=a.headers).json()
    assert (
        asked["status"] == "approved"
        and asked["answer"] == answer["answer"]
        and asked["decided_by"] == "customs-b"
    )
    with a.node.container.uow(readonly=True) as uow:  # request and answer are signed objects, on the ledger
        assert uow.ledger.find_by_record("intel.published", asked["request_note"])
        assert uow.ledger.find_by_record("intel.received", asked["answer_note"])


def test_disclosure_requests_refuse_bad_input(sides: tuple[Side, Side]) -> None:
    a, _ = sides
    good = {
        "partner": "customs-b",
        "agreement": "cmaa-test",
        "kind": "container",
        "digest": "a" * 64,
        "reason": "r",
    }
    problem(a.client.post("/v1/intel/disclosures", json={**good, "digest": "xyz"}, headers=a.headers), 422)
    problem(
        a.client.post("/v1/intel/disclosures", json={**good, "kind": "shoe size"}, headers=a.headers), 422
    )
    problem(
        a.client.post("/v1/intel/disclosures", json={**good, "agreement": "none"}, headers=a.headers), 422
    )
    to_carrier = problem(
        a.client.post("/v1/intel/disclosures", json={**good, "partner": "carrier-x"}, headers=a.headers), 422
    )
    assert "cannot send carrier-x a note" in to_carrier["detail"]
    problem(a.client.get("/v1/intel/disclosures", params={"status": "maybe"}, headers=a.headers), 422)
    unknown = "/v1/intel/disclosures/00000000-0000-0000-0000-000000000000/approve"
    problem(a.client.post(unknown, json={"answer": "x"}, headers=a.headers), 404)
    assert a.client.get("/v1/intel/disclosures", headers=a.headers).json() == []  # nothing half-written
    assert (
        a.client.get("/v1/intel", params={"origin": "published"}, headers=a.headers).json()["objects"] == []
    )
