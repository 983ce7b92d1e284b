"""Migration 0020: the tracking text keys compare byte by byte on PostgreSQL, and look-ups by them
find exactly the rows they found before (equality is the same under any deterministic collation)."""

from __future__ import annotations

from sqlalchemy import text

from supplyguard.services import tracking as service
from tests.factories import admin_principal, make_org
from tests.integration.tracking.epcis_data import SITES, as_bytes, document, epc, event


def test_the_keys_compare_bytes_and_find_their_events(container) -> None:  # type: ignore[no-untyped-def]
    if container.engine.dialect.name == "postgresql":
        with container.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT table_name || '.' || column_name, collation_name FROM information_schema.columns"
                    " WHERE table_name IN ('tracking_events', 'tracking_event_epcs')"
                    " AND column_name IN ('event_hash', 'event_id', 'biz_location', 'epc')"
                )
            ).all()
        assert dict(rows) == {
            "tracking_events.event_hash": "C",
            "tracking_events.event_id": "C",
            "tracking_events.biz_location": "C",
            "tracking_event_epcs.epc": "C",
        }
    actor = admin_principal(make_org(container))
    service.capture_events(
        container.uow(), container.clock, container.signer, actor, as_bytes(document(*map(event, range(8))))
    )
    for params, expected in (
        ({"MATCH_epc": epc(1)}, 3),  # events 1, 4 and 7
        ({"EQ_bizLocation": SITES[0]}, 4),
        ({"EQ_bizLocation": SITES[0].upper()}, 0),
    ):
        page = service.query_events(container.uow(readonly=True), container.clock, actor, params)
        assert page.count == expected, params
