"""The MQTT 5 subscriber's packet reader and writer, on bytes (no broker)."""

from __future__ import annotations

import struct

import pytest

from supplyguard.adapters.mqtt import (
    BrokerAddress,
    MqttBatchSubscriber,
    MqttMessage,
    ProtocolError,
    connect_packet,
    subscribe_packet,
)

BROKER = BrokerAddress("127.0.0.1", 1883)


def publish(topic: str, payload: bytes, qos: int = 1, packet_id: int = 7, properties: bytes = b"") -> bytes:
    body = struct.pack("!H", len(topic)) + topic.encode()
    if qos:
        body += struct.pack("!H", packet_id)
    body += bytes([len(properties)]) + properties + payload
    return bytes([0x30 | qos << 1]) + remaining(len(body)) + body


def remaining(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def cut(subscriber: MqttBatchSubscriber, data: bytes) -> tuple[list[MqttMessage], bytes, int]:
    messages: list[MqttMessage] = []
    acks = bytearray()
    used = subscriber._cut_packets(bytearray(data), messages, acks, None)  # type: ignore[arg-type]
    return messages, bytes(acks), used


def subscriber(**options: object) -> MqttBatchSubscriber:
    return MqttBatchSubscriber(BROKER, ["t/#"], lambda batch: None, **options)  # type: ignore[arg-type]


def test_messages_of_every_qos_are_cut_out_and_acknowledged_once() -> None:
    big = b"x" * 300  # a two-byte remaining length
    data = (
        publish("t/a", b"zero", qos=0)
        + publish("t/b", b"one", qos=1, packet_id=258)
        + publish("t/c", big, qos=2, packet_id=9, properties=b"\x01\x01")  # payload format indicator
        + publish("t/c", big, qos=2, packet_id=9)  # resent before PUBREL: delivered once
        + b"\x62\x02\x00\x09"  # PUBREL 9
        + b"\xd0\x00"  # PINGRESP
    )
    s = subscriber()
    messages, acks, used = cut(s, data)
    assert [(m.topic, m.payload) for m in messages] == [("t/a", b"zero"), ("t/b", b"one"), ("t/c", big)]
    assert acks == b"\x40\x02\x01\x02" + b"\x50\x02\x00\x09" * 2 + b"\x70\x02\x00\x09"
    assert used == len(data)


def test_a_packet_cut_in_two_waits_for_the_rest() -> None:
    whole = publish("t/a", b"payload" * 40)
    s = subscriber()
    for split in (1, 2, 5, len(whole) - 1):
        messages, acks, used = cut(s, whole[:split])
        assert (messages, acks, used) == ([], b"", 0)
    messages, _, used = cut(s, whole + whole[:3])
    assert len(messages) == 1 and used == len(whole)


def test_subscription_answers_and_a_broker_disconnect() -> None:
    s = subscriber()
    cut(s, b"\x90\x04\x00\x01\x00\x01")  # SUBACK, granted QoS 1
    assert s.wait_subscribed(0)
    refused = subscriber()
    cut(refused, b"\x90\x05\x00\x01\x00\x01\x87")  # second topic: not authorised
    assert not refused.wait_subscribed(0) and refused._refused == "reason codes 0x87"
    with pytest.raises(ProtocolError, match="0x8e"):
        cut(s, b"\xe0\x02\x8e\x00")  # session taken over
    with pytest.raises(ProtocolError, match="remaining length"):
        cut(s, b"\x30\xff\xff\xff\xff\x01")


def test_connect_and_subscribe_packets() -> None:
    packet = connect_packet("node-1", 60, BrokerAddress("h", 1883, "user", "pw"), persistent=True)
    assert packet[0] == 0x10 and b"\x00\x04MQTT\x05" in packet
    flags = packet[packet.index(b"MQTT\x05") + 5]
    assert flags == 0xC0  # username and password, no clean start: the broker keeps the session
    assert b"\x11\x00\x01\x51\x80" in packet and b"\x21\xff\xff" in packet  # a day; Receive Maximum
    assert packet.endswith(b"\x00\x06node-1\x00\x04user\x00\x02pw")
    anonymous = connect_packet("", 30, BROKER, persistent=False)
    assert anonymous[anonymous.index(b"MQTT\x05") + 5] == 0x02  # clean start
    assert subscribe_packet(1, ["a/+", "b"], 1) == b"\x82\x0d\x00\x01\x00\x00\x03a/+\x01\x00\x01b\x01"
