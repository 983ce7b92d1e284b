"""Strict capture (`SUPPLYGUARD_EPCIS_SCHEMA_FILE`): the GS1 JSON schema refuses what the structural
checks let through, with the path of the field; a bad schema file is a clear error at start."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli.test_cli import node_env, run  # noqa: F401 - node_env is a fixture
from tests.integration.tracking.epcis_data import as_bytes, document, event, gs1_folder


def test_the_schema_is_applied_only_when_the_setting_names_it(
    node_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    # instance master data (ilmd) on an OBSERVE: the schema allows it with ADD only; the always-on
    # checks leave that rule to it (one of GS1's own simple-context examples breaks it)
    odd = {**event(0), "action": "OBSERVE", "ilmd": {"ex:lot": "L7"}}
    path = tmp_path / "odd.jsonld"
    path.write_bytes(as_bytes(document(odd)))
    strict = {**node_env, "SUPPLYGUARD_EPCIS_SCHEMA_FILE": str(gs1_folder() / "EPCIS-JSON-Schema.json")}

    refused = run(strict, "events", "import", str(path), "--org", "Carrier A")
    assert refused.returncode == 4, refused.stderr
    assert "epcisBody.eventList.0" in refused.stderr and "Traceback" not in refused.stderr
    accepted = run(node_env, "events", "import", str(path), "--org", "Carrier A")
    assert accepted.returncode == 0, accepted.stderr  # the default: structural and semantic checks only

    good = tmp_path / "good.jsonld"
    good.write_bytes(as_bytes(document(event(1))))
    assert run(strict, "events", "import", str(good), "--org", "Carrier A").returncode == 0


def test_a_missing_or_broken_schema_file_is_a_configuration_error(
    node_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    broken = tmp_path / "schema.json"
    broken.write_text('{"type": 12}')
    for schema, words in ((tmp_path / "nope.json", "cannot read"), (broken, "not a valid JSON schema")):
        result = run({**node_env, "SUPPLYGUARD_EPCIS_SCHEMA_FILE": str(schema)}, "org", "list")
        assert result.returncode == 11, result.stderr
        assert "epcis_schema_file" in result.stderr and words in result.stderr
        assert "Traceback" not in result.stderr
