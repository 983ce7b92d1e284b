"""`supplyguard risk evaluate --start ...`: the online simulation's two starts, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import require_shared
from tests.e2e.cli.test_cli import run
from tests.e2e.cli.test_risk_cli import _slice


def test_evaluate_from_an_inspected_history_prints_that_start(tmp_path: Path) -> None:
    train = _slice(require_shared("customs", "df_syn_train_eng.csv"), tmp_path / "train.csv", 5000)
    valid = _slice(require_shared("customs", "df_syn_valid_eng.csv"), tmp_path / "valid.csv", 1500)
    test = _slice(require_shared("customs", "df_syn_test_eng.csv"), tmp_path / "test.csv", 800)
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path / "node")}
    files = ("--train", str(train), "--valid", str(valid), "--test", str(test))
    result = run(
        env, "risk", "evaluate", *files, "--start", "inspected-history", "--past-policy", "random", "--json"
    )
    assert result.returncode == 0, result.stderr
    online = json.loads(result.stdout)["online"]
    assert {item["start"] for item in online} == {"inspected-history"}
    assert {item["past_policy"] for item in online} == {"random"}
    # 5 % of each 2020 week inspected in the past: about 250 of the 5,000 training rows are labelled
    assert all(200 <= item["history_labelled"] <= 300 for item in online)
    assert {"exploit only", "random only"} <= {item["policy"] for item in online}

    refused = run(env, "risk", "evaluate", *files, "--start", "everything")
    assert refused.returncode == 2
    assert "--start" in refused.stderr
