"""MQTT topics and payloads judged one message at a time, and the risk an alert raises (no I/O)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from supplyguard.adapters.mqtt import MqttMessage, parse_broker_url
from supplyguard.model.declarations import Lane
from supplyguard.services.telemetry import TelemetryPipelines, signal_for
from supplyguard.services.telemetry_mqtt import MqttTelemetryIngest, subscriptions
from supplyguard.tracking import Alert

ORG = uuid.UUID("01930000-0000-7000-8000-000000000001")


@dataclass
class _Org:
    id: uuid.UUID
    name: str


class _Accounts:
    def list_orgs(self) -> list[_Org]:
        return [_Org(ORG, "Carrier A")]


class _FakeUow:
    accounts = _Accounts()

    def __enter__(self) -> _FakeUow:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None


def ingest() -> MqttTelemetryIngest:
    return MqttTelemetryIngest(_FakeUow, None, TelemetryPipelines(), "sg")  # type: ignore[arg-type]


def message(topic: str, payload: Any) -> MqttMessage:
    return MqttMessage(topic, payload if isinstance(payload, bytes) else json.dumps(payload).encode())


POSITION = {"time": "2026-03-01T10:00:00Z", "lat": 51.9, "lon": 4.1}


def test_device_topics_name_the_device_and_org_by_id_or_name() -> None:
    node = ingest()
    by_name = node.parse(message("sg/Carrier A/devices/TRK-1/position", POSITION))
    by_id = node.parse(message(f"sg/{ORG}/devices/TRK-1/position", [POSITION, {**POSITION, "lat": 52.0}]))
    assert by_name is not None and by_id is not None
    assert by_name[0] == by_id[0] == ORG
    assert [p.device_id for p in by_id[1]] == ["TRK-1", "TRK-1"]
    batch = node.parse(message("sg/Carrier A/positions", [{**POSITION, "device_id": "TRK-7"}]))
    assert batch is not None and batch[1][0].device_id == "TRK-7"
    assert subscriptions("sg") == ["sg/+/devices/+/position", "sg/+/positions"]


def test_bad_messages_are_counted_by_reason_and_the_rest_go_on() -> None:
    node = ingest()
    assert node.parse(message("sg/Carrier A/devices/TRK-1/position", b"\xff{")) is None
    assert node.parse(message("sg/Nobody/devices/TRK-1/position", POSITION)) is None
    assert node.parse(message("elsewhere/Carrier A/positions", [POSITION])) is None
    assert node.parse(message("sg/Carrier A/positions", [POSITION])) == (ORG, [])  # no device id
    mixed = node.parse(
        message(
            "sg/Carrier A/devices/TRK-1/position",
            [POSITION, {**POSITION, "device_id": "TRK-2"}, {**POSITION, "lon": 400}, "x"],
        )
    )
    assert mixed is not None and len(mixed[1]) == 2  # lon 400 is the filters' business, not a bad message
    assert node.counters.bad == {
        "not_json": 1,
        "unknown_org": 1,
        "topic": 1,
        "invalid": 2,
        "device_mismatch": 1,
    }


def test_broker_urls() -> None:
    address = parse_broker_url("mqtt://user:s%40cret@broker.example:8883")
    assert (address.host, address.port, address.username, address.password) == (
        "broker.example",
        8883,
        "user",
        "s@cret",
    )
    assert str(address) == "mqtt://broker.example:8883"  # never the password
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883


def alert(kind: str, severity: str) -> Alert:
    return Alert(kind, severity, "TRK-1", datetime(2026, 3, 1, tzinfo=UTC), "words")


def test_the_risk_an_alert_raises() -> None:
    alert_id = uuid.uuid4()
    seal_at_sea = signal_for(alert_id, alert("seal_broken", "critical"))
    assert seal_at_sea is not None and (seal_at_sea.weight, seal_at_sea.min_lane) == (0.5, Lane.RED)
    assert seal_at_sea.ref == str(alert_id) and seal_at_sea.kind == "seal_broken"
    seal_at_site = signal_for(alert_id, alert("seal_broken", "medium"))
    assert seal_at_site is not None and seal_at_site.min_lane == Lane.YELLOW
    corridor = signal_for(alert_id, alert("corridor_deviation", "high"))
    assert corridor is not None and corridor.min_lane == Lane.YELLOW
    warm = signal_for(alert_id, alert("temperature", "high"))
    assert warm is not None and (warm.weight, warm.min_lane) == (0.3, None)
    assert signal_for(alert_id, alert("geofence_exit", "info")) is None
