"""The MQTT receive path alone: the node's reader against the paho-mqtt loop it replaced, same run.

    .venv/bin/python bench/mqtt_receive_bench.py [--messages 100000] [--rate 10000] [--rounds 2]

A publisher process (bench/tracking_mqtt_bench.py's raw QoS 1 publisher) sends ``--messages``
one-position messages at ``--rate``/s to the Mosquitto broker on 127.0.0.1:1883; the subscriber in
this process only counts them (no parsing, no database), so the figures are the transport's own:
CPU µs per message of this process, and messages lost (the broker drops what a slow subscriber
leaves past its queue). The two subscribers take turns, ``--rounds`` times, so both see the same
machine. Prints a table and the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from paho_subscriber import PahoBatchSubscriber
from supplyguard.adapters.mqtt import MqttBatchSubscriber, parse_broker_url
from tracking_mqtt_bench import RawPublisher, machine, position

BROKER = "mqtt://127.0.0.1:1883"


def publish(prefix: str, messages: int, rate: float, results: Any) -> None:
    client = RawPublisher(f"rb-{uuid.uuid4().hex[:6]}")
    payload = json.dumps(position(1, 1, datetime.now(UTC))).encode()
    topic = f"{prefix}/org/devices/TRK-00001/position".encode()
    began, sent = time.monotonic(), 0
    while sent < messages:
        client.send([(topic, payload)] * 200)
        sent += 200
        ahead = sent / rate - (time.monotonic() - began)
        if ahead > 0:
            time.sleep(ahead)
    while client.acked < sent and time.monotonic() - began < 120:
        time.sleep(0.01)
    results.put((sent, client.acked, sent / (time.monotonic() - began)))
    client.close()


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(kind: str, messages: int, rate: float) -> dict[str, Any]:
    prefix = f"sgrecv-{uuid.uuid4().hex[:8]}"
    counted = [0]

    def count(batch: list[Any]) -> None:
        counted[0] += len(batch)

    make = PahoBatchSubscriber if kind == "paho" else MqttBatchSubscriber
    subscriber = make(parse_broker_url(BROKER), [f"{prefix}/#"], count, batch_ms=50)
    subscriber.start()
    results: Any = mp.Queue()
    publisher = mp.Process(target=publish, args=(prefix, messages, rate, results))
    before = cpu_s()
    publisher.start()
    sent, acked, publish_rate = results.get()
    publisher.join()
    deadline = time.monotonic() + 30
    while counted[0] < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    used = cpu_s() - before
    subscriber.stop()
    return {
        "subscriber": kind,
        "sent": sent,
        "acked": acked,
        "publish_rate": publish_rate,
        "received": counted[0],
        "lost": sent - counted[0],
        "cpu_us": used / max(counted[0], 1) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=10_000.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"MQTT receive path · {args.messages} messages of one position at {args.rate:g}/s, QoS 1")
    print(f"{'subscriber':<10} {'sent':>8} {'received':>9} {'lost':>8} {'lost %':>7} {'CPU µs/msg':>11}")
    for _ in range(args.rounds):
        for kind in ("paho", "lean"):
            r = one_run(kind, args.messages, args.rate)
            print(
                f"{r['subscriber']:<10} {r['sent']:>8} {r['received']:>9} {r['lost']:>8} "
                f"{r['lost'] / r['sent'] * 100:>6.1f}% {r['cpu_us']:>11.1f}",
                flush=True,
            )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
