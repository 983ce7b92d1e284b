"""Telemetry through MQTT: positions/s sustained with alert rules on 10,000 devices, every message counted.

    .venv/bin/python bench/tracking_mqtt_bench.py [--seconds 300] [--devices 10000] [--rate 10000]
        [--per-message 1] [--no-spool] [--receive-maximum 1000] [--pg]

A publisher process sends positions of ``--devices`` trackers (each one a second of movement per
round, in device order) at ``--rate`` positions/s (0: as fast as it can) to the Mosquitto broker on
127.0.0.1:1883, QoS 1, one position per message by default (``--per-message N``: JSON arrays of N
positions of one device). This process runs the node's subscriber (``adapters.mqtt`` batching into
``services.telemetry_mqtt``: filters, the organisation's stored rules, alerts, risk signals, one
transaction per batch) on a throw-away SQLite file (``--pg``: PostgreSQL 127.0.0.1:5432), with
its spool under the data directory as ``supplyguard tracking mqtt`` runs it (``--no-spool``: the
network thread waits at 200,000 waiting messages instead).

Rules (stored on the node, as ``supplyguard tracking rules load`` would): 100 circle geofences (sites,
zones, restricted areas), a temperature profile and a shock profile on every device, and 100 road
corridors each followed by a hundredth of the devices. 0.5 % of the devices drift off their corridor,
1 % warm up, 0.2 % of the messages repeat the previous position (the duplicate filter drops them).

No loss: positions published = stored + filtered + bad, and the stored count is read back from the
database. The figures: sustained rate (positions handled / time from the first message to the last
one written), the backlog (received, not yet written) sampled every 5 s, CPU seconds of the
publisher, the subscriber and the broker (all three share the machine). Prints a table and the
machine.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing as mp
import os
import platform
import random
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import create_pg_database, drop_pg_database
from supplyguard.adapters.db.migrate import upgrade
from supplyguard.adapters.db.telemetry_repo import TelemetryRepository
from supplyguard.adapters.mqtt import RECEIVE_MAXIMUM, MqttBatchSubscriber, parse_broker_url
from supplyguard.bootstrap import build
from supplyguard.config import Settings
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import accounts, tracking_rules
from supplyguard.services.telemetry import TelemetryPipelines
from supplyguard.services.telemetry_mqtt import MqttTelemetryIngest, subscriptions

SEED = 20261206
BROKER = "mqtt://127.0.0.1:1883"
CORRIDORS = 100
GEOFENCES = 100
KM_PER_DEG = 111.2


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"


# --- the world -------------------------------------------------------------------------------


@functools.cache
def corridor_line(index: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """A 200 km straight road: start and (d_lat, d_lon) per km."""
    rng = random.Random(SEED + index)
    lat, lon = rng.uniform(45.0, 55.0), rng.uniform(0.0, 15.0)
    heading = rng.uniform(0, 2 * math.pi)
    dlat = math.cos(heading) / KM_PER_DEG
    dlon = math.sin(heading) / (KM_PER_DEG * math.cos(math.radians(lat)))
    return (lat, lon), (dlat, dlon)


def rules_document(devices: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    fences = []
    for n in range(GEOFENCES):
        kind = ("site", "zone", "restricted")[n % 3]
        fences.append(
            {
                "name": f"fence-{n:03d}",
                "type": kind,
                "circle": {
                    "lat": rng.uniform(45, 55),
                    "lon": rng.uniform(0, 15),
                    "radius_km": rng.uniform(5, 20),
                },
                **({"max_dwell_minutes": 2} if kind == "zone" else {}),
            }
        )
    corridors = []
    for c in range(CORRIDORS):
        (lat, lon), (dlat, dlon) = corridor_line(c)
        points = [[lat + dlat * km, lon + dlon * km] for km in range(0, 201, 10)]
        corridors.append({"name": f"road-{c:03d}", "mode": "road", "points": points, "width_km": 2})
    assignments: list[dict[str, Any]] = [{"rules": ["cold", "fragile"], "devices": ["*"]}]
    for c in range(CORRIDORS):
        assignments.append(
            {"rules": [f"road-{c:03d}"], "devices": [device_id(i) for i in range(c, devices, CORRIDORS)]}
        )
    return {
        "geofences": fences,
        "corridors": corridors,
        "profiles": [
            {"name": "cold", "min_temperature_c": 2, "max_temperature_c": 8, "max_silence_minutes": 30},
            {"name": "fragile", "max_shock_g": 5},
        ],
        "assignments": assignments,
    }


def device_id(index: int) -> str:
    return f"TRK-{index:05d}"


def position(index: int, step: int, start: datetime) -> dict[str, Any]:
    """Device ``index`` after ``step`` seconds: 60 km/h along its corridor (some drift off, some warm up)."""
    (lat, lon), (dlat, dlon) = corridor_line(index % CORRIDORS)
    along = 10.0 + (index // CORRIDORS) * 1.5 % 150 + step / 60.0
    # 0.5 % leave the corridor sideways (50 m/s across it after the first minute), spread over corridors
    drift = max(0.0, (step - 60) * 0.05) if index % 199 == 7 else 0.0
    cos_lat = math.cos(math.radians(lat))
    warm = index % 100 == 3 and step > 30
    return {
        "time": (start + timedelta(seconds=step)).isoformat(),
        "lat": round(lat + dlat * along - dlon * cos_lat * drift, 6),
        "lon": round(lon + dlon * along + dlat / cos_lat * drift, 6),
        "speed_kmh": 60.0,
        "temperature_c": 9.5 if warm else 4.0,
        "shock_g": 0.2,
        "battery_pct": 80,
    }


# --- the publisher (its own process) -------------------------------------------------------------


class RawPublisher:
    """A lean MQTT 3.1.1 QoS 1 publisher on a plain socket: the load generator, not the system under test.

    paho's publisher costs more CPU per message than the subscriber under test (and its 16-bit packet
    ids collide once 65,535 messages wait in its own queue), so the trackers are simulated with packets
    built here, sent in chunks, with a reader thread counting the broker's PUBACKs. At most ``window``
    messages are unacknowledged at any time.
    """

    def __init__(self, client_id: str, window: int = 20_000) -> None:
        import socket
        import threading

        self.sock = socket.create_connection(("127.0.0.1", 1883))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ident = client_id.encode()
        variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(ident).to_bytes(2, "big") + ident
        self.sock.sendall(b"\x10" + _remaining(len(variable)) + variable)
        connack = self.sock.recv(4)
        if len(connack) < 4 or connack[0] != 0x20 or connack[3] != 0:
            raise SystemExit(f"broker refused the publisher: {connack!r}")
        self.window = window
        self.sent = 0
        self.acked = 0
        self.next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        received = 0
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            received += len(chunk)
            self.acked = received // 4  # only PUBACKs (4 bytes: 0x40 0x02 id id) come back here

    def send(self, packets: list[tuple[bytes, bytes]]) -> None:
        """(topic, payload) pairs as QoS 1 PUBLISH packets, waiting while the window is full."""
        while self.sent - self.acked > self.window:
            time.sleep(0.001)
        out = bytearray()
        for topic, payload in packets:
            self.next_id = self.next_id % 65535 + 1
            body = len(topic).to_bytes(2, "big") + topic + self.next_id.to_bytes(2, "big") + payload
            out += b"\x32" + _remaining(len(body)) + body
        self.sock.sendall(out)
        self.sent += len(packets)

    def close(self) -> None:
        self.sock.sendall(b"\xe0\x00")
        self.sock.close()


def _remaining(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def publish(
    prefix: str, org: str, devices: int, seconds: float, rate: float, per_message: int, results: Any
) -> None:
    client = RawPublisher(f"bench-pub-{uuid.uuid4().hex[:8]}")
    start = datetime.now(UTC) - timedelta(hours=2)
    rng = random.Random(SEED)
    topics = [f"{prefix}/{org}/devices/{device_id(i)}/position".encode() for i in range(devices)]
    messages = positions = 0
    began = time.monotonic()
    step = 0
    previous: dict[int, dict[str, Any]] = {}
    chunk: list[tuple[bytes, bytes]] = []
    while time.monotonic() - began < seconds:
        for index in range(devices):
            batch = []
            for k in range(per_message):
                body = position(index, step * per_message + k, start)
                if rng.random() < 0.002 and index in previous:
                    body = previous[index]  # a tracker re-sending: the duplicate filter drops it
                previous[index] = body
                batch.append(body)
            chunk.append((topics[index], json.dumps(batch if per_message > 1 else batch[0]).encode()))
            messages += 1
            positions += per_message
            if len(chunk) * per_message >= 200:
                client.send(chunk)
                chunk = []
                if rate:
                    ahead = positions / rate - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
                if time.monotonic() - began >= seconds:
                    break
        step += 1
    if chunk:
        client.send(chunk)
    sent_at = time.monotonic()
    while client.acked < messages and time.monotonic() - sent_at < 120:
        time.sleep(0.01)
    elapsed = time.monotonic() - began
    client.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(
        {
            "messages": messages,
            "acked": client.acked,
            "refused": {},
            "positions": positions,
            "seconds": elapsed,
            "rounds": step,
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    )


# --- measuring ---------------------------------------------------------------------------------


def broker_cpu_s() -> float | None:
    """CPU seconds the Mosquitto process has used so far (None when it cannot be read)."""
    try:
        pid = subprocess.run(
            ["pgrep", "-x", "mosquitto"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return None


def run(args: argparse.Namespace, database_url: str, data_dir: Path) -> dict[str, Any]:
    container = build(Settings(data_dir=data_dir, database_url=database_url, node_name="bench.node"))
    upgrade(container.engine)
    org = accounts.create_organisation(container.uow(), container.clock, None, "Carrier A", "NL", "carrier")
    actor = Principal(uuid.UUID(int=0), org.id, "bench", frozenset({Role.ADMIN}), "bench", "cli")
    loaded_at = time.perf_counter()
    tracking_rules.load_rules(
        container.uow(), container.clock, container.signer, actor, rules_document(args.devices)
    )
    load_s = time.perf_counter() - loaded_at
    prefix = f"sgbench-{uuid.uuid4().hex[:8]}"
    pipelines = TelemetryPipelines()
    ingest = MqttTelemetryIngest(container.uow, container.clock, pipelines, prefix)
    subscriber = MqttBatchSubscriber(  # as `supplyguard tracking mqtt` runs it: a spool under the data dir
        parse_broker_url(BROKER),
        subscriptions(prefix),
        ingest,
        batch_ms=args.batch_ms,
        batch_max=args.batch_max,
        spool_dir=None if args.no_spool else data_dir / "mqtt-spool",
        receive_maximum=args.receive_maximum,
    )
    subscriber.start()
    results: Any = mp.Queue()
    publisher = mp.Process(
        target=publish,
        args=(prefix, str(org.id), args.devices, args.seconds, args.rate, args.per_message, results),
    )
    broker_before = broker_cpu_s()
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    publisher.start()
    backlog: list[int] = []
    published: dict[str, Any] | None = None
    while published is None:
        time.sleep(5)
        backlog.append(subscriber.received - ingest.counters.messages)
        if not results.empty():
            published = results.get()
    publisher.join()
    last_received, quiet_since = subscriber.received, time.monotonic()
    written, last_write = ingest.counters.messages, time.monotonic()
    while ingest.counters.messages < published["messages"]:
        time.sleep(0.05)
        if ingest.counters.messages != written:
            written, last_write = ingest.counters.messages, time.monotonic()
        if subscriber.received != last_received:
            last_received, quiet_since = subscriber.received, time.monotonic()
        elif subscriber.received == ingest.counters.messages and time.monotonic() - quiet_since > 30:
            break  # everything received is written and nothing more has come for 30 s: the rest is lost
    drained = last_write if ingest.counters.messages < published["messages"] else time.monotonic()
    subscriber.stop()
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    broker_after = broker_cpu_s()
    counts = ingest.counters
    with container.uow(readonly=True) as uow:
        stored_rows = TelemetryRepository(uow.connection).count_positions(org.id)
        alert_kinds: dict[str, int] = {}
        for stored in TelemetryRepository(uow.connection).alerts(org.id, open_only=False, limit=1_000_000):
            alert_kinds[stored.alert.kind] = alert_kinds.get(stored.alert.kind, 0) + 1
    container.close()
    handled = counts.stored + sum(counts.filtered.values()) + sum(counts.bad.values())
    return {
        "backend": container.engine.dialect.name,
        "rules_load_s": load_s,
        "published": published,
        "received": subscriber.received,
        "counts": counts.as_dict(),
        "stored_rows": stored_rows,
        "handled": handled,
        "lost": published["positions"] - handled - counts.failed,
        "wall_s": drained - began,
        "drain_s": drained - began - published["seconds"],
        "rate": handled / (drained - began),
        "backlog_max": max(backlog) if backlog else 0,
        "backlog_median": statistics.median(backlog) if backlog else 0,
        "subscriber_cpu_s": (own_after.ru_utime + own_after.ru_stime)
        - (own_before.ru_utime + own_before.ru_stime),
        "broker_cpu_s": (broker_after - broker_before)
        if broker_after is not None and broker_before is not None
        else None,
        "alerts": alert_kinds,
        "batches": subscriber.batches,
        "spooled": subscriber.spooled,
        "batch_errors": subscriber.batch_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long the publisher sends")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=10_000.0, help="positions/s to send (0: flat out)")
    parser.add_argument("--per-message", type=int, default=1, help="positions per MQTT message")
    parser.add_argument("--batch-ms", type=int, default=250)
    parser.add_argument("--batch-max", type=int, default=5000)
    parser.add_argument("--no-spool", action="store_true", help="block at 200,000 waiting messages")
    parser.add_argument("--receive-maximum", type=int, default=RECEIVE_MAXIMUM, help="MQTT 5 Receive Maximum")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url: str | None = f"sqlite:///{tmp}/bench.db"
        if args.pg:
            url = create_pg_database("sg_mqtt_bench")
            if url is None:
                raise SystemExit(1)
        try:
            figures = run(args, url, Path(tmp) / "node")
        finally:
            if args.pg and url:
                drop_pg_database(url)
    published = figures["published"]
    counts = figures["counts"]
    print(
        f"MQTT telemetry bench · {args.devices} devices · {args.per_message} position(s)/message · "
        f"target {args.rate:g}/s · {args.seconds:g} s · {figures['backend']}"
    )
    rows = [
        ("published messages / positions", f"{published['messages']} / {published['positions']}"),
        ("acknowledged by the broker (PUBACK)", f"{published['acked']}"),
        ("publisher rate (positions/s)", f"{published['positions'] / published['seconds']:.0f}"),
        ("received messages (subscriber)", f"{figures['received']}"),
        ("stored (rows read back)", f"{counts['stored']} ({figures['stored_rows']})"),
        ("filtered", json.dumps(counts["filtered"], sort_keys=True)),
        ("bad", json.dumps(counts["bad"], sort_keys=True)),
        ("lost (published - stored - filtered - bad)", f"{figures['lost']}"),
        ("handled positions/s, first message to last write", f"{figures['rate']:.0f}"),
        ("drain after the publisher stopped (s)", f"{figures['drain_s']:.1f}"),
        ("backlog, messages (median / max of 5 s samples)",
         f"{figures['backlog_median']:.0f} / {figures['backlog_max']}"),
        ("transactions (batches)", f"{counts['transactions']} ({figures['batches']})"),
        ("spooled to disk while 200,000 waited in memory", f"{figures['spooled']}"),
        ("alerts stored", json.dumps(figures["alerts"], sort_keys=True)),
        ("rules load (10,000 devices) s", f"{figures['rules_load_s']:.2f}"),
        ("CPU s: publisher / subscriber / broker",
         f"{published['cpu_s']:.0f} / {figures['subscriber_cpu_s']:.0f} / "
         f"{figures['broker_cpu_s']:.0f}" if figures["broker_cpu_s"] is not None else "n/a"),
    ]  # fmt: skip
    handled = max(figures["handled"], 1)
    broker = figures["broker_cpu_s"]
    rows.append(
        (
            "CPU µs per position: publisher / subscriber / broker",
            f"{published['cpu_s'] / handled * 1e6:.0f} / {figures['subscriber_cpu_s'] / handled * 1e6:.0f} / "
            + (f"{broker / handled * 1e6:.0f}" if broker is not None else "n/a"),
        )
    )
    rows.append(("load average at the end (1 min)", f"{os.getloadavg()[0]:.1f}"))
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(f"machine: {machine()}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
