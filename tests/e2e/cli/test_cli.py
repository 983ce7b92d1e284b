"""The CLI as a user runs it: separate processes, settings from the environment only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_shared

KCS_HEADER = (
    "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,"
    "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,"
    "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud"
)
GOOD = "41256141,2021-04-01,40,B,11,21,11,40,LPA7LKZ,Y3OM027,FQKH1PD,,420231,IT,RO,8.0,A,G,1.0,1248.7,0,0"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")}
    full_env.update(env)
    full_env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "supplyguard", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def node_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": database_url,
        "SUPPLYGUARD_NODE_NAME": "cli.test",
    }
    assert run(env, "db", "upgrade").returncode == 0
    return env


def test_org_user_token_and_import_with_rejected_rows(node_env: dict[str, str], tmp_path: Path) -> None:
    created = run(node_env, "org", "create", "Customs A", "--country", "NL")
    assert created.returncode == 0, created.stderr
    user = run(
        node_env,
        "user",
        "create",
        "anna",
        "--org",
        "Customs A",
        "--role",
        "officer",
        "--password",
        "long-enough-1",
    )
    assert user.returncode == 0, user.stderr
    token = run(node_env, "token", "create", "anna")
    assert token.returncode == 0 and token.stdout.strip().startswith("sg_")

    data = tmp_path / "decl.csv"
    data.write_text(
        KCS_HEADER + "\n" + GOOD + "\n" + GOOD.replace("41256141", "2").replace(",IT,RO,", ",IT,QQ,") + "\n"
    )
    report = tmp_path / "report.json"
    result = run(node_env, "import", "declarations", str(data), "--report", str(report))
    assert result.returncode == 3, result.stderr
    assert "1 declarations stored" in result.stdout
    assert "row 3 (2)" in result.stderr and "Country of Origin" not in result.stdout
    assert json.loads(report.read_text())["errors"][0]["errors"][0]["column"] == "Country of Origin"


def test_errors_are_messages_with_exit_codes(node_env: dict[str, str], tmp_path: Path) -> None:
    bad_kind = run(node_env, "org", "create", "X", "--country", "NL", "--kind", "pirates")
    assert (
        bad_kind.returncode == 4
        and "must be one of" in bad_kind.stderr
        and "Traceback" not in bad_kind.stderr
    )
    missing = run(node_env, "import", "declarations", str(tmp_path / "nope.csv"))
    assert missing.returncode == 4 and "not a readable file" in missing.stderr
    no_org = tmp_path / "x.csv"
    no_org.write_text(KCS_HEADER + "\n" + GOOD + "\n")
    result = run(node_env, "import", "declarations", str(no_org))
    assert result.returncode == 4 and "name the organisation" in result.stderr


def test_a_missing_schema_is_explained(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "empty")}
    result = run(env, "org", "list")
    assert result.returncode == 11 and "supplyguard db upgrade" in result.stderr


def test_two_nodes_side_by_side_from_two_environments(tmp_path: Path) -> None:
    nl = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "nl"), "SUPPLYGUARD_NODE_NAME": "customs.nl"}
    kr = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "kr"), "SUPPLYGUARD_NODE_NAME": "customs.kr"}
    for env, name in ((nl, "NL Customs"), (kr, "KR Customs")):
        assert run(env, "db", "upgrade").returncode == 0
        assert run(env, "org", "create", name, "--country", name[:2]).returncode == 0
    assert "NL Customs" in run(nl, "org", "list").stdout and "KR Customs" not in run(nl, "org", "list").stdout
    assert "KR Customs" in run(kr, "org", "list").stdout
    assert (tmp_path / "nl" / "supplyguard.db").exists() and (tmp_path / "kr" / "supplyguard.db").exists()


def test_demo_builds_the_configured_database_without_serving(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "demo")}
    result = run(env, "demo", "--no-serve", "--declarations", "200")
    assert result.returncode == 0, result.stderr
    assert "nl-officer" in result.stdout and "200 declarations" in result.stdout
    again = run(env, "demo", "--no-serve", "--declarations", "200")
    assert again.returncode == 7 and "already holds organisations" in again.stderr


@pytest.mark.parametrize("split", ["test"])
def test_kcs_split_imports_through_the_cli(node_env: dict[str, str], split: str) -> None:
    path = require_shared("customs", f"df_syn_{split}_eng.csv")
    assert run(node_env, "org", "create", "Customs A", "--country", "KR").returncode == 0
    result = run(node_env, "import", "declarations", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "8481 declarations stored (8481 outcomes), 0 rows rejected" in result.stdout


def test_usage_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    for args in (("nonsense",), ("screen", "--bogus", "x"), ("ledger", "prove", "--index", "-1")):
        result = run(env, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    listing = run(env, "--help")
    assert listing.returncode == 0
    groups = ("db", "org", "import", "ledger", "risk", "lists", "screen", "events", "resilience", "intel")
    for group in groups:
        assert f" {group} " in listing.stdout


def test_an_import_loads_the_risk_modules_only_when_they_have_work(
    node_env: dict[str, str], tmp_path: Path
) -> None:
    """No active model and no watch-list secret: the import's start-up skips the risk, numpy and
    sharing modules; once a secret is installed, watch-list matching loads (risk scoring still not)."""
    assert run(node_env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    data = tmp_path / "one.csv"

    def imported_modules(declaration_id: str, *options: str) -> str:  # the import's -X importtime report
        data.write_text(KCS_HEADER + "\n" + GOOD.replace("41256141", declaration_id) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPLYGUARD_")} | node_env
        command = [sys.executable, "-X", "importtime", "-m", "supplyguard", "import", "declarations"]
        command += [str(data), *options]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stderr

    first = imported_modules("1", "--no-outcomes")
    assert "supplyguard.services.risk_intake" not in first and "| numpy\n" not in first
    assert "supplyguard.services.sharing_watch" not in first
    secret = Path(node_env["SUPPLYGUARD_DATA_DIR"]) / "keys" / "watch" / "nl-kr.key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("00" * 32 + "\n")
    secret.chmod(0o600)
    second = imported_modules("2", "--no-outcomes")  # an open declaration: matched at intake
    assert "supplyguard.services.sharing_watch" in second and "supplyguard.services.risk_intake" not in second
