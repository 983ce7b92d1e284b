"""Telemetry use cases: position batches through the filters and alert rules, stored alerts, and
acknowledging them.

Filter and rule state (each device's last kept position, geofence membership, dwell clocks...) lives
in memory in :class:`TelemetryPipelines`, one per node process, shared by HTTP batches (and by the
MQTT consumer to come). A device's last kept position is reloaded from storage the first time the
process sees it, so a replayed batch is refused as duplicate or out of order after a restart too;
the other rule state starts afresh. Batches of one node are processed one at a time, in order.

Permissions: sending positions and acknowledging alerts need the right to create declarations,
reading them the right to read declarations, until the permission table has tracking actions.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from supplyguard.adapters.db.telemetry_repo import StoredAlert, TelemetryRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import AlertNotFound, FieldError, ValidationFailed
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.tracking import (
    AlertEngine,
    FilterConfig,
    GeofenceIndex,
    Position,
    PositionFilter,
    TrackingRules,
    position_from_dict,
)

#: ``container.extras`` keys: the node's pipelines, and the :class:`TrackingRules` to build them with.
PIPELINES_EXTRA = "telemetry_pipelines"
RULES_EXTRA = "tracking_rules"
MAX_BATCH_POSITIONS = 10_000
MAX_REPORTED = 100
WRITE_ACTION = Action.DECLARATION_CREATE
READ_ACTION = Action.DECLARATION_READ


@dataclass
class OrgPipeline:
    filter: PositionFilter
    engine: AlertEngine
    seeded: set[str] = field(default_factory=set)


class TelemetryPipelines:
    """Per-organisation position filter and alert engine, kept in memory by the node process."""

    def __init__(self, rules: TrackingRules | None = None, config: FilterConfig | None = None) -> None:
        self.rules = rules or TrackingRules(GeofenceIndex([]))
        self.config = config or FilterConfig()
        self.lock = threading.Lock()
        self._orgs: dict[uuid.UUID, OrgPipeline] = {}

    def items(self) -> list[tuple[uuid.UUID, OrgPipeline]]:
        return list(self._orgs.items())

    def for_org(self, org_id: uuid.UUID) -> OrgPipeline:
        pipeline = self._orgs.get(org_id)
        if pipeline is None:
            pipeline = self._orgs[org_id] = OrgPipeline(PositionFilter(self.config), AlertEngine(self.rules))
        return pipeline


def telemetry_pipelines(extras: MutableMapping[str, Any]) -> TelemetryPipelines:
    """The node's pipelines, made on first use from the rules under ``extras["tracking_rules"]``."""
    pipelines = extras.get(PIPELINES_EXTRA)
    if not isinstance(pipelines, TelemetryPipelines):
        pipelines = TelemetryPipelines(extras.get(RULES_EXTRA))
        extras[PIPELINES_EXTRA] = pipelines
    return pipelines


@dataclass(frozen=True, slots=True)
class TelemetryReport:
    """What became of a batch: stored, refused by a filter (counted by reason), alerts raised."""

    received: int
    stored: int
    rejected: dict[str, int]
    rejections: list[dict[str, Any]]
    alerts: list[StoredAlert]

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "alerts": [alert_json(a) for a in self.alerts],
        }


def parse_batch(messages: object) -> list[Position]:
    """Positions from a batch (a JSON array of messages); every malformed field named, nothing kept."""
    if not isinstance(messages, list):
        raise ValidationFailed([FieldError((), "a batch is a JSON array of position messages")])
    if len(messages) > MAX_BATCH_POSITIONS:
        raise ValidationFailed([FieldError((), f"at most {MAX_BATCH_POSITIONS} positions per batch")])
    positions: list[Position] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(messages):
        if not isinstance(raw, Mapping):
            errors.append(FieldError((index,), "a position message is a JSON object"))
            continue
        try:
            positions.append(position_from_dict(raw))
        except ValidationFailed as exc:
            errors.extend(FieldError((index, *e.location), e.message) for e in exc.errors)
    if errors:
        raise ValidationFailed(errors[:MAX_REPORTED])
    return positions


def ingest_positions(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    messages: object,
    pipelines: TelemetryPipelines,
) -> TelemetryReport:
    """Filter, evaluate and store one batch for the caller's organisation (one transaction)."""
    require(actor, WRITE_ACTION)
    positions = parse_batch(messages)
    now = clock.now()
    with pipelines.lock:
        pipeline = pipelines.for_org(actor.org_id)
        unseen = sorted({p.device_id for p in positions} - pipeline.seeded)
        if unseen:
            with uow:
                for last in TelemetryRepository(uow.connection).latest_positions(actor.org_id, unseen):
                    pipeline.filter.last_kept.setdefault(last.device_id, last)
            pipeline.seeded.update(unseen)
        kept: list[Position] = []
        rejected: dict[str, int] = {}
        rejections: list[dict[str, Any]] = []
        alerts = []
        for index, position in enumerate(positions):
            rejection = pipeline.filter.check(position, now)
            if rejection is not None:
                rejected[rejection.code] = rejected.get(rejection.code, 0) + 1
                if len(rejections) < MAX_REPORTED:
                    rejections.append({"index": index, "code": rejection.code, "reason": rejection.reason})
                continue
            kept.append(position)
            alerts.extend(pipeline.engine.process(position))
        with uow:
            repo = TelemetryRepository(uow.connection)
            repo.add_positions(actor.org_id, kept, now)
            alert_ids = repo.add_alerts(actor.org_id, alerts, now)
            details = {"received": len(positions), "stored": len(kept), "alerts": len(alerts)}
            audit(uow, actor, clock, "telemetry.batch", "telemetry", None, details)
            uow.commit()
    stored_alerts = [
        StoredAlert(alert_id, actor.org_id, alert, now, None, None)
        for alert_id, alert in zip(alert_ids, alerts, strict=True)
    ]
    return TelemetryReport(len(positions), len(kept), rejected, rejections, stored_alerts)


def check_silent_devices(
    uow: SqlUnitOfWork, clock: Clock, pipelines: TelemetryPipelines
) -> dict[uuid.UUID, list[StoredAlert]]:
    """Raise and store ``device_silent`` alerts for every organisation's devices quiet for longer than
    their profile allows (a periodic job of the node calls this; no caller principal)."""
    now = clock.now()
    raised: dict[uuid.UUID, list[StoredAlert]] = {}
    with pipelines.lock:
        for org_id, pipeline in pipelines.items():
            alerts = pipeline.engine.check_silence(now)
            if not alerts:
                continue
            with uow:
                ids = TelemetryRepository(uow.connection).add_alerts(org_id, alerts, now)
                audit(
                    uow,
                    None,
                    clock,
                    "telemetry.silence",
                    "telemetry",
                    None,
                    {"alerts": len(alerts)},
                    org_id=org_id,
                )
                uow.commit()
            raised[org_id] = [
                StoredAlert(alert_id, org_id, alert, now, None, None)
                for alert_id, alert in zip(ids, alerts, strict=True)
            ]
    return raised


def current_positions(uow: SqlUnitOfWork, actor: Principal) -> list[Position]:
    """The last stored position of every device of the caller's organisation."""
    require(actor, READ_ACTION)
    with uow:
        return TelemetryRepository(uow.connection).latest_positions(actor.org_id)


def list_alerts(
    uow: SqlUnitOfWork, actor: Principal, *, open_only: bool = True, limit: int = 100
) -> list[StoredAlert]:
    """The organisation's alerts, newest first (only those nobody acknowledged, by default)."""
    require(actor, READ_ACTION)
    with uow:
        return TelemetryRepository(uow.connection).alerts(actor.org_id, open_only=open_only, limit=limit)


def acknowledge_alert(uow: SqlUnitOfWork, clock: Clock, actor: Principal, alert_id: uuid.UUID) -> StoredAlert:
    """A person acknowledges an alert (once: acknowledging again changes nothing); audited."""
    require(actor, WRITE_ACTION)
    with uow:
        repo = TelemetryRepository(uow.connection)
        if repo.get_alert(actor.org_id, alert_id) is None:
            raise AlertNotFound(alert_id)
        repo.acknowledge(actor.org_id, alert_id, actor.username, clock.now())
        audit(uow, actor, clock, "alert.acknowledge", "alert", str(alert_id), {})
        stored = repo.get_alert(actor.org_id, alert_id)
        uow.commit()
    assert stored is not None
    return stored


def position_json(position: Position) -> dict[str, Any]:
    values = {
        "device_id": position.device_id,
        "time": iso_utc(position.time),
        "lat": position.lat,
        "lon": position.lon,
        "speed_kmh": position.speed_kmh,
        "course_deg": position.course_deg,
        "temperature_c": position.temperature_c,
        "humidity_pct": position.humidity_pct,
        "shock_g": position.shock_g,
        "door_open": position.door_open,
        "seal_intact": position.seal_intact,
        "battery_pct": position.battery_pct,
    }
    return {key: value for key, value in values.items() if value is not None}


def alert_json(stored: StoredAlert) -> dict[str, Any]:
    alert = stored.alert
    return {
        "id": str(stored.id),
        "kind": alert.kind,
        "severity": alert.severity,
        "subject": alert.subject,
        "time": iso_utc(alert.time),
        "reason": alert.reason,
        "lat": alert.lat,
        "lon": alert.lon,
        "object_ids": list(alert.object_ids),
        "details": json.loads(json.dumps(dict(alert.details), default=str)),
        "created_at": iso_utc(stored.created_at),
        "acknowledged_at": iso_utc(stored.acknowledged_at) if stored.acknowledged_at else None,
        "acknowledged_by": stored.acknowledged_by,
    }


def position_batch(positions: Sequence[Position]) -> list[dict[str, Any]]:
    return [position_json(p) for p in positions]
