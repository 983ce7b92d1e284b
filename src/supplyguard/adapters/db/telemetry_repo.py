"""Stored telemetry positions and alerts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from supplyguard.adapters.db.bulk import bulk_insert
from supplyguard.adapters.db.tracking_tables import tracking_alerts, tracking_device_last, tracking_positions
from supplyguard.model.clock import as_utc
from supplyguard.model.ids import new_id
from supplyguard.tracking import Alert, Position


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: uuid.UUID
    org_id: uuid.UUID
    alert: Alert
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class TelemetryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_positions(self, org_id: uuid.UUID, positions: Sequence[Position], received_at: datetime) -> None:
        ids = [new_id() for _ in positions]
        bulk_insert(
            self._conn,
            tracking_positions,
            [
                (
                    position_id,
                    org_id,
                    p.device_id,
                    p.time,
                    p.lat,
                    p.lon,
                    p.speed_kmh,
                    p.course_deg,
                    p.temperature_c,
                    p.humidity_pct,
                    p.shock_g,
                    p.door_open,
                    p.seal_intact,
                    p.battery_pct,
                    p.message_id,
                    received_at,
                )
                for position_id, p in zip(ids, positions, strict=True)
            ],
        )
        self._advance_last(org_id, positions, ids)

    def _advance_last(
        self, org_id: uuid.UUID, positions: Sequence[Position], ids: Sequence[uuid.UUID]
    ) -> None:
        """Move each device's last-position pointer forward (never back: late positions leave it)."""
        newest: dict[str, tuple[datetime, uuid.UUID]] = {}
        for position, position_id in zip(positions, ids, strict=True):
            held = newest.get(position.device_id)
            if held is None or position.time > held[0]:
                newest[position.device_id] = (position.time, position_id)
        if not newest:
            return
        rows = [
            {"org_id": org_id, "device_id": device, "time": moment, "position_id": position_id}
            for device, (moment, position_id) in newest.items()
        ]
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        statement = insert(tracking_device_last)
        last = tracking_device_last.c
        self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=[last.org_id, last.device_id],
                set_={"time": statement.excluded.time, "position_id": statement.excluded.position_id},
                where=statement.excluded.time > last.time,
            ),
            rows,
        )

    def latest_positions(self, org_id: uuid.UUID, device_ids: Sequence[str] | None = None) -> list[Position]:
        """The last stored position of each device (of ``device_ids``, or all), by device id."""
        last = tracking_device_last.c
        query = (
            select(tracking_positions)
            .join(tracking_device_last, tracking_positions.c.id == last.position_id)
            .where(last.org_id == org_id)
            .order_by(last.device_id)
        )
        if device_ids is not None:
            query = query.where(last.device_id.in_(list(device_ids)))
        return [_to_position(row) for row in self._conn.execute(query).mappings()]

    def count_positions(self, org_id: uuid.UUID) -> int:
        p = tracking_positions.c
        return int(
            self._conn.execute(
                select(func.count()).select_from(tracking_positions).where(p.org_id == org_id)
            ).scalar_one()
        )

    def add_alerts(self, org_id: uuid.UUID, alerts: Sequence[Alert], created_at: datetime) -> list[uuid.UUID]:
        ids = [new_id() for _ in alerts]
        bulk_insert(
            self._conn,
            tracking_alerts,
            [
                (
                    alert_id,
                    org_id,
                    a.kind,
                    a.severity,
                    a.subject[:200],
                    a.time,
                    a.lat,
                    a.lon,
                    a.reason,
                    list(a.object_ids),
                    json.loads(json.dumps(dict(a.details), default=str)),
                    created_at,
                    None,
                    None,
                )
                for alert_id, a in zip(ids, alerts, strict=True)
            ],
        )
        return ids

    def alerts(self, org_id: uuid.UUID, *, open_only: bool, limit: int) -> list[StoredAlert]:
        a = tracking_alerts.c
        statement = select(tracking_alerts).where(a.org_id == org_id)
        if open_only:
            statement = statement.where(a.acknowledged_at.is_(None))
        rows = self._conn.execute(
            statement.order_by(a.created_at.desc(), a.id.desc()).limit(limit)
        ).mappings()
        return [_to_alert(row) for row in rows]

    def get_alert(self, org_id: uuid.UUID, alert_id: uuid.UUID) -> StoredAlert | None:
        a = tracking_alerts.c
        row = (
            self._conn.execute(select(tracking_alerts).where(a.org_id == org_id, a.id == alert_id))
            .mappings()
            .first()
        )
        return _to_alert(row) if row else None

    def acknowledge(self, org_id: uuid.UUID, alert_id: uuid.UUID, by: str, at: datetime) -> None:
        a = tracking_alerts.c
        self._conn.execute(
            update(tracking_alerts)
            .where(a.org_id == org_id, a.id == alert_id, a.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_by=by)
        )


def _to_position(row: Any) -> Position:
    return Position(
        device_id=row["device_id"],
        time=as_utc(row["time"]),
        lat=row["lat"],
        lon=row["lon"],
        speed_kmh=row["speed_kmh"],
        course_deg=row["course_deg"],
        temperature_c=row["temperature_c"],
        humidity_pct=row["humidity_pct"],
        shock_g=row["shock_g"],
        door_open=row["door_open"],
        seal_intact=row["seal_intact"],
        battery_pct=row["battery_pct"],
        message_id=row["message_id"],
    )


def _to_alert(row: Any) -> StoredAlert:
    alert = Alert(
        kind=row["kind"],
        severity=row["severity"],
        subject=row["subject"],
        time=as_utc(row["time"]),
        reason=row["reason"],
        lat=row["lat"],
        lon=row["lon"],
        object_ids=tuple(row["object_ids"] or ()),
        details=dict(row["details"] or {}),
    )
    acknowledged = row["acknowledged_at"]
    return StoredAlert(
        row["id"],
        row["org_id"],
        alert,
        as_utc(row["created_at"]),
        as_utc(acknowledged) if acknowledged else None,
        row["acknowledged_by"],
    )
