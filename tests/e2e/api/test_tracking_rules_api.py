"""/v1/tracking rules, links and stock check over HTTP: problem+json on bad input, roles, organisations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.e2e.api.conftest import Node
from tests.factories import make_user
from tests.integration.tracking.test_tracking_rules import RULES_YAML


def _logistics(node: Node) -> dict[str, str]:
    from supplyguard.services.accounts import create_token

    container = node.container
    with container.uow(readonly=True) as uow:  # type: ignore[attr-defined]
        org = next(o for o in uow.accounts.list_orgs() if o.name == "Customs A")
    make_user(container, org, "logistics_a", ("logistics",))  # type: ignore[arg-type]
    token = create_token(container.uow(), container.clock, None, "logistics_a", "test").token  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def test_rules_are_created_listed_assigned_and_deleted(node: Node) -> None:
    logistics = _logistics(node)
    fence = {
        "name": "rtm",
        "kind": "geofence",
        "type": "site",
        "circle": {"lat": 51.95, "lon": 4.14, "radius_km": 3},
    }
    created = node.client.post("/v1/tracking/rules", json=fence, headers=logistics)
    assert created.status_code == 201, created.text
    assert created.json()["circle"]["radius_km"] == 3
    profile = {"name": "reefer", "kind": "profile", "max_temperature_c": 8}
    assert node.client.post("/v1/tracking/rules", json=profile, headers=logistics).status_code == 201
    assigned = node.client.post(
        "/v1/tracking/rules/reefer/assign", json={"devices": ["TRK-1"]}, headers=logistics
    )
    assert assigned.json()["devices"] == ["TRK-1"]
    listed = node.client.get("/v1/tracking/rules", headers=node.headers("officer_a")).json()
    assert [r["name"] for r in listed] == ["rtm", "reefer"]
    assert node.client.get("/v1/tracking/rules", headers=node.headers("officer_b")).json() == []
    assert node.client.get("/v1/tracking/rules/rtm", headers=node.headers("officer_b")).status_code == 404
    assert node.client.delete("/v1/tracking/rules/rtm", headers=logistics).status_code == 204
    gone = node.client.get("/v1/tracking/rules/rtm", headers=logistics)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
    again = node.client.delete("/v1/tracking/rules/rtm", headers=logistics)
    assert again.status_code == 404 and again.headers["content-type"].startswith("application/problem+json")


def test_bad_rules_and_forbidden_callers_get_problem_details(node: Node) -> None:
    logistics = _logistics(node)
    bad = {"name": "x", "kind": "geofence", "polygon": [[1, 1], [2, 200]]}
    refused = node.client.post("/v1/tracking/rules", json=bad, headers=logistics)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert any(e["loc"][0] == "polygon" for e in refused.json()["errors"])
    denied = node.client.post(
        "/v1/tracking/rules",
        json={"name": "p", "kind": "profile", "max_shock_g": 2},
        headers=node.headers("officer_a"),
    )
    assert denied.status_code == 403
    twice = {"name": "p", "kind": "profile", "max_shock_g": 2}
    assert node.client.post("/v1/tracking/rules", json=twice, headers=logistics).status_code == 201
    assert node.client.post("/v1/tracking/rules", json=twice, headers=logistics).status_code == 409
    broken_yaml = node.client.post(
        "/v1/tracking/rules/load",
        content=b"geofences: [",
        headers={**logistics, "Content-Type": "application/yaml"},
    )
    assert broken_yaml.status_code == 422 and "line" in broken_yaml.json()["detail"]


def test_a_rules_file_links_and_alerts_over_http(node: Node) -> None:
    logistics = _logistics(node)
    declared = node.client.post(
        "/v1/declarations",
        json={
            "reference": "REF-1",
            "declared_on": "2021-04-01",
            "office_id": "40",
            "transport_mode": "10",
            "importer": {"code": "IMP1", "name": "Golden Harbor", "country": "NL"},
            "containers": ["CSQU3054383"],
            "items": [
                {
                    "hs_code": "420231",
                    "origin_country": "RO",
                    "net_mass_kg": 1.0,
                    "value": 100.0,
                    "tax_rate_pct": 8,
                    "duty": 8,
                }
            ],
        },
        headers=node.headers("officer_a"),
    )
    assert declared.status_code in (200, 201), declared.text
    loaded = node.client.post(
        "/v1/tracking/rules/load",
        content=RULES_YAML.encode(),
        headers={**logistics, "Content-Type": "application/yaml"},
    )
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["rules"] == 5 and loaded.json()["links"] == 1
    links = node.client.get("/v1/tracking/links", headers=logistics).json()
    assert links[0]["asset"] == "CSQU3054383"
    now = datetime.now(UTC) - timedelta(minutes=30)
    batch = [
        {"device_id": "TRK-1", "time": (now + timedelta(minutes=m)).isoformat(), "lat": lat, "lon": lon}
        for m, lat, lon in ((0, 51.90, 4.10), (10, 52.10, 4.60))
    ]
    report = node.client.post("/v1/telemetry/positions", json=batch, headers=node.headers("partner_a")).json()
    assert sorted(a["kind"] for a in report["alerts"]) == ["corridor_deviation", "geofence_enter"]
    assert report["risk_signals"] == 2
    queue = node.client.get("/v1/alerts", headers=node.headers("officer_a")).json()
    assert all(a["details"]["declarations"] == [declared.json()["id"]] for a in queue)
    ack = node.client.post(f"/v1/alerts/{queue[0]['id']}/acknowledge", headers=node.headers("officer_a"))
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "officer_a"
    assert (
        node.client.post(
            f"/v1/alerts/{queue[1]['id']}/acknowledge", headers=node.headers("auditor_a")
        ).status_code
        == 403
    )
    check = node.client.post("/v1/tracking/stock/check", headers=logistics)
    assert check.status_code == 200 and check.json()["alerts"] == []


def test_text_that_is_not_unicode_is_a_problem_and_stores_nothing(node: Node) -> None:
    # JSON can escape half a UTF-16 pair alone; no database, hash or response can write that text
    logistics = {**_logistics(node), "content-type": "application/json"}
    fence = {
        "name": "r\ud800",
        "kind": "geofence",
        "type": "site",
        "circle": {"lat": 51.9, "lon": 4.1, "radius_km": 3},
    }
    refused = node.client.post("/v1/tracking/rules", content=json.dumps(fence), headers=logistics)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "not Unicode" in refused.json()["detail"]
    assert node.client.get("/v1/tracking/rules", headers=logistics).json() == []
