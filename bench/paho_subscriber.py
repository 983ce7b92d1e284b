"""The node's MQTT subscriber as it was until 2026-12-06 (paho-mqtt's network loop): the peer that
``bench/tracking_mqtt_bench.py --subscriber paho`` measures beside the current reader in
``supplyguard.adapters.mqtt``. Bench code only; the node does not use it."""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from supplyguard.adapters.mqtt import BrokerAddress, MqttMessage
from supplyguard.errors import ConfigurationError
from supplyguard.logging import get_logger

log = get_logger(__name__)


_STOP = object()
RECEIVE_MAXIMUM = 1_000
SESSION_EXPIRY_S = 86_400


class PahoBatchSubscriber:
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
