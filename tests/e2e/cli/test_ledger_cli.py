"""The ledger from the command line, and a proof bundle checked on a 'clean machine' with only the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from supplyguard.adapters.db.tables import declaration_items
from tests.e2e.cli.test_cli import GOOD, KCS_HEADER, run


@pytest.fixture
def loaded(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": database_url,
        "SUPPLYGUARD_NODE_NAME": "customs.test/log",
    }
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    data = tmp_path / "d.csv"
    data.write_text(KCS_HEADER + "\n" + "\n".join(GOOD.replace("41256141", str(n)) for n in range(5)) + "\n")
    assert run(env, "import", "declarations", str(data)).returncode == 0
    return env


def test_prove_and_check_offline_with_only_the_public_key(loaded: dict[str, str], tmp_path: Path) -> None:
    pubkey = run(loaded, "ledger", "pubkey")
    assert pubkey.returncode == 0 and pubkey.stdout.startswith("customs.test/log+")
    key_file = tmp_path / "partner" / "log.vkey"
    key_file.parent.mkdir()
    key_file.write_text(pubkey.stdout)

    checkpoint = run(loaded, "ledger", "checkpoint")
    assert checkpoint.returncode == 0 and checkpoint.stdout.startswith("customs.test/log\n")
    size = int(checkpoint.stdout.splitlines()[1])

    bundle = run(loaded, "ledger", "prove", "--index", "3")
    assert bundle.returncode == 0, bundle.stderr
    data = json.loads(bundle.stdout)
    assert {"leaf_index", "tree_size", "leaf", "leaf_hash", "inclusion_path", "checkpoint"} <= set(data)
    bundle_file = key_file.parent / "proof.json"
    bundle_file.write_text(bundle.stdout)

    clean_machine = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "nothing-here")}
    ok = run(clean_machine, "ledger", "check-proof", str(bundle_file), "--key", str(key_file))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK:")
    assert not (tmp_path / "nothing-here" / "supplyguard.db").exists()

    data["leaf_index"] = 2
    bundle_file.write_text(json.dumps(data))
    forged = run(clean_machine, "ledger", "check-proof", str(bundle_file), "--key", str(key_file))
    assert forged.returncode == 8 and "Traceback" not in forged.stderr

    other_key = run(
        {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "other"), "SUPPLYGUARD_NODE_NAME": "customs.test/log"},
        "ledger",
        "pubkey",
    ).stdout.strip()
    bundle_file.write_text(bundle.stdout)
    wrong = run(clean_machine, "ledger", "check-proof", str(bundle_file), "--key", other_key)
    assert wrong.returncode == 8

    consistency = run(loaded, "ledger", "consistency", "2", str(size))
    assert consistency.returncode == 0, consistency.stderr
    (key_file.parent / "cons.json").write_text(consistency.stdout)
    assert (
        run(
            clean_machine, "ledger", "check-proof", str(key_file.parent / "cons.json"), "--key", str(key_file)
        ).returncode
        == 0
    )


def test_bad_proof_requests_are_clear_errors(loaded: dict[str, str]) -> None:
    cases = [
        (("prove", "--index", "999"), "index"),
        (("consistency", "3", "999"), "999"),
        (("prove", "no-such-record"), "not found"),
    ]
    for args, fragment in cases:
        result = run(loaded, "ledger", *args)
        assert result.returncode in (6, 8), result.stderr
        assert fragment in result.stderr and "Traceback" not in result.stderr


def test_verify_passes_then_names_a_tampered_row(loaded: dict[str, str]) -> None:
    ok = run(loaded, "ledger", "verify")
    assert ok.returncode == 0 and "ledger intact" in ok.stdout
    engine = create_engine(loaded["SUPPLYGUARD_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(
            update(declaration_items).where(declaration_items.c.line_no == 1).values(hs_code="010121")
        )
    engine.dispose()
    broken = run(loaded, "ledger", "verify")
    assert broken.returncode == 8
    assert broken.stdout.count("was changed behind the ledger's back") == 5
