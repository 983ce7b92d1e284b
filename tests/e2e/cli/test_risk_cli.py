"""`supplyguard risk train / score / rules test` on slices of the KCS data, as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import REPO, require_shared
from tests.e2e.cli.test_cli import node_env, run

__all__ = ["node_env"]  # the fixture, shared with test_cli


def _slice(source: Path, target: Path, rows: int) -> Path:
    with source.open(newline="") as stream, target.open("w", newline="") as out:
        reader = csv.reader(stream)
        writer = csv.writer(out)
        writer.writerow(next(reader))
        for index, row in enumerate(reader):
            if index >= rows:
                break
            writer.writerow(row)
    return target


def test_train_then_score_a_file_then_test_rules(tmp_path: Path) -> None:
    train = _slice(require_shared("customs", "df_syn_train_eng.csv"), tmp_path / "train.csv", 8000)
    valid = _slice(require_shared("customs", "df_syn_valid_eng.csv"), tmp_path / "valid.csv", 3000)
    test = _slice(require_shared("customs", "df_syn_test_eng.csv"), tmp_path / "test.csv", 1500)
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "node")}
    model = tmp_path / "model.json"
    trained = run(env, "risk", "train", "--train", str(train), "--valid", str(valid), "--out", str(model))
    assert trained.returncode == 0, trained.stderr
    assert model.is_file()

    scores = tmp_path / "scores.csv"
    scored = run(
        env,
        "risk",
        "score",
        str(test),
        "--model",
        str(model),
        "--history",
        str(train),
        "--history",
        str(valid),
        "--out",
        str(scores),
    )
    assert scored.returncode == 0, scored.stderr
    with scores.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["Declaration ID", "score", "expected_duty", "lane"]
    assert len(rows) == 1500
    with test.open(newline="") as stream:
        assert [r["Declaration ID"] for r in rows] == [r["Declaration ID"] for r in csv.DictReader(stream)]
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)
    red = sum(r["lane"] == "red" for r in rows)
    assert 0 < red <= 0.1 * len(rows)

    tested = run(
        env, "risk", "rules", "test", str(REPO / "examples" / "risk" / "rules.yaml"), "--history", str(valid)
    )
    assert tested.returncode == 0, tested.stderr
    assert "rule UV-LOW-CN v1:" in tested.stdout and "past declarations hit" in tested.stdout


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    model.write_text('{"format": "nonsense"}')
    test = _slice(require_shared("customs", "df_syn_test_eng.csv"), tmp_path / "test.csv", 10)
    result = run(
        {"SUPPLYGUARD_DATA_DIR": str(tmp_path)},
        "risk",
        "score",
        str(test),
        "--model",
        str(model),
        "--out",
        str(tmp_path / "s.csv"),
    )
    assert result.returncode == 10 and "Traceback" not in result.stderr


def test_node_retrain_if_due_drift_and_trusted_register(node_env: dict[str, str], tmp_path: Path) -> None:
    assert run(node_env, "org", "create", "Customs KR", "--country", "KR").returncode == 0
    history = _slice(require_shared("customs", "df_syn_train_eng.csv"), tmp_path / "history.csv", 600)
    imported = run(node_env, "import", "declarations", str(history))
    assert imported.returncode == 0, imported.stderr
    trained = run(node_env, "risk", "retrain")
    assert trained.returncode == 0, trained.stderr
    assert "trained on 600 outcomes (2020-01-01 to" in trained.stdout
    again = run(node_env, "risk", "retrain", "--if-due")
    assert again.returncode == 0 and again.stdout.startswith("not due: model risk-"), again.stdout
    # new declarations (no labels) are scored at intake now that a model is active
    fresh = tmp_path / "fresh.csv"
    with history.open(newline="") as source, fresh.open("w", newline="") as out:
        rows = list(csv.reader(source))
        writer = csv.writer(out)
        writer.writerow(rows[0][:-2])
        for row in rows[1:41]:
            writer.writerow([f"N{row[0]}", "2021-04-06", *row[2:-2]])
    assert run(node_env, "import", "declarations", str(fresh)).returncode == 0
    drift = run(node_env, "risk", "drift", "--weeks", "4", "--json")
    assert drift.returncode == 0, drift.stderr
    body = json.loads(drift.stdout)
    assert body["weeks"][-1]["week"] == "2021-W14" and body["weeks"][-1]["declarations"] == 40
    register = tmp_path / "trusted.yaml"
    register.write_text(
        "statuses:\n  - {party: X1, programme: AEO, tier: 2, issuing_country: KR, valid_from: 2020-01-01}\n"
    )
    loaded = run(node_env, "risk", "trusted", "load", str(register))
    assert loaded.returncode == 0 and "1 trusted-trader statuses" in loaded.stdout, loaded.stderr
    register.write_text(
        "statuses:\n  - {party: X1, programme: AEO, tier: 9, issuing_country: KR, valid_from: 2020-01-01}\n"
    )
    refused = run(node_env, "risk", "trusted", "load", str(register))
    assert refused.returncode != 0 and "tier" in refused.stderr and "Traceback" not in refused.stderr
