"""`supplyguard events hash FILE` prints every expected CBV 2.0 hash of the shared vectors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import require_shared
from tests.e2e.cli.test_cli import run


def test_events_hash_matches_every_vector(tmp_path: Path) -> None:
    vectors = json.loads(require_shared("epcis", "event_hash_test_vectors.json").read_text())["vectors"]
    examples = require_shared("epcis", "event-hash-vectors", "examples")
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    files, expected = [], []
    for vector in vectors:
        for name in vector.get("inputs", []):  # XML and JSON-LD forms of the same events alike
            files.append(str(examples / name))
            expected.extend(vector["hashes"])
    result = run(env, "events", "hash", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected
    assert sum(len(vector["hashes"]) for vector in vectors if vector.get("inputs")) == 63


def test_events_hash_refuses_a_broken_document_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonld"
    bad.write_text('{"type": "EPCISDocument", "epcisBody": {"eventList": [{"type": "ObjectEvent"}]}}')
    result = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "events", "hash", str(bad))
    assert result.returncode == 4
    assert "eventList" in result.stderr and "Traceback" not in result.stderr
