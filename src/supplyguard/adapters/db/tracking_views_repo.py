"""Read-side queries of the tracking pages: alerts filtered for the alert list, the alerts that
concern given objects or devices (a declaration's shipment timeline), and device paths for the map.

Writes stay in :mod:`supplyguard.adapters.db.telemetry_repo`; rows come back as its
:class:`~supplyguard.adapters.db.telemetry_repo.StoredAlert`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Text, cast, false, func, or_, select

from supplyguard.adapters.db.tables import declarations
from supplyguard.adapters.db.telemetry_repo import StoredAlert, _to_alert
from supplyguard.adapters.db.tracking_tables import tracking_alerts, tracking_positions


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """``status``: ``open`` (nobody acknowledged it), ``acknowledged`` or ``all``; ``kind`` and
    ``subject`` (the device or site) match exactly when given."""

    status: str = "open"
    kind: str | None = None
    subject: str | None = None


def _like_literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TrackingViewsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def alerts(self, org_id: uuid.UUID, wanted: AlertFilter, limit: int) -> list[StoredAlert]:
        """The organisation's alerts that pass ``wanted``, newest first."""
        a = tracking_alerts.c
        statement = select(tracking_alerts).where(a.org_id == org_id)
        if wanted.status == "open":
            statement = statement.where(a.acknowledged_at.is_(None))
        elif wanted.status == "acknowledged":
            statement = statement.where(a.acknowledged_at.is_not(None))
        if wanted.kind:
            statement = statement.where(a.kind == wanted.kind)
        if wanted.subject:
            statement = statement.where(a.subject == wanted.subject)
        rows = self._conn.execute(
            statement.order_by(a.created_at.desc(), a.time.desc(), a.id.desc()).limit(limit)
        ).mappings()
        return [_to_alert(row) for row in rows]

    def alert_kinds(self, org_id: uuid.UUID) -> list[str]:
        a = tracking_alerts.c
        rows = self._conn.execute(select(a.kind).where(a.org_id == org_id).distinct().order_by(a.kind))
        return [row[0] for row in rows]

    def alerts_concerning(
        self, org_id: uuid.UUID, object_ids: Sequence[str], subjects: Sequence[str], limit: int
    ) -> list[StoredAlert]:
        """Alerts naming one of ``object_ids`` (in their object list) or about one of ``subjects``
        (devices, sites), oldest first.

        ``object_ids`` is a JSON array column: it is matched as text (``"<id>"`` with its quotes),
        which SQLite and PostgreSQL both answer; not indexed, meant for the few alerts of a page.
        """
        a = tracking_alerts.c
        conditions: list[ColumnElement[bool]] = []
        if subjects:
            conditions.append(a.subject.in_(list(subjects)))
        as_text = cast(a.object_ids, Text)
        for object_id in object_ids:
            needle = _like_literal(json.dumps(object_id))
            conditions.append(as_text.like(f"%{needle}%", escape="\\"))
        if not conditions:
            conditions.append(false())
        rows = self._conn.execute(
            select(tracking_alerts)
            .where(a.org_id == org_id, or_(*conditions))
            .order_by(a.time, a.id)
            .limit(limit)
        ).mappings()
        return [_to_alert(row) for row in rows]

    def tracks(
        self, org_id: uuid.UUID, since: datetime, per_device: int, max_devices: int
    ) -> dict[str, list[tuple[float, float]]]:
        """Each device's path since ``since``: its last ``per_device`` positions as (lat, lon), oldest
        first (at most ``max_devices`` devices)."""
        p = tracking_positions.c
        ranked = (
            select(
                p.device_id,
                p.time,
                p.lat,
                p.lon,
                func.row_number().over(partition_by=p.device_id, order_by=p.time.desc()).label("rank"),
            )
            .where(p.org_id == org_id, p.time >= since)
            .subquery()
        )
        rows = self._conn.execute(
            select(ranked.c.device_id, ranked.c.lat, ranked.c.lon)
            .where(ranked.c.rank <= per_device)
            .order_by(ranked.c.device_id, ranked.c.time)
        )
        paths: dict[str, list[tuple[float, float]]] = {}
        for device_id, lat, lon in rows:
            path = paths.get(device_id)
            if path is None:
                if len(paths) >= max_devices:
                    continue
                path = paths[device_id] = []
            path.append((lat, lon))
        return paths

    def declarations_with_containers(
        self, org_id: uuid.UUID, container_numbers: Sequence[str]
    ) -> dict[str, list[uuid.UUID]]:
        """Container number -> the organisation's declarations that name it (JSON text match, as
        :meth:`alerts_concerning`; meant for the few containers of a batch of alerts)."""
        d = declarations.c
        found: dict[str, list[uuid.UUID]] = {}
        as_text = cast(d.containers, Text)
        for number in sorted(set(container_numbers)):
            needle = _like_literal(json.dumps(number))
            rows = self._conn.execute(
                select(d.id)
                .where(d.org_id == org_id, as_text.like(f"%{needle}%", escape="\\"))
                .order_by(d.declared_on, d.id)
            )
            ids = [row[0] for row in rows]
            if ids:
                found[number] = ids
        return found
