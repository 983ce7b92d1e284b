"""Risk use cases on files (no database): train, score, evaluate, test a rule against history."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from supplyguard.errors import FieldError, ModelError, ValidationFailed
from supplyguard.risk import (
    DEFAULT_POLICIES,
    DeclarationRow,
    EvaluationReport,
    FeatureState,
    RiskModel,
    RuleTestResult,
    ScoredDeclaration,
    build_feature_table,
    evaluate_kcs,
    load_model,
    parse_rules,
    read_kcs_csv,
    save_model,
    score_batch,
    test_rule,
    train_model,
)
from supplyguard.risk.online import PastPolicy, Start

SCORE_COLUMNS = ("Declaration ID", "score", "expected_duty", "lane")


def _read(path: Path, *, keep_labels: bool = True) -> list[DeclarationRow]:
    if not path.is_file():
        raise ValidationFailed([FieldError((str(path),), "is not a readable file")])
    return read_kcs_csv(path, keep_labels=keep_labels)


def train_from_files(train_path: Path, valid_path: Path, out_path: Path) -> RiskModel:
    """Train on one file, stop early and calibrate on another (DATE protocol), save the model file."""
    state = FeatureState()
    train = build_feature_table(_read(train_path), state, learn=True)
    valid = build_feature_table(_read(valid_path), state, learn=True)
    model = train_model(train, valid)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, out_path)
    return model


def score_file(
    model_path: Path,
    input_path: Path,
    out_path: Path,
    *,
    history_paths: Sequence[Path] = (),
    red_share: float = 0.05,
    yellow_share: float = 0.0,
) -> tuple[ScoredDeclaration, ...]:
    """Score a KCS-layout file; its labels, if any, are ignored. History files feed the features."""
    if not model_path.is_file():
        raise ModelError(f"no model file at {model_path}")
    model = load_model(model_path)
    history = [row for path in history_paths for row in _read(path)]
    rows = _read(input_path, keep_labels=False)
    scored = score_batch(model, rows, history=history, red_share=red_share, yellow_share=yellow_share)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(SCORE_COLUMNS)
        for item in scored:
            writer.writerow(
                (item.declaration_id, f"{item.score:.6f}", f"{item.expected_duty:.2f}", item.lane.value)
            )
    return scored


def evaluate_files(
    train_path: Path,
    valid_path: Path,
    test_path: Path,
    *,
    online: bool = True,
    starts: Sequence[Start] = (Start.INSPECTED_HISTORY, Start.FULL_LABELS),
    past_policy: PastPolicy = PastPolicy.TARGETED,
) -> EvaluationReport:
    return evaluate_kcs(
        _read(train_path),
        _read(valid_path),
        _read(test_path),
        online_policies=DEFAULT_POLICIES if online else (),
        starts=starts,
        past_policy=past_policy,
    )


def check_rules_file(
    rules_path: Path, history_paths: Sequence[Path], rule_id: str | None = None
) -> list[RuleTestResult]:
    """How many past declarations each rule (or the one named) hits, and their fraud rate."""
    if not rules_path.is_file():
        raise ValidationFailed([FieldError((str(rules_path),), "is not a readable file")])
    rules = parse_rules(rules_path.read_text(encoding="utf-8"))
    if rule_id is not None:
        rules = tuple(rule for rule in rules if rule.rule_id == rule_id)
        if not rules:
            raise ValidationFailed([FieldError(("RULE",), f"no rule {rule_id!r} in {rules_path}")])
    history = [row for path in history_paths for row in _read(path)]
    if not history:
        raise ValidationFailed([FieldError(("--history",), "name at least one file of past declarations")])
    table = build_feature_table(history, FeatureState(), learn=True)
    return [test_rule(rule, table) for rule in rules]
