"""Every change of a tracking rule, device link or expected stock row is a ledger leaf in the same
transaction, and `ledger verify` names rows changed, inserted or deleted behind its back; both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update

from supplyguard.adapters.db.tracking_tables import (
    tracking_device_links,
    tracking_expected_stock,
    tracking_rule_assignments,
    tracking_rules,
)
from supplyguard.errors import DeclarationNotFound
from supplyguard.ledger import open_checkpoint, parse_vkey, verify_inclusion_bundle
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.ids import new_id
from supplyguard.services import ledger as ledger_service
from supplyguard.services import tracking_rules as rules
from supplyguard.services.declarations import submit_declaration
from tests.factories import admin_principal, declaration_data, make_org

PROFILE = {"name": "reefer", "kind": "profile", "max_temperature_c": 8}
FENCE = {
    "name": "depot",
    "kind": "geofence",
    "type": "site",
    "circle": {"lat": 51.9, "lon": 4.1, "radius_km": 3},
}


def leaves_of(container, kind: str, record_id: object) -> list:  # type: ignore[no-untyped-def, type-arg]
    with container.uow(readonly=True) as uow:
        return uow.ledger.find_by_record(kind, str(record_id))


def verify(container) -> list[str]:  # type: ignore[no-untyped-def]
    return ledger_service.verify_database(container.uow(), container.clock, None).problems


def setup_world(container):  # type: ignore[no-untyped-def]
    org = make_org(container)
    actor = admin_principal(org)
    submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        actor,
        declaration_data("REF-1"),
    )
    return actor


def test_each_change_is_a_leaf_whose_body_is_the_row_as_it_stands(container) -> None:  # type: ignore[no-untyped-def]
    actor = setup_world(container)
    uow, clock = container.uow, container.clock
    rule = rules.create_rule(uow(), clock, container.signer, actor, PROFILE)
    kind = rules.RULE_LEDGER_KIND
    assert len(leaves_of(container, kind, rule.id)) == 1
    assigned = rules.assign_rule(uow(), clock, container.signer, actor, "reefer", ["TRK-1", "TRK-2"])
    rules.assign_rule(uow(), clock, container.signer, actor, "reefer", ["TRK-1"])  # nothing new: no leaf
    leaves = leaves_of(container, kind, rule.id)
    assert len(leaves) == 2
    assert leaves[-1].envelope.body_sha256 == canonical_sha256(rules.rule_ledger_body(assigned))
    assert leaves[-1].envelope.org == str(actor.org_id)
    rules.unassign_rule(uow(), clock, container.signer, actor, "reefer", ["TRK-2"])
    assert len(leaves_of(container, kind, rule.id)) == 3

    link = rules.link_device(
        uow(), clock, container.signer, actor, "TRK-1", asset="CSQU3054383", declaration="REF-1"
    )
    rules.link_device(
        uow(), clock, container.signer, actor, "TRK-1", asset="CSQU3054383", declaration="REF-1"
    )  # same link
    assert len(leaves_of(container, rules.LINK_LEDGER_KIND, link.id)) == 1
    rules.expect_stock(
        uow(),
        clock,
        container.signer,
        actor,
        "REF-1",
        "urn:epc:id:sgln:4012345.00001.0",
        containers=["CSQU3054383"],
    )
    assert verify(container) == []

    rules.unlink_device(uow(), clock, container.signer, actor, link.id)
    rules.delete_rule(uow(), clock, container.signer, actor, "reefer")
    removed = leaves_of(container, kind, rule.id)
    assert len(removed) == 4
    assert removed[-1].envelope.body_sha256 == canonical_sha256(rules.removal_ledger_body(kind, str(rule.id)))
    assert len(leaves_of(container, rules.LINK_LEDGER_KIND, link.id)) == 2
    assert verify(container) == []  # removed through the service: recorded, not a problem


def assert_signed_over_the_last_leaf(container, kind: str, record_id: object) -> None:  # type: ignore[no-untyped-def]
    """The latest checkpoint is at the log's size, verifies with the node's public key, and proves
    the last leaf, the change just made, is in its tree."""
    with container.uow(readonly=True) as uow:
        size = uow.ledger.size()
        root = uow.ledger.root(size)
        last = uow.ledger.leaf(size - 1)
    latest = ledger_service.latest_checkpoint(container.uow())
    assert latest.tree_size == size
    opened = open_checkpoint(latest.note, [parse_vkey(container.signer.vkey)])
    assert (opened.checkpoint.size, opened.checkpoint.root_hash) == (size, root)
    assert (last.envelope.kind, last.envelope.id) == (kind, str(record_id))
    bundle = ledger_service.inclusion_bundle(container.uow(), index=size - 1)
    proved = verify_inclusion_bundle(bundle.as_dict(), container.signer.vkey)
    assert (proved.leaf_index, proved.tree_size) == (size - 1, size)
    assert proved.envelope is not None and proved.envelope.id == str(record_id)


def test_each_change_is_covered_by_a_checkpoint_signed_in_its_transaction(container) -> None:  # type: ignore[no-untyped-def]
    actor = setup_world(container)
    uow, clock, signer = container.uow, container.clock, container.signer
    rule = rules.create_rule(uow(), clock, signer, actor, PROFILE)
    assert_signed_over_the_last_leaf(container, rules.RULE_LEDGER_KIND, rule.id)
    rules.assign_rule(uow(), clock, signer, actor, "reefer", ["TRK-1"])
    assert_signed_over_the_last_leaf(container, rules.RULE_LEDGER_KIND, rule.id)
    rules.unassign_rule(uow(), clock, signer, actor, "reefer", ["TRK-1"])
    assert_signed_over_the_last_leaf(container, rules.RULE_LEDGER_KIND, rule.id)
    link = rules.link_device(uow(), clock, signer, actor, "TRK-1", declaration="REF-1")
    assert_signed_over_the_last_leaf(container, rules.LINK_LEDGER_KIND, link.id)
    rules.expect_stock(uow(), clock, signer, actor, "REF-1", "urn:epc:id:sgln:4012345.00001.0", {"x:1": 2})
    with container.uow(readonly=True) as read:
        (row_id,) = read.connection.execute(select(tracking_expected_stock.c.id)).scalars()
    assert_signed_over_the_last_leaf(container, rules.EXPECTED_LEDGER_KIND, row_id)
    rules.unlink_device(uow(), clock, signer, actor, link.id)
    assert_signed_over_the_last_leaf(container, rules.LINK_LEDGER_KIND, link.id)
    rules.delete_rule(uow(), clock, signer, actor, "reefer")
    assert_signed_over_the_last_leaf(container, rules.RULE_LEDGER_KIND, rule.id)
    rules.load_rules(uow(), clock, signer, actor, {"profiles": [{"name": "cold", "max_temperature_c": 5}]})
    (cold,) = rules.list_rules(uow(readonly=True), actor)
    assert_signed_over_the_last_leaf(container, rules.RULE_LEDGER_KIND, cold.id)
    rules.assign_rule(uow(), clock, signer, actor, "cold", ["TRK-2"])
    with container.uow(readonly=True) as read:
        before = (read.ledger.size(), len(read.ledger.checkpoints()))
    rules.assign_rule(uow(), clock, signer, actor, "cold", ["TRK-2"])  # no change: no leaf, no checkpoint
    with container.uow(readonly=True) as read:
        assert (read.ledger.size(), len(read.ledger.checkpoints())) == before


def test_a_refused_change_leaves_no_leaf(container) -> None:  # type: ignore[no-untyped-def]
    actor = setup_world(container)
    rules.create_rule(container.uow(), container.clock, container.signer, actor, PROFILE)
    with container.uow(readonly=True) as uow:
        size = uow.ledger.size()
    document = {
        "profiles": [{"name": "cold", "max_temperature_c": 5}],
        "links": [{"device": "T", "declaration": "NONE"}],
    }
    with pytest.raises(DeclarationNotFound):
        rules.load_rules(container.uow(), container.clock, container.signer, actor, document, replace=True)
    with container.uow(readonly=True) as uow:
        assert uow.ledger.size() == size
    assert [r.name for r in rules.list_rules(container.uow(readonly=True), actor)] == ["reefer"]


def test_a_rules_file_and_its_replacement_are_recorded(container) -> None:  # type: ignore[no-untyped-def]
    actor = setup_world(container)
    uow, clock = container.uow, container.clock
    document = {
        "geofences": [{k: v for k, v in FENCE.items() if k != "kind"}],
        "profiles": [{"name": "reefer", "max_temperature_c": 8}],
        "links": [{"device": "TRK-1", "asset": "CSQU3054383"}],
        "assignments": [{"rules": ["reefer"], "assets": ["CSQU3054383"]}],
        "expected_stock": [
            {"declaration": "REF-1", "site": "urn:epc:id:sgln:4012345.00001.0", "containers": ["CSQU3054383"]}
        ],
    }
    rules.load_rules(uow(), clock, container.signer, actor, document)
    first = {r.name: r for r in rules.list_rules(uow(readonly=True), actor)}
    reefer = leaves_of(container, rules.RULE_LEDGER_KIND, first["reefer"].id)
    assert len(reefer) == 1  # one leaf with the devices the file's assignments gave it
    assert reefer[0].envelope.body_sha256 == canonical_sha256(rules.rule_ledger_body(first["reefer"]))
    assert first["reefer"].devices == ("TRK-1",)
    assert verify(container) == []

    rules.load_rules(
        uow(),
        clock,
        container.signer,
        actor,
        {"profiles": [{"name": "cold", "max_temperature_c": 5}]},
        replace=True,
    )
    assert verify(container) == []  # the replaced rules, link and expected stock were recorded as removed
    for old in first.values():
        latest = leaves_of(container, rules.RULE_LEDGER_KIND, old.id)[-1]
        assert latest.envelope.body_sha256 == canonical_sha256(
            rules.removal_ledger_body(rules.RULE_LEDGER_KIND, str(old.id))
        )


def test_verify_names_rows_changed_inserted_and_deleted_behind_the_ledger(container) -> None:  # type: ignore[no-untyped-def]
    actor = setup_world(container)
    uow, clock = container.uow, container.clock
    reefer = rules.create_rule(uow(), clock, container.signer, actor, {**PROFILE, "devices": ["TRK-1"]})
    depot = rules.create_rule(uow(), clock, container.signer, actor, FENCE)
    link = rules.link_device(uow(), clock, container.signer, actor, "TRK-1", declaration="REF-1")
    expected = rules.expect_stock(
        uow(),
        clock,
        container.signer,
        actor,
        "REF-1",
        "urn:epc:id:sgln:4012345.00001.0",
        {"urn:epc:idpat:sgtin:4012345.011111.*": 10},
    )
    assert verify(container) == []

    smuggled = new_id()
    with container.engine.begin() as conn:
        r = tracking_rules.c
        conn.execute(
            update(tracking_rules).where(r.id == depot.id).values(spec={**depot.spec, "type": "zone"})
        )
        conn.execute(
            insert(tracking_rule_assignments).values(
                rule_id=reefer.id, org_id=actor.org_id, device_id="TRK-9"
            )
        )
        conn.execute(delete(tracking_device_links).where(tracking_device_links.c.id == link.id))
        conn.execute(update(tracking_expected_stock).values(quantity=1.0))
        conn.execute(
            insert(tracking_rules).values(
                id=smuggled,
                org_id=actor.org_id,
                name="quiet",
                kind="profile",
                spec={"max_temperature_c": 99.0},
                created_at=clock.now(),
                created_by="someone",
            )
        )
    problems = "\n".join(verify(container))
    assert f"config.tracking_rule {depot.id} was changed" in problems
    assert f"config.tracking_rule {reefer.id} was changed" in problems  # a device assigned in SQL
    assert f"config.tracking_link {link.id} was deleted" in problems
    assert f"config.tracking_rule {smuggled} was inserted" in problems
    assert "config.tracking_expected_stock" in problems and "was changed" in problems
    assert len(verify(container)) == 5, problems
    assert len(expected) == 1


def test_rows_stored_before_they_were_leaves_get_one_on_upgrade(container) -> None:  # type: ignore[no-untyped-def]
    """Migration 0016: a node whose rules, links and expected stock predate their leaves verifies
    clean after the upgrade; rows that already have a leaf get no second one."""
    from supplyguard.adapters.db.migrate import upgrade
    from tests.integration.ledger.test_ledger_migration import _downgrade

    actor = setup_world(container)
    uow, clock = container.uow, container.clock
    recorded = rules.create_rule(uow(), clock, container.signer, actor, FENCE)
    old_rule, old_link = new_id(), new_id()
    with container.engine.begin() as conn:  # rows as session 2's code stored them: no leaf
        conn.execute(
            insert(tracking_rules).values(
                id=old_rule,
                org_id=actor.org_id,
                name="old-reefer",
                kind="profile",
                spec={"max_temperature_c": 8.0},
                created_at=clock.now(),
                created_by="admin",
            )
        )
        conn.execute(
            insert(tracking_rule_assignments).values(rule_id=old_rule, org_id=actor.org_id, device_id="TRK-1")
        )
        conn.execute(
            insert(tracking_device_links).values(
                id=old_link,
                org_id=actor.org_id,
                device_id="TRK-2",
                asset_id="CONT-1",
                declaration_id=None,
                created_at=clock.now(),
            )
        )
    problems = "\n".join(verify(container))
    assert f"config.tracking_rule {old_rule} was inserted" in problems
    assert f"config.tracking_link {old_link} was inserted" in problems

    _downgrade(container.engine, "0015")
    upgrade(container.engine)

    assert verify(container) == []
    assert len(leaves_of(container, "config.tracking_rule", old_rule)) == 1
    assert len(leaves_of(container, "config.tracking_link", old_link)) == 1
    assert len(leaves_of(container, "config.tracking_rule", recorded.id)) == 1  # not appended twice
