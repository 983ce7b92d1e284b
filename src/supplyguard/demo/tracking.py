"""The demo world's moving containers and trucks, with four planted incidents.

The containers of the Netherlands administration's five most recent containerised declarations
travel while the demo runs its clock back from now:

====  ====================================  ====================================================
leg   container                             incident (the alert it raises)
====  ====================================  ====================================================
sea   1st: Shanghai -> Rotterdam (Suez)     seal opened at sea in the Arabian Sea
                                            (``seal_broken`` critical, ``door_opened`` high)
sea   2nd: Singapore -> Rotterdam, reefer   cold-chain break, up to 13 °C for 18 hours in the
      (2-8 °C)                              central Mediterranean (``temperature`` high)
road  3rd: Rotterdam -> Venlo depot (A15,   leaves its corridor after Geldermalsen for a detour south
      A73), 24 cases                        (``corridor_deviation`` high, then ``corridor_return``);
                                            the depot counts 22 of the 24 cases it was sent
                                            (``stock_mismatch`` high)
road  4th: Rotterdam -> Tilburg (A16, A58)  none: on its way
sea   5th: Shanghai -> Rotterdam            none: in the Indian Ocean
====  ====================================  ====================================================

Sea legs are planned on the searoute shipping-lane network (as the corridor rule plans them),
road legs are polylines tracing the motorways (about a point every 10-30 km). Everything is
generated from the demo's fixed choices and ``now``: the geometry, incidents and alerts are the same
on every run, only the times move with the clock.

The data goes in through the real services: the sites, corridors, cold-chain profile, device links
and expected depot stock as a rules document (:func:`supplyguard.services.tracking_rules.load_rules`),
the EPCIS events through :func:`supplyguard.services.tracking.capture_events`, the positions through
:func:`supplyguard.services.telemetry.ingest_positions` (the node's pipeline, running the stored
rules: it stores the alerts and raises the risk of the linked declarations), and the depot count
through :func:`supplyguard.services.tracking_stock.check_stock`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from supplyguard.bootstrap import Container
from supplyguard.demo.world import DemoWorld
from supplyguard.model.clock import iso_utc
from supplyguard.model.organisations import Principal
from supplyguard.services import telemetry, tracking, tracking_rules, tracking_stock
from supplyguard.services.tracking_views import container_epc
from supplyguard.tracking import (
    Route,
    haversine_km,
    item_class,
    normalise_gs1_uri,
    plan_sea_route,
    road_route,
)

LatLon = tuple[float, float]

SHANGHAI: LatLon = (30.62, 122.07)
SINGAPORE: LatLon = (1.26, 103.84)
ROTTERDAM: LatLon = (51.955, 4.03)
VENLO_DEPOT: LatLon = (51.39, 6.15)
TILBURG_DEPOT: LatLon = (51.56, 5.09)
# where the incidents at sea are planted (the position of the voyage nearest to each)
ARABIAN_SEA: LatLon = (13.5, 56.0)
CENTRAL_MEDITERRANEAN: LatLon = (35.5, 17.0)

# Motorways as polylines (lat, lon): A15 from the Maasvlakte past Gorinchem and Tiel, A73 south to Venlo.
A15_A73_VENLO: tuple[LatLon, ...] = (
    (51.955, 4.030), (51.905, 4.190), (51.875, 4.390), (51.870, 4.600), (51.835, 4.975),
    (51.870, 5.280), (51.880, 5.430), (51.870, 5.740), (51.800, 5.770), (51.650, 5.950),
    (51.520, 6.000), (51.390, 6.150),
)  # fmt: skip
# A15 to Ridderkerk, A16 over the Moerdijk bridge to Breda, A58 to Tilburg.
A16_A58_TILBURG: tuple[LatLon, ...] = (
    (51.955, 4.030), (51.905, 4.190), (51.875, 4.390), (51.870, 4.600), (51.800, 4.650),
    (51.700, 4.640), (51.590, 4.780), (51.560, 4.940), (51.560, 5.090),
)  # fmt: skip
# The detour of the corridor-deviation truck: off the A15 after Geldermalsen, south towards Zaltbommel
# and 's-Hertogenbosch, back onto the A15 before Ewijk.
DETOUR: tuple[LatLon, ...] = ((51.80, 5.30), (51.72, 5.40), (51.74, 5.60), (51.83, 5.68))

SITES = {
    "rotterdam": ("Port of Rotterdam, Maasvlakte", ROTTERDAM, 12.0, "urn:epc:id:sgln:8712345.00001.0"),
    "venlo": ("Venlo inland depot", VENLO_DEPOT, 2.0, "urn:epc:id:sgln:8712345.00002.0"),
    "tilburg": ("Tilburg inland depot", TILBURG_DEPOT, 2.0, "urn:epc:id:sgln:8712345.00003.0"),
    "shanghai": ("Port of Shanghai, Yangshan", SHANGHAI, 12.0, "urn:epc:id:sgln:6901234.00001.0"),
    "singapore": ("Port of Singapore, Pasir Panjang", SINGAPORE, 12.0, "urn:epc:id:sgln:8881234.00001.0"),
}
CASE_CLASS = "8712345.012345"  # company prefix . item reference of the cases' SGTINs
CASES_SHIPPED = 24
CASES_COUNTED = 22
SEA_SPEED_KMH = 36.0
ROAD_SPEED_KMH = 80.0
CBV_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
#: the organisation that tracks the demo's containers (its customs e-seal and reefer monitoring)
TRACKING_ORG = "Netherlands Customs (demo)"


@dataclass
class Trip:
    """One tracked leg: the device, the container it is fixed to, the route and its positions."""

    device_id: str
    container: str
    route: Route
    positions: list[dict[str, Any]] = field(default_factory=list)
    #: the corridor as a rules-file entry (sea: from/to, planned on the lanes; road: the polyline)
    corridor: dict[str, Any] = field(default_factory=dict)
    #: cold-chain bounds as a rules-file profile, when the container is a reefer
    profile: dict[str, float] = field(default_factory=dict)


@dataclass
class TrackingPlan:
    trips: list[Trip]
    events: list[dict[str, Any]]
    #: the depot stock check: site -> item class -> count the despatch says should be there (canonical
    #: identifiers, as the stock engine counts them)
    expected_stock: dict[str, dict[str, float]]
    stock_container: str
    stock_site: LatLon


def _cumulative_km(points: Sequence[LatLon]) -> list[float]:
    total = [0.0]
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        total.append(total[-1] + haversine_km(lat1, lon1, lat2, lon2))
    return total


def _point_at(points: Sequence[LatLon], cumulative: Sequence[float], km: float) -> tuple[LatLon, float]:
    """The point ``km`` along the polyline and the course there (degrees from north)."""
    km = min(max(km, 0.0), cumulative[-1])
    index = next((i for i in range(1, len(cumulative)) if cumulative[i] >= km), len(cumulative) - 1)
    (lat1, lon1), (lat2, lon2) = points[index - 1], points[index]
    span = cumulative[index] - cumulative[index - 1]
    t = (km - cumulative[index - 1]) / span if span else 0.0
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0
    lon = (lon1 + t * dlon + 180.0) % 360.0 - 180.0
    course = math.degrees(math.atan2(dlon * math.cos(math.radians(lat1)), lat2 - lat1)) % 360.0
    return (lat1 + t * (lat2 - lat1), lon), course


def _drive(
    device_id: str,
    points: Sequence[LatLon],
    start: datetime,
    end: datetime,
    step: timedelta,
    speed_kmh: float,
    now: datetime,
    **readings: Any,
) -> list[dict[str, Any]]:
    """Positions every ``step`` from ``start`` along ``points`` at ``speed_kmh``, until ``end`` or ``now``."""
    cumulative = _cumulative_km(points)
    positions = []
    moment = start
    while moment <= min(end, now):
        km = (moment - start).total_seconds() / 3600.0 * speed_kmh
        (lat, lon), course = _point_at(points, cumulative, km)
        arrived = km >= cumulative[-1]
        positions.append(
            {
                "device_id": device_id,
                "time": iso_utc(moment),
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "speed_kmh": 0.0 if arrived else speed_kmh,
                "course_deg": round(course, 1),
                **readings,
            }
        )
        if arrived:
            break
        moment += step
    return positions


def _voyage_hours(route: Route, speed_kmh: float) -> float:
    return _cumulative_km(route.points)[-1] / speed_kmh


def _with(positions: list[dict[str, Any]], start: datetime, end: datetime, **values: Any) -> None:
    """Set ``values`` on the positions between ``start`` and ``end`` (the planted readings)."""
    for position in positions:
        moment = datetime.fromisoformat(position["time"].replace("Z", "+00:00"))
        if start <= moment <= end:
            position.update(values)


def _event(kind: str, moment: datetime, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": iso_utc(moment), "eventTimeZoneOffset": "+00:00", **fields}


def _geo(point: LatLon) -> dict[str, str]:
    return {"id": f"geo:{point[0]:.4f},{point[1]:.4f}"}


def _observed(
    moment: datetime, epc: str, biz_step: str, disposition: str, where: LatLon, **fields: Any
) -> dict[str, Any]:
    """An ObjectEvent observing ``epc`` at ``where`` (a read point) at ``moment``."""
    return _event(
        "ObjectEvent",
        moment,
        epcList=[epc],
        action="OBSERVE",
        bizStep=biz_step,
        disposition=disposition,
        readPoint=_geo(where),
        **fields,
    )


def _sea_events(
    container: str, origin: str, destination: str | None, depart: datetime, arrive: datetime | None
) -> list[dict[str, Any]]:
    epc = container_epc(container)
    _name, where, _r, site = SITES[origin]
    events = [
        _observed(
            depart - timedelta(hours=10), epc, "loading", "in_progress", where, bizLocation={"id": site}
        ),
        _observed(depart, epc, "departing", "in_transit", where),
    ]
    if destination and arrive:
        _name, there, _r, there_site = SITES[destination]
        events += [
            _observed(arrive, epc, "arriving", "in_transit", there),
            _observed(
                arrive + timedelta(hours=3),
                epc,
                "unloading",
                "in_progress",
                there,
                bizLocation={"id": there_site},
            ),
        ]
    return events


def plan_tracking(containers: Sequence[str], now: datetime) -> TrackingPlan:
    """The demo's trips and EPCIS events for (up to) five containers, ending at ``now``."""
    c = list(containers)
    trips: list[Trip] = []
    events: list[dict[str, Any]] = []
    now = now.replace(microsecond=0)

    # 1. Shanghai -> Rotterdam; the seal is cut and the door opened in the Arabian Sea.
    if len(c) > 0:
        route = plan_sea_route(f"sea-{c[0]}", SHANGHAI, ROTTERDAM)
        hours = _voyage_hours(route, SEA_SPEED_KMH)
        depart = now - timedelta(hours=hours * 0.8)
        device = f"ESEAL-{c[0]}"
        positions = _drive(
            device,
            route.points,
            depart,
            now,
            timedelta(hours=6),
            SEA_SPEED_KMH,
            now,
            seal_intact=True,
            door_open=False,
        )
        incident = _nearest(positions, ARABIAN_SEA)
        for position in positions[incident:]:
            position["seal_intact"] = False
        positions[incident]["door_open"] = True
        trips.append(Trip(device, c[0], route, positions, _sea_corridor(c[0], SHANGHAI)))
        events += _sea_events(c[0], "shanghai", None, depart, None)

    # 2. Singapore -> Rotterdam reefer (2-8 °C); 13 °C for half a day in the Mediterranean.
    if len(c) > 1:
        route = plan_sea_route(f"sea-{c[1]}", SINGAPORE, ROTTERDAM)
        hours = _voyage_hours(route, SEA_SPEED_KMH)
        arrive = now - timedelta(hours=8)
        depart = arrive - timedelta(hours=hours)
        device = f"REEFER-{c[1]}"
        positions = _drive(
            device,
            route.points,
            depart,
            now,
            timedelta(hours=6),
            SEA_SPEED_KMH,
            now,
            temperature_c=5.0,
            humidity_pct=82.0,
        )
        warm = _nearest(positions, CENTRAL_MEDITERRANEAN)
        for offset, temperature in enumerate((9.5, 13.0, 12.5)):
            positions[warm + offset]["temperature_c"] = temperature
        cold_chain = {"min_temperature_c": 2.0, "max_temperature_c": 8.0}
        trips.append(Trip(device, c[1], route, positions, _sea_corridor(c[1], SINGAPORE), cold_chain))
        events += _sea_events(c[1], "singapore", "rotterdam", depart, arrive)

    # 3. Rotterdam -> Venlo by truck, with a detour off the corridor and two cases short at the depot.
    if len(c) > 2:
        route = road_route(f"road-{c[2]}", A15_A73_VENLO)
        detour_at = 5  # after Geldermalsen (vertex 5), rejoin before Ewijk (vertex 7)
        driven = (*A15_A73_VENLO[: detour_at + 1], *DETOUR, *A15_A73_VENLO[detour_at + 2 :])
        length = _cumulative_km(driven)[-1]
        depart = now - timedelta(hours=length / ROAD_SPEED_KMH) - timedelta(minutes=45)
        arrive = depart + timedelta(hours=length / ROAD_SPEED_KMH)
        device = "TRUCK-NL-17"
        positions = _drive(device, driven, depart, arrive, timedelta(minutes=5), ROAD_SPEED_KMH, now)
        trips.append(Trip(device, c[2], route, positions, _road_corridor(c[2], A15_A73_VENLO)))
        events += _depot_events(c[2], depart, arrive)

    # 4. Rotterdam -> Tilburg by truck, on its way.
    if len(c) > 3:
        route = road_route(f"road-{c[3]}", A16_A58_TILBURG)
        depart = now - timedelta(minutes=50)
        device = "TRUCK-NL-08"
        positions = _drive(device, A16_A58_TILBURG, depart, now, timedelta(minutes=5), ROAD_SPEED_KMH, now)
        trips.append(Trip(device, c[3], route, positions, _road_corridor(c[3], A16_A58_TILBURG)))
        events += _sea_events(c[3], "rotterdam", None, depart, None)

    # 5. Shanghai -> Rotterdam, a week out.
    if len(c) > 4:
        route = plan_sea_route(f"sea-{c[4]}", SHANGHAI, ROTTERDAM)
        depart = now - timedelta(days=9)
        device = f"ESEAL-{c[4]}"
        positions = _drive(
            device,
            route.points,
            depart,
            now,
            timedelta(hours=6),
            SEA_SPEED_KMH,
            now,
            seal_intact=True,
            door_open=False,
        )
        trips.append(Trip(device, c[4], route, positions, _sea_corridor(c[4], SHANGHAI)))
        events += _sea_events(c[4], "shanghai", None, depart, None)

    depot = canonical_value(SITES["venlo"][3])
    case_class = item_class(canonical_value(_cases(1)[0]))
    expected = {depot: {case_class: float(CASES_SHIPPED)}} if len(c) > 2 else {}
    return TrackingPlan(trips, events, expected, c[2] if len(c) > 2 else "", VENLO_DEPOT)


def _sea_corridor(container: str, origin: LatLon) -> dict[str, Any]:
    return {
        "name": f"sea-{container}",
        "mode": "sea",
        "from": list(origin),
        "to": list(ROTTERDAM),
        "width_km": 50,
    }


def _road_corridor(container: str, points: Sequence[LatLon]) -> dict[str, Any]:
    return {"name": f"road-{container}", "mode": "road", "points": [list(p) for p in points], "width_km": 2}


def _nearest(positions: list[dict[str, Any]], target: LatLon) -> int:
    """Index of the position closest to ``target`` (where an incident is planted)."""
    return min(
        range(len(positions)),
        key=lambda i: haversine_km(positions[i]["lat"], positions[i]["lon"], target[0], target[1]),
    )


def _cases(count: int) -> list[str]:
    return [f"urn:epc:id:sgtin:{CASE_CLASS}.{serial}" for serial in range(1001, 1001 + count)]


def _depot_events(container: str, depart: datetime, arrive: datetime) -> list[dict[str, Any]]:
    """Cases stuffed into the container at Rotterdam, despatched to Venlo, 22 of 24 received there."""
    epc = container_epc(container)
    _n, port, _r, port_site = SITES["rotterdam"]
    _n, depot, _r, depot_site = SITES["venlo"]
    shipped, counted = _cases(CASES_SHIPPED), _cases(CASES_COUNTED)
    despatch = [
        {"type": "desadv", "bizTransaction": f"urn:epcglobal:cbv:bt:8712345000010:DESADV-{container}"}
    ]
    return [
        _event(
            "AggregationEvent",
            depart - timedelta(hours=2),
            parentID=epc,
            childEPCs=shipped,
            action="ADD",
            bizStep="packing",
            disposition="in_progress",
            readPoint=_geo(port),
            bizLocation={"id": port_site},
        ),
        _observed(
            depart,
            epc,
            "shipping",
            "in_transit",
            port,
            bizTransactionList=despatch,
            destinationList=[{"type": "location", "destination": depot_site}],
        ),
        _observed(arrive, epc, "arriving", "in_transit", depot),
        _event(
            "AggregationEvent",
            arrive + timedelta(minutes=10),
            parentID=epc,
            childEPCs=counted,
            action="DELETE",
            bizStep="unpacking",
            disposition="in_progress",
            readPoint=_geo(depot),
        ),
        _event(
            "ObjectEvent",
            arrive + timedelta(minutes=20),
            epcList=counted,
            action="OBSERVE",
            bizStep="receiving",
            disposition="in_progress",
            readPoint=_geo(depot),
            bizLocation={"id": depot_site},
            bizTransactionList=despatch,
        ),
    ]


def rules_document(plan: TrackingPlan, references: Mapping[str, str]) -> dict[str, Any]:
    """The demo's alert rules as a rules document (services.tracking_rules.load_rules): the ports and
    depots as sites, each device's corridor, the reefer's cold-chain profile, each device linked to
    its container and declaration (``references``: container -> declaration reference), and the
    cases the Venlo declaration ships to the depot."""
    rules: dict[str, Any] = {
        "geofences": [
            {"name": name, "type": "site", "circle": {"lat": point[0], "lon": point[1], "radius_km": radius}}
            for name, point, radius, _site in SITES.values()
        ],
        "corridors": [{**trip.corridor, "devices": [trip.device_id]} for trip in plan.trips],
        "profiles": [
            {"name": f"cold chain {trip.device_id}", **trip.profile, "devices": [trip.device_id]}
            for trip in plan.trips
            if trip.profile
        ],
        "links": [
            {
                "device": trip.device_id,
                "asset": container_epc(trip.container),
                "declaration": references[trip.container],
            }
            for trip in plan.trips
        ],
    }
    if plan.expected_stock and plan.stock_container:
        rules["expected_stock"] = [
            {"declaration": references[plan.stock_container], "site": site, "items": items}
            for site, items in plan.expected_stock.items()
        ]
    return rules


def demo_shipments(declarations: Iterable[Mapping[str, Any]], count: int = 5) -> dict[str, str]:
    """Container -> declaration reference: the first container of the ``count`` most recent
    declarations that name one (newest first)."""
    with_containers = [d for d in declarations if d.get("containers")]
    with_containers.sort(key=lambda d: (d["declared_on"], d["reference"]), reverse=True)
    return {d["containers"][0]: d["reference"] for d in with_containers[:count]}


def _document(events: list[dict[str, Any]], now: datetime) -> bytes:
    document = {
        "@context": [CBV_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": iso_utc(now),
        "epcisBody": {"eventList": sorted(events, key=lambda e: e["eventTime"])},
    }
    return json.dumps(document).encode()


@dataclass(frozen=True, slots=True)
class TrackingSummary:
    devices: int
    positions: int
    events: int
    alerts: dict[str, int]
    signals: int


def load_tracking(
    container: Container,
    operator: Principal,
    world: DemoWorld,
    org_name: str,
    on_step: Callable[[str], None] | None = None,
) -> TrackingSummary | None:
    """For the organisation that tracks the demo's containers: store the alert rules, capture the
    EPCIS events, send the positions through the node's telemetry pipeline (which raises the alerts
    and the risk of the linked declarations) and run the depot stock check. Other organisations:
    nothing (None)."""
    if org_name != TRACKING_ORG:
        return None
    now = container.clock.now()
    shipments = demo_shipments(world.declarations.get(org_name, []))
    plan = plan_tracking(list(shipments), now)
    tracking_rules.load_rules(
        container.uow(),
        container.clock,
        container.signer,
        operator,
        rules_document(plan, shipments),
        replace=True,
    )
    job = tracking.capture_events(
        container.uow(),
        container.clock,
        container.signer,
        operator,
        _document(plan.events, now),
        source="demo",
    )
    batch = sorted(
        (p for trip in plan.trips for p in trip.positions), key=lambda p: (p["time"], p["device_id"])
    )
    pipelines = telemetry.telemetry_pipelines(container.extras)
    report = telemetry.ingest_positions(container.uow(), container.clock, operator, batch, pipelines)
    stock = tracking_stock.check_stock(container.uow(), container.clock, operator)
    kinds: dict[str, int] = {}
    for alert in [*report.alerts, *stock.alerts]:
        kinds[alert.alert.kind] = kinds.get(alert.alert.kind, 0) + 1
    signals = report.signals + stock.signals
    summary = TrackingSummary(len(plan.trips), report.stored, job.event_count, kinds, signals)
    if on_step:
        on_step(
            f"{org_name}: {summary.devices} tracked containers, {summary.events} EPCIS events, "
            f"{summary.positions} positions, {sum(kinds.values())} alerts, {signals} risk signals"
        )
    return summary


def canonical_value(epc: str) -> str:
    """An identifier in the form stored events and the stock engine use (GS1 Digital Link)."""
    return normalise_gs1_uri(epc) or epc
