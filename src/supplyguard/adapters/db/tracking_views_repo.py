"""Read-side queries of the tracking pages: alerts filtered for the alert list, the alerts that
concern given objects, devices or declarations (a declaration's shipment timeline), device paths
and site positions for the map.

Writes stay in :mod:`supplyguard.adapters.db.telemetry_repo`; rows come back as its
:class:`~supplyguard.adapters.db.telemetry_repo.StoredAlert`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Text, cast, false, or_, select

from supplyguard.adapters.db.tables import declarations
from supplyguard.adapters.db.telemetry_repo import StoredAlert, _to_alert
from supplyguard.adapters.db.tracking_tables import tracking_alerts, tracking_events, tracking_positions
from supplyguard.tracking import geo_uri_position


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
        self,
        org_id: uuid.UUID,
        object_ids: Sequence[str],
        subjects: Sequence[str],
        declaration_ids: Sequence[uuid.UUID],
        limit: int,
    ) -> list[StoredAlert]:
        """Alerts naming one of ``object_ids`` (in their object list), about one of ``subjects``
        (devices, sites), or naming one of ``declaration_ids`` (``details["declarations"]``, set
        when the alert raised their risk), oldest first.

        Objects and details are JSON columns: they are matched as text (``"<id>"`` with its quotes),
        which SQLite and PostgreSQL both answer; not indexed, meant for the few alerts of a page.
        """
        a = tracking_alerts.c
        conditions: list[ColumnElement[bool]] = []
        if subjects:
            conditions.append(a.subject.in_(list(subjects)))
        objects_text, details_text = cast(a.object_ids, Text), cast(a.details, Text)
        for object_id in object_ids:
            needle = _like_literal(json.dumps(object_id))
            conditions.append(objects_text.like(f"%{needle}%", escape="\\"))
        for declaration_id in declaration_ids:
            needle = _like_literal(json.dumps(str(declaration_id)))
            conditions.append(details_text.like(f"%{needle}%", escape="\\"))
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
        self, org_id: uuid.UUID, device_ids: Sequence[str], since: datetime, per_device: int
    ) -> dict[str, list[tuple[float, float]]]:
        """Each device's path since ``since``: its last ``per_device`` positions as (lat, lon), oldest
        first. One query per device, each a short walk back along the (org, device, time) index, so
        the cost follows the devices drawn, not the positions stored."""
        p = tracking_positions.c
        paths: dict[str, list[tuple[float, float]]] = {}
        for device_id in device_ids:
            rows = self._conn.execute(
                select(p.lat, p.lon)
                .where(p.org_id == org_id, p.device_id == device_id, p.time >= since)
                .order_by(p.time.desc())
                .limit(per_device)
            ).all()
            if len(rows) >= 2:
                paths[device_id] = [(lat, lon) for lat, lon in reversed(rows)]
        return paths

    def site_positions(self, org_id: uuid.UUID, sites: Sequence[str]) -> dict[str, tuple[float, float]]:
        """Business location -> (lat, lon) of the latest event there read at a ``geo:`` read point
        (where to draw an alert about a site, such as a stock count)."""
        t = tracking_events.c
        found: dict[str, tuple[float, float]] = {}
        if not sites:
            return found
        rows = self._conn.execute(
            select(t.biz_location, t.read_point)
            .where(t.org_id == org_id, t.biz_location.in_(sorted(set(sites))), t.read_point.like("geo:%"))
            .order_by(t.event_time.desc())
        )
        for site, read_point in rows:
            if site in found:
                continue
            position = geo_uri_position(read_point)
            if position is not None:
                found[site] = position
        return found

    def declaration_references(self, org_id: uuid.UUID, ids: Sequence[str]) -> dict[str, str]:
        """Declaration id (text) -> reference, for the organisation's declarations among ``ids``."""
        wanted = []
        for text in set(ids):
            try:
                wanted.append(uuid.UUID(text))
            except ValueError:
                continue
        if not wanted:
            return {}
        d = declarations.c
        rows = self._conn.execute(select(d.id, d.reference).where(d.org_id == org_id, d.id.in_(wanted)))
        return {str(row_id): reference for row_id, reference in rows}
