"""Telemetry batches over HTTP, current positions, and the alert queue with acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from supplyguard.services.telemetry import RULES_EXTRA
from tests.factories import make_org, make_user
from tests.integration.tracking.test_telemetry_store import message, rules


@dataclass
class TelemetryNode:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def telemetry_node(container) -> TelemetryNode:  # type: ignore[no-untyped-def]
    container.extras[RULES_EXTRA] = rules()
    org_a = make_org(container, "Carrier A", "NL")
    org_b = make_org(container, "Customs B", "KR")
    tokens = {}
    for username, org, roles in (("logistics_a", org_a, ("logistics",)), ("officer_b", org_b, ("officer",))):
        make_user(container, org, username, roles)
        tokens[username] = create_token(container.uow(), container.clock, None, username, "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield TelemetryNode(client, tokens)


def recent(minutes: float) -> float:
    """Minutes after the fixed start of the shared messages that land an hour before now."""
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    return (datetime.now(UTC) - timedelta(hours=1) - start).total_seconds() / 60 + minutes


def test_positions_raise_alerts_that_a_person_acknowledges(telemetry_node: TelemetryNode) -> None:
    node = telemetry_node
    batch = [
        message(recent(0), 51.9, 4.3),
        message(recent(10), 52.1, 4.6, temperature_c=12.0),
        message(recent(11), 0, 0),
    ]
    response = node.client.post("/v1/telemetry/positions", json=batch, headers=node.headers("logistics_a"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["stored"], report["rejected"]) == (2, {"zero": 1})
    assert sorted(a["kind"] for a in report["alerts"]) == ["geofence_enter", "temperature"]
    queue = node.client.get("/v1/alerts", headers=node.headers("logistics_a")).json()
    assert len(queue) == 2 and all(a["reason"] for a in queue)
    assert node.client.get("/v1/alerts", headers=node.headers("officer_b")).json() == []
    first = queue[0]["id"]
    assert (
        node.client.post(f"/v1/alerts/{first}/acknowledge", headers=node.headers("officer_b")).status_code
        == 404
    )
    done = node.client.post(f"/v1/alerts/{first}/acknowledge", headers=node.headers("logistics_a"))
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "logistics_a"
    assert [a["id"] for a in node.client.get("/v1/alerts", headers=node.headers("logistics_a")).json()] == [
        queue[1]["id"]
    ]
    devices = node.client.get("/v1/telemetry/devices", headers=node.headers("logistics_a")).json()
    assert [(d["device_id"], d["lat"]) for d in devices] == [("TRK-1", 52.1)]


def test_bad_batches_are_problems_naming_the_field(telemetry_node: TelemetryNode) -> None:
    node = telemetry_node
    bad = node.client.post(
        "/v1/telemetry/positions",
        json=[{"device_id": "TRK-1", "time": "noon", "lat": 95}],
        headers=node.headers("logistics_a"),
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} >= {(0, "time"), (0, "lon")}
    not_json = node.client.post("/v1/telemetry/positions", content=b"[{", headers=node.headers("logistics_a"))
    assert not_json.status_code == 422
    assert node.client.post("/v1/telemetry/positions", json=[]).status_code == 401
