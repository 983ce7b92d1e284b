"""Telemetry over MQTT: topics, payloads, and batches of messages into the telemetry pipelines.

Topic layout (``<prefix>`` is the ``mqtt_topic_prefix`` setting, ``supplyguard`` by default;
``<org>`` is the organisation's id, or its name as the node knows it)::

    <prefix>/<org>/devices/<device_id>/position   one device: a position message, or a JSON array of them
                                                  (``device_id`` may be left out; if given it must match)
    <prefix>/<org>/positions                      any devices: a JSON array of position messages

Payloads are the JSON position messages of the HTTP batches (docs/tracking.md). Each message is
judged alone: a payload that is not JSON, a position with a malformed field, an unknown organisation
or a device id that contradicts its topic is counted under its reason and logged, and the others go
on. What the subscriber received in one batch window is written per organisation in one transaction
(:func:`supplyguard.services.telemetry.process_positions`: filters, stored rules, alerts, risk).

The broker is the gate: whoever may publish under ``<prefix>/<org>/`` speaks for that organisation's
devices (configure the broker's ACLs accordingly). Audit entries name the source ``mqtt``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import ValidationFailed
from supplyguard.logging import get_logger
from supplyguard.model.clock import Clock
from supplyguard.services.telemetry import MAX_BATCH_POSITIONS, TelemetryPipelines, process_positions
from supplyguard.tracking import Position, position_from_dict

log = get_logger(__name__)

ORG_REFRESH_S = 30.0
MAX_LOGGED = 20
MAX_TOPICS_CACHED = 100_000


class TopicMessage(Protocol):
    @property
    def topic(self) -> str: ...

    @property
    def payload(self) -> bytes: ...


def subscriptions(prefix: str) -> list[str]:
    """The topic filters the subscriber needs."""
    return [f"{prefix}/+/devices/+/position", f"{prefix}/+/positions"]


@dataclass
class IngestCounters:
    """Running totals since the subscriber started (positions, not messages, except ``messages``)."""

    messages: int = 0
    positions: int = 0
    stored: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    bad: dict[str, int] = field(default_factory=dict)
    alerts: int = 0
    risk_signals: int = 0
    failed: int = 0
    transactions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "positions": self.positions,
            "stored": self.stored,
            "filtered": dict(self.filtered),
            "bad": dict(self.bad),
            "alerts": self.alerts,
            "risk_signals": self.risk_signals,
            "failed": self.failed,
            "transactions": self.transactions,
        }


class MqttTelemetryIngest:
    """The ``on_batch`` of the MQTT subscriber: parse, group by organisation, process, count."""

    def __init__(
        self,
        uow_factory: Callable[[], SqlUnitOfWork],
        clock: Clock,
        pipelines: TelemetryPipelines,
        prefix: str,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.pipelines = pipelines
        self.prefix_parts = prefix.strip("/").split("/")
        self.counters = IngestCounters()
        self.lock = threading.Lock()
        self._orgs: dict[str, uuid.UUID] = {}
        self._orgs_loaded_at = -ORG_REFRESH_S
        self._logged = 0
        # topic -> (organisation, device id of the topic or None): one split and look-up per device
        self._topics: dict[str, tuple[uuid.UUID, str | None]] = {}

    # organisations -----------------------------------------------------------------------------
    def _org_id(self, ref: str) -> uuid.UUID | None:
        found = self._orgs.get(ref)
        if found is None and time.monotonic() - self._orgs_loaded_at >= ORG_REFRESH_S:
            with self.uow_factory() as uow:
                orgs = uow.accounts.list_orgs()
            self._orgs = {**{str(o.id): o.id for o in orgs}, **{o.name: o.id for o in orgs}}
            self._orgs_loaded_at = time.monotonic()
            found = self._orgs.get(ref)
        return found

    # parsing -----------------------------------------------------------------------------------
    def _bad(self, reason: str, topic: str, detail: str, count: int = 1) -> None:
        self.counters.bad[reason] = self.counters.bad.get(reason, 0) + count
        if self._logged < MAX_LOGGED:
            self._logged += 1
            log.warning("mqtt.bad_message", reason=reason, topic=topic[:200], detail=detail[:300])

    def _topic(self, topic: str) -> tuple[uuid.UUID, str | None] | None:
        """The organisation and device id (None on a ``positions`` topic) a topic names, or None
        (counted) when it is not a telemetry topic of a known organisation."""
        levels = topic.split("/")
        n = len(self.prefix_parts)
        rest = levels[n:] if levels[:n] == self.prefix_parts else []
        if len(rest) == 4 and rest[1] == "devices" and rest[3] == "position" and rest[2]:
            topic_device: str | None = rest[2]
        elif len(rest) == 2 and rest[1] == "positions":
            topic_device = None
        else:
            self._bad("topic", topic, "not a telemetry topic of this node")
            return None
        org_id = self._org_id(rest[0])
        if org_id is None:
            self._bad("unknown_org", topic, f"no organisation {rest[0]!r} on this node")
            return None
        if len(self._topics) >= MAX_TOPICS_CACHED:
            self._topics.clear()
        self._topics[topic] = (org_id, topic_device)
        return org_id, topic_device

    def parse(self, message: TopicMessage) -> tuple[uuid.UUID, list[Position]] | None:
        """The organisation and positions of one message, or None (counted) when it is unusable."""
        named = self._topics.get(message.topic) or self._topic(message.topic)
        if named is None:
            return None
        org_id, topic_device = named
        try:
            payload = json.loads(message.payload)
        except (ValueError, RecursionError) as exc:
            self._bad("not_json", message.topic, str(exc))
            return None
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > MAX_BATCH_POSITIONS:
            self._bad("too_many", message.topic, f"{len(items)} positions in one message", len(items))
            return None
        positions: list[Position] = []
        for index, raw in enumerate(items):
            self.counters.positions += 1
            if not isinstance(raw, dict):
                self._bad("invalid", message.topic, f"[{index}] is not a JSON object")
                continue
            if topic_device is not None:
                given = raw.get("device_id")
                if given is None:
                    raw["device_id"] = topic_device  # a dict json.loads just made: ours to change
                elif given != topic_device:
                    self._bad(
                        "device_mismatch",
                        message.topic,
                        f"[{index}] device_id {given!r} in topic {topic_device!r}",
                    )
                    continue
            try:
                positions.append(position_from_dict(raw))
            except ValidationFailed as exc:
                self._bad("invalid", message.topic, f"[{index}] {exc.message}")
        return org_id, positions

    # the batch -----------------------------------------------------------------------------------
    def __call__(self, messages: Sequence[TopicMessage]) -> None:
        with self.lock:
            self.counters.messages += len(messages)
            by_org: dict[uuid.UUID, list[Position]] = {}
            for message in messages:
                parsed = self.parse(message)
                if parsed is not None:
                    by_org.setdefault(parsed[0], []).extend(parsed[1])
            for org_id, positions in by_org.items():
                if positions:
                    self._process(org_id, positions)

    def _process(self, org_id: uuid.UUID, positions: list[Position]) -> None:
        try:
            report = process_positions(
                self.uow_factory(), self.clock, org_id, positions, self.pipelines, actor=None, source="mqtt"
            )
        except Exception:  # a database outage must not stop the subscriber; the count says what was lost
            self.counters.failed += len(positions)
            log.exception("mqtt.batch_not_stored", org_id=str(org_id), positions=len(positions))
            return
        c = self.counters
        c.transactions += 1
        c.stored += report.stored
        for code, count in report.rejected.items():
            c.filtered[code] = c.filtered.get(code, 0) + count
        c.alerts += len(report.alerts)
        c.risk_signals += report.signals
