"""Each device's last position is kept at ingest (never moved back by a late one), on both backends,
and migration 0014 fills it from positions stored before it existed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.db.telemetry_repo import TelemetryRepository
from supplyguard.adapters.db.tracking_tables import tracking_device_last, tracking_positions
from supplyguard.tracking import Position
from tests.factories import make_org
from tests.integration.ledger.test_ledger_migration import _downgrade, bare_engine

__all__ = ["bare_engine"]  # the fixture (SQLite and PostgreSQL databases made for the test)

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def at(device: str, minutes: float, lat: float = 52.0) -> Position:
    return Position(device_id=device, time=T0 + timedelta(minutes=minutes), lat=lat, lon=4.5)


def test_the_last_position_moves_forward_only_and_per_organisation(container) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = make_org(container, "Customs A"), make_org(container, "Customs B", "DE")
    with container.uow() as uow:
        repo = TelemetryRepository(uow.connection)
        repo.add_positions(mine.id, [at("T1", 1, 52.1), at("T1", 3, 52.3), at("T2", 2)], T0)
        repo.add_positions(mine.id, [at("T1", 2, 52.2)], T0)  # late: stored, but not the last
        repo.add_positions(theirs.id, [at("T1", 9, 10.0)], T0)  # same device id, other organisation
        repo.add_positions(mine.id, [at("T2", 5, 51.0)], T0)
        uow.commit()
    with container.uow(readonly=True) as uow:
        repo = TelemetryRepository(uow.connection)
        latest = {p.device_id: p for p in repo.latest_positions(mine.id)}
        only_t2 = repo.latest_positions(mine.id, ["T2"])
        other = repo.latest_positions(theirs.id)
    assert latest["T1"].time == T0 + timedelta(minutes=3) and latest["T1"].lat == 52.3
    assert latest["T2"].time == T0 + timedelta(minutes=5) and latest["T2"].lat == 51.0
    assert [p.device_id for p in only_t2] == ["T2"]
    assert [(p.device_id, p.lat) for p in other] == [("T1", 10.0)]


def test_migration_0014_fills_the_last_positions_from_stored_ones(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    _downgrade(bare_engine, "0013")
    org = uuid.uuid4()
    rows = [(uuid.uuid4(), "T1", 1, 52.1), (uuid.uuid4(), "T1", 4, 52.4), (uuid.uuid4(), "T2", 2, 51.0)]
    with bare_engine.begin() as conn:
        conn.execute(
            insert(tracking_positions),
            [
                {
                    "id": pid,
                    "org_id": org,
                    "device_id": device,
                    "time": T0 + timedelta(minutes=minutes),
                    "lat": lat,
                    "lon": 4.5,
                    "received_at": T0,
                }
                for pid, device, minutes, lat in rows
            ],
        )
    upgrade(bare_engine)
    with bare_engine.connect() as conn:
        filled = {
            row.device_id: row.position_id
            for row in conn.execute(select(tracking_device_last).where(tracking_device_last.c.org_id == org))
        }
    assert filled == {"T1": rows[1][0], "T2": rows[2][0]}
