"""Partner registry, agreements and key files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supplyguard.adapters.sharing_keys import (
    load_or_create_sharing_key,
    load_partner_token,
    node_author_ref,
    save_partner_token,
)
from supplyguard.errors import ConfigurationError, Conflict, PermissionDenied, ValidationFailed
from supplyguard.model.organisations import Principal, Role
from supplyguard.services.accounts import create_user
from supplyguard.services.sharing_partners import (
    PartnerInput,
    list_partners,
    partner_for_principal,
    register_agreement,
    register_partner,
)
from tests.integration.sharing.nodes import AGREEMENT, SharingTestNode


def test_sharing_key_is_private_stable_and_refused_when_readable(tmp_path: Path) -> None:
    first = load_or_create_sharing_key(tmp_path, "customs-a")
    path = tmp_path / "sharing-ed25519.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_sharing_key(tmp_path, "customs-a")
    assert again.key_id == first.key_id and again.author_ref == node_author_ref("customs-a")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_sharing_key(tmp_path, "customs-a")


def test_partner_token_file_is_private(tmp_path: Path) -> None:
    assert load_partner_token(tmp_path, "customs-b") is None
    path = save_partner_token(tmp_path, "customs-b", "secret-token\n")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_partner_token(tmp_path, "customs-b") == "secret-token"
    save_partner_token(tmp_path, "customs-b", "rotated")
    assert load_partner_token(tmp_path, "customs-b") == "rotated"
    with pytest.raises(ValidationFailed):
        save_partner_token(tmp_path, "../escape", "x")


def test_register_partner_validates_and_refuses_duplicates(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    a = node_a
    with pytest.raises(ValidationFailed) as failed:
        register_partner(
            a.container.uow(),
            a.clock,
            a.admin,
            PartnerInput("bad id!", "", "not-a-key", country="Nowhere", base_url="ftp://x"),
        )
    assert {e.location[0] for e in failed.value.errors} == {
        "node_id",
        "name",
        "public_key",
        "country",
        "base_url",
    }
    register_partner(a.container.uow(), a.clock, a.admin, node_b.partner_input())
    with pytest.raises(Conflict):
        register_partner(a.container.uow(), a.clock, a.admin, node_b.partner_input())
    with pytest.raises(Conflict, match="public key"):
        register_partner(
            a.container.uow(),
            a.clock,
            a.admin,
            PartnerInput("other", "Other", node_b.node.key.public_key_raw.hex()),
        )
    assert [p.node_id for p in list_partners(a.container.uow(), a.admin)] == ["customs-b"]


def test_partner_account_maps_to_its_node(node_a: SharingTestNode, node_b: SharingTestNode) -> None:
    a = node_a
    user = create_user(a.container.uow(), a.clock, None, a.admin.org_id, "partner-b", ["partner"], None)
    officer = create_user(a.container.uow(), a.clock, None, a.admin.org_id, "olga", ["officer"], None)
    with pytest.raises(ValidationFailed, match="partner role"):
        register_partner(a.container.uow(), a.clock, a.admin, node_b.partner_input(username="olga"))
    register_partner(a.container.uow(), a.clock, a.admin, node_b.partner_input(username="partner-b"))
    as_partner = Principal(user.id, user.org_id, user.username, frozenset({Role.PARTNER}))
    assert partner_for_principal(a.container.uow(), as_partner).node_id == "customs-b"
    as_officer = Principal(officer.id, officer.org_id, officer.username, frozenset({Role.OFFICER}))
    with pytest.raises(PermissionDenied):
        partner_for_principal(a.container.uow(), as_officer)
    with pytest.raises(PermissionDenied):
        register_partner(a.container.uow(), a.clock, as_officer, node_b.partner_input())


def test_agreement_must_name_this_node(node_a: SharingTestNode) -> None:
    foreign = AGREEMENT.replace("test.node", "someone-else")
    with pytest.raises(ValidationFailed, match="not a party"):
        register_agreement(node_a.container.uow(), node_a.clock, node_a.admin, node_a.node, foreign)
    with pytest.raises(ValidationFailed):
        register_agreement(node_a.container.uow(), node_a.clock, node_a.admin, node_a.node, "id: [unclosed")


def test_a_suspended_partner_is_shut_out(node_a: SharingTestNode, node_b: SharingTestNode) -> None:
    from supplyguard.services.sharing_ingest import ingest_objects
    from supplyguard.services.sharing_partners import set_partner_status

    a = node_a
    user = create_user(a.container.uow(), a.clock, None, a.admin.org_id, "partner-b", ["partner"], None)
    register_partner(a.container.uow(), a.clock, a.admin, node_b.partner_input(username="partner-b"))
    assert (
        set_partner_status(a.container.uow(), a.clock, a.admin, "customs-b", "suspended").status
        == "suspended"
    )
    as_partner = Principal(user.id, user.org_id, user.username, frozenset({Role.PARTNER}))
    with pytest.raises(PermissionDenied):
        partner_for_principal(a.container.uow(), as_partner)
    with pytest.raises(PermissionDenied):
        ingest_objects(a.container.uow(), a.node, "customs-b", [])
    with pytest.raises(ValidationFailed):
        set_partner_status(a.container.uow(), a.clock, a.admin, "customs-b", "banned")
    set_partner_status(a.container.uow(), a.clock, a.admin, "customs-b", "active")
    assert partner_for_principal(a.container.uow(), as_partner).node_id == "customs-b"
