from __future__ import annotations

import pytest

from supplyguard.resilience import (
    Network,
    ScenarioSpec,
    analyse_network,
    annotate_sea_lanes,
    exposure_ranking,
    load_network,
    parse_network,
)

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def demo() -> Network:
    return load_network(EXAMPLES / "medical-supplies.yaml")


def test_demo_ranks_the_board_maker_and_the_dutch_grid_high(demo: Network) -> None:
    ranking = [r.scenario for r in exposure_ranking(analyse_network(demo))]
    assert ranking[0] == "site:SUP-KHH"
    assert ranking.index("asset:GRID-NL-W") < ranking.index("site:PORT-RTM")


def test_demo_red_sea_crisis_is_absorbed_by_stock(demo: Network) -> None:
    result = analyse_network(demo, [ScenarioSpec(id="rs", passages=("suez", "bab-el-mandeb"))])[0]
    assert result.loss == 0.0
    assert result.ttr == 8.0
    assert any("reroutes" in reason for reason in result.reasons)


def test_annotate_sea_lanes_from_port_codes() -> None:
    from supplyguard.resilience import SeaRouter

    network = parse_network(
        {
            "products": [{"id": "A", "margin": 1}],
            "sites": [
                {"id": "SHA", "kind": "supplier", "makes": ["A"], "port_code": "CNSHA"},
                {"id": "RTM", "kind": "demand", "demand": {"A": 1}, "port_code": "NLRTM"},
            ],
            "lanes": [{"id": "L", "from": "SHA", "to": "RTM", "mode": "sea"}],
        }
    )
    passages = dict(annotate_sea_lanes(network, SeaRouter()).lanes[0].passages)
    assert "suez" in passages
    assert passages["suez"] == pytest.approx(6.8, abs=0.5)


def test_example_drill_and_risks_load_and_run(demo: Network) -> None:
    import yaml

    from supplyguard.resilience import Decision, parse_drill, parse_risks, score_drill, simulate

    drill = parse_drill(yaml.safe_load((EXAMPLES / "drill-rotterdam-blackout.yaml").read_text()))
    assert [i.kind for i in drill.injects] == ["report", "asset-failure", "site-down"]
    assert drill.scenario().assets == ("GRID-NL-W",)
    scores = score_drill(demo, drill, [Decision("kim", 20, "draw-stock", "DEPOT-S/MASK")])
    assert 0 < scores[0].score < 100
    risks = parse_risks(yaml.safe_load((EXAMPLES / "medical-risks.yaml").read_text()), demo)
    result = simulate(demo, risks, samples=200, seed=9, horizon=4)
    assert result.losses.shape == (200,)
    assert set(result.unmet_by_product) == {"MASK", "GLOVE", "IVSET", "VENT"}
