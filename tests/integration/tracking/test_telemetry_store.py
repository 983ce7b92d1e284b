"""Telemetry batches on the node: filters, alert rules, stored alerts and acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from supplyguard.errors import AlertNotFound, ValidationFailed
from supplyguard.model.clock import FixedClock
from supplyguard.services import telemetry as service
from supplyguard.tracking import DeviceProfile, GeofenceIndex, TrackingRules, polygon_geofence
from tests.factories import admin_principal, make_org

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
MILITARY = polygon_geofence(
    "mil", "Military zone", [(52.0, 4.5), (52.0, 4.7), (52.2, 4.7), (52.2, 4.5)], kind="restricted"
)


def message(minutes: float, lat: float, lon: float, device: str = "TRK-1", **extra: Any) -> dict[str, Any]:
    moment = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"device_id": device, "time": moment, "lat": lat, "lon": lon, **extra}


def rules() -> TrackingRules:
    profile = DeviceProfile("TRK-1", max_temperature_c=8.0, object_ids=("SSCC-1",))
    return TrackingRules(GeofenceIndex([MILITARY]), {"TRK-1": profile})


def send(
    container: Any, actor: Any, batch: Any, pipelines: service.TelemetryPipelines
) -> service.TelemetryReport:
    clock = FixedClock(T0 + timedelta(hours=2))
    return service.ingest_positions(container.uow(), clock, actor, batch, pipelines)


def test_a_batch_is_filtered_evaluated_and_stored(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    pipelines = service.TelemetryPipelines(rules())
    report = send(
        container,
        actor,
        [
            message(0, 51.90, 4.30, temperature_c=4.0),
            message(0, 51.90, 4.30),  # duplicate time
            message(5, 0.0, 0.0),  # no fix
            message(10, 52.10, 4.60, temperature_c=9.5),  # into the military zone, too warm
            message(12, 10.0, 100.0),  # 9,000 km in two minutes
            message(1, 51.90, 4.31, device="TRK-2"),
        ],
        pipelines,
    )
    assert report.received == 6 and report.stored == 3
    assert report.rejected == {"duplicate": 1, "zero": 1, "speed": 1}
    assert sorted(a.alert.kind for a in report.alerts) == ["geofence_enter", "temperature"]
    stored = service.list_alerts(container.uow(readonly=True), actor)
    assert {a.alert.kind for a in stored} == {"geofence_enter", "temperature"}
    assert all(a.alert.reason and a.alert.object_ids == ("SSCC-1",) for a in stored)
    latest = {p.device_id: p for p in service.current_positions(container.uow(readonly=True), actor)}
    assert (latest["TRK-1"].lat, latest["TRK-1"].temperature_c) == (52.10, 9.5)
    assert latest["TRK-2"].lon == 4.31


def test_a_replayed_batch_is_refused_after_a_restart(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    batch = [message(0, 51.9, 4.3), message(10, 51.9, 4.4)]
    assert send(container, actor, batch, service.TelemetryPipelines()).stored == 2
    fresh = service.TelemetryPipelines()  # a new process: the last kept position comes from storage
    again = send(container, actor, batch, fresh)
    assert again.stored == 0 and again.rejected == {"out_of_order": 1, "duplicate": 1}


def test_a_malformed_message_refuses_the_batch_naming_the_field(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    with pytest.raises(ValidationFailed) as refused:
        send(
            container, actor, [message(0, 51.9, 4.3), message(1, "north", 4.3)], service.TelemetryPipelines()
        )
    assert [e.location for e in refused.value.errors] == [(1, "lat")]
    with pytest.raises(ValidationFailed):
        send(container, actor, {"device_id": "x"}, service.TelemetryPipelines())
    assert service.current_positions(container.uow(readonly=True), actor) == []


def test_alerts_are_acknowledged_once_and_only_by_their_organisation(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container, "Carrier A"))
    stranger = admin_principal(make_org(container, "Customs B"))
    pipelines = service.TelemetryPipelines(rules())
    report = send(container, actor, [message(0, 51.9, 4.3), message(10, 52.1, 4.6)], pipelines)
    (alert,) = report.alerts
    with pytest.raises(AlertNotFound):
        service.acknowledge_alert(container.uow(), container.clock, stranger, alert.id)
    assert service.list_alerts(container.uow(readonly=True), stranger, open_only=False) == []
    done = service.acknowledge_alert(container.uow(), container.clock, actor, alert.id)
    assert done.acknowledged_by == actor.username and done.acknowledged_at is not None
    again = service.acknowledge_alert(container.uow(), container.clock, actor, alert.id)
    assert again.acknowledged_at == done.acknowledged_at
    assert service.list_alerts(container.uow(readonly=True), actor) == []
    assert len(service.list_alerts(container.uow(readonly=True), actor, open_only=False)) == 1


def test_a_silent_device_raises_one_alert(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    profile = DeviceProfile("TRK-1", max_silence=timedelta(minutes=30))
    pipelines = service.TelemetryPipelines(TrackingRules(GeofenceIndex([]), {"TRK-1": profile}))
    send(container, actor, [message(0, 51.9, 4.3)], pipelines)
    early = service.check_silent_devices(container.uow(), FixedClock(T0 + timedelta(minutes=20)), pipelines)
    assert early == {}
    late = FixedClock(T0 + timedelta(hours=2))
    raised = service.check_silent_devices(container.uow(), late, pipelines)
    assert [a.alert.kind for a in raised[actor.org_id]] == ["device_silent"]
    assert service.check_silent_devices(container.uow(), late, pipelines) == {}
    assert [a.alert.kind for a in service.list_alerts(container.uow(readonly=True), actor)] == [
        "device_silent"
    ]
