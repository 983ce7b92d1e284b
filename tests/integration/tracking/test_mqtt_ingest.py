"""Telemetry through the real Mosquitto broker (127.0.0.1:1883): filters, bad payloads, stored rules,
alerts, and a graceful stop that writes what was received. Each test uses its own topic prefix."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from supplyguard.adapters.db.telemetry_repo import TelemetryRepository
from supplyguard.adapters.mqtt import MqttBatchSubscriber, parse_broker_url
from supplyguard.errors import ConfigurationError
from supplyguard.services import telemetry
from supplyguard.services import tracking_rules as rules
from supplyguard.services.telemetry_mqtt import MqttTelemetryIngest, subscriptions
from tests.factories import admin_principal, make_org

pytestmark = pytest.mark.mqtt
BROKER = "mqtt://127.0.0.1:1883"


def _broker_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def publisher() -> Iterator[mqtt.Client]:
    if not _broker_up():
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def publish(client: mqtt.Client, topic: str, payload: Any) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(topic, body, qos=1).wait_for_publish(10)


def wait_for(predicate: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the subscriber")
        time.sleep(0.05)


def test_positions_over_mqtt_are_filtered_stored_and_alerted(container, publisher) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container, "Carrier A", "NL")
    actor = admin_principal(org)
    rules.create_rule(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        {
            "name": "depot",
            "kind": "geofence",
            "type": "zone",
            "circle": {"lat": 51.95, "lon": 4.14, "radius_km": 2},
        },
    )
    prefix = f"sgtest-{uuid.uuid4().hex}"
    ingest = MqttTelemetryIngest(container.uow, container.clock, telemetry.TelemetryPipelines(), prefix)
    # a long batch window: nothing is written until stop(), which must flush
    subscriber = MqttBatchSubscriber(parse_broker_url(BROKER), subscriptions(prefix), ingest, batch_ms=60_000)
    subscriber.start()
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def at(minutes: float, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
        return {"time": (t0 + timedelta(minutes=minutes)).isoformat(), "lat": lat, "lon": lon, **extra}

    device = f"{prefix}/Carrier A/devices/TRK-1/position"
    sent = [
        (device, at(0, 51.95, 4.14)),  # inside the depot: kept
        (device, at(0, 51.95, 4.14)),  # duplicate
        (device, at(-5, 51.95, 4.14)),  # out of order
        (device, at(1, 40.0, 10.0)),  # 1,400 km in a minute
        (device, at(2, 0.0, 0.0)),  # no fix
        (device, at(3, "north", 4.14)),  # malformed: bad, not stored
        (device, b"{not json"),  # bad
        (device, {**at(4, 51.95, 4.15), "device_id": "TRK-2"}),  # contradicts its topic: bad
        (device, at(20, 52.05, 4.14)),  # 11 km north: leaves the depot
        (
            f"{prefix}/{org.id}/positions",
            [{**at(5, 51.0, 5.0), "device_id": "TRK-3"}, {**at(6, 51.0, 5.01), "device_id": "TRK-3"}],
        ),
        (f"{prefix}/Nobody/devices/TRK-9/position", at(0, 1.0, 1.0)),  # unknown organisation
    ]
    for topic, payload in sent:
        publish(publisher, topic, payload)
    wait_for(lambda: subscriber.received == len(sent))
    assert ingest.counters.messages == 0  # still in the batch window
    subscriber.stop()

    counts = ingest.counters
    assert counts.messages == len(sent)
    assert counts.stored == 4  # TRK-1 twice, TRK-3 twice
    assert counts.filtered == {"duplicate": 1, "out_of_order": 1, "speed": 1, "zero": 1}
    assert counts.bad == {"invalid": 1, "not_json": 1, "device_mismatch": 1, "unknown_org": 1}
    assert counts.failed == 0 and counts.transactions == 1
    with container.uow(readonly=True) as uow:
        repo = TelemetryRepository(uow.connection)
        assert repo.count_positions(org.id) == 4
        latest = {p.device_id: p for p in repo.latest_positions(org.id)}
        stored_alerts = repo.alerts(org.id, open_only=True, limit=10)
    assert latest["TRK-1"].lat == 52.05 and latest["TRK-3"].lon == 5.01
    assert [(a.alert.kind, a.alert.subject) for a in stored_alerts] == [("geofence_exit", "TRK-1")]
    assert "depot" in stored_alerts[0].alert.reason


def test_an_unreachable_broker_is_a_clear_error() -> None:
    subscriber = MqttBatchSubscriber(parse_broker_url("mqtt://127.0.0.1:1"), ["x/#"], lambda batch: None)
    with pytest.raises(ConfigurationError, match=r"cannot reach the MQTT broker at mqtt://127.0.0.1:1"):
        subscriber.start(timeout_s=2)
    with pytest.raises(ConfigurationError, match="mqtt://host:1883"):
        parse_broker_url("http://example.org")


def test_a_failing_batch_is_counted_and_the_subscriber_goes_on(publisher) -> None:  # type: ignore[no-untyped-def]
    prefix = f"sgtest-{uuid.uuid4().hex}"
    seen: list[int] = []

    def on_batch(batch: list[Any]) -> None:
        seen.append(len(batch))
        if len(seen) == 1:
            raise RuntimeError("database down")

    subscriber = MqttBatchSubscriber(parse_broker_url(BROKER), [f"{prefix}/#"], on_batch, batch_ms=20)
    subscriber.start()
    publish(publisher, f"{prefix}/a", {"n": 1})
    wait_for(lambda: len(seen) == 1)
    publish(publisher, f"{prefix}/a", {"n": 2})
    wait_for(lambda: len(seen) == 2)
    subscriber.stop()
    assert subscriber.batch_errors == 1 and subscriber.received == 2


def test_at_most_max_pending_messages_wait_in_memory(publisher) -> None:  # type: ignore[no-untyped-def]
    prefix = f"sgtest-{uuid.uuid4().hex}"
    released = threading.Event()
    sizes: list[int] = []

    def slow(batch: list[Any]) -> None:
        released.wait(20)  # the writer is stuck: the network thread must stop taking messages at 3
        sizes.append(len(batch))

    subscriber = MqttBatchSubscriber(
        parse_broker_url(BROKER), [f"{prefix}/#"], slow, batch_ms=1, batch_max=1, max_pending=3
    )
    subscriber.start()
    for n in range(6):
        publish(publisher, f"{prefix}/a", {"n": n})
    wait_for(lambda: subscriber.received == 3)
    time.sleep(0.3)  # give the network thread the chance to overrun the bound, if it could
    assert subscriber.received == 3
    released.set()
    wait_for(lambda: subscriber.received == 6 and sum(sizes) == 6)
    subscriber.stop()


class _Proxy:
    """A TCP relay to the broker whose connections the test can cut, as a network failure would."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", 1883))
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self.threads.append(threading.Thread(target=self._pipe, args=(a, b), daemon=True))
                self.threads[-1].start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def cut(self) -> None:
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.open = []

    def close(self) -> None:
        """Cut every connection and end every thread: a thread left running would keep later tests
        in this process from forking workers (services.forked.can_fork)."""
        self.cut()
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        self.server.close()
        for thread in self.threads:
            thread.join(timeout=5)
        assert not any(thread.is_alive() for thread in self.threads)


def test_a_cut_connection_is_reconnected_and_the_kept_session_loses_nothing(publisher) -> None:  # type: ignore[no-untyped-def]
    prefix = f"sgtest-{uuid.uuid4().hex}"
    client_id = f"sgtest-{uuid.uuid4().hex[:12]}"
    proxy = _Proxy()
    got: list[bytes] = []
    subscriber = MqttBatchSubscriber(
        parse_broker_url(f"mqtt://127.0.0.1:{proxy.port}"),
        [f"{prefix}/#"],
        lambda batch: got.extend(m.payload for m in batch),
        batch_ms=20,
        client_id=client_id,
    )
    try:
        subscriber.start()
        for n in range(2):
            publish(publisher, f"{prefix}/a", {"n": n})
        wait_for(lambda: len(got) == 2)
        proxy.cut()
        for n in range(2, 5):  # the broker holds these for the kept session (QoS 1)
            publish(publisher, f"{prefix}/a", {"n": n})
        wait_for(lambda: subscriber.connections == 2 and subscriber.wait_subscribed(0))
        wait_for(lambda: len(set(got)) == 5)
        subscriber.stop()
        assert sorted(json.loads(p)["n"] for p in set(got)) == [0, 1, 2, 3, 4]
    finally:
        subscriber.stop()
        proxy.close()
        cleaner = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        cleaner.connect("127.0.0.1", 1883, clean_start=True)  # end the kept session on the broker
        cleaner.disconnect()


def test_qos_2_messages_are_delivered_once(publisher) -> None:  # type: ignore[no-untyped-def]
    prefix = f"sgtest-{uuid.uuid4().hex}"
    got: list[bytes] = []
    subscriber = MqttBatchSubscriber(
        parse_broker_url(BROKER), [f"{prefix}/#"], lambda batch: got.extend(m.payload for m in batch), qos=2
    )
    subscriber.start()
    for n in range(20):
        publisher.publish(f"{prefix}/a", json.dumps({"n": n}).encode(), qos=2).wait_for_publish(10)
    wait_for(lambda: len(got) >= 20)
    subscriber.stop()
    assert sorted(json.loads(p)["n"] for p in got) == list(range(20))


def test_a_connection_the_broker_drops_is_a_clear_error() -> None:
    if not _broker_up():
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    refused = MqttBatchSubscriber(
        parse_broker_url("mqtt://127.0.0.1:1883"), ["x/#"], lambda batch: None, client_id="bad\x00id"
    )
    with pytest.raises(ConfigurationError, match=r"127\.0\.0\.1:1883.*closed the connection"):
        refused.start(timeout_s=5)


def test_with_a_spool_a_full_memory_spills_to_disk_in_arrival_order(publisher, tmp_path) -> None:  # type: ignore[no-untyped-def]
    prefix = f"sgtest-{uuid.uuid4().hex}"
    released = threading.Event()
    written: list[int] = []

    def slow(batch: list[Any]) -> None:
        released.wait(20)
        written.extend(json.loads(m.payload)["n"] for m in batch)

    subscriber = MqttBatchSubscriber(
        parse_broker_url(BROKER),
        [f"{prefix}/#"],
        slow,
        batch_ms=1,
        batch_max=2,
        max_pending=3,
        spool_dir=tmp_path / "spool",
    )
    subscriber.start()
    for n in range(12):
        publish(publisher, f"{prefix}/a", {"n": n})
    wait_for(lambda: subscriber.received == 12)  # the network thread never waited for the stuck writer
    assert subscriber.spooled >= 12 - 3
    released.set()
    wait_for(lambda: len(written) == 12)
    for n in range(12, 15):  # the spool is drained: memory again, still in order
        publish(publisher, f"{prefix}/a", {"n": n})
    wait_for(lambda: len(written) == 15)
    subscriber.stop()
    assert written == list(range(15))
    assert subscriber.batch_errors == 0


def test_the_spool_gives_back_what_it_took_whatever_its_size(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from supplyguard.adapters import mqtt as transport

    monkeypatch.setattr(transport, "SPOOL_READ_BYTES", 64)  # smaller than one message below
    subscriber = MqttBatchSubscriber(
        parse_broker_url(BROKER), ["x/#"], lambda batch: None, spool_dir=tmp_path
    )
    sent = [transport.MqttMessage(f"x/{n}", bytes([n]) * (10 if n % 3 else 500)) for n in range(10)]
    subscriber._spool_out(sent[:4])
    subscriber._spool_out(sent[4:])
    got: list[transport.MqttMessage] = []
    while (batch := subscriber._read_spool(3)) is not None:
        assert 1 <= len(batch) <= 3
        got.extend(batch)
    assert got == sent and subscriber.spooled == 10 and not subscriber._spooling
    subscriber._spool_out(sent[:1])  # a second spell, in the same (truncated) file
    assert subscriber._read_spool(5) == sent[:1] and subscriber._read_spool(5) is None
    assert subscriber._spool is not None
    subscriber._spool.close()
