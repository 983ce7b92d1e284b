"""What the tracking pages show: the live map as GeoJSON, the alert list with its filters, and the
shipment timeline of a declaration (EPCIS events and alerts about its containers, in time order).

Containers are EPCIS objects under the GS1 Tag Data Standard's BIC scheme: the declaration's
container ``MSKU9070323`` is the EPC ``urn:epc:id:bic:MSKU9070323``. An alert concerns the
declaration when it names that EPC (or the bare container number) among its objects (a device
linked to the container), when its subject is the container number, or when it names the
declaration itself (``details["declarations"]``: the alerts that raised its risk, stock counts
included).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from supplyguard.adapters.db.telemetry_repo import StoredAlert, TelemetryRepository
from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.adapters.db.tracking_rules_repo import StoredRule, TrackingRulesRepository
from supplyguard.adapters.db.tracking_views_repo import AlertFilter, TrackingViewsRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import DeclarationNotFound, FieldError, ValidationFailed
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.containers import normalise_container
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import require
from supplyguard.services.telemetry import READ_ACTION, alert_json, position_json
from supplyguard.tracking import EpcisEvent, EventQuery

__all__ = [
    "ALERT_STATUSES",
    "AlertFilter",
    "AlertList",
    "TimelineEntry",
    "alert_list",
    "container_epc",
    "declaration_timeline",
    "map_geojson",
]

ALERT_STATUSES = ("open", "acknowledged", "all")
MAP_MAX_ALERTS = 500
MAP_MAX_DEVICES = 5_000
MAP_MAX_CORRIDORS = 1_000
MAP_MAX_TRACKS = 100  # paths are drawn for the first 100 devices (by id); the others show their position
TRACK_WINDOW = timedelta(days=45)
TRACK_POINTS = 120
TIMELINE_MAX = 500
CBV = "https://ref.gs1.org/cbv/"


def container_epc(container_number: str) -> str:
    """The EPC of an ISO 6346 container (TDS 2.0 BIC scheme): ``urn:epc:id:bic:MSKU9070323``."""
    return f"urn:epc:id:bic:{normalise_container(container_number)}"


def _feature(lat: float | None, lon: float | None, properties: dict[str, Any]) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _corridor_feature(rule: StoredRule) -> dict[str, Any]:
    spec = rule.spec
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in spec["points"]]},
        "properties": {
            "layer": "corridor",
            "name": rule.name,
            "mode": spec.get("mode"),
            "width_km": spec.get("width_km"),
            "devices": list(rule.devices),
        },
    }


def map_geojson(uow: SqlUnitOfWork, clock: Clock, actor: Principal) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the organisation's live picture: the planned corridors of its
    stored rules (``layer: corridor``), the last position of every
    device (``layer: asset``), each device's recent path (``layer: track``, a LineString) and the
    open alerts that have a position (``layer: alert``, newest first); an alert about a site (a
    stock count) is drawn where the site's events were read (their ``geo:`` read point)."""
    require(actor, READ_ACTION)
    now = clock.now()
    with uow:
        positions = TelemetryRepository(uow.connection).latest_positions(actor.org_id)[:MAP_MAX_DEVICES]
        views = TrackingViewsRepository(uow.connection)
        tracked = [position.device_id for position in positions[:MAP_MAX_TRACKS]]
        tracks = views.tracks(actor.org_id, tracked, now - TRACK_WINDOW, TRACK_POINTS)
        alerts = views.alerts(actor.org_id, AlertFilter("open"), MAP_MAX_ALERTS)
        sites = views.site_positions(actor.org_id, [s.alert.subject for s in alerts if s.alert.lat is None])
        corridors = TrackingRulesRepository(uow.connection).rules(actor.org_id, "corridor")[
            :MAP_MAX_CORRIDORS
        ]
    features: list[dict[str, Any]] = [
        _corridor_feature(rule) for rule in corridors if rule.spec.get("points")
    ]
    for device_id, path in sorted(tracks.items()):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in path]},
                "properties": {"layer": "track", "device_id": device_id},
            }
        )
    for position in positions:
        feature = _feature(position.lat, position.lon, {"layer": "asset", **position_json(position)})
        if feature:
            features.append(feature)
    for stored in alerts:
        alert = stored.alert
        lat, lon = (alert.lat, alert.lon) if alert.lat is not None else sites.get(alert.subject, (None, None))
        feature = _feature(lat, lon, {"layer": "alert", **alert_json(stored)})
        if feature:
            features.append(feature)
    return {
        "type": "FeatureCollection",
        "features": features,
        "generated_at": iso_utc(now),
        "devices": len(positions),
        "open_alerts": len(alerts),
    }


@dataclass(frozen=True, slots=True)
class AlertList:
    alerts: list[StoredAlert]
    kinds: list[str]
    filter: AlertFilter
    #: declaration id -> reference, for the declarations the alerts name (``details["declarations"]``)
    declarations: dict[str, str]

    def declarations_of(self, stored: StoredAlert) -> list[tuple[str, str]]:
        """(id, reference) of the declarations an alert concerns (those whose risk it raised)."""
        named = stored.alert.details.get("declarations") or []
        return [(str(i), self.declarations[str(i)]) for i in named if str(i) in self.declarations]


def alert_list(
    uow: SqlUnitOfWork,
    actor: Principal,
    *,
    status: str = "open",
    kind: str | None = None,
    subject: str | None = None,
    limit: int = 200,
) -> AlertList:
    """The organisation's alerts by status (``open``, ``acknowledged``, ``all``), kind and device
    (or site), newest first, with the kinds it has seen (for the filter's choices) and the references
    of the declarations the alerts concern."""
    require(actor, READ_ACTION)
    if status not in ALERT_STATUSES:
        raise ValidationFailed([FieldError(("status",), "must be open, acknowledged or all")])
    wanted = AlertFilter(status, kind or None, (subject or "").strip() or None)
    with uow:
        views = TrackingViewsRepository(uow.connection)
        alerts = views.alerts(actor.org_id, wanted, limit)
        named = [str(i) for a in alerts for i in a.alert.details.get("declarations") or []]
        references = views.declaration_references(actor.org_id, named)
        return AlertList(alerts, views.alert_kinds(actor.org_id), wanted, references)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a shipment timeline: an EPCIS event or an alert, about one of the containers."""

    time: datetime
    source: str  # "event" or "alert"
    title: str
    detail: str
    containers: tuple[str, ...]
    severity: str | None = None
    acknowledged: bool = False
    alert_id: uuid.UUID | None = None
    subject: str | None = None  # an alert's device or site

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": iso_utc(self.time),
            "source": self.source,
            "title": self.title,
            "detail": self.detail,
            "containers": list(self.containers),
            "severity": self.severity,
            "acknowledged": self.acknowledged,
            "alert_id": str(self.alert_id) if self.alert_id else None,
            "subject": self.subject,
        }


def _short(uri: str | None) -> str:
    """A CBV web URI without its prefix (``BizStep-shipping`` -> ``shipping``); other values as they are."""
    if not uri:
        return ""
    if uri.startswith(CBV):
        return uri[len(CBV) :].partition("-")[2] or uri[len(CBV) :]
    return uri


def _place(uri: str | None) -> str:
    """A location for people: ``geo:51.9550,4.0300`` as ``51.9550, 4.0300``, other identifiers as they are."""
    if uri and uri.startswith("geo:"):
        return uri[4:].replace(",", ", ")
    return _short(uri)


def _event_entry(event: EpcisEvent, containers: dict[str, str]) -> TimelineEntry:
    # stored rows carry the identifiers in their JSON body (the index found them there)
    body_text = json.dumps(event.body)
    named = tuple(sorted({number for epc, number in containers.items() if json.dumps(epc) in body_text}))
    step = _short(event.biz_step) or event.event_type
    where = _place(event.biz_location) or _place(event.read_point)
    detail = ", ".join(
        part
        for part in (
            f"{event.event_type} {event.action or ''}".strip(),
            f"disposition {_short(event.disposition)}" if event.disposition else "",
            f"at {where}" if where else "",
        )
        if part
    )
    return TimelineEntry(event.event_time, "event", step.replace("_", " "), detail, named)


def _alert_entry(stored: StoredAlert, containers: dict[str, str]) -> TimelineEntry:
    alert = stored.alert
    named = {containers[o] for o in alert.object_ids if o in containers}
    named |= {
        number for number in containers.values() if number in alert.object_ids or number == alert.subject
    }
    return TimelineEntry(
        alert.time,
        "alert",
        alert.kind.replace("_", " "),
        f"{alert.reason} ({alert.subject})",
        tuple(sorted(named)),
        alert.severity,
        stored.acknowledged_at is not None,
        stored.id,
        alert.subject,
    )


def declaration_timeline(
    uow: SqlUnitOfWork, actor: Principal, declaration_id: uuid.UUID
) -> list[TimelineEntry]:
    """EPCIS events and alerts about the declaration's containers, oldest first (404 for a
    declaration of another organisation)."""
    require(actor, READ_ACTION)
    with uow:
        declaration = uow.declarations.get(actor.org_id, declaration_id)
        if declaration is None:
            raise DeclarationNotFound(declaration_id)
        numbers = [normalise_container(c) for c in declaration.containers]
        if not numbers:
            return []
        containers = {container_epc(n): n for n in numbers}
        rows = TrackingRepository(uow.connection).query(
            actor.org_id, EventQuery(any_epcs=tuple(containers)), None, TIMELINE_MAX
        )
        alerts = TrackingViewsRepository(uow.connection).alerts_concerning(
            actor.org_id, [*containers, *numbers], numbers, [declaration_id], TIMELINE_MAX
        )
    entries = [_event_entry(row.event, containers) for row in rows if row.event.error_declaration is None]
    entries += [_alert_entry(a, containers) for a in alerts]
    return sorted(entries, key=lambda e: (e.time, e.source))
