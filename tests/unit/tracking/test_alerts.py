from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supplyguard.tracking import (
    AlertEngine,
    DeviceProfile,
    GeofenceIndex,
    Position,
    TrackingRules,
    circle_geofence,
    distance_to_route_km,
    polygon_geofence,
    road_route,
)

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
DEPOT = circle_geofence("depot", "Rotterdam depot", (51.90, 4.10), 1.0, kind="site", max_dwell_minutes=60)
MILITARY = polygon_geofence(
    "mil", "Military zone", [(52.0, 4.5), (52.0, 4.7), (52.2, 4.7), (52.2, 4.5)], kind="restricted"
)
ROAD = road_route("A15", [(51.90, 4.10), (51.90, 5.00)], buffer_km=2.0)


def pos(minutes: float, lat: float, lon: float, **sensors: object) -> Position:
    return Position("TRK-1", T0 + timedelta(minutes=minutes), lat, lon, **sensors)  # type: ignore[arg-type]


def engine(**profile: object) -> AlertEngine:
    rules = TrackingRules(
        GeofenceIndex([DEPOT, MILITARY]), {"TRK-1": DeviceProfile("TRK-1", object_ids=("SSCC-1",), **profile)}
    )  # type: ignore[arg-type]
    return AlertEngine(rules)


def kinds(alerts: list) -> list[str]:  # type: ignore[type-arg]
    return [a.kind for a in alerts]


def test_geofence_enter_and_exit_circle_and_polygon() -> None:
    e = engine()
    assert kinds(e.process(pos(0, 51.90, 4.10))) == []  # first fix inside a site: no noise
    assert kinds(e.process(pos(10, 51.90, 4.30))) == ["geofence_exit"]
    entered = e.process(pos(20, 52.10, 4.60))
    assert kinds(entered) == ["geofence_enter"]
    assert entered[0].severity == "high"
    assert "Military zone" in entered[0].reason
    assert entered[0].object_ids == ("SSCC-1",)


def test_corridor_deviation_raised_once_and_return_reported() -> None:
    e = engine(route=ROAD)
    assert kinds(e.process(pos(0, 51.90, 4.40))) == []
    off = e.process(pos(10, 51.95, 4.50))
    assert kinds(off) == ["corridor_deviation"]
    assert off[0].details["distance_km"] == pytest.approx(5.56, abs=0.1)
    assert kinds(e.process(pos(20, 51.96, 4.55))) == []
    assert kinds(e.process(pos(30, 51.90, 4.60))) == ["corridor_return"]


def test_route_distance_across_the_antimeridian() -> None:
    pacific = road_route("pacific", [(10.0, 179.0), (10.0, -179.0)], buffer_km=10)
    assert distance_to_route_km(pacific, 10.0, 180.0) == pytest.approx(0.0, abs=0.01)
    assert distance_to_route_km(pacific, 10.0, 0.0) > 10_000


def test_dwell_longer_than_allowed() -> None:
    e = engine()
    e.process(pos(0, 51.90, 4.10))
    assert kinds(e.process(pos(50, 51.90, 4.101))) == []
    dwell = e.process(pos(70, 51.90, 4.102))
    assert kinds(dwell) == ["dwell"]
    assert kinds(e.process(pos(80, 51.90, 4.10))) == []


def test_door_opened_outside_a_site_only() -> None:
    e = engine()
    assert kinds(e.process(pos(0, 51.90, 4.10, door_open=True))) == []
    e.process(pos(5, 51.90, 4.10, door_open=False))
    outside = e.process(pos(60, 51.90, 4.60, door_open=True))
    assert kinds(outside) == ["geofence_exit", "door_opened"]
    assert "outside any site" in outside[1].reason


def test_seal_broken_at_sea_is_critical() -> None:
    e = engine()
    e.process(pos(0, 51.5, 3.0, seal_intact=True))
    alerts = e.process(pos(10, 51.5, 3.1, seal_intact=False))
    assert [(a.kind, a.severity) for a in alerts] == [("seal_broken", "critical")]
    assert kinds(e.process(pos(20, 51.5, 3.2, seal_intact=False))) == []


def test_temperature_excursion_once_and_shock() -> None:
    e = engine(min_temperature_c=2.0, max_temperature_c=8.0, max_shock_g=3.0)
    assert kinds(e.process(pos(0, 51.5, 3.0, temperature_c=5.0))) == []
    hot = e.process(pos(5, 51.5, 3.0, temperature_c=9.4))
    assert kinds(hot) == ["temperature"]
    assert "above the maximum 8.0" in hot[0].reason
    assert kinds(e.process(pos(10, 51.5, 3.0, temperature_c=9.9))) == []
    e.process(pos(15, 51.5, 3.0, temperature_c=5.0))
    assert kinds(e.process(pos(20, 51.5, 3.0, temperature_c=1.0, shock_g=5.0))) == ["temperature", "shock"]


def test_device_silent_and_unplanned_stop() -> None:
    e = engine(max_silence=timedelta(minutes=30), max_stop_minutes=20)
    e.process(pos(0, 51.5, 4.9, speed_kmh=0.0))
    assert kinds(e.process(pos(10, 51.5, 4.9, speed_kmh=0.0))) == []
    stop = e.process(pos(25, 51.5, 4.9001, speed_kmh=0.5))
    assert kinds(stop) == ["unplanned_stop"]
    assert e.check_silence(T0 + timedelta(minutes=40)) == []
    silent = e.check_silence(T0 + timedelta(minutes=60))
    assert kinds(silent) == ["device_silent"]
    assert e.check_silence(T0 + timedelta(minutes=90)) == []


def test_sea_route_is_planned_on_shipping_lanes() -> None:
    from supplyguard.tracking import plan_sea_route

    route = plan_sea_route("RTM-SIN", (51.95, 4.05), (1.26, 103.8), buffer_km=50)
    assert route.mode == "sea"
    assert 14_000 < route.length_km < 17_000
    assert distance_to_route_km(route, 29.9, 32.56) < 50  # Suez canal
    assert distance_to_route_km(route, 0.0, 0.0) > 500  # Gulf of Guinea is not on this lane
