"""Resilience engine: supply network, disruptions, TTR/TTS linear programmes, routing, Monte Carlo,
stockpiles and drills. Pure: takes data, returns data (see docs/resilience.md)."""

from supplyguard.resilience.analysis import (
    ContingencyPlan,
    ScenarioResult,
    analyse_disruptions,
    analyse_network,
    analysis_json,
    exposure_ranking,
)
from supplyguard.resilience.exercises import (
    Decision,
    Drill,
    DrillScore,
    Inject,
    key_actions,
    parse_drill,
    score_drill,
    validate_drill,
)
from supplyguard.resilience.files import lanes_from_csv, load_network, parse_network_yaml, sites_from_csv
from supplyguard.resilience.loader import parse_network
from supplyguard.resilience.lp import ContingencyModel, Solution
from supplyguard.resilience.model import (
    AlternativeSource,
    InfrastructureAsset,
    Lane,
    Network,
    Product,
    ScenarioSpec,
    Site,
)
from supplyguard.resilience.montecarlo import MonteCarloResult, RiskProfile, parse_risks, simulate
from supplyguard.resilience.passages import PASSAGE_NAMES, canonical_passage
from supplyguard.resilience.routing import (
    GraphRouter,
    RerouteImpact,
    Route,
    SeaRouter,
    annotate_sea_lanes,
    load_geograph,
    sea_lane_passages,
)
from supplyguard.resilience.scenarios import (
    Disruption,
    cascade_assets,
    combine,
    resolve,
    single_point_scenarios,
)
from supplyguard.resilience.servicelevel import (
    ServiceOption,
    base_stock_option,
    newsvendor,
    service_level_view,
)
from supplyguard.resilience.stockpile import (
    StockpilePlan,
    default_positions,
    plan_stockpile,
    with_added_stock,
)
from supplyguard.resilience.synthetic import synthetic_network

__all__ = [
    "PASSAGE_NAMES",
    "AlternativeSource",
    "ContingencyModel",
    "ContingencyPlan",
    "Decision",
    "Disruption",
    "Drill",
    "DrillScore",
    "GraphRouter",
    "InfrastructureAsset",
    "Inject",
    "Lane",
    "MonteCarloResult",
    "Network",
    "Product",
    "RerouteImpact",
    "RiskProfile",
    "Route",
    "ScenarioResult",
    "ScenarioSpec",
    "SeaRouter",
    "ServiceOption",
    "Site",
    "Solution",
    "StockpilePlan",
    "analyse_disruptions",
    "analyse_network",
    "analysis_json",
    "annotate_sea_lanes",
    "base_stock_option",
    "canonical_passage",
    "cascade_assets",
    "combine",
    "default_positions",
    "exposure_ranking",
    "key_actions",
    "lanes_from_csv",
    "load_geograph",
    "load_network",
    "newsvendor",
    "parse_drill",
    "parse_network",
    "parse_network_yaml",
    "parse_risks",
    "plan_stockpile",
    "resolve",
    "score_drill",
    "sea_lane_passages",
    "service_level_view",
    "simulate",
    "single_point_scenarios",
    "sites_from_csv",
    "synthetic_network",
    "validate_drill",
    "with_added_stock",
]
