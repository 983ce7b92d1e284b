"""Tracking engine benchmarks: EPCIS parse + CBV hash, and telemetry rules for 10,000 devices.

    .venv/bin/python bench/tracking_bench.py [--events 100000] [--devices 10000] [--rounds 10]

Data are generated from a fixed seed. Figures are single-process, pure engine (no storage).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from supplyguard.tracking import (
    AlertEngine,
    DeviceProfile,
    EpcisJsonSchema,
    FilterConfig,
    GeofenceIndex,
    Position,
    PositionFilter,
    TrackingRules,
    circle_geofence,
    event_hash,
    parse_epcis_document,
    polygon_geofence,
    road_route,
)

SEED = 20260301
SCHEMA = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "epcis"
    / "gs1-EPCIS"
    / "EPCIS-JSON-Schema.json"
)
BIZ_STEPS = ("shipping", "receiving", "departing", "arriving", "storing", "picking", "packing", "inspecting")


def make_event(rng: random.Random, index: int, start: datetime) -> dict[str, Any]:
    moment = start + timedelta(seconds=index * 3)
    company = rng.choice(("4012345", "0614141", "5200001"))
    item = f"{rng.randrange(10**5):06d}"
    site = f"urn:epc:id:sgln:{company}.{rng.randrange(10**5):05d}.0"
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": moment.isoformat(timespec="milliseconds"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [
            f"urn:epc:id:sgtin:{company}.{item}.{rng.randrange(10**9)}" for _ in range(rng.randint(1, 3))
        ],
        "action": rng.choice(("OBSERVE", "ADD")),
        "bizStep": rng.choice(BIZ_STEPS),
        "disposition": rng.choice(("in_transit", "in_progress", "active")),
        "readPoint": {"id": site},
        "bizLocation": {"id": site},
    }
    if index % 4 == 0:
        event["bizTransactionList"] = [
            {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:4012345000009:{index}"}
        ]
    if index % 5 == 0:
        event["sensorElementList"] = [
            {"sensorReport": [{"type": "Temperature", "value": round(rng.uniform(-5, 30), 1), "uom": "CEL"}]}
        ]
    if index % 10 == 0:
        event["ex:lane"] = f"L{rng.randrange(100)}"
    return event


def make_document(count: int) -> bytes:
    rng = random.Random(SEED)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    document = {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"ex": "https://ex.org/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": [make_event(rng, i, start) for i in range(count)]},
    }
    return json.dumps(document).encode()


def _xml_event(event: dict[str, Any]) -> str:
    parts = [f"<eventTime>{event['eventTime']}</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"]
    parts.append("<epcList>" + "".join(f"<epc>{e}</epc>" for e in event["epcList"]) + "</epcList>")
    parts.append(f"<action>{event['action']}</action>")
    parts.append(f"<bizStep>urn:epcglobal:cbv:bizstep:{event['bizStep']}</bizStep>")
    parts.append(f"<disposition>urn:epcglobal:cbv:disp:{event['disposition']}</disposition>")
    parts.append(f"<readPoint><id>{event['readPoint']['id']}</id></readPoint>")
    parts.append(f"<bizLocation><id>{event['bizLocation']['id']}</id></bizLocation>")
    for entry in event.get("bizTransactionList", []):
        parts.append(
            f'<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po">{entry["bizTransaction"]}'
            "</bizTransaction></bizTransactionList>"
        )
    for element in event.get("sensorElementList", []):
        report = element["sensorReport"][0]
        parts.append(
            f'<sensorElementList><sensorElement><sensorReport type="gs1:{report["type"]}" '
            f'value="{report["value"]}" uom="CEL"/></sensorElement></sensorElementList>'
        )
    if "ex:lane" in event:
        parts.append(f"<ex:lane>{event['ex:lane']}</ex:lane>")
    return "<ObjectEvent>" + "".join(parts) + "</ObjectEvent>"


def make_xml_document(count: int) -> bytes:
    rng = random.Random(SEED)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    body = "".join(_xml_event(make_event(rng, i, start)) for i in range(count))
    return (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://ex.org/" '
        'xmlns:gs1="https://gs1.org/voc/" schemaVersion="2.0" creationDate="2026-03-01T00:00:00Z">'
        f"<EPCISBody><EventList>{body}</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def bench_epcis(count: int) -> list[tuple[str, str]]:
    data = make_document(count)
    rows = [("EPCIS document", f"{count:,} ObjectEvents, {len(data) / 1e6:.1f} MB JSON")]
    started = time.perf_counter()
    document = parse_epcis_document(data)
    elapsed = time.perf_counter() - started
    rows.append(("parse + check + hash (JSON)", f"{count / elapsed:,.0f} events/s ({elapsed:.2f} s)"))
    xml = make_xml_document(count)
    started = time.perf_counter()
    xml_document = parse_epcis_document(xml)
    elapsed = time.perf_counter() - started
    rows.append(("parse + check + hash (XML)", f"{count / elapsed:,.0f} events/s ({len(xml) / 1e6:.1f} MB)"))
    same = sum(
        a.event_hash == b.event_hash for a, b in zip(document.events, xml_document.events, strict=True)
    )
    rows.append(("XML and JSON hashes equal", f"{same:,} of {count:,}"))
    bodies = [(e.event_type, e.body, e.namespaces) for e in document.events]
    started = time.perf_counter()
    for event_type, body, namespaces in bodies:
        event_hash(event_type, body, namespaces)
    elapsed = time.perf_counter() - started
    rows.append(("CBV event hash alone", f"{count / elapsed:,.0f} events/s"))
    if SCHEMA.is_file():
        schema = EpcisJsonSchema(json.loads(SCHEMA.read_text()))
        sample = min(count, 10_000)
        small = make_document(sample)
        started = time.perf_counter()
        parse_epcis_document(small, schema=schema)
        elapsed = time.perf_counter() - started
        rows.append(
            ("parse + GS1 JSON schema + hash", f"{sample / elapsed:,.0f} events/s ({sample:,} events)")
        )
    return rows


def make_world(rng: random.Random, devices: int) -> tuple[TrackingRules, list[list[tuple[float, float]]]]:
    fences = []
    for i in range(400):
        lat, lon = rng.uniform(36, 60), rng.uniform(-8, 30)
        fences.append(
            circle_geofence(f"site-{i}", f"Site {i}", (lat, lon), rng.uniform(0.3, 3.0), kind="site")
        )
    for i in range(100):
        lat, lon = rng.uniform(36, 60), rng.uniform(-8, 30)
        square = [(lat, lon), (lat, lon + 0.2), (lat + 0.15, lon + 0.25), (lat + 0.1, lon - 0.05)]
        fences.append(
            polygon_geofence(f"zone-{i}", f"Zone {i}", square, kind=rng.choice(("zone", "restricted")))
        )
    paths = []
    routes = []
    for i in range(200):
        lat, lon = rng.uniform(38, 58), rng.uniform(-5, 25)
        path = [(lat, lon)]
        for _ in range(60):
            lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(0.02, 0.08)
            path.append((lat, lon))
        paths.append(path)
        routes.append(road_route(f"R{i}", path, buffer_km=3.0))
    profiles = {
        f"DEV-{d:05d}": DeviceProfile(
            f"DEV-{d:05d}", route=routes[d % len(routes)], min_temperature_c=2, max_temperature_c=8,
            max_shock_g=4, max_silence=timedelta(minutes=30), max_stop_minutes=45,
        )
        for d in range(devices)
    }  # fmt: skip
    return TrackingRules(GeofenceIndex(fences), profiles), paths


def bench_telemetry(devices: int, rounds: int) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    rules, paths = make_world(rng, devices)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    positions: list[Position] = []
    for r in range(rounds):
        for d in range(devices):
            path = paths[d % len(paths)]
            step = (d // len(paths)) % 40 + r // 2
            lat, lon = path[min(len(path) - 1, step)]
            off = 0.1 if d % 97 == 0 and r > rounds // 2 else 0.0
            positions.append(
                Position(
                    f"DEV-{d:05d}", start + timedelta(minutes=5 * r, seconds=d % 60),
                    lat + rng.gauss(0, 0.002) + off, lon + rng.gauss(0, 0.002), speed_kmh=rng.uniform(0, 90),
                    temperature_c=rng.gauss(5, 1.2), shock_g=abs(rng.gauss(0.5, 1.0)),
                    door_open=d % 211 == 0 and r == rounds - 1, seal_intact=not (d % 331 == 0 and r > 2),
                )
            )  # fmt: skip
    position_filter = PositionFilter(FilterConfig(max_speed_kmh=300))
    engine = AlertEngine(rules)
    now = start + timedelta(days=1)
    alerts_by_kind: dict[str, int] = {}
    started = time.perf_counter()
    for position in positions:
        if position_filter.check(position, now) is None:
            for alert in engine.process(position):
                alerts_by_kind[alert.kind] = alerts_by_kind.get(alert.kind, 0) + 1
    elapsed = time.perf_counter() - started
    return [
        (
            "telemetry world",
            f"{devices:,} devices, 500 geofences, 200 road corridors, {len(positions):,} positions",
        ),
        ("filters + all alert rules", f"{len(positions) / elapsed:,.0f} positions/s ({elapsed:.2f} s)"),
        ("rejected by filters", json.dumps(position_filter.rejected, sort_keys=True)),
        ("alerts raised", json.dumps(dict(sorted(alerts_by_kind.items())))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    rows = [
        ("machine", f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus".strip()),
        ("python", platform.python_version()),
    ]
    rows += bench_epcis(args.events)
    rows += bench_telemetry(args.devices, args.rounds)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
