"""Risk engine: features, targeting rules, the LightGBM model, lanes within capacity, evaluation.

Pure: takes declaration rows and returns scores, lanes and reasons; no database, HTTP or CLI.

The names below load their module on first use (PEP 562), so importing one part of the engine
(rules, signals, records) does not start LightGBM and SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supplyguard.risk.calibration import (
        Calibration,
        fit_isotonic,
        fit_platt,
    )
    from supplyguard.risk.drift import (
        ScoredOutcome,
        WeekDrift,
        drift_report,
        population_stability,
    )
    from supplyguard.risk.evaluation import (
        PUBLISHED,
        TARGETS,
        EvaluationReport,
        OnlinePolicyResult,
        ProtocolRun,
        RankingResult,
        evaluate_run,
        hard_subset_mask,
        run_date_protocol,
    )
    from supplyguard.risk.explain import (
        Factor,
        describe_factor,
        top_factors,
    )
    from supplyguard.risk.features import (
        FEATURE_NAMES,
        FeatureState,
        FeatureTable,
        build_feature_table,
        feature_mapping,
        state_from_history,
    )
    from supplyguard.risk.intake import (
        IntakeLane,
        LaneLines,
        exploration_draw,
        intake_lanes,
    )
    from supplyguard.risk.metrics import (
        AtShare,
        at_share,
        auc,
    )
    from supplyguard.risk.model import (
        MODEL_FORMAT,
        RiskModel,
        TrainingOptions,
        combined_ranking,
        expected_duty,
        load_model,
        model_from_bytes,
        model_to_bytes,
        save_model,
        train_model,
    )
    from supplyguard.risk.online import (
        EXPLOIT,
        EXPLORE_FADING,
        EXPLORE_GATED,
        EXPLORE_RANDOM,
        EXPLORE_UNCERTAIN,
        RANDOM_ONLY,
        OnlinePolicy,
        simulate_online,
    )
    from supplyguard.risk.records import (
        NO_SIGNALS,
        DeclarationRow,
        IntakeSignals,
        parse_kcs_rows,
        read_kcs_csv,
        read_kcs_stream,
        row_from_declaration,
    )
    from supplyguard.risk.report import (
        DEFAULT_POLICIES,
        evaluate_kcs,
    )
    from supplyguard.risk.rules import (
        Condition,
        FiredRule,
        Rule,
        RuleTestResult,
        evaluate_rules,
        parse_rules,
        test_rule,
    )
    from supplyguard.risk.scoring import (
        RiskAssessment,
        ScoredDeclaration,
        assess_declaration,
        assess_vectors,
        score_batch,
    )
    from supplyguard.risk.selection import (
        Candidate,
        Capacity,
        ExplorationMode,
        LaneDecision,
        select_lanes,
    )

_WHERE: dict[str, str] = {
    "AtShare": "supplyguard.risk.metrics",
    "Calibration": "supplyguard.risk.calibration",
    "Candidate": "supplyguard.risk.selection",
    "Capacity": "supplyguard.risk.selection",
    "Condition": "supplyguard.risk.rules",
    "DEFAULT_POLICIES": "supplyguard.risk.report",
    "DeclarationRow": "supplyguard.risk.records",
    "EXPLOIT": "supplyguard.risk.online",
    "EXPLORE_FADING": "supplyguard.risk.online",
    "EXPLORE_GATED": "supplyguard.risk.online",
    "EXPLORE_RANDOM": "supplyguard.risk.online",
    "EXPLORE_UNCERTAIN": "supplyguard.risk.online",
    "EvaluationReport": "supplyguard.risk.evaluation",
    "ExplorationMode": "supplyguard.risk.selection",
    "FEATURE_NAMES": "supplyguard.risk.features",
    "Factor": "supplyguard.risk.explain",
    "FeatureState": "supplyguard.risk.features",
    "FeatureTable": "supplyguard.risk.features",
    "FiredRule": "supplyguard.risk.rules",
    "IntakeLane": "supplyguard.risk.intake",
    "IntakeSignals": "supplyguard.risk.records",
    "LaneDecision": "supplyguard.risk.selection",
    "LaneLines": "supplyguard.risk.intake",
    "MODEL_FORMAT": "supplyguard.risk.model",
    "NO_SIGNALS": "supplyguard.risk.records",
    "OnlinePolicy": "supplyguard.risk.online",
    "OnlinePolicyResult": "supplyguard.risk.evaluation",
    "PUBLISHED": "supplyguard.risk.evaluation",
    "ProtocolRun": "supplyguard.risk.evaluation",
    "RANDOM_ONLY": "supplyguard.risk.online",
    "RankingResult": "supplyguard.risk.evaluation",
    "RiskAssessment": "supplyguard.risk.scoring",
    "RiskModel": "supplyguard.risk.model",
    "Rule": "supplyguard.risk.rules",
    "RuleTestResult": "supplyguard.risk.rules",
    "ScoredDeclaration": "supplyguard.risk.scoring",
    "ScoredOutcome": "supplyguard.risk.drift",
    "TARGETS": "supplyguard.risk.evaluation",
    "TrainingOptions": "supplyguard.risk.model",
    "WeekDrift": "supplyguard.risk.drift",
    "assess_declaration": "supplyguard.risk.scoring",
    "assess_vectors": "supplyguard.risk.scoring",
    "at_share": "supplyguard.risk.metrics",
    "auc": "supplyguard.risk.metrics",
    "build_feature_table": "supplyguard.risk.features",
    "combined_ranking": "supplyguard.risk.model",
    "describe_factor": "supplyguard.risk.explain",
    "drift_report": "supplyguard.risk.drift",
    "evaluate_kcs": "supplyguard.risk.report",
    "evaluate_rules": "supplyguard.risk.rules",
    "evaluate_run": "supplyguard.risk.evaluation",
    "expected_duty": "supplyguard.risk.model",
    "exploration_draw": "supplyguard.risk.intake",
    "feature_mapping": "supplyguard.risk.features",
    "fit_isotonic": "supplyguard.risk.calibration",
    "fit_platt": "supplyguard.risk.calibration",
    "hard_subset_mask": "supplyguard.risk.evaluation",
    "intake_lanes": "supplyguard.risk.intake",
    "load_model": "supplyguard.risk.model",
    "model_from_bytes": "supplyguard.risk.model",
    "model_to_bytes": "supplyguard.risk.model",
    "parse_kcs_rows": "supplyguard.risk.records",
    "parse_rules": "supplyguard.risk.rules",
    "population_stability": "supplyguard.risk.drift",
    "read_kcs_csv": "supplyguard.risk.records",
    "read_kcs_stream": "supplyguard.risk.records",
    "row_from_declaration": "supplyguard.risk.records",
    "run_date_protocol": "supplyguard.risk.evaluation",
    "save_model": "supplyguard.risk.model",
    "score_batch": "supplyguard.risk.scoring",
    "select_lanes": "supplyguard.risk.selection",
    "simulate_online": "supplyguard.risk.online",
    "state_from_history": "supplyguard.risk.features",
    "test_rule": "supplyguard.risk.rules",
    "top_factors": "supplyguard.risk.explain",
    "train_model": "supplyguard.risk.model",
}

__all__ = [
    "DEFAULT_POLICIES",
    "EXPLOIT",
    "EXPLORE_FADING",
    "EXPLORE_GATED",
    "EXPLORE_RANDOM",
    "EXPLORE_UNCERTAIN",
    "FEATURE_NAMES",
    "MODEL_FORMAT",
    "NO_SIGNALS",
    "PUBLISHED",
    "RANDOM_ONLY",
    "TARGETS",
    "AtShare",
    "Calibration",
    "Candidate",
    "Capacity",
    "Condition",
    "DeclarationRow",
    "EvaluationReport",
    "ExplorationMode",
    "Factor",
    "FeatureState",
    "FeatureTable",
    "FiredRule",
    "IntakeLane",
    "IntakeSignals",
    "LaneDecision",
    "LaneLines",
    "OnlinePolicy",
    "OnlinePolicyResult",
    "ProtocolRun",
    "RankingResult",
    "RiskAssessment",
    "RiskModel",
    "Rule",
    "RuleTestResult",
    "ScoredDeclaration",
    "ScoredOutcome",
    "TrainingOptions",
    "WeekDrift",
    "assess_declaration",
    "assess_vectors",
    "at_share",
    "auc",
    "build_feature_table",
    "combined_ranking",
    "describe_factor",
    "drift_report",
    "evaluate_kcs",
    "evaluate_rules",
    "evaluate_run",
    "expected_duty",
    "exploration_draw",
    "feature_mapping",
    "fit_isotonic",
    "fit_platt",
    "hard_subset_mask",
    "intake_lanes",
    "load_model",
    "model_from_bytes",
    "model_to_bytes",
    "parse_kcs_rows",
    "parse_rules",
    "population_stability",
    "read_kcs_csv",
    "read_kcs_stream",
    "row_from_declaration",
    "run_date_protocol",
    "save_model",
    "score_batch",
    "select_lanes",
    "simulate_online",
    "state_from_history",
    "test_rule",
    "top_factors",
    "train_model",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
