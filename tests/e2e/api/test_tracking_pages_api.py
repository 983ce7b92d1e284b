"""The tracking pages over HTTP with a web session: the map's GeoJSON endpoint, the alert list and the
acknowledge form (CSRF), and the declaration page's shipment timeline."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.model.clock import iso_utc
from supplyguard.services import telemetry
from supplyguard.services.declarations import submit_declaration
from supplyguard.tracking import DeviceProfile, GeofenceIndex, TrackingRules
from tests.factories import admin_principal, declaration_data, make_org, make_user, web_login


@pytest.fixture
def node(container) -> Any:  # type: ignore[no-untyped-def]
    org = make_org(container)
    make_user(container, org, "officer_a", ("officer",))
    make_user(container, make_org(container, "Customs B", "KR"), "officer_b", ("officer",))
    actor = admin_principal(org)
    declaration = submit_declaration(
        container.uow(), container.clock, container.refdata, container.signer, actor, declaration_data("W-1")
    )
    profile = DeviceProfile("ESEAL-1", object_ids=("urn:epc:id:bic:CSQU3054383",))
    pipelines = telemetry.TelemetryPipelines(TrackingRules(GeofenceIndex([]), {"ESEAL-1": profile}))
    start = container.clock.now() - timedelta(hours=1)
    batch = [
        {"device_id": "ESEAL-1", "time": iso_utc(start), "lat": 14.5, "lon": 58.0, "seal_intact": True},
        {"device_id": "ESEAL-1", "time": iso_utc(start + timedelta(minutes=30)), "lat": 14.6, "lon": 58.2,
         "seal_intact": False},
    ]  # fmt: skip
    telemetry.ingest_positions(container.uow(), container.clock, actor, batch, pipelines)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, declaration


def test_map_json_is_geojson_for_a_logged_in_person_only(node) -> None:  # type: ignore[no-untyped-def]
    client, _declaration = node
    anonymous = client.get("/tracking/map.json", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    web_login(client, "officer_a", "/tracking/alerts")
    response = client.get("/tracking/map.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    picture = response.json()
    assert picture["type"] == "FeatureCollection" and picture["devices"] == 1 and picture["open_alerts"] == 1
    alert = next(f for f in picture["features"] if f["properties"]["layer"] == "alert")
    assert alert["properties"]["kind"] == "seal_broken" and alert["properties"]["severity"] == "critical"
    assert alert["geometry"]["coordinates"] == [58.2, 14.6]
    page = client.get("/tracking/map")
    assert page.status_code == 200 and 'data-source="/tracking/map.json"' in page.text


def test_map_json_of_another_organisation_is_empty(node) -> None:  # type: ignore[no-untyped-def]
    client, _declaration = node
    web_login(client, "officer_b", "/tracking/alerts")
    assert client.get("/tracking/map.json").json()["features"] == []


def test_an_officer_acknowledges_an_alert_with_the_form(node) -> None:  # type: ignore[no-untyped-def]
    client, declaration = node
    csrf = web_login(client, "officer_a", "/tracking/alerts")
    page = client.get("/tracking/alerts")
    assert "seal reported broken outside any site" in page.text
    alert_id = re.search(r'action="/tracking/alerts/([0-9a-f-]+)/acknowledge"', page.text)
    assert alert_id is not None
    forged = client.post(
        f"/tracking/alerts/{alert_id.group(1)}/acknowledge", data={"csrf": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    done = client.post(
        f"/tracking/alerts/{alert_id.group(1)}/acknowledge",
        data={"csrf": csrf, "back": "/tracking/alerts?status=acknowledged"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/tracking/alerts?status=acknowledged"
    acknowledged = client.get(done.headers["location"])
    assert "by officer_a at" in acknowledged.text
    assert "No open alerts" in client.get("/tracking/alerts").text
    for elsewhere in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/x"):
        again = client.post(
            f"/tracking/alerts/{alert_id.group(1)}/acknowledge",
            data={"csrf": csrf, "back": elsewhere},
            follow_redirects=False,
        )
        assert again.headers["location"] == "/tracking/alerts"  # acknowledged already: nothing changes
    assert client.get("/tracking/alerts?status=closed").status_code == 422

    timeline = client.get(f"/declarations/{declaration.id}")
    assert timeline.status_code == 200
    section = timeline.text.split('id="timeline"')[1].split("</section>")[0]
    assert "seal broken" in section and "CSQU3054383" in section and "(acknowledged)" in section
