"""The DATE protocol on the full KCS data (slow: about 15 s on 2 cores)."""

from __future__ import annotations

import json

import pytest

from supplyguard.risk import evaluate_kcs, read_kcs_csv

from .conftest import CUSTOMS

pytestmark = pytest.mark.slow


def test_date_protocol_reaches_the_targets() -> None:
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    if not all(path.exists() for path in paths):
        pytest.skip("KCS data not found in ../shared/data/customs")
    train, valid, test = (read_kcs_csv(path) for path in paths)
    report = evaluate_kcs(train, valid, test, online_policies=())
    probability = report.find("probability")
    assert probability.get(0.05).precision >= 0.99
    assert probability.get(0.10).precision >= 0.96
    assert probability.auc > 0.95
    combined = report.find("combined")
    assert combined.get(0.05).precision >= 0.80
    assert combined.get(0.05).duty_caught >= 0.80
    hard = report.find("probability", "hard")
    assert hard.rows == 1178
    assert hard.get(0.05).precision > hard.fraud_rate
    assert "KCS paper LightGBM" in report.to_table()
    assert json.loads(report.to_json())["rankings"][0]["ranking"] == "probability"
