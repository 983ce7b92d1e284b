"""`supplyguard tracking rules load/list`, `tracking alerts` and `tracking mqtt` (real broker, SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.cli.test_cli import node_env, run  # noqa: F401 - node_env is a fixture

RULES = """
geofences:
  - name: depot
    type: zone
    circle: {lat: 51.95, lon: 4.14, radius_km: 2}
profiles:
  - name: reefer
    max_temperature_c: 8
assignments:
  - {rules: [reefer], devices: ["*"]}
"""


def test_rules_load_list_and_a_bad_file(node_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    loaded = run(node_env, "tracking", "rules", "load", str(path))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("2 rules, 1 assignments, 0 device links")
    listed = run(node_env, "tracking", "rules", "list")
    assert (
        "depot" in listed.stdout and "zone circle 2.0 km" in listed.stdout and "devices: *" in listed.stdout
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("radius_km: 2", "radius_km: -2"))
    refused = run(node_env, "tracking", "rules", "load", str(bad), "--replace")
    assert refused.returncode == 4
    assert "geofences.0.circle.radius_km" in refused.stderr and "Traceback" not in refused.stderr
    assert run(node_env, "tracking", "alerts").stdout.strip() == "no alerts"
    missing = run(node_env, "tracking", "rules", "load", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 4 and "not a readable file" in missing.stderr


def test_rules_show_and_delete_by_name_or_id(node_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    assert run(node_env, "tracking", "rules", "load", str(path)).returncode == 0
    shown = run(node_env, "tracking", "rules", "show", "reefer")
    assert shown.returncode == 0, shown.stderr
    reefer = json.loads(shown.stdout)
    assert (reefer["kind"], reefer["max_temperature_c"], reefer["devices"]) == ("profile", 8.0, ["*"])

    deleted = run(node_env, "tracking", "rules", "delete", reefer["id"])
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"deleted profile reefer (id {reefer['id']})"
    assert run(node_env, "tracking", "rules", "delete", "depot").returncode == 0
    assert run(node_env, "tracking", "rules", "list").stdout.strip() == "no rules"
    for command in ("delete", "show"):
        unknown = run(node_env, "tracking", "rules", command, "reefer")
        assert unknown.returncode == 6, unknown.stderr
        assert "reefer" in unknown.stderr and "Traceback" not in unknown.stderr
    verified = run(node_env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.mqtt
def test_tracking_mqtt_stores_until_sigterm_then_flushes(node_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    assert run(node_env, "tracking", "rules", "load", str(path)).returncode == 0
    prefix = f"sgtest-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")}
    env.update(node_env)
    env.update({"SUPPLYGUARD_MQTT_TOPIC_PREFIX": prefix, "SUPPLYGUARD_MQTT_BATCH_MS": "60000"})
    process = subprocess.Popen(
        [sys.executable, "-m", "supplyguard", "tracking", "mqtt"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("listening on mqtt://127.0.0.1:1883"), first + (
            process.stderr.read() if process.stderr else ""
        )
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        t0 = datetime.now(UTC) - timedelta(hours=1)
        positions = [
            {
                "time": (t0 + timedelta(minutes=m)).isoformat(),
                "lat": 51.95,
                "lon": 4.14 + m / 1000,
                "temperature_c": temp,
            }
            for m, temp in ((0, 4.0), (1, 12.0), (2, 5.0))
        ]
        client.publish(
            f"{prefix}/Carrier A/devices/TRK-1/position", json.dumps(positions), qos=1
        ).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        # the publisher's PUBACK does not mean the subscriber has it yet: give the broker a moment
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped: 1 messages, 3 positions, 3 stored" in out
    alerts = run(node_env, "tracking", "alerts")
    assert "temperature" in alerts.stdout and "TRK-1" in alerts.stdout
