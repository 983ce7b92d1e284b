"""Telemetry use cases: position batches through the filters and alert rules, stored alerts, the
risk they raise, and acknowledging them.

Filter and rule state (each device's last kept position, geofence membership, dwell clocks...) lives
in memory in :class:`TelemetryPipelines`, one per node process, shared by HTTP batches and the MQTT
subscriber. The alert rules of each organisation are rebuilt from the rules stored on the node
(:mod:`supplyguard.services.tracking_rules`) and reloaded whenever the organisation's rules revision
moves, so a restarted node, or a second process, keeps alerting with the same rules. A device's last
kept position is reloaded from storage the first time the process sees it, so a replayed batch is
refused as duplicate or out of order after a restart too; the other rule state starts afresh.
Batches of one node are processed one at a time, in order, each in one transaction.

When an alert is stored for a device linked to declarations (directly, or through the container it
is fixed to), the risk of those declarations is raised in the same transaction
(:func:`supplyguard.services.risk_signals.raise_signal`): the alert's kind and reason, a weight by
severity, and a lane floor for seals, doors, corridors and restricted areas.

Permissions: sending positions needs ``TRACKING_WRITE``, reading ``TRACKING_READ``, acknowledging
an alert ``ALERT_ACK``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from supplyguard.adapters.db.telemetry_repo import StoredAlert, TelemetryRepository
from supplyguard.adapters.db.tracking_rules_repo import TrackingRulesRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import AlertNotFound, FieldError, ValidationFailed
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.declarations import Lane
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services.audit import audit
from supplyguard.services.risk_signals import raise_signal
from supplyguard.services.tracking_rules import build_tracking_rules, linked_declarations, rules_revision
from supplyguard.tracking import (
    Alert,
    AlertEngine,
    DeviceState,
    FilterConfig,
    GeofenceIndex,
    Position,
    PositionFilter,
    TrackingRules,
    position_from_dict,
)

#: ``container.extras`` keys: the node's pipelines, and fixed :class:`TrackingRules` to build them
#: with instead of the stored rules (tests and benchmarks of the engine).
PIPELINES_EXTRA = "telemetry_pipelines"
RULES_EXTRA = "tracking_rules"
MAX_BATCH_POSITIONS = 10_000
MAX_REPORTED = 100
WRITE_ACTION = Action.TRACKING_WRITE
READ_ACTION = Action.TRACKING_READ
ACK_ACTION = Action.ALERT_ACK

#: Weight (added to the declaration's ranking priority) of an alert by severity; info alerts raise none.
SIGNAL_WEIGHTS = {"critical": 0.5, "high": 0.3, "medium": 0.15}


@dataclass
class OrgPipeline:
    filter: PositionFilter
    engine: AlertEngine
    seeded: set[str] = field(default_factory=set)
    revision: int | None = None
    states_seeded: bool = False


class TelemetryPipelines:
    """Per-organisation position filter and alert engine, kept in memory by the node process.

    With ``rules`` every organisation uses those fixed rules; without, each organisation's stored
    rules, reloaded when its rules revision changes.
    """

    def __init__(self, rules: TrackingRules | None = None, config: FilterConfig | None = None) -> None:
        self.fixed_rules = rules
        self.config = config or FilterConfig()
        self.lock = threading.Lock()
        self._orgs: dict[uuid.UUID, OrgPipeline] = {}

    @property
    def rules(self) -> TrackingRules:
        return self.fixed_rules or TrackingRules(GeofenceIndex([]))

    def items(self) -> list[tuple[uuid.UUID, OrgPipeline]]:
        return list(self._orgs.items())

    def for_org(self, org_id: uuid.UUID, conn: Connection | None = None) -> OrgPipeline:
        """The organisation's pipeline; with a connection, its rules are brought up to date first."""
        pipeline = self._orgs.get(org_id)
        if pipeline is None:
            pipeline = self._orgs[org_id] = OrgPipeline(PositionFilter(self.config), AlertEngine(self.rules))
        if conn is not None and self.fixed_rules is None:
            revision = rules_revision(conn, org_id)
            if pipeline.revision != revision:
                reload_rules(pipeline, build_tracking_rules(conn, org_id))
                pipeline.revision = revision
        return pipeline


def reload_rules(pipeline: OrgPipeline, rules: TrackingRules) -> None:
    """Put new rules in force, keeping each device's state (membership of removed geofences is
    forgotten silently: deleting a geofence is not the device leaving it)."""
    engine = pipeline.engine
    engine.rules = rules
    known = frozenset(rules.geofences.geofences)
    for device_id, state in list(engine.states.items()):
        if not state.inside <= known:
            inside = state.inside & known
            engine.states[device_id] = replace(
                state,
                inside=inside,
                entered_at={k: v for k, v in state.entered_at.items() if k in inside},
                dwell_alerted=state.dwell_alerted & inside,
            )


def telemetry_pipelines(extras: MutableMapping[str, Any]) -> TelemetryPipelines:
    """The node's pipelines, made on first use (with the fixed rules under ``extras["tracking_rules"]``
    if a test or benchmark put some there, else with the stored rules)."""
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
    signals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "alerts": [alert_json(a) for a in self.alerts],
            "risk_signals": self.signals,
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


def signal_for(alert_id: uuid.UUID, alert: Alert) -> RiskSignal | None:
    """The risk signal an alert raises on the declarations it concerns (None for info alerts)."""
    weight = SIGNAL_WEIGHTS.get(alert.severity)
    if weight is None:
        return None
    floor: Lane | None = None
    if alert.kind == "seal_broken":
        floor = Lane.RED if alert.severity == "critical" else Lane.YELLOW
    elif alert.kind in ("door_opened", "corridor_deviation", "stock_mismatch") or (
        alert.kind == "geofence_enter" and alert.severity == "high"
    ):
        floor = Lane.YELLOW
    return RiskSignal(
        SignalSource.TRACKING, str(alert_id), alert.kind, weight, f"{alert.reason} ({alert.subject})", floor
    )


def store_alerts(
    uow: SqlUnitOfWork,
    org_id: uuid.UUID,
    alerts: Sequence[Alert],
    now: datetime,
    concerned: Sequence[Iterable[uuid.UUID]] | None = None,
) -> tuple[list[StoredAlert], int]:
    """Store alerts and raise the risk of the declarations each concerns (inside an open unit of work).

    ``concerned`` gives, per alert, the declarations it concerns; by default those linked to the
    alert's subject device. Each stored alert names them in ``details["declarations"]``. Returns the
    stored alerts and the number of new risk signals.
    """
    if not alerts:
        return [], 0
    if concerned is None:
        linked = linked_declarations(uow.connection, org_id, {a.subject for a in alerts})
        concerned = [linked.get(a.subject, set()) for a in alerts]
    per_alert = [sorted(set(ids), key=str) for ids in concerned]
    named = [
        replace(alert, details={**alert.details, "declarations": [str(d) for d in ids]}) if ids else alert
        for alert, ids in zip(alerts, per_alert, strict=True)
    ]
    alert_ids = TelemetryRepository(uow.connection).add_alerts(org_id, named, now)
    signals = 0
    for alert_id, alert, ids in zip(alert_ids, named, per_alert, strict=True):
        signal = signal_for(alert_id, alert)
        if signal is None:
            continue
        for declaration_id in ids:
            signals += raise_signal(uow, org_id, declaration_id, signal, now)
    stored = [StoredAlert(i, org_id, a, now, None, None) for i, a in zip(alert_ids, named, strict=True)]
    return stored, signals


def process_positions(
    uow: SqlUnitOfWork,
    clock: Clock,
    org_id: uuid.UUID,
    positions: Sequence[Position],
    pipelines: TelemetryPipelines,
    *,
    actor: Principal | None,
    source: str,
) -> TelemetryReport:
    """Filter, evaluate and store parsed positions of one organisation, in one transaction (HTTP and
    MQTT both end here; the caller checked who may send them)."""
    now = clock.now()
    with pipelines.lock, uow:
        pipeline = pipelines.for_org(org_id, uow.connection)
        repo = TelemetryRepository(uow.connection)
        unseen = sorted({p.device_id for p in positions} - pipeline.seeded)
        if unseen:
            for last in repo.latest_positions(org_id, unseen):
                pipeline.filter.last_kept.setdefault(last.device_id, last)
            pipeline.seeded.update(unseen)
        kept: list[Position] = []
        rejected: dict[str, int] = {}
        rejections: list[dict[str, Any]] = []
        alerts: list[Alert] = []
        check, process = pipeline.filter.check, pipeline.engine.process
        for index, position in enumerate(positions):
            rejection = check(position, now)
            if rejection is not None:
                rejected[rejection.code] = rejected.get(rejection.code, 0) + 1
                if len(rejections) < MAX_REPORTED:
                    rejections.append({"index": index, "code": rejection.code, "reason": rejection.reason})
                continue
            kept.append(position)
            alerts.extend(process(position))
        repo.add_positions(org_id, kept, now)
        stored_alerts, signals = store_alerts(uow, org_id, alerts, now)
        details = {"received": len(positions), "stored": len(kept), "alerts": len(alerts), "source": source}
        audit(uow, actor, clock, "telemetry.batch", "telemetry", None, details, org_id=org_id)
        uow.commit()
    return TelemetryReport(len(positions), len(kept), rejected, rejections, stored_alerts, signals)


def ingest_positions(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    messages: object,
    pipelines: TelemetryPipelines,
) -> TelemetryReport:
    """Filter, evaluate and store one HTTP batch for the caller's organisation (one transaction)."""
    require(actor, WRITE_ACTION)
    positions = parse_batch(messages)
    return process_positions(uow, clock, actor.org_id, positions, pipelines, actor=actor, source="http")


def seed_device_states(conn: Connection, org_id: uuid.UUID, pipeline: OrgPipeline) -> None:
    """Devices this process has not seen start from their last stored position (inside the geofences
    that hold it), so a restarted node still notices those that fell silent before it started, and
    once: a silence already alerted (same device, same last position) is not alerted again."""
    engine = pipeline.engine
    alerted = TrackingRulesRepository(conn).silent_alerts_raised(org_id)
    for last in TelemetryRepository(conn).latest_positions(org_id):
        if last.device_id in engine.states:
            continue
        inside = frozenset(g.geofence_id for g in engine.rules.geofences.containing(last.lat, last.lon))
        engine.states[last.device_id] = DeviceState(
            last.device_id,
            last=last,
            inside=inside,
            entered_at=dict.fromkeys(inside, last.time),
            silent_alerted=(last.device_id, last.time.isoformat()) in alerted,
        )
        pipeline.filter.last_kept.setdefault(last.device_id, last)
        pipeline.seeded.add(last.device_id)


def check_silent_devices(
    uow: SqlUnitOfWork, clock: Clock, pipelines: TelemetryPipelines
) -> dict[uuid.UUID, list[StoredAlert]]:
    """Raise and store ``device_silent`` alerts for every organisation's devices quiet for longer than
    their profile allows (a periodic job of the node calls this; no caller principal). Organisations
    whose stored profiles bound silence are checked even before this process saw any of their
    devices, from the devices' last stored positions."""
    now = clock.now()
    raised: dict[uuid.UUID, list[StoredAlert]] = {}
    with pipelines.lock, uow:
        org_ids = {org_id for org_id, _pipeline in pipelines.items()}
        if pipelines.fixed_rules is None:
            org_ids.update(TrackingRulesRepository(uow.connection).orgs_watching_silence())
        for org_id in sorted(org_ids, key=str):
            pipeline = pipelines.for_org(org_id, uow.connection)
            if not pipeline.states_seeded:
                seed_device_states(uow.connection, org_id, pipeline)
                pipeline.states_seeded = True
            alerts = pipeline.engine.check_silence(now)
            if not alerts:
                continue
            stored, _signals = store_alerts(uow, org_id, alerts, now)
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
            raised[org_id] = stored
        uow.commit()
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
    require(actor, ACK_ACTION)
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
