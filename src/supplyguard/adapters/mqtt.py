"""An MQTT 5 subscriber that hands what it receives over in batches.

Transport only: it knows topics and payload bytes, nothing of positions or organisations. One
network thread reads the socket in large chunks, cuts every complete packet out of them, queues the
messages it holds as one list and then acknowledges them all in one write (a PUBACK per QoS 1
message, PUBREC / PUBCOMP for QoS 2); it does nothing else, so it keeps up with the broker while the
writer thread holds the interpreter. The writer takes up to ``batch_max`` messages, or what arrived
within ``batch_ms`` of the first one, and calls ``on_batch`` once for them (the telemetry service
writes them in one transaction). An exception in ``on_batch`` is logged and counted, never fatal. At
most ``max_pending`` received messages wait in memory (200,000 by default). Beyond that, with a
``spool_dir``, the network thread appends what keeps arriving to an unnamed file there, and the
writer reads it back, in arrival order, once it has written what came before (the node runs it so:
the broker's queue, past which it drops, is never what absorbs a backlog); without one, the network
thread stops reading until the writer catches up, and the broker holds (or drops) the rest.
:meth:`MqttBatchSubscriber.stop` disconnects first (nothing new arrives), then flushes what is
queued (and spooled), then returns: a message is acknowledged only once it is queued or spooled, so
a graceful shutdown loses nothing that the broker handed over. With a ``client_id`` the
broker keeps the session (a day) and queues QoS 1 messages while the subscriber is away; it
reconnects by itself after a network error (1 s, doubling to 30 s, between attempts).

Why not paho-mqtt (used before 2026-12-06, and still by the tests to publish): its network loop
reads each packet with several small reads and runs a callback, a lock and a queued acknowledgement
per message, about 50 µs of CPU each; at 10,000 one-position messages/s that alone is half a core,
and while the subscriber fell behind Mosquitto dropped messages (below). The reader here costs a few
µs per message (docs/benchmarks.md). It speaks the part of MQTT 5 (OASIS, 2019) a subscriber needs:
CONNECT with username/password, Session Expiry and Receive Maximum; SUBSCRIBE; incoming PUBLISH at
QoS 0, 1 and 2; PINGREQ every ``keepalive_s / 2`` without traffic; DISCONNECT.

MQTT 5 because of *Receive Maximum*: an MQTT 3.1.1 client gets at most the broker's
``max_inflight_messages`` (20 on Mosquitto) unacknowledged QoS 1 messages at a time, and beyond them
the broker queues at most ``max_queued_messages`` (1,000 by default) and then drops. The subscriber
announces 65,535, the most MQTT 5 allows: at 10,000 messages/s that is six seconds during which the
process may not be scheduled at all (a busy machine; the interpreter held by the writer) before the
broker's own queue, and then its drops, begin. With 1,000 the reader had to run every 0.2 s, and on
the shared 2-core machine 14 % of a 10,000/s run was dropped; with 65,535, none (docs/benchmarks.md).
(65,535 was tried with paho before: Mosquitto 2.0.11 then used ten times more CPU per message,
because paho never caught up and the in-flight list stayed full; the reader here keeps it short,
and the broker's CPU per message stayed at 12 µs.)
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
RECEIVE_MAXIMUM = 65_535  # the most MQTT 5 allows: seconds of the broker's sending held in flight
SESSION_EXPIRY_S = 86_400
READ_CHUNK = 1 << 18
RECONNECT_MIN_S, RECONNECT_MAX_S = 1.0, 30.0

# control packet types (the high nibble of the first byte)
CONNACK, PUBLISH, PUBREL, SUBACK, PINGRESP, DISCONNECT = 2, 3, 6, 9, 13, 14
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"


class ProtocolError(Exception):
    """The broker sent something this subscriber cannot follow; the connection is dropped."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _string(value: str | bytes) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return struct.pack("!H", len(raw)) + raw


def _packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + _varint(len(body)) + body


def connect_packet(
    client_id: str,
    keepalive_s: int,
    broker: BrokerAddress,
    *,
    persistent: bool,
    receive_maximum: int = RECEIVE_MAXIMUM,
) -> bytes:
    flags = 0x00 if persistent else 0x02  # clean start unless the broker keeps our session
    payload = _string(client_id)
    if broker.username:
        flags |= 0x80
        payload += _string(broker.username)
        if broker.password is not None:
            flags |= 0x40
            payload += _string(broker.password)
    properties = b"\x11" + struct.pack("!I", SESSION_EXPIRY_S if persistent else 0)
    properties += b"\x21" + struct.pack("!H", receive_maximum)
    variable = _string("MQTT") + bytes([5, flags]) + struct.pack("!H", keepalive_s)
    return _packet(0x10, variable + _varint(len(properties)) + properties + payload)


def subscribe_packet(packet_id: int, topics: Sequence[str], qos: int) -> bytes:
    body = struct.pack("!H", packet_id) + b"\x00"
    for topic in topics:
        body += _string(topic) + bytes([qos])
    return _packet(0x82, body)


def _read_varint(data: bytes | bytearray | memoryview, at: int) -> tuple[int, int] | None:
    """(value, next offset) of a variable byte integer, or None when the data ends first."""
    value, shift = 0, 0
    while True:
        if at >= len(data):
            return None
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 21:
            raise ProtocolError("malformed remaining length")


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
        self.client_id = client_id
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
        self._stopping = threading.Event()
        self._refused: str | None = None
        self._writer: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._persistent = bool(client_id)
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._last_sent = 0.0
        self._pending_input = bytearray()  # the start of a packet that a read cut in two
        self._qos2_held: set[int] = set()  # QoS 2 packet ids received, not yet released
        self._answered = threading.Event()  # SUBACK came, granted or not

    # lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the writer; a broker that cannot be reached, or that refuses
        the connection or the subscription, is a :class:`ConfigurationError` with the reason in words."""
        self._writer = threading.Thread(target=self._run, name="mqtt-writer", daemon=True)
        self._writer.start()
        try:
            sock = self._connect(timeout_s)
        except (OSError, ProtocolError) as exc:
            self._queue.put(_STOP)
            raise ConfigurationError(f"cannot reach the MQTT broker at {self.broker}: {exc}") from exc
        except ConfigurationError:
            self._queue.put(_STOP)
            raise
        self._reader = threading.Thread(
            target=self._read_forever, args=(sock,), name="mqtt-reader", daemon=True
        )
        self._reader.start()
        self._answered.wait(timeout_s)
        if not self._subscribed.is_set():
            reason = self._refused or "no answer"
            self.stop()
            raise ConfigurationError(
                f"the MQTT broker at {self.broker} did not accept the subscription ({reason})"
            )

    def stop(self) -> None:
        """Disconnect, then write what was received, then return."""
        self._stopping.set()
        sock = self._sock
        if sock is not None:
            try:
                self._send(sock, DISCONNECT_PACKET)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def wait_subscribed(self, timeout_s: float) -> bool:
        return self._subscribed.wait(timeout_s)

    # network thread ------------------------------------------------------------------------------
    def _send(self, sock: socket.socket, data: bytes) -> None:
        with self._send_lock:
            sock.sendall(data)
            self._last_sent = time.monotonic()

    def _connect(self, timeout_s: float) -> socket.socket:
        """A connected, subscribed-to socket (SUBACK is read by the reader loop)."""
        sock = socket.create_connection((self.broker.host, self.broker.port), timeout=timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # acknowledgements leave at once
            sock.sendall(
                connect_packet(
                    self.client_id,
                    self.keepalive_s,
                    self.broker,
                    persistent=self._persistent,
                    receive_maximum=self.receive_maximum,
                )
            )
            head = b""
            while True:  # CONNACK: 0x20, remaining length, flags, reason code, properties
                chunk = sock.recv(4096)
                if not chunk:
                    raise ProtocolError("the broker closed the connection before CONNACK")
                head += chunk
                parsed = _read_varint(head, 1)
                if parsed is not None and len(head) >= parsed[1] + parsed[0]:
                    break
            if head[0] >> 4 != CONNACK or parsed[0] < 2:
                raise ProtocolError(f"expected CONNACK, got packet type {head[0] >> 4}")
            reason = head[parsed[1] + 1]
            if reason >= 0x80:
                raise ConfigurationError(
                    f"the MQTT broker at {self.broker} refused the connection (reason code 0x{reason:02x})"
                )
            if not head[parsed[1]] & 0x01:  # no session kept: QoS 2 packet ids start afresh
                self._qos2_held.clear()
            extra = head[parsed[1] + parsed[0] :]  # PUBLISH packets of a kept session may follow at once
            sock.settimeout(1.0)
            self._sock = sock
            self.connections += 1
            self._pending_input = bytearray(extra)
            self._send(sock, subscribe_packet(1, self.topics, self.qos))
        except BaseException:
            sock.close()
            raise
        log.info("mqtt.connected", broker=str(self.broker), topics=",".join(self.topics))
        return sock

    def _read_forever(self, sock: socket.socket) -> None:
        delay = RECONNECT_MIN_S
        while not self._stopping.is_set():
            try:
                self._read(sock)
                delay = RECONNECT_MIN_S
            except (OSError, ProtocolError) as exc:
                if self._stopping.is_set():
                    break
                log.warning("mqtt.disconnected", broker=str(self.broker), reason=str(exc))
            except Exception:  # a packet it cannot follow must not end the subscriber: reconnect
                log.exception("mqtt.reader_failed", broker=str(self.broker))
            finally:
                self._subscribed.clear()
                sock.close()
            while not self._stopping.is_set():
                if self._stopping.wait(delay):
                    return
                delay = min(RECONNECT_MAX_S, delay * 2)
                try:
                    sock = self._connect(10.0)
                    break
                except (OSError, ProtocolError, ConfigurationError) as exc:
                    log.warning("mqtt.reconnect_failed", broker=str(self.broker), reason=str(exc))

    def _read(self, sock: socket.socket) -> None:
        """Read packets until the connection ends (or the subscriber stops)."""
        data = self._pending_input
        last_heard = time.monotonic()
        recv = sock.recv
        while True:
            messages: list[MqttMessage] = []
            acks = bytearray()
            at = self._cut_packets(data, messages, acks, sock)
            if at:
                del data[:at]
            self._hand_over(messages, acks, sock)
            if self._stopping.is_set():
                return
            try:
                chunk = recv(READ_CHUNK)
            except TimeoutError:
                chunk = None
            now = time.monotonic()
            if chunk is None:
                if now - last_heard > self.keepalive_s * 1.5:
                    raise ProtocolError(f"nothing heard from the broker for {now - last_heard:.0f} s")
            elif not chunk:
                if self._stopping.is_set():
                    return
                raise ProtocolError("the broker closed the connection")
            else:
                last_heard = now
                data += chunk
            if now - self._last_sent >= self.keepalive_s / 2:
                self._send(sock, PINGREQ_PACKET)

    def _hand_over(self, messages: list[MqttMessage], acks: bytearray, sock: socket.socket) -> None:
        """Queue the messages of one read (or spool them, when memory is full or the spool is in
        use: arrival order is kept), then acknowledge them: nothing is acknowledged before it is held."""
        if messages:
            self.received += len(messages)
            if self.spool_dir is not None and (
                self._spooling or self._in_memory + len(messages) > self.max_pending
            ):
                self._spool_out(messages)
            else:
                with self._room_changed:
                    self._in_memory += len(messages)
                self._queue.put(messages)
        if acks:
            self._send(sock, bytes(acks))

    def _wait_for_room(self) -> None:
        with self._room_changed:
            while self._in_memory >= self.max_pending and not self._stopping.is_set():
                self._room_changed.wait(0.5)

    def _cut_packets(
        self, data: bytearray, messages: list[MqttMessage], acks: bytearray, sock: socket.socket
    ) -> int:
        """Take every complete packet from ``data``: messages into ``messages``, their acknowledgements
        into ``acks``. Returns the offset of the first incomplete packet."""
        at, end = 0, len(data)
        bounded = self.spool_dir is None  # without a spool, at most max_pending messages are taken
        room = self.max_pending - self._in_memory
        while at < end:
            first = data[at]
            parsed = _read_varint(data, at + 1)
            if parsed is None:
                break
            length, body = parsed
            stop = body + length
            if stop > end:
                break
            kind = first >> 4
            if kind == PUBLISH:
                qos = (first >> 1) & 3
                topic_end = body + 2 + ((data[body] << 8) | data[body + 1])
                topic = data[body + 2 : topic_end].decode("utf-8", "replace")
                offset = topic_end
                packet_id = 0
                if qos:
                    packet_id = (data[offset] << 8) | data[offset + 1]
                    offset += 2
                props = _read_varint(data, offset)
                if props is None:
                    raise ProtocolError("malformed PUBLISH properties")
                offset = props[1] + props[0]
                if qos == 2 and packet_id in self._qos2_held:
                    acks += b"\x50\x02" + packet_id.to_bytes(2, "big")  # a resent QoS 2 message: once only
                    at = stop
                    continue
                if bounded and room <= 0:
                    # max_pending reached: hand over what is cut so far, then wait for the writer
                    self._hand_over(messages[:], acks, sock)
                    messages.clear()
                    acks.clear()
                    self._wait_for_room()
                    room = self.max_pending - self._in_memory
                room -= 1
                messages.append(MqttMessage(topic, bytes(data[offset:stop])))
                if qos == 1:
                    acks += b"\x40\x02" + packet_id.to_bytes(2, "big")
                elif qos == 2:
                    self._qos2_held.add(packet_id)
                    acks += b"\x50\x02" + packet_id.to_bytes(2, "big")
            elif kind == PUBREL:
                packet_id = (data[body] << 8) | data[body + 1]
                self._qos2_held.discard(packet_id)
                acks += b"\x70\x02" + packet_id.to_bytes(2, "big")
            elif kind == SUBACK:
                props = _read_varint(data, body + 2)
                if props is None:
                    raise ProtocolError("malformed SUBACK")
                codes = bytes(data[props[1] + props[0] : stop])
                failed = [f"0x{code:02x}" for code in codes if code >= 0x80]
                if failed:
                    self._refused = "reason codes " + ",".join(failed)
                    log.error("mqtt.subscribe_refused", broker=str(self.broker), reasons=self._refused)
                else:
                    self._subscribed.set()
                self._answered.set()
            elif kind == DISCONNECT:
                reason = data[body] if length else 0
                raise ProtocolError(f"the broker disconnected us (reason code 0x{reason:02x})")
            # PINGRESP, and anything else a subscriber does not need, is skipped
            at = stop
        return at

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
            if not self._spooling:
                self._spooling = True
                self._queue.put(_SPOOL_MARK)
                log.warning("mqtt.spooling", in_memory=self._in_memory, spool_dir=str(self.spool_dir))
            os.pwrite(self._spool.fileno(), records, self._spool_end)
            self._spool_end += len(records)
            self.spooled += len(messages)

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
                        pending.extend(item)
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
