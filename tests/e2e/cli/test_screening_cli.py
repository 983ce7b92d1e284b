"""`supplyguard lists import`, `screen` and `screen --file` as a compliance officer runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import require_shared
from tests.e2e.cli.test_cli import run


def test_import_lists_screen_names_and_files(tmp_path: Path) -> None:
    sdn = require_shared("screening", "ofac", "sdn-2021-07")
    un = next(require_shared("screening", "un").glob("*.xml"))
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "node")}
    imported = run(env, "lists", "import", str(sdn), str(un))
    assert imported.returncode == 0, imported.stderr
    assert "ofac-sdn:" in imported.stdout and "un-sc:" in imported.stdout

    truncated = tmp_path / "broken.xml"
    truncated.write_bytes(un.read_bytes()[:5000])
    broken = run(env, "lists", "import", str(truncated), "--format", "un-xml")
    assert broken.returncode == 9 and "Traceback" not in broken.stderr
    in_force = run(env, "lists", "list")
    assert "un-sc" in in_force.stdout and "730" not in broken.stdout

    one = run(env, "screen", "Sergei Ivanov", "--country", "RU")
    assert one.returncode == 0, one.stderr

    parties = tmp_path / "parties.csv"
    parties.write_text("name,country\nBANCO NACIONAL DE CUBA,CU\nGolden Harbor Trading B.V.,NL\n,\n")
    batch = run(env, "screen", "--file", str(parties))
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["row"] for line in lines] == [1, 2, 3]
    assert lines[0]["hits"] and lines[0]["hits"][0]["list"] == "ofac-sdn"
    assert {"list", "entity_id", "matched_name", "score", "why"} <= set(lines[0]["hits"][0])
    assert lines[1]["hits"] == []
    assert "error" in lines[2]


def test_screening_without_lists_says_what_to_do(tmp_path: Path) -> None:
    result = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "screen", "Anyone")
    assert result.returncode == 4 and "lists import" in result.stderr
