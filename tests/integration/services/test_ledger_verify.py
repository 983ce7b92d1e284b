"""`ledger verify` finds rows changed, deleted or inserted behind the ledger's back, on both backends."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from supplyguard.adapters.db.declarations_repo import DeclarationRepository
from supplyguard.adapters.db.ledger_store import pack_bundle, unpack_bundle
from supplyguard.adapters.db.ledger_tables import ledger_bundles
from supplyguard.adapters.db.tables import declaration_items, declarations, outcomes
from supplyguard.ledger import verify_consistency_bundle, verify_inclusion_bundle
from supplyguard.model.intake import parse_declaration
from supplyguard.services import ledger as ledger_service
from supplyguard.services.declarations import record_outcome, submit_declaration
from tests.factories import admin_principal, declaration_data, make_org


def test_verify_names_a_changed_a_deleted_and_an_inserted_row(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    actor = admin_principal(org)
    made = [
        submit_declaration(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            actor,
            declaration_data(f"R{n}"),
        )
        for n in range(4)
    ]
    record_outcome(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        made[0].id,
        inspected=True,
        result="fraud",
        duty_recovered=10.0,
    )
    clean = ledger_service.verify_database(container.uow(), container.clock, None)
    assert clean.ok, clean.problems
    assert clean.records_checked == 4 + 1 + 1  # declarations, outcome, organisation

    changed, deleted = made[1], made[2]
    with container.engine.begin() as conn:
        conn.execute(
            update(declaration_items)
            .where(declaration_items.c.declaration_id == changed.id)
            .values(value=1.0)
        )
        conn.execute(delete(declaration_items).where(declaration_items.c.declaration_id == deleted.id))
        conn.execute(delete(declarations).where(declarations.c.id == deleted.id))
        conn.execute(
            update(outcomes).where(outcomes.c.declaration_id == made[0].id).values(result="compliant")
        )
    inserted = parse_declaration(
        declaration_data("SMUGGLED"),
        org_id=org.id,
        received_at=container.clock.now(),
        refdata=container.refdata,
    )
    with container.engine.begin() as conn:
        DeclarationRepository(conn).add_many([inserted])

    report = ledger_service.verify_database(container.uow(), container.clock, None)
    text = "\n".join(report.problems)
    assert f"declaration {changed.id} was changed" in text
    assert f"declaration {deleted.id} was deleted" in text
    assert f"declaration {inserted.id} was inserted" in text
    assert f"outcome {made[0].id} was changed" in text
    assert len(report.problems) == 4


def test_a_rewritten_log_is_detected(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    for n in range(3):
        submit_declaration(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            admin_principal(org),
            declaration_data(f"L{n}"),
        )
    with container.engine.begin() as conn:  # cut leaf 2 out of its bundle, behind the ledger's back
        where = ledger_bundles.c.bundle_index == 0
        leaves = unpack_bundle(conn.execute(select(ledger_bundles.c.entries).where(where)).scalar_one())
        del leaves[2]
        conn.execute(update(ledger_bundles).where(where).values(entries=pack_bundle(leaves)))
    report = ledger_service.verify_database(container.uow(), container.clock, None)
    assert any("missing" in p for p in report.problems)


def test_bundles_from_the_store_verify_with_the_public_key_only(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    first = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        declaration_data("B1"),
    )
    old_size = ledger_service.latest_checkpoint(container.uow()).tree_size
    for n in range(5):
        submit_declaration(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            admin_principal(org),
            declaration_data(f"B{n + 2}"),
        )
    key = container.signer.vkey
    inclusion = ledger_service.inclusion_bundle(
        container.uow(), record_id=str(first.id), kinds=("declaration",)
    )
    verified = verify_inclusion_bundle(inclusion.as_dict(), key)
    assert verified.envelope is not None and verified.envelope.id == str(first.id)
    consistency = ledger_service.consistency_bundle(container.uow(), old_size)
    assert verify_consistency_bundle(consistency.as_dict(), key).first == old_size
