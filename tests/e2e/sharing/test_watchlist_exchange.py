"""Two live nodes exchange keyed watch lists: only hashes cross, a shared container hits, the hit
opens a disclosure request the owner answers, a rotated secret is refused until both sides have it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.model.canonical import canonical_json
from supplyguard.services.accounts import create_token
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.sharing_disclosures import decide_disclosure, list_disclosures
from supplyguard.services.sharing_requests import NodeRequestAuth
from supplyguard.services.sharing_sync import run_sync
from supplyguard.services.sharing_watch import (
    WatchEntryInput,
    add_watch_entries,
    identify_incoming,
    install_watch_secret,
    list_watch_matches,
    publish_watch_list,
    pull_watch_lists,
)
from supplyguard.sharing import IdentifierKind, keyed_digest
from supplyguard.sharing.watch_exchange import list_key
from tests.e2e.sharing.conftest import LiveNode, connect
from tests.factories import declaration_data, make_user

SECRET = bytes(range(32))  # the agreement's watch-list secret, handed over out of band
SHARED = "CSQU3054383"  # on A's watch list and in B's declaration
ONLY_A = "MSKU9070323"  # on A's watch list only
ONLY_B = "TGHU1234567"  # in B's declaration only


class Replacing(httpx.BaseTransport):
    """A man in the middle: answers with ``body`` instead of what the node sent."""

    def __init__(self, change: Callable[[bytes], bytes]) -> None:
        self.inner = httpx.HTTPTransport()
        self.change = change

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        return httpx.Response(response.status_code, headers=response.headers, content=self.change(body))

    def close(self) -> None:
        self.inner.close()


class Recording(httpx.BaseTransport):
    """Keeps every response body that crosses between the nodes."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        self.bodies.append(body)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def close(self) -> None:
        self.inner.close()


def _staff_token(live: LiveNode) -> str:
    container = live.node.container
    with container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    make_user(container, org, "anna", ("analyst",))
    return create_token(container.uow(), container.clock, None, "anna", "t").token


def install(live: LiveNode, secret: bytes = SECRET) -> str:
    node = live.node
    return install_watch_secret(
        node.container.uow(), node.node, node.admin, node.container.settings.keys_dir, "cmaa-test", secret
    )


def publish(live: LiveNode) -> list[Any]:
    node = live.node
    return publish_watch_list(
        node.container.uow(), node.admin, node.node, node.container.settings.keys_dir, "cmaa-test"
    )


def pull(live: LiveNode, **kwargs: Any) -> Any:
    (result,) = pull_watch_lists(live.node.container, live.node.admin, **kwargs)
    return result


@pytest.fixture
def pair(start: Callable[[str, str], LiveNode]) -> tuple[LiveNode, LiveNode]:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    add_watch_entries(
        a.node.container.uow(),
        a.node.node,
        a.node.admin,
        [
            WatchEntryInput("container", "CSQU 305438-3", "case A-17"),
            WatchEntryInput("container", ONLY_A, "case A-18"),
            WatchEntryInput("party_name", "Frutas del Pacífico S.A.", "case A-19"),
        ],
    )
    bc = b.node.container
    submit_declaration(
        bc.uow(),
        bc.clock,
        bc.refdata,
        bc.signer,
        b.node.admin,
        declaration_data("DECL-B-7", containers=[SHARED, ONLY_B]),
    )
    return a, b


def test_only_keyed_hashes_cross_and_a_shared_container_opens_a_disclosure_request(
    pair: tuple[LiveNode, LiveNode],
) -> None:
    a, b = pair
    assert install(a) == install(b)  # same secret, same key id
    (published,) = publish(a)
    assert (published.recipient, published.digest_count) == ("customs-b", 3)

    wire = Recording()
    result = pull(b, transport=wire)
    assert result.error is None, result.as_dict()
    assert (result.digests, result.hits, result.new_hits, result.requests_opened) == (3, 1, 1, 1)

    # only hashes crossed: no clear identifier, name or local reference in anything A sent
    (body,) = wire.bodies
    text = body.decode()
    for clear in (SHARED, ONLY_A, "CSQU 305438", "Frutas", "frutas", "case A-1"):
        assert clear not in text
    envelope = json.loads(text)
    assert set(envelope) == {
        "type", "owner", "recipient", "agreement", "key_id", "published_at", "digests", "signature",
    }  # fmt: skip
    assert len(envelope["digests"]) == 3 and all(re.fullmatch("[0-9a-f]{64}", d) for d in envelope["digests"])
    # brute-force resistance is by the agreement's key: the same container keyed under another
    # agreement (even with the same secret) or with no key at all is not what crossed
    elsewhere = keyed_digest(list_key(SECRET, "cmaa-other"), IdentifierKind.CONTAINER, SHARED)
    here = keyed_digest(list_key(SECRET, "cmaa-test"), IdentifierKind.CONTAINER, SHARED)
    unkeyed = hashlib.sha256(canonical_json(["container", SHARED])).hexdigest()
    assert (
        here in envelope["digests"]
        and elsewhere not in envelope["digests"]
        and unkeyed not in envelope["digests"]
    )

    # the shared container hit, B's other container did not; the hit opened a request on the record
    (hit,) = list_watch_matches(b.node.container.uow(readonly=True), b.node.admin)
    assert hit.local_ref == "declaration DECL-B-7 (container)" and hit.kind == "container"
    assert hit.disclosure_id is not None
    (asked,) = list_disclosures(b.node.container.uow(readonly=True), b.node.admin)
    assert (asked.id, asked.direction, asked.partner_node, asked.digest) == (
        hit.disclosure_id,
        "outgoing",
        "test.node",
        hit.digest,
    )
    assert (
        "DECL-B-7" not in asked.reason and ONLY_B not in asked.reason
    )  # the partner learns the overlap only
    with b.node.container.uow(readonly=True) as uow:
        assert uow.ledger.find_by_record("intel.published", asked.request_note)
        assert uow.ledger.find_by_record("intel.watchlist_received", "cmaa-test/test.node")
    with a.node.container.uow(readonly=True) as uow:
        assert uow.ledger.find_by_record("intel.watchlist_published", "cmaa-test/customs-b")

    # pulling again finds the same hit and opens nothing new
    again = pull(b)
    assert (again.hits, again.new_hits, again.requests_opened) == (1, 0, 0)

    # A (the owner) receives the request, sees which of its entries it is, and approves it
    assert run_sync(a.node.container, a.node.admin, "customs-b")[0].error is None
    (incoming,) = list_disclosures(a.node.container.uow(readonly=True), a.node.admin, "open")
    assert incoming.direction == "incoming" and incoming.digest == hit.digest
    ours = identify_incoming(
        a.node.container.uow(readonly=True), a.node.container.settings.keys_dir, [incoming]
    )
    assert ours == {incoming.id: [f"container {SHARED} (case A-17)"]}
    decide_disclosure(
        a.node.container.uow(),
        a.node.admin,
        a.node.node,
        incoming.id,
        approve=True,
        answer="seizure case A-17",
    )
    assert run_sync(b.node.container, b.node.admin, "test.node")[0].error is None
    (answered,) = list_disclosures(b.node.container.uow(readonly=True), b.node.admin)
    assert (answered.status, answered.answer) == ("approved", "seizure case A-17")


def test_rotated_secret_is_refused_until_both_sides_hold_it(pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    install(a)
    publish(a)
    skipped = pull(b)  # B holds no secret for the agreement: it takes no part, which is no error
    assert skipped.error is None and skipped.digests == 0 and "skipped" in skipped.notes[0]
    install(b)
    install(a, bytes(reversed(range(32))))  # A rotates and republishes; B still has the old secret
    publish(a)
    refused = pull(b)
    assert refused.error is not None and refused.error.startswith("key:") and refused.hits == 0
    assert list_watch_matches(b.node.container.uow(readonly=True), b.node.admin) == []
    install(b, bytes(reversed(range(32))))
    assert pull(b).hits == 1


def test_the_keyed_list_is_served_only_to_the_partner_it_is_for_and_signed(
    pair: tuple[LiveNode, LiveNode],
) -> None:
    a, b = pair
    install(a)
    url = f"{a.url}/v1/intel/watchlist/keyed/cmaa-test"
    assert httpx.get(url).status_code == 401
    token = load_partner_token(b.node.container.settings.keys_dir, "test.node")
    unsigned = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert unsigned.status_code == 401 and "signature" in unsigned.json()["detail"]
    with httpx.Client(auth=NodeRequestAuth(b.node.node, token)) as client:
        assert client.get(url).status_code == 404  # nothing published yet
        publish(a)
        served = client.get(url)
        assert served.status_code == 200 and served.json()["recipient"] == "customs-b"
        assert client.get(f"{a.url}/v1/intel/watchlist/keyed/other-agreement").status_code == 422
    staff = {"Authorization": f"Bearer {_staff_token(a)}"}  # A's own analyst is no partner: no list
    assert httpx.get(url, headers=staff).status_code == 403


def test_a_tampered_or_replayed_list_is_refused_and_the_tampering_reported(
    pair: tuple[LiveNode, LiveNode],
) -> None:
    a, b = pair
    install(a)
    install(b)
    publish(a)

    def drop_a_digest(body: bytes) -> bytes:
        envelope = json.loads(body)
        envelope["digests"] = envelope["digests"][1:]
        return json.dumps(envelope).encode()

    tampered = pull(b, transport=Replacing(drop_a_digest))
    assert tampered.error is not None and tampered.error.startswith("signature:") and tampered.hits == 0
    with b.node.container.uow(readonly=True) as uow:
        partner = SharingRepository(uow.connection).partner("test.node")
    assert partner is not None and partner.verification_failures == 1
    assert "watchlist-signature" in (partner.last_failure or "")

    recorded = Recording()
    assert pull(b, transport=recorded).hits == 1
    old_list = recorded.bodies[0]
    for live in (a, b):
        live.node.clock.advance(timedelta(seconds=60))
    publish(a)  # a newer list
    assert pull(b).error is None
    replayed = pull(b, transport=Replacing(lambda _: old_list))
    assert replayed.error is not None and replayed.error.startswith("replay:")
    assert pull(b, transport=Replacing(lambda _: b"not json")).error.startswith("format:")  # type: ignore[union-attr]
