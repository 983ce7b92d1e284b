"""`supplyguard partners|intel` as a user runs them: separate processes, settings from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.integration.sharing.nodes import AGREEMENT, SUSPECT


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")}
    full_env.update(env, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "supplyguard", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # about ten CLI processes
def test_register_publish_list_show_export(tmp_path: Path) -> None:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "SUPPLYGUARD_NODE_NAME": "test.node",
    }
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT, encoding="utf-8")
    added = run(env, "partners", "agreement", str(agreement))
    assert added.returncode == 0, added.stderr
    whoami = json.loads(run(env, "partners", "whoami").stdout)
    assert whoami["node_id"] == "test.node" and len(bytes.fromhex(whoami["public_key"])) == 32
    assert (tmp_path / "node" / "keys" / "sharing-ed25519.pem").stat().st_mode & 0o077 == 0

    partner_key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    partner = run(
        env, "partners", "add", "customs-b", "--name", "Customs B", "--public-key", partner_key.hex()
    )
    assert partner.returncode == 0, partner.stderr
    bad = run(env, "partners", "add", "customs-c", "--name", "C", "--public-key", "abcd")
    assert bad.returncode == 4 and "public_key" in bad.stderr
    listed = run(env, "partners", "list")
    assert "customs-b" in listed.stdout

    spec = tmp_path / "alert.yaml"
    spec.write_text(yaml.safe_dump(SUSPECT), encoding="utf-8")
    preview = run(env, "intel", "publish", str(spec), "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "customs-b" in preview.stdout and "whole" in preview.stdout
    published = run(env, "intel", "publish", str(spec))
    assert published.returncode == 0, published.stderr
    object_id = published.stdout.split()[1]
    assert object_id.startswith("indicator--")

    assert object_id in run(env, "intel", "list").stdout
    shown = json.loads(run(env, "intel", "show", object_id).stdout)
    assert shown["object"]["id"] == object_id and shown["deliveries"][0]["partner"] == "customs-b"
    missing = run(env, "intel", "show", "indicator--00000000-0000-4000-8000-000000000000")
    assert missing.returncode == 6

    bundle = json.loads(run(env, "intel", "export", "--format", "stix").stdout)
    assert bundle["type"] == "bundle" and [o["id"] for o in bundle["objects"]] == [object_id]


@pytest.mark.slow  # a few CLI processes
def test_disclosure_commands_list_ask_and_refuse_bad_input(tmp_path: Path) -> None:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "SUPPLYGUARD_NODE_NAME": "test.node",
    }
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT, encoding="utf-8")
    assert run(env, "partners", "agreement", str(agreement)).returncode == 0
    partner_key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert (
        run(env, "partners", "add", "customs-b", "--name", "B", "--public-key", partner_key.hex()).returncode
        == 0
    )

    assert "no disclosure requests" in run(env, "intel", "disclosures").stdout
    asked = run(
        env,
        "intel",
        "ask",
        "customs-b",
        "--agreement",
        "cmaa-test",
        "--kind",
        "container",
        "--digest",
        "ab" * 32,
        "--reason",
        "our case 1 names it",
    )
    assert asked.returncode == 0, asked.stderr
    listed = run(env, "intel", "disclosures", "--status", "open").stdout
    assert "outgoing" in listed and "customs-b" in listed and "our case 1 names it" in listed
    bad = run(
        env,
        "intel",
        "ask",
        "customs-b",
        "--agreement",
        "cmaa-test",
        "--kind",
        "shoe",
        "--digest",
        "x",
        "--reason",
        "r",
    )
    assert bad.returncode != 0 and "kind" in bad.stderr and "digest" in bad.stderr
    not_a_request = run(env, "intel", "disclose", "nope", "--approve", "--answer", "x")
    assert not_a_request.returncode != 0 and "REQUEST_ID" in not_a_request.stderr
    ours = listed.split()[0]  # an outgoing request cannot be decided here
    assert run(env, "intel", "disclose", ours, "--refuse", "--answer", "no").returncode != 0


def test_intel_import_refuses_bad_bundles_cleanly(tmp_path: Path) -> None:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "SUPPLYGUARD_NODE_NAME": "customs-b",
    }
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "org", "create", "Customs B", "--country", "NL").returncode == 0
    report = tmp_path / "report.json"
    report.write_text('{"type": "report", "objects": []}', encoding="utf-8")
    refused = run(env, "intel", "import", str(report), "--from", "test.node")
    assert refused.returncode == 4 and "not a STIX bundle" in refused.stderr
    assert "Traceback" not in refused.stderr
    big = tmp_path / "big.json"
    big.write_text(
        json.dumps({"type": "bundle", "objects": [{"id": "x", "pad": "y" * 400}]}), encoding="utf-8"
    )
    too_large = run(env, "intel", "import", str(big), "--from", "test.node", "--max-object-bytes", "300")
    assert too_large.returncode == 4 and "larger than 300 bytes: refused" in too_large.stderr
    empty = tmp_path / "empty.json"
    empty.write_text('{"type": "bundle", "id": "bundle--1", "objects": []}', encoding="utf-8")
    done = run(env, "intel", "import", str(empty), "--from", "test.node")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objects"] == 0
