"""``supplyguard tracking ...``: alert rules, the alert queue, the stock check and the MQTT subscriber."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from supplyguard.cli.context import open_container, operator, out_console
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed

if TYPE_CHECKING:
    from supplyguard.adapters.mqtt import MqttBatchSubscriber
    from supplyguard.bootstrap import Container
    from supplyguard.services.telemetry_mqtt import MqttTelemetryIngest

tracking_app = typer.Typer(
    help="Tracking: alert rules, alerts, stock check, MQTT telemetry.", no_args_is_help=True
)
rules_app = typer.Typer(help="Alert rules stored on the node.", no_args_is_help=True)
tracking_app.add_typer(rules_app, name="rules")

MAX_RULES_FILE = 20 * 1024 * 1024
SILENCE_CHECK_S = 60.0
ORG_OPTION = typer.Option(None, "--org", help="Organisation (needed when the node has several).")


@rules_app.command("load")
def rules_load(
    path: Path = typer.Argument(..., help="A rules file (YAML): geofences, corridors, profiles, ..."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace every stored rule, link and expected stock."
    ),
    org: str = ORG_OPTION,
) -> None:
    """Put a rules file in force, all or nothing."""
    from supplyguard.services.tracking_rules import load_rules, parse_rules_yaml

    if not path.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
    if path.stat().st_size > MAX_RULES_FILE:
        raise PayloadTooLarge(path.stat().st_size, MAX_RULES_FILE)
    try:
        document = parse_rules_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not UTF-8 text")]) from exc
    with open_container() as container:
        report = load_rules(
            container.uow(),
            container.clock,
            container.signer,
            operator(container, org),
            document,
            replace=replace,
        )
    out_console.print(
        f"{report.rules} rules, {report.assignments} assignments, {report.links} device links, "
        f"{report.expected_stock} expected stock lines loaded from {path.name}"
        + (" (replacing the previous set)" if report.replaced else "")
    )


@rules_app.command("list")
def rules_list(
    kind: str = typer.Option(None, help="geofence, corridor or profile."), org: str = ORG_OPTION
) -> None:
    """The stored rules, one line each."""
    from supplyguard.services.tracking_rules import list_rules

    with open_container() as container:
        found = list_rules(container.uow(readonly=True), operator(container, org), kind)
    for rule in found:
        devices = ", ".join(rule.devices) if rule.devices else "-"
        out_console.print(f"{rule.kind:9} {rule.name:30} {_summary(rule.spec)}  devices: {devices}")
    if not found:
        out_console.print("no rules")


@rules_app.command("show")
def rules_show(ref: str = typer.Argument(..., help="The rule's name or id."), org: str = ORG_OPTION) -> None:
    """One rule as JSON (its definition, devices, who created it)."""
    import json
    import sys

    from supplyguard.services.tracking_rules import get_rule, rule_json

    with open_container() as container:
        rule = get_rule(container.uow(readonly=True), operator(container, org), ref)
    sys.stdout.write(json.dumps(rule_json(rule), indent=2, ensure_ascii=False) + "\n")


@rules_app.command("delete")
def rules_delete(
    ref: str = typer.Argument(..., help="The rule's name or id."), org: str = ORG_OPTION
) -> None:
    """Remove a rule and its assignments (audited, and a ledger leaf); alerting stops at the next batch."""
    from supplyguard.services.tracking_rules import delete_rule

    with open_container() as container:
        rule = delete_rule(container.uow(), container.clock, container.signer, operator(container, org), ref)
    out_console.print(f"deleted {rule.kind} {rule.name} (id {rule.id})")


def _summary(spec: dict[str, Any] | Any) -> str:
    if "circle" in spec:
        c = spec["circle"]
        return f"{spec['type']} circle {c['radius_km']} km at {c['lat']}, {c['lon']}"
    if "polygon" in spec:
        return f"{spec['type']} polygon of {len(spec['polygon'])} points"
    if "mode" in spec:
        return f"{spec['mode']} corridor of {len(spec['points'])} points, {spec['width_km']} km wide"
    return ", ".join(f"{k}={v}" for k, v in spec.items())


@tracking_app.command("alerts")
def alerts(
    all_: bool = typer.Option(False, "--all", help="Acknowledged ones too."),
    limit: int = typer.Option(50, min=1, max=1000),
    org: str = ORG_OPTION,
) -> None:
    """Alerts, newest first (only those nobody acknowledged, unless --all)."""
    from supplyguard.model.clock import iso_utc
    from supplyguard.services.telemetry import list_alerts

    with open_container() as container:
        found = list_alerts(
            container.uow(readonly=True), operator(container, org), open_only=not all_, limit=limit
        )
    for stored in found:
        a = stored.alert
        ack = f"  [ack {stored.acknowledged_by}]" if stored.acknowledged_at else ""
        out_console.print(
            f"{iso_utc(a.time)} {a.severity:8} {a.kind:20} {a.subject}: {a.reason}  id={stored.id}{ack}"
        )
    if not found:
        out_console.print("no alerts")


@tracking_app.command("stock-check")
def stock_check(org: str = ORG_OPTION) -> None:
    """Compare each depot's stock with what declarations ship there; store mismatch alerts."""
    from supplyguard.services.tracking_stock import check_stock

    with open_container() as container:
        result = check_stock(container.uow(), container.clock, operator(container, org))
    out_console.print(
        f"{result.sites} sites checked, {len(result.alerts)} new mismatch alerts, "
        f"{result.signals} declarations' risk raised"
    )
    for stored in result.alerts:
        out_console.print(f"  {stored.alert.severity}: {stored.alert.reason}")


def start_mqtt(container: Container) -> tuple[MqttBatchSubscriber, MqttTelemetryIngest]:
    """Connect the node's MQTT subscriber to the telemetry pipelines it shares with HTTP."""
    from supplyguard.adapters.mqtt import MqttBatchSubscriber, parse_broker_url
    from supplyguard.services.telemetry import telemetry_pipelines
    from supplyguard.services.telemetry_mqtt import MqttTelemetryIngest, subscriptions

    settings = container.settings
    ingest = MqttTelemetryIngest(
        container.uow, container.clock, telemetry_pipelines(container.extras), settings.mqtt_topic_prefix
    )
    subscriber = MqttBatchSubscriber(
        parse_broker_url(settings.mqtt_url),
        subscriptions(settings.mqtt_topic_prefix),
        ingest,
        qos=settings.mqtt_qos,
        batch_ms=settings.mqtt_batch_ms,
        batch_max=settings.mqtt_batch_max,
        client_id=settings.mqtt_client_id,
        spool_dir=settings.data_dir / "mqtt-spool",  # beyond 200,000 waiting messages: disk, not loss
    )
    subscriber.start()
    return subscriber, ingest


@tracking_app.command("mqtt")
def mqtt(
    seconds: float = typer.Option(0, min=0, help="Stop after this many seconds (0: until SIGINT/SIGTERM)."),
) -> None:
    """Subscribe to the broker and store telemetry until stopped; a stop writes what was received."""
    from supplyguard.logging import configure_logging
    from supplyguard.services.telemetry import check_silent_devices, telemetry_pipelines

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with open_container() as container:
        settings = container.settings
        configure_logging(settings.log_level, settings.log_json)
        subscriber, ingest = start_mqtt(container)
        out_console.print(
            f"listening on {subscriber.broker} for {', '.join(subscriber.topics)} "
            f"(QoS {settings.mqtt_qos}, batches of {settings.mqtt_batch_max} messages / "
            f"{settings.mqtt_batch_ms} ms)"
        )
        deadline = time.monotonic() + seconds if seconds else None
        next_silence_check = time.monotonic() + SILENCE_CHECK_S
        try:
            while not stop.wait(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))):
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                if now >= next_silence_check:  # device_silent alerts need a clock, not a message
                    next_silence_check = now + SILENCE_CHECK_S
                    pipelines = telemetry_pipelines(container.extras)
                    check_silent_devices(container.uow(), container.clock, pipelines)
        finally:
            subscriber.stop()
        counts = ingest.counters
        out_console.print(
            f"stopped: {counts.messages} messages, {counts.positions} positions, {counts.stored} stored, "
            f"{sum(counts.filtered.values())} filtered {dict(sorted(counts.filtered.items()))}, "
            f"{sum(counts.bad.values())} bad {dict(sorted(counts.bad.items()))}, {counts.alerts} alerts, "
            f"{counts.failed} not stored"
        )
