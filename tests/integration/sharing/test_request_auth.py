"""Signed partner requests against the real nonce store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.model.organisations import Role
from supplyguard.services.sharing_partners import register_partner, set_partner_status
from supplyguard.services.sharing_requests import SignedRequest, authenticate_node_request
from supplyguard.sharing.requests import RequestSignatureInvalid, sign_request
from tests.factories import admin_principal, make_user, principal_for
from tests.integration.sharing.nodes import SharingTestNode, link

PATH = "/v1/taxii2/api/collections/c/objects/"
SKEW_S = 300


def request_from(node: SharingTestNode, at_offset_s: int = 0, nonce: str | None = None) -> SignedRequest:
    created = node.clock.now() + timedelta(seconds=at_offset_s)
    headers = sign_request(
        node.node.key, method="GET", path=PATH, query="limit=5", body=b"", created=created, nonce=nonce
    )
    return SignedRequest("GET", PATH, "limit=5", b"", {k.lower(): v for k, v in headers.items()})


def check(node: SharingTestNode, principal: object, request: SignedRequest) -> str | None:
    return authenticate_node_request(node.container.uow(), node.clock, SKEW_S, principal, request)  # type: ignore[arg-type]


def refusal(node: SharingTestNode, principal: object, request: SignedRequest) -> str:
    with pytest.raises(RequestSignatureInvalid) as error:
        check(node, principal, request)
    return error.value.check


def test_nonces_are_kept_for_the_window_and_then_forgotten(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    link(node_a, node_b)
    with node_a.container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    staff = admin_principal(org)
    first = request_from(node_b, nonce="n" * 22)
    assert check(node_a, staff, first) == "customs-b"
    assert refusal(node_a, staff, first) == "replay"
    # after the window the old request is stale, and its nonce is purged by the next accepted one
    node_a.clock.advance(timedelta(seconds=SKEW_S + 10))
    node_b.clock.advance(timedelta(seconds=SKEW_S + 10))
    assert refusal(node_a, staff, first) == "stale"
    assert check(node_a, staff, request_from(node_b)) == "customs-b"
    with node_a.container.uow() as uow:  # not committed: only asks whether the nonce is still held
        assert SharingRepository(uow.connection).remember_nonce("customs-b", "n" * 22, node_a.clock.now())


def test_partner_accounts_must_sign_as_their_own_node(
    node_a: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode
) -> None:
    with node_a.container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    user = make_user(node_a.container, org, "partner-b", ("partner",))
    register_partner(
        node_a.container.uow(), node_a.clock, node_a.admin, node_b.partner_input(username="partner-b")
    )
    register_partner(node_a.container.uow(), node_a.clock, node_a.admin, carrier.partner_input())
    partner = principal_for(user)
    assert Role.PARTNER in partner.roles
    assert check(node_a, partner, request_from(node_b)) == "customs-b"
    assert refusal(node_a, partner, request_from(carrier)) == "signer"
    assert refusal(node_a, partner, SignedRequest("GET", PATH, "", b"", {})) == "missing"
    set_partner_status(node_a.container.uow(), node_a.clock, node_a.admin, "customs-b", "suspended")
    assert refusal(node_a, partner, request_from(node_b)) == "unknown"
