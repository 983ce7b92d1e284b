from __future__ import annotations

import json

from supplyguard.resilience import (
    Network,
    analyse_network,
    analysis_json,
    exposure_ranking,
    synthetic_network,
)


def test_golden_network_gives_the_published_figures_exactly(golden: Network) -> None:
    assert analysis_json(golden) == [
        {
            "scenario": "site:S1",
            "disrupted": ["S1"],
            "loss": 0.0,
            "lost_units": {},
            "rei": 0.0,
            "tts": 2.25,
            "ttr": 2.0,
            "exposed": False,
        },
        {
            "scenario": "site:S2",
            "disrupted": ["S2"],
            "loss": 125000.0,
            "lost_units": {"P1": 25.0},
            "rei": 0.455,
            "tts": 1.286,
            "ttr": 2.0,
            "exposed": True,
        },
        {
            "scenario": "site:S3",
            "disrupted": ["S3"],
            "loss": 275000.0,
            "lost_units": {"P1": 55.0},
            "rei": 1.0,
            "tts": 0.9,
            "ttr": 2.0,
            "exposed": True,
        },
    ]


def test_golden_json_is_serialisable_and_ranked_worst_first(golden: Network) -> None:
    results = analyse_network(golden)
    json.dumps([r.as_detail() for r in results])
    assert [r.scenario for r in exposure_ranking(results)] == ["site:S3", "site:S2", "site:S1"]


def test_golden_plan_and_reasons_explain_the_loss(golden: Network) -> None:
    s3 = {r.scenario: r for r in analyse_network(golden)}["site:S3"]
    assert s3.plan.stock_used == {("MKT", "P1"): 20.0, ("MKT", "P2"): 25.0}
    assert s3.plan.unmet == {("MKT", "P1"): 55.0}
    assert any("EXPOSED" in reason for reason in s3.reasons)
    assert any("55 units of P1" in reason for reason in s3.reasons)


def test_parallel_workers_give_the_same_answers() -> None:
    network = synthetic_network(60, seed=3)
    serial = [r.as_json() for r in analyse_network(network)]
    assert len(serial) > 20
    assert [r.as_json() for r in analyse_network(network, workers=2)] == serial
