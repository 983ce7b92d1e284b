"""Stored rules drive the telemetry pipelines (also after a restart), alerts raise the risk of the
declarations concerned, and the stock check compares depots with what declarations say was shipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from supplyguard.model.clock import FixedClock
from supplyguard.services import telemetry
from supplyguard.services import tracking_rules as rules
from supplyguard.services.risk_signals import signals_of
from supplyguard.services.tracking import capture_events
from supplyguard.services.tracking_stock import check_stock
from tests.factories import admin_principal, make_org
from tests.integration.tracking.test_tracking_rules import RULES_YAML, declare

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
DEPOT = "urn:epc:id:sgln:4012345.00001.0"


def message(minutes: float, lat: float, lon: float, device: str = "TRK-1", **extra: Any) -> dict[str, Any]:
    return {
        "device_id": device,
        "time": (T0 + timedelta(minutes=minutes)).isoformat(),
        "lat": lat,
        "lon": lon,
        **extra,
    }


def send(
    container: Any, actor: Any, batch: list[dict[str, Any]], pipelines: telemetry.TelemetryPipelines
) -> telemetry.TelemetryReport:
    clock = FixedClock(T0 + timedelta(hours=3))
    return telemetry.ingest_positions(container.uow(), clock, actor, batch, pipelines)


def test_stored_rules_raise_alerts_and_the_risk_of_linked_declarations(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declaration = declare(container, org)
    actor = admin_principal(org)
    rules.load_rules(
        container.uow(), container.clock, container.signer, actor, rules.parse_rules_yaml(RULES_YAML)
    )
    pipelines = telemetry.TelemetryPipelines()
    report = send(
        container,
        actor,
        [
            message(0, 51.90, 4.10),  # on the A15
            message(10, 51.87, 4.40, temperature_c=9.5),  # too warm for reefer/fragile
            message(20, 52.10, 4.60),  # off the corridor, into the military zone
        ],
        pipelines,
    )
    kinds = sorted(a.alert.kind for a in report.alerts)
    assert kinds == ["corridor_deviation", "geofence_enter", "temperature"]
    assert all(a.alert.details["declarations"] == [str(declaration.id)] for a in report.alerts)
    assert all(a.alert.object_ids == ("CSQU3054383",) for a in report.alerts)
    assert report.signals == 3
    with container.uow(readonly=True) as uow:
        _org, priority, lane, reasons = uow.risk.risk_state(declaration.id)
        stored = signals_of(uow, [declaration.id])[declaration.id]
    assert lane in ("yellow", "red") and priority >= 0.3 + 0.3 + 0.3
    assert {s.signal.kind for s in stored} == {"corridor_deviation", "geofence_enter", "temperature"}
    assert any("corridor" in r for r in reasons)

    # a new process rebuilds the rules from storage and keeps alerting
    restarted = telemetry.TelemetryPipelines()
    again = send(container, actor, [message(30, 51.95, 4.14, seal_intact=False, door_open=True)], restarted)
    # (the depot lies 5 km off the road corridor: a fresh state sees the deviation too)
    assert sorted(a.alert.kind for a in again.alerts) == ["corridor_deviation", "seal_broken"]
    # at the depot (a site) the seal is medium, and the door may open
    assert [a.alert.severity for a in again.alerts if a.alert.kind == "seal_broken"] == ["medium"]


def test_a_rule_change_is_picked_up_by_a_running_pipeline(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    pipelines = telemetry.TelemetryPipelines()
    assert send(container, actor, [message(0, 10.0, 10.0, temperature_c=30)], pipelines).alerts == []
    rules.create_rule(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        {"name": "cold", "kind": "profile", "max_temperature_c": 8, "devices": ["*"]},
    )
    report = send(container, actor, [message(5, 10.0, 10.01, temperature_c=31)], pipelines)
    assert [a.alert.kind for a in report.alerts] == ["temperature"]
    assert "declarations" not in report.alerts[0].alert.details  # no link, no signal
    rules.delete_rule(container.uow(), container.clock, container.signer, actor, "cold")
    assert send(container, actor, [message(10, 10.0, 10.02, temperature_c=40)], pipelines).alerts == []


def epcis(*events: dict[str, Any]) -> bytes:
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }
    return json.dumps(document).encode()


def observe(epcs: list[str], when: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
        "action": "OBSERVE",
        "bizLocation": {"id": DEPOT},
        **extra,
    }


def test_missing_stock_at_a_depot_is_an_alert_that_raises_the_declarations_risk(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declaration = declare(container, org)
    actor = admin_principal(org)
    rules.expect_stock(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        "REF-1",
        DEPOT,
        {"urn:epc:idpat:sgtin:4012345.011111.*": 3},
        containers=["CSQU3054383"],
    )
    items = [f"urn:epc:id:sgtin:4012345.011111.{n}" for n in range(3)]
    capture_events(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        epcis(observe([*items, "urn:epc:id:bic:CSQU3054383"], "2026-03-01T09:00:00Z")),
    )
    first = check_stock(container.uow(), container.clock, actor)
    assert first.alerts == [] and first.observed[rules.canonical_identifier(DEPOT)]
    # one item leaves the depot without a new bizLocation (shipped away, or stolen)
    capture_events(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        epcis(
            {
                "type": "ObjectEvent",
                "eventTime": "2026-03-01T10:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "epcList": [items[0]],
                "action": "OBSERVE",
                "bizStep": "departing",
            }
        ),
    )
    second = check_stock(container.uow(), container.clock, actor)
    (alert,) = second.alerts
    assert (alert.alert.kind, alert.alert.severity) == ("stock_mismatch", "high")
    assert "1 of https://id.gs1.org/01/04012345111118 missing" in alert.alert.reason
    assert alert.alert.details["declarations"] == [str(declaration.id)]
    assert second.signals == 1
    with container.uow(readonly=True) as uow:
        assert uow.risk.risk_state(declaration.id)[2] in ("yellow", "red")
    # checking again raises nothing new while the alert is open
    assert check_stock(container.uow(), container.clock, actor).alerts == []


def test_a_restarted_node_notices_devices_that_fell_silent_before_it_started_once(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    rules.create_rule(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        {"name": "heartbeat", "kind": "profile", "max_silence_minutes": 30, "devices": ["*"]},
    )
    send(
        container,
        actor,
        [message(0, 10.0, 10.0), message(1, 20.0, 20.0, device="TRK-2")],
        telemetry.TelemetryPipelines(),
    )
    late = FixedClock(T0 + timedelta(hours=3))
    # a new process, which never saw the devices: their last stored positions are enough
    raised = telemetry.check_silent_devices(container.uow(), late, telemetry.TelemetryPipelines())
    (alerts,) = raised.values()
    assert sorted((a.alert.kind, a.alert.subject) for a in alerts) == [
        ("device_silent", "TRK-1"),
        ("device_silent", "TRK-2"),
    ]
    # and another restart does not alert the same silence twice
    assert telemetry.check_silent_devices(container.uow(), late, telemetry.TelemetryPipelines()) == {}
    # the same process keeps its filter state: a replay of the old position is refused
    pipelines = telemetry.TelemetryPipelines()
    telemetry.check_silent_devices(container.uow(), late, pipelines)
    assert send(container, actor, [message(0, 10.0, 10.0)], pipelines).rejected == {"duplicate": 1}
