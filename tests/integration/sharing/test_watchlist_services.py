"""Watch-list services on both backends: entries, secrets, per-partner publication, migration 0018."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import Engine, inspect

from supplyguard.adapters.db.migrate import upgrade
from supplyguard.errors import IntelNotFound, PermissionDenied, ValidationFailed
from supplyguard.services.sharing_watch import (
    WatchEntryInput,
    add_watch_entries,
    install_watch_secret,
    list_watch_entries,
    publish_watch_list,
    remove_watch_entry,
    watch_status,
)
from supplyguard.sharing.watch_exchange import list_key, parse_watch_list, verify_watch_list
from tests.factories import make_user
from tests.integration.ledger.test_ledger_migration import _downgrade, bare_engine
from tests.integration.sharing.nodes import SharingTestNode

__all__ = ["bare_engine"]

SECRET = bytes(range(32))
TABLES = {
    "sharing_watch_entries",
    "sharing_watch_published",
    "sharing_watch_received",
    "sharing_watch_matches",
}


def add(node: SharingTestNode, *entries: WatchEntryInput) -> object:
    return add_watch_entries(node.container.uow(), node.node, node.admin, list(entries))


def test_migration_0018_creates_and_drops_the_watch_tables(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    assert set(inspect(bare_engine).get_table_names()) >= TABLES
    _downgrade(bare_engine, "0017")
    assert not TABLES & set(inspect(bare_engine).get_table_names())
    upgrade(bare_engine)
    assert set(inspect(bare_engine).get_table_names()) >= TABLES


def test_entries_are_canonical_and_a_bad_one_stores_nothing(node_a: SharingTestNode) -> None:
    with pytest.raises(ValidationFailed) as refused:
        add(
            node_a,
            WatchEntryInput("container", "CSQU3054383", "case 1"),
            WatchEntryInput("container", "CSQU3054384", "case 2"),  # wrong check digit
            WatchEntryInput("shoe_size", "44", "case 3"),
            WatchEntryInput("imo", "9074729", " "),
        )
    locations = {error.location for error in refused.value.errors}
    assert locations == {("entries", 1, "value"), ("entries", 2, "kind"), ("entries", 3, "reference")}
    assert list_watch_entries(node_a.container.uow(readonly=True), node_a.admin) == []

    added = add(
        node_a,
        WatchEntryInput("container", "csqu 305438-3", "case 1"),
        WatchEntryInput("imo", "IMO 9074729", "c2"),
    )
    again = add(node_a, WatchEntryInput("container", "CSQU3054383", "case 9"))
    assert [e.canonical for e in added.added] == ["CSQU3054383", "9074729"]  # type: ignore[attr-defined]
    assert again.added == () and again.already_listed == 1  # type: ignore[attr-defined]
    first = added.added[0].id  # type: ignore[attr-defined]
    remove_watch_entry(node_a.container.uow(), node_a.node, node_a.admin, first)
    with pytest.raises(IntelNotFound):
        remove_watch_entry(node_a.container.uow(), node_a.node, node_a.admin, uuid.uuid4())
    assert [e.canonical for e in list_watch_entries(node_a.container.uow(readonly=True), node_a.admin)] == [
        "9074729"
    ]


def test_who_may_watch_publish_and_install_secrets(node_a: SharingTestNode) -> None:
    with node_a.container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    officer = make_user(node_a.container, org, "olga", ("officer",))
    analyst = make_user(node_a.container, org, "anna", ("analyst",))
    with pytest.raises(PermissionDenied):
        add_watch_entries(
            node_a.container.uow(), node_a.node, officer, [WatchEntryInput("imo", "9074729", "x")]
        )
    keys = node_a.container.settings.keys_dir
    with pytest.raises(PermissionDenied):
        install_watch_secret(node_a.container.uow(), node_a.node, analyst, keys, "cmaa-test", SECRET)
    with pytest.raises(ValidationFailed, match="no registered agreement"):
        install_watch_secret(node_a.container.uow(), node_a.node, node_a.admin, keys, "cmaa-none", SECRET)
    with pytest.raises(ValidationFailed, match="no watch-list secret"):
        publish_watch_list(node_a.container.uow(), analyst, node_a.node, keys, "cmaa-test")


def test_each_partner_gets_its_own_signed_list_and_the_carrier_no_names(linked: SharingTestNode) -> None:
    a = linked
    keys = a.container.settings.keys_dir
    add(
        a,
        WatchEntryInput("container", "CSQU3054383", "case 1"),
        WatchEntryInput("party_name", "Golden Harbor Trading", "case 2"),
        WatchEntryInput("eori", "NL123456789", "case 3"),
    )
    with pytest.raises(ValidationFailed, match="no watch-list secret"):
        publish_watch_list(a.container.uow(), a.admin, a.node, keys, "cmaa-test")
    key_id = install_watch_secret(a.container.uow(), a.node, a.admin, keys, "cmaa-test", SECRET)
    published = {
        p.recipient: p for p in publish_watch_list(a.container.uow(), a.admin, a.node, keys, "cmaa-test")
    }
    assert set(published) == {"customs-b", "carrier-x"}
    assert published["customs-b"].digest_count == 3 and published["customs-b"].withheld_kinds == ()
    assert published["carrier-x"].digest_count == 1  # the carrier may not receive personal data
    assert set(published["carrier-x"].withheld_kinds) == {"party_name", "eori", "tax_id"}
    assert {p.key_id for p in published.values()} == {key_id}

    status = watch_status(a.container.uow(readonly=True), a.admin)
    (for_b,) = [r for r in status.published if r.node == "customs-b"]
    signed = parse_watch_list(json.loads(for_b.envelope))
    verify_watch_list(
        signed,
        a.node.key.trusted(),
        recipient="customs-b",
        agreement_id="cmaa-test",
        our_list_key=list_key(SECRET, "cmaa-test"),
    )
    assert "CSQU3054383" not in for_b.envelope and "Golden" not in for_b.envelope
    with a.container.uow(readonly=True) as uow:
        (leaf,) = uow.ledger.find_by_record("intel.watchlist_published", "cmaa-test/carrier-x")
        assert leaf is not None
    # publishing again replaces each partner's list (one current list per partner and agreement)
    publish_watch_list(a.container.uow(), a.admin, a.node, keys, "cmaa-test")
    assert len(watch_status(a.container.uow(readonly=True), a.admin).published) == 2
