"""`supplyguard lists import`, `screen` and `screen --file` as a compliance officer runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import require_shared
from tests.e2e.cli.test_cli import node_env, run

__all__ = ["node_env"]  # the fixture, shared with the CLI tests
from tests.list_server import serve_folder


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
    forked = run(env, "screen", "--file", str(parties), "--workers", "2")
    assert forked.returncode == 0 and forked.stdout == batch.stdout


def test_screening_without_lists_says_what_to_do(tmp_path: Path) -> None:
    result = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "screen", "Anyone")
    assert result.returncode == 4 and "lists import" in result.stderr


def test_lists_update_downloads_and_keeps_the_list_in_force_on_a_bad_file(tmp_path: Path) -> None:
    un = next(require_shared("screening", "un").glob("*.xml"))
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(un, site / "consolidated.xml")
    (site / "cut.xml").write_bytes(un.read_bytes()[:100_000])
    node = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "node")}
    with serve_folder(site) as base:
        good = node | {"SUPPLYGUARD_SCREENING_LIST_URLS": json.dumps({"un-sc": f"{base}/consolidated.xml"})}
        updated = run(good, "lists", "update")
        assert updated.returncode == 0, updated.stderr
        assert "un-sc: updated, 1003 entries, list date 2026-02-27" in updated.stdout
        assert "consolidated.xml" in updated.stderr  # the progress bar

        cut = node | {
            "SUPPLYGUARD_SCREENING_LIST_URLS": json.dumps(
                {"un-sc": f"{base}/cut.xml", "ofac-sdn": f"{base}/gone/sdn.csv"}
            )
        }
        broken = run(cut, "lists", "update", "un-sc", "ofac-sdn")
        assert broken.returncode == 9 and "Traceback" not in broken.stderr
        assert "un-sc: NOT updated, the list in force stays" in broken.stderr
        assert "ofac-sdn: NOT updated" in broken.stderr and "HTTP 404" in broken.stderr

        unknown = run(good, "lists", "update", "eu-fsf")
        assert unknown.returncode == 4 and "no URL configured for eu-fsf" in unknown.stderr

    in_force = run(node, "lists", "list")
    assert "un-sc" in in_force.stdout and "1003 entries" in in_force.stdout
    assert "/consolidated.xml" in in_force.stdout


def test_importing_a_list_rescreens_open_declarations(node_env: dict[str, str], tmp_path: Path) -> None:
    from tests.factories import declaration_data

    un = next(require_shared("screening", "un").glob("*.xml"))
    sdn = require_shared("screening", "ofac", "sdn-2021-07")
    assert run(node_env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    data = tmp_path / "decl.ndjson"
    seller = {"code": "S-1", "name": "Bank Melli Iarn", "country": "IR"}
    data.write_text(json.dumps(declaration_data("CLI-RS-1", seller=seller)) + "\n")
    assert run(node_env, "import", "declarations", str(data)).returncode == 0

    first = run(node_env, "lists", "import", str(un))
    assert first.returncode == 0, first.stderr
    assert "Customs A: re-screened 2 parties of open declarations: 0 new hits, 0 hits gone" in first.stdout
    second = run(node_env, "lists", "import", str(sdn))
    assert second.returncode == 0, second.stderr
    assert "0 new hits" not in second.stdout and "+ S-1 Bank Melli Iarn: ofac-sdn" in second.stdout
    manual = run(node_env, "screening", "rescreen")
    assert manual.returncode == 0 and "0 new hits, 0 hits gone" in manual.stdout
    unknown = run(node_env, "screening", "rescreen", "--org", "Nobody")
    assert unknown.returncode == 4 and "no organisation named" in unknown.stderr
    skipped = run(node_env, "lists", "import", str(un), "--no-rescreen")
    assert skipped.returncode == 0 and "re-screened" not in skipped.stdout
