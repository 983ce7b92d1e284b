"""Migration 0022: an event's body and namespaces are ``text`` on PostgreSQL (``JSON`` on SQLite), the
stored text kept byte for byte both ways; events read back decoded as before, and an event whose
stored body is no longer JSON is named by the verification instead of breaking it."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, inspect, text, update

from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.adapters.db.tracking_tables import tracking_events
from supplyguard.services import tracking as service
from supplyguard.tracking import EventQuery
from tests.factories import admin_principal, make_org
from tests.integration.ledger.test_ledger_migration import _downgrade, bare_engine
from tests.integration.tracking.epcis_data import as_bytes, document, epc, event

__all__ = ["bare_engine"]

# as a client may send it: spaces, key order and escapes that a JSON encoder would write otherwise
BODY = '{"type": "ObjectEvent",  "eventTime":"2026-01-01T00:00:00Z", "x:y" : "caf\\u00e9"}'
NAMESPACES = '{"x" : "https://example.com/x#"}'


def _types(engine: Engine) -> dict[str, str]:
    columns = inspect(engine).get_columns("tracking_events")
    return {c["name"]: str(c["type"]) for c in columns if c["name"] in ("body", "namespaces")}


def _stored(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT CAST(body AS TEXT), CAST(namespaces AS TEXT) FROM tracking_events")
            )
        ]


def test_migration_0022_keeps_the_stored_text_both_ways(bare_engine: Engine) -> None:
    postgres = bare_engine.dialect.name == "postgresql"
    upgrade(bare_engine)
    _downgrade(bare_engine, "0021")
    assert _types(bare_engine) == {"body": "JSON", "namespaces": "JSON"}
    ids = [uuid.UUID(int=n) for n in (1, 2, 3)]
    row_id, org, capture = (str(i) if postgres else i.hex for i in ids)
    with bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tracking_events (id, org_id, event_hash, event_id, event_type, event_time,"
                " record_time, error_declared, body, namespaces, capture_id) VALUES (:id, :org, 'ni:///h',"
                " 'e1', 'ObjectEvent', :t, :t, :f, :body, :ns, :capture)"
            ),
            {
                "id": row_id,
                "org": org,
                "capture": capture,
                "t": "2026-01-01 00:00:00.000000",
                "f": False,
                "body": BODY,
                "ns": NAMESPACES,
            },
        )

    upgrade(bare_engine)
    expected = "TEXT" if postgres else "JSON"
    assert _types(bare_engine) == {"body": expected, "namespaces": expected}
    assert _stored(bare_engine) == [(BODY, NAMESPACES)]
    with bare_engine.connect() as conn:  # read through the table definition: decoded
        row = conn.execute(tracking_events.select()).mappings().one()
    assert row["body"] == {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "x:y": "café"}
    assert row["namespaces"] == {"x": "https://example.com/x#"}

    _downgrade(bare_engine, "0021")
    assert _types(bare_engine) == {"body": "JSON", "namespaces": "JSON"}
    assert _stored(bare_engine) == [(BODY, NAMESPACES)]


def test_a_body_written_through_the_table_reads_back_and_verifies(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    service.capture_events(
        container.uow(), container.clock, container.signer, actor, as_bytes(document(*map(event, range(4))))
    )
    with container.uow(readonly=True) as uow:
        (victim,) = TrackingRepository(uow.connection).query(
            actor.org_id, EventQuery.from_params({"MATCH_epc": epc(2)}), None, 1
        )
    # the same body written again as a value (encoded by the column type): it still verifies
    with container.engine.begin() as conn:
        conn.execute(
            update(tracking_events)
            .where(tracking_events.c.id == victim.id)
            .values(body=dict(victim.event.body), namespaces=dict(victim.event.namespaces))
        )
    assert service.verify_events(container.uow(readonly=True), actor) == []
    with container.uow(readonly=True) as uow:
        (again,) = TrackingRepository(uow.connection).find(actor.org_id, victim.event.event_id or "")
    assert again.event.body == victim.event.body


def test_a_body_that_is_no_longer_json_is_named_by_the_verification(container) -> None:  # type: ignore[no-untyped-def]
    if container.engine.dialect.name != "postgresql":
        return  # SQLite's JSON column: its reader refuses text that is not JSON (as before 0022)
    actor = admin_principal(make_org(container))
    service.capture_events(
        container.uow(), container.clock, container.signer, actor, as_bytes(document(*map(event, range(3))))
    )
    with container.uow(readonly=True) as uow:
        (victim,) = TrackingRepository(uow.connection).query(
            actor.org_id, EventQuery.from_params({"MATCH_epc": epc(1)}), None, 1
        )
    with container.engine.begin() as conn:  # text that json would have refused, behind the ledger's back
        conn.execute(
            text("UPDATE tracking_events SET body = '{\"type\": ' WHERE id = :id"), {"id": victim.id}
        )
    (problem,) = service.verify_events(container.uow(readonly=True), actor)
    assert str(victim.id) in problem and "no longer a valid event" in problem
