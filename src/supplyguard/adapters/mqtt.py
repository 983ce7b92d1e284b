"""An MQTT subscriber that hands what it receives over in batches (paho-mqtt, MQTT 5).

Transport only: it knows topics and payload bytes, nothing of positions or organisations. The
network thread of paho only appends each message to an in-memory queue, so that writing never
delays reading; a writer thread takes up to ``batch_max`` messages, or what arrived within
``batch_ms`` of the first one, and calls ``on_batch`` once for them (the telemetry service writes
them in one transaction). An exception in ``on_batch`` is logged and counted, never fatal. At most
``max_pending`` received messages wait in memory (200,000 by default); beyond that the network
thread waits for the writer, and the broker holds (or, past its own queue limit, drops) what it
cannot deliver. :meth:`MqttBatchSubscriber.stop` disconnects first (nothing new arrives), then
flushes what is queued, then returns: a graceful shutdown loses nothing that the broker handed
over. With a ``client_id`` the broker keeps the session (a day) and queues QoS 1 messages while the
subscriber is away; it reconnects by itself after a network error.

MQTT 5 because of *Receive Maximum*: an MQTT 3.1.1 client gets at most the broker's
``max_inflight_messages`` (20 on Mosquitto) unacknowledged QoS 1 messages at a time, and beyond them
the broker queues at most ``max_queued_messages`` (1,000 by default) and then drops. Announcing 1,000
lets the broker keep streaming while the writer holds the interpreter (65,535 was tried: Mosquitto
2.0.11 then used about ten times more CPU per message). A subscriber slower than its publishers for
longer than the broker's queue lasts still loses messages there: give the broker a larger
``max_queued_messages`` where bursts are expected (docs/tracking-api.md).
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from supplyguard.errors import ConfigurationError
from supplyguard.logging import get_logger

log = get_logger(__name__)

__all__ = ["BrokerAddress", "MqttBatchSubscriber", "MqttMessage", "parse_broker_url"]


@dataclass(frozen=True, slots=True)
class MqttMessage:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:  # never the password
        return f"mqtt://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user[:password]@]host[:port]`` (port 1883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ConfigurationError(f"mqtt_url must look like mqtt://host:1883, not {url!r}")
    try:
        port = parts.port or 1883
    except ValueError as exc:
        raise ConfigurationError(f"mqtt_url has a bad port: {exc}") from exc
    return BrokerAddress(
        parts.hostname,
        port,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


_STOP = object()
RECEIVE_MAXIMUM = 1_000
SESSION_EXPIRY_S = 86_400


class MqttBatchSubscriber:
    """Subscribe to ``topics`` and call ``on_batch(messages)`` from one writer thread."""

    def __init__(
        self,
        broker: BrokerAddress,
        topics: Sequence[str],
        on_batch: Callable[[list[MqttMessage]], None],
        *,
        qos: int = 1,
        batch_ms: int = 250,
        batch_max: int = 5000,
        client_id: str = "",
        keepalive_s: int = 60,
        max_pending: int = 200_000,
    ) -> None:
        self.broker = broker
        self.topics = list(topics)
        self.on_batch = on_batch
        self.qos = qos
        self.batch_s = batch_ms / 1000.0
        self.batch_max = batch_max
        self.keepalive_s = keepalive_s
        self._room = threading.Semaphore(max_pending)
        self.received = 0
        self.batches = 0
        self.batch_errors = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._subscribed = threading.Event()
        self._writer: threading.Thread | None = None
        self._persistent = bool(client_id)
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)

    # paho callbacks (network thread) ---------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", broker=str(self.broker), reason=str(reason))
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):  # acknowledgements leave at once instead of waiting on Nagle
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.info("mqtt.connected", broker=str(self.broker), topics=",".join(self.topics))
        client.subscribe([(topic, SubscribeOptions(qos=self.qos)) for topic in self.topics])

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any
    ) -> None:
        failed = [str(r) for r in reasons if r.is_failure]
        if failed:
            log.error("mqtt.subscribe_refused", broker=str(self.broker), reasons=",".join(failed))
            return
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._room.acquire()  # at most max_pending messages wait in memory; beyond, the broker holds them
        self.received += 1
        self._queue.put(MqttMessage(message.topic, bytes(message.payload)))

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._subscribed.clear()
        if reason.is_failure:
            log.warning("mqtt.disconnected", broker=str(self.broker), reason=str(reason))

    # lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the writer; a broker that cannot be reached is a
        :class:`ConfigurationError` with the address in words."""
        self._writer = threading.Thread(target=self._run, name="mqtt-writer", daemon=True)
        self._writer.start()
        try:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
            properties.SessionExpiryInterval = SESSION_EXPIRY_S if self._persistent else 0
            self._client.connect(
                self.broker.host,
                self.broker.port,
                keepalive=self.keepalive_s,
                clean_start=not self._persistent,
                properties=properties,
            )
        except OSError as exc:
            self._queue.put(_STOP)
            raise ConfigurationError(f"cannot reach the MQTT broker at {self.broker}: {exc}") from exc
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ConfigurationError(f"the MQTT broker at {self.broker} did not accept the subscription")

    def stop(self) -> None:
        """Disconnect, then write what was received, then return."""
        self._client.disconnect()
        self._client.loop_stop()
        self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def wait_subscribed(self, timeout_s: float) -> bool:
        return self._subscribed.wait(timeout_s)

    # writer thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        pending: list[MqttMessage] = []
        first_at = 0.0
        stopping = False
        get = self._queue.get
        while not stopping:
            wait = self.batch_s if not pending else max(0.0, first_at + self.batch_s - time.monotonic())
            try:
                item = get(timeout=wait)
            except queue.Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stopping = True
                    break
                if not pending:
                    first_at = time.monotonic()
                pending.append(item)
                if len(pending) >= self.batch_max:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if pending and (
                stopping or len(pending) >= self.batch_max or time.monotonic() - first_at >= self.batch_s
            ):
                self._flush(pending)
                pending = []

    def _flush(self, messages: list[MqttMessage]) -> None:
        self.batches += 1
        try:
            self.on_batch(messages)
        except Exception:  # the subscriber must outlive any one bad batch
            self.batch_errors += 1
            log.exception("mqtt.batch_failed", messages=len(messages))
        finally:
            self._room.release(len(messages))
