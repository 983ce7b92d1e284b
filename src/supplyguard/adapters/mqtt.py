"""An MQTT subscriber that hands what it receives over in batches (paho-mqtt, MQTT 5).

Transport only: it knows topics and payload bytes, nothing of positions or organisations. paho's
network thread only appends each message to an in-memory queue, so that writing never delays
reading; a writer thread takes up to ``batch_max`` messages, or what arrived within ``batch_ms`` of
the first one, and calls ``on_batch`` once for them (the telemetry service writes them in one
transaction). An exception in ``on_batch`` is logged and counted, never fatal.

At most ``max_pending`` received messages wait in memory (200,000 by default). Beyond that, with a
``spool_dir``, the network thread appends what keeps arriving (topic and payload, length-prefixed)
to an unnamed file there, and the writer reads it back, in arrival order, once it has written what
came before (the node runs it so: the broker's queue, past which it drops, is never what absorbs a
backlog). Without one, the network thread waits for the writer, and the broker holds (or, past its
own queue limit, drops) what it cannot deliver.

Acknowledgements are paho's own (no manual acknowledgement): it sends PUBACK for a QoS 1 message
when the message callback returns, and that callback returns only once the message is queued or
spooled. For QoS 2 paho answers PUBREC on receipt, keeps the message in memory and hands it over at
PUBREL, then sends PUBCOMP: a process killed in between loses it. :meth:`MqttBatchSubscriber.stop`
disconnects first (nothing new arrives), then writes what is queued (and spooled), then returns: a
graceful shutdown loses nothing that the broker handed over. With a ``client_id`` the broker keeps
the session (a day) and queues QoS 1 messages while the subscriber is away; paho reconnects by
itself after a network error (1 s, doubling to 30 s, between attempts).

MQTT 5 because of *Receive Maximum*: an MQTT 3.1.1 client gets at most the broker's
``max_inflight_messages`` (20 on Mosquitto) unacknowledged QoS 1 messages at a time, and beyond them
the broker queues at most ``max_queued_messages`` (1,000 by default) and then drops. Announcing 1,000
lets the broker keep streaming while the writer holds the interpreter (65,535 was tried: Mosquitto
2.0.11 then used about ten times more CPU per message, because paho's loop did not catch up and the
broker's in-flight list stayed full). A subscriber slower than its publishers for longer than the
broker's queue lasts still loses messages there: give the broker a larger ``max_queued_messages``
where bursts are expected, or send several positions per message (docs/tracking-api.md).
"""

from __future__ import annotations

import os
import queue
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
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
_SPOOL_MARK = object()  # in the queue: what follows arrived while the spool was in use; read it first
_SPOOL_RECORD = struct.Struct("!HI")  # topic length, payload length; then the topic and the payload
SPOOL_READ_BYTES = 8 << 20
RECEIVE_MAXIMUM = 1_000  # 65,535 made Mosquitto 2.0.11 spend ~10x CPU per message with paho
SESSION_EXPIRY_S = 86_400
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30


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
        spool_dir: Path | None = None,
        receive_maximum: int = RECEIVE_MAXIMUM,
    ) -> None:
        self.broker = broker
        self.topics = list(topics)
        self.on_batch = on_batch
        self.qos = qos
        self.batch_s = batch_ms / 1000.0
        self.batch_max = batch_max
        self.keepalive_s = keepalive_s
        self.max_pending = max_pending
        self.receive_maximum = receive_maximum
        self._in_memory = 0  # messages queued or being written (the writer counts them off)
        self._room_changed = threading.Condition()
        self.spool_dir = spool_dir
        self._spool: IO[bytes] | None = None
        self._spool_lock = threading.Lock()
        self._spooling = False  # new messages go to the spool until the writer has read it all
        self._spool_read_at = 0
        self._spool_end = 0
        self.spooled = 0
        self.received = 0
        self.batches = 0
        self.batch_errors = 0
        self.connections = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._subscribed = threading.Event()
        self._answered = threading.Event()  # SUBACK came, or the broker refused or closed the connection
        self._refused: str | None = None
        self._writer: threading.Thread | None = None
        self._persistent = bool(client_id)
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=RECONNECT_MIN_S, max_delay=RECONNECT_MAX_S)

    # paho callbacks (network thread) ---------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("mqtt.connect_refused", broker=str(self.broker), reason=str(reason))
            if not self._answered.is_set():
                self._refused = f"refused the connection ({reason})"
                self._answered.set()
            return
        self.connections += 1
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
            self._refused = f"refused the subscription ({', '.join(failed)})"
        else:
            self._subscribed.set()
        self._answered.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        """Queue the message (or spool it: memory full, or the spool in use, so arrival order is
        kept); paho acknowledges it when this returns."""
        item = MqttMessage(message.topic, bytes(message.payload))
        with self._room_changed:
            spool = self.spool_dir is not None and (self._spooling or self._in_memory >= self.max_pending)
            if not spool:
                self._wait_for_room()
                self._in_memory += 1
        self.received += 1
        if spool:
            try:
                self._spool_out([item])
                return
            except OSError:  # a full or failing disk: hold it in memory (the spool is read first)
                log.exception("mqtt.spool_failed", spool_dir=str(self.spool_dir))
                with self._room_changed:
                    self._wait_for_room()
                    self._in_memory += 1
        self._queue.put(item)

    def _wait_for_room(self) -> None:
        """With ``_room_changed`` held: wait until fewer than ``max_pending`` messages are in memory."""
        while self._in_memory >= self.max_pending:
            self._room_changed.wait(0.5)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any
    ) -> None:
        self._subscribed.clear()
        if reason.is_failure:
            log.warning("mqtt.disconnected", broker=str(self.broker), reason=str(reason))
        if not self._answered.is_set():  # during start(): say why, instead of waiting out the timeout
            how = "disconnected us" if flags.is_disconnect_packet_from_server else "closed the connection"
            self._refused = f"{how} ({reason})"
            self._answered.set()

    # lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the writer; a broker that cannot be reached, or that refuses
        the connection or the subscription, is a :class:`ConfigurationError` with the reason in words."""
        self._writer = threading.Thread(target=self._run, name="mqtt-writer", daemon=True)
        self._writer.start()
        try:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.ReceiveMaximum = self.receive_maximum
            properties.SessionExpiryInterval = SESSION_EXPIRY_S if self._persistent else 0
            self._client.connect_timeout = timeout_s
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
        self._answered.wait(timeout_s)
        if not self._subscribed.is_set():
            reason = self._refused or f"did not answer the subscription within {timeout_s:g} s"
            self.stop()
            raise ConfigurationError(f"the MQTT broker at {self.broker} {reason}")

    def stop(self) -> None:
        """Disconnect, then write what was received (queued and spooled), then return."""
        self._client.disconnect()
        self._client.loop_stop()
        self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def wait_subscribed(self, timeout_s: float) -> bool:
        return self._subscribed.wait(timeout_s)

    # the spool (a file of messages received while memory was full) ------------------------------
    def _spool_out(self, messages: list[MqttMessage]) -> None:
        pack = _SPOOL_RECORD.pack
        records = bytearray()
        for message in messages:
            topic = message.topic.encode("utf-8")
            records += pack(len(topic), len(message.payload))
            records += topic
            records += message.payload
        with self._spool_lock:
            if self._spool is None:
                assert self.spool_dir is not None
                self.spool_dir.mkdir(parents=True, exist_ok=True)
                # an unnamed file: it lives as long as the subscriber (the writer closes it)
                self._spool = tempfile.TemporaryFile(dir=self.spool_dir, prefix="mqtt-spool-")  # noqa: SIM115
            os.pwrite(self._spool.fileno(), records, self._spool_end)
            self._spool_end += len(records)
            self.spooled += len(messages)
            if not self._spooling:
                self._spooling = True
                self._queue.put(_SPOOL_MARK)
                log.warning("mqtt.spooling", in_memory=self._in_memory, spool_dir=str(self.spool_dir))

    def _read_spool(self, limit: int) -> list[MqttMessage] | None:
        """Up to ``limit`` spooled messages in arrival order; None once the spool is read to its end
        (new messages are then queued in memory again)."""
        with self._spool_lock:
            start, end = self._spool_read_at, self._spool_end
            if start >= end or self._spool is None:
                self._spooling = False
                self._spool_read_at = self._spool_end = 0
                if self._spool is not None:
                    self._spool.truncate(0)
                log.info("mqtt.spool_drained", spooled=self.spooled)
                return None
            fd = self._spool.fileno()
        data = os.pread(fd, min(end - start, SPOOL_READ_BYTES), start)  # written whole, never changed
        messages: list[MqttMessage] = []
        at, size, unpack = 0, _SPOOL_RECORD.size, _SPOOL_RECORD.unpack_from
        while len(messages) < limit and at + size <= len(data):
            topic_length, payload_length = unpack(data, at)
            stop = at + size + topic_length + payload_length
            if stop > len(data):
                break
            topic_end = at + size + topic_length
            messages.append(MqttMessage(data[at + size : topic_end].decode("utf-8"), data[topic_end:stop]))
            at = stop
        if not messages:  # one message larger than a read: read exactly it
            topic_length, payload_length = unpack(data, 0)
            data = os.pread(fd, size + topic_length + payload_length, start)
            topic_end = size + topic_length
            messages.append(MqttMessage(data[size:topic_end].decode("utf-8"), data[topic_end:]))
            at = len(data)
        with self._spool_lock:
            self._spool_read_at = start + at
        return messages

    # writer thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        pending: list[MqttMessage] = []
        first_at = 0.0
        stopping = False
        get = self._queue.get
        while True:
            if not stopping:
                wait = self.batch_s if not pending else max(0.0, first_at + self.batch_s - time.monotonic())
                try:
                    item = get(timeout=wait)
                except queue.Empty:
                    item = None
                while item is not None:
                    if item is _STOP:
                        stopping = True
                        break
                    if item is _SPOOL_MARK:  # what came before the spool first, then the spool
                        while pending:
                            batch, pending = pending[: self.batch_max], pending[self.batch_max :]
                            self._flush(batch)
                        while (spooled := self._read_spool(self.batch_max)) is not None:
                            self._flush(spooled, in_memory=False)
                    else:
                        if not pending:
                            first_at = time.monotonic()
                        pending.append(item)
                        if len(pending) >= self.batch_max:
                            break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        item = None
            while pending and (
                stopping or len(pending) >= self.batch_max or time.monotonic() - first_at >= self.batch_s
            ):
                batch, pending = pending[: self.batch_max], pending[self.batch_max :]
                self._flush(batch)
                first_at = time.monotonic()
            if stopping and not pending:
                if self._spool is not None:
                    self._spool.close()
                    self._spool = None
                return

    def _flush(self, messages: list[MqttMessage], *, in_memory: bool = True) -> None:
        self.batches += 1
        try:
            self.on_batch(messages)
        except Exception:  # the subscriber must outlive any one bad batch
            self.batch_errors += 1
            log.exception("mqtt.batch_failed", messages=len(messages))
        finally:
            if in_memory:
                with self._room_changed:
                    self._in_memory -= len(messages)
                    self._room_changed.notify_all()
