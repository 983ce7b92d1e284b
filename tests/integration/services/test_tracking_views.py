"""The tracking pages' reads on both backends: the alert list and its filters, the live map as GeoJSON,
and a declaration's shipment timeline (events and alerts about its containers, stock counts included)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from supplyguard.errors import DeclarationNotFound, ValidationFailed
from supplyguard.model.clock import iso_utc
from supplyguard.services import telemetry, tracking_views
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.tracking import capture_events
from supplyguard.services.tracking_rules import expect_stock
from supplyguard.services.tracking_stock import check_stock
from supplyguard.tracking import DeviceProfile, GeofenceIndex, TrackingRules, road_route
from tests.factories import admin_principal, declaration_data, make_org

CONTAINER = "CSQU3054383"  # the factory declaration's container
EPC = "urn:epc:id:bic:CSQU3054383"
ROAD = road_route("a15", [(51.95, 4.03), (51.87, 4.60), (51.84, 4.97)])


def _positions(container: Any) -> list[dict[str, Any]]:
    start = container.clock.now() - timedelta(hours=2)

    def at(minutes: int, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
        moment = iso_utc(start + timedelta(minutes=minutes))
        return {"device_id": "TRK-1", "time": moment, "lat": lat, "lon": lon, **extra}

    return [
        at(0, 51.95, 4.03, temperature_c=4.0),
        at(20, 51.91, 4.32, temperature_c=4.5),
        at(40, 51.70, 4.45, temperature_c=11.0),  # 20 km off the A15 and too warm
        at(60, 51.87, 4.60, temperature_c=5.0),
    ]


@pytest.fixture
def tracked(container) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    org = make_org(container)
    actor = admin_principal(org)
    declaration = submit_declaration(
        container.uow(), container.clock, container.refdata, container.signer, actor, declaration_data("TL-1")
    )
    profile = DeviceProfile("TRK-1", ROAD, max_temperature_c=8.0, object_ids=(EPC,))
    pipelines = telemetry.TelemetryPipelines(TrackingRules(GeofenceIndex([]), {"TRK-1": profile}))
    report = telemetry.ingest_positions(
        container.uow(), container.clock, actor, _positions(container), pipelines
    )
    loaded = container.clock.now() - timedelta(hours=3)
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": iso_utc(loaded),
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventTime": iso_utc(loaded),
                    "eventTimeZoneOffset": "+00:00",
                    "epcList": [EPC],
                    "action": "OBSERVE",
                    "bizStep": "departing",
                    "readPoint": {"id": "geo:51.9550,4.0300"},
                },
                {
                    "type": "ObjectEvent",
                    "eventTime": iso_utc(loaded),
                    "eventTimeZoneOffset": "+00:00",
                    "epcList": ["urn:epc:id:bic:MSKU9070323"],  # someone else's container
                    "action": "OBSERVE",
                    "bizStep": "departing",
                },
            ]
        },
    }
    capture_events(container.uow(), container.clock, container.signer, actor, json.dumps(document).encode())
    return {"org": org, "actor": actor, "declaration": declaration, "report": report}


def test_alert_list_filters_by_status_kind_and_device(container, tracked) -> None:  # type: ignore[no-untyped-def]
    actor = tracked["actor"]
    kinds = sorted(a.alert.kind for a in tracked["report"].alerts)
    assert kinds == ["corridor_deviation", "corridor_return", "temperature"]
    found = tracking_views.alert_list(container.uow(readonly=True), actor)
    assert len(found.alerts) == 3 and found.kinds == kinds
    only = tracking_views.alert_list(container.uow(readonly=True), actor, kind="temperature", subject="TRK-1")
    assert [a.alert.kind for a in only.alerts] == ["temperature"]
    assert tracking_views.alert_list(container.uow(readonly=True), actor, subject="TRK-9").alerts == []

    acknowledged = telemetry.acknowledge_alert(container.uow(), container.clock, actor, only.alerts[0].id)
    assert acknowledged.acknowledged_by == actor.username and acknowledged.acknowledged_at is not None
    still_open = tracking_views.alert_list(container.uow(readonly=True), actor)
    assert sorted(a.alert.kind for a in still_open.alerts) == ["corridor_deviation", "corridor_return"]
    done = tracking_views.alert_list(container.uow(readonly=True), actor, status="acknowledged")
    assert [(a.alert.kind, a.acknowledged_by) for a in done.alerts] == [("temperature", actor.username)]
    assert len(tracking_views.alert_list(container.uow(readonly=True), actor, status="all").alerts) == 3

    with pytest.raises(ValidationFailed):
        tracking_views.alert_list(container.uow(readonly=True), actor, status="closed")
    stranger = admin_principal(make_org(container, "Customs B", "KR"))
    assert tracking_views.alert_list(container.uow(readonly=True), stranger, status="all").alerts == []


def test_map_is_geojson_of_devices_paths_and_open_alerts(container, tracked) -> None:  # type: ignore[no-untyped-def]
    picture = tracking_views.map_geojson(container.uow(readonly=True), container.clock, tracked["actor"])
    assert picture["type"] == "FeatureCollection" and picture["devices"] == 1 and picture["open_alerts"] == 3
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for feature in picture["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    (asset,) = by_layer["asset"]
    assert asset["geometry"] == {"type": "Point", "coordinates": [4.60, 51.87]}  # GeoJSON is lon, lat
    (track,) = by_layer["track"]
    assert track["geometry"]["type"] == "LineString" and len(track["geometry"]["coordinates"]) == 4
    assert {f["properties"]["kind"] for f in by_layer["alert"]} == {
        "corridor_deviation",
        "corridor_return",
        "temperature",
    }
    json.dumps(picture)  # plain JSON all the way down
    stranger = admin_principal(make_org(container, "Customs B", "KR"))
    assert (
        tracking_views.map_geojson(container.uow(readonly=True), container.clock, stranger)["features"] == []
    )


def test_timeline_holds_the_containers_events_and_alerts_in_time_order(container, tracked) -> None:  # type: ignore[no-untyped-def]
    timeline = tracking_views.declaration_timeline(
        container.uow(readonly=True), tracked["actor"], tracked["declaration"].id
    )
    assert [(t.source, t.title) for t in timeline] == [
        ("event", "departing"),
        ("alert", "corridor deviation"),
        ("alert", "temperature"),
        ("alert", "corridor return"),
    ]
    assert all(t.containers == (CONTAINER,) for t in timeline)
    assert [t.time for t in timeline] == sorted(t.time for t in timeline)
    assert "51.9550, 4.0300" in timeline[0].detail
    stranger = admin_principal(make_org(container, "Customs B", "KR"))
    with pytest.raises(DeclarationNotFound):
        tracking_views.declaration_timeline(container.uow(readonly=True), stranger, tracked["declaration"].id)


def test_a_stock_count_alert_shows_at_its_site_and_on_the_declaration(container, tracked) -> None:  # type: ignore[no-untyped-def]
    actor, declaration = tracked["actor"], tracked["declaration"]
    depot, case = "urn:epc:id:sgln:8712345.00002.0", "urn:epc:id:sgtin:8712345.012345.1001"
    expect_stock(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        "TL-1",
        depot,
        {"https://id.gs1.org/01/08712345123451": 2},
    )
    received = container.clock.now() - timedelta(minutes=30)
    event = {
        "type": "ObjectEvent",
        "eventTime": iso_utc(received),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [case],
        "action": "OBSERVE",
        "bizStep": "receiving",
        "readPoint": {"id": "geo:51.3900,6.1500"},
        "bizLocation": {"id": depot},
    }
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": iso_utc(received),
        "epcisBody": {"eventList": [event]},
    }
    capture_events(container.uow(), container.clock, container.signer, actor, json.dumps(document).encode())
    check = check_stock(container.uow(), container.clock, actor)
    assert [a.alert.kind for a in check.alerts] == ["stock_mismatch"] and check.alerts[0].alert.lat is None

    picture = tracking_views.map_geojson(container.uow(readonly=True), container.clock, actor)
    stock = next(f for f in picture["features"] if f["properties"].get("kind") == "stock_mismatch")
    assert stock["geometry"]["coordinates"] == [6.15, 51.39]  # where the depot's events were read
    timeline = tracking_views.declaration_timeline(container.uow(readonly=True), actor, declaration.id)
    assert "stock mismatch" in [t.title for t in timeline if t.source == "alert"]
    other = submit_declaration(
        container.uow(), container.clock, container.refdata, container.signer, actor,
        declaration_data("TL-2", containers=["MSKU9070323"]),
    )  # fmt: skip
    other_timeline = tracking_views.declaration_timeline(container.uow(readonly=True), actor, other.id)
    assert [t.title for t in other_timeline] == ["departing"]
