"""The demo's trips are the same wherever the clock stands: only their times move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supplyguard.demo.tracking import ARABIAN_SEA, CENTRAL_MEDITERRANEAN, plan_tracking
from supplyguard.tracking import distance_to_route_km, haversine_km

CONTAINERS = ["MSCU3335175", "MSKU8778869", "ZIMU6205590", "ZIMU7827279", "ONEU9280887"]


def test_trips_are_deterministic_and_carry_the_planted_incidents() -> None:
    now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    plan = plan_tracking(CONTAINERS, now)
    later = plan_tracking(CONTAINERS, now + timedelta(days=3))
    assert [(p["lat"], p["lon"]) for t in plan.trips for p in t.positions] == [
        (p["lat"], p["lon"]) for t in later.trips for p in t.positions
    ]
    assert all(p["time"] <= "2026-12-06T10:00:00.000000Z" for t in plan.trips for p in t.positions)
    seal, reefer, truck, _tilburg, _far = plan.trips
    broken = next(p for p in seal.positions if p["seal_intact"] is False)
    assert haversine_km(broken["lat"], broken["lon"], *ARABIAN_SEA) < 300
    warm = next(p for p in reefer.positions if p["temperature_c"] > 8.0)
    assert haversine_km(warm["lat"], warm["lon"], *CENTRAL_MEDITERRANEAN) < 300
    assert max(distance_to_route_km(truck.route, p["lat"], p["lon"]) for p in truck.positions) > 10.0
    assert all(distance_to_route_km(seal.route, p["lat"], p["lon"]) < 5.0 for p in seal.positions)
    assert list(plan.expected_stock.values()) == [{"https://id.gs1.org/01/08712345123451": 24.0}]
    assert len(plan_tracking(CONTAINERS[:2], now).trips) == 2
