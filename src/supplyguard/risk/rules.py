"""Analysts' targeting rules: a YAML file, validated with clear errors, evaluated with reasons in words.

Format (see docs/risk.md)::

    rules:
      - id: UV-LOW-CN
        version: 2
        owner: targeting@office40
        description: electronics declared far below their peers
        valid_from: 2021-01-01
        valid_to: 2021-12-31          # optional
        when:                          # all conditions must hold
          - {feature: unit_value_vs_peers_pct, op: "<", value: -70}
          - {feature: origin_country, op: in, value: [CN, HK]}
        weight: 0.25                   # added to the probability (clipped to 0..1), or
        lane: red                      # forces a lane (green, yellow or red)

A condition names any feature of :data:`FEATURE_NAMES` or a raw declaration field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import yaml

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.declarations import Lane
from supplyguard.risk.features import FEATURE_NAMES, RAW_FIELDS, FeatureTable

RULE_FIELDS: frozenset[str] = frozenset(
    (*FEATURE_NAMES, *RAW_FIELDS, "duty_at_stake", "unit_value_vs_peers_pct")
)
_TEXT_FIELDS = frozenset(RAW_FIELDS) - {"net_mass_kg", "item_price"}
OPERATORS: dict[str, str] = {
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "==": "=",
    "!=": "≠",
    "in": "in",
    "not_in": "not in",
    "between": "between",
    "prefix": "starts with",
}
_KEYS = frozenset(
    ("id", "version", "owner", "description", "valid_from", "valid_to", "when", "weight", "lane")
)

Value = float | str | tuple[float | str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    feature: str
    op: str
    value: Value

    def holds(self, row: Mapping[str, float | str]) -> bool:
        actual = row.get(self.feature)
        if actual is None:
            return False
        op, value = self.op, self.value
        if op == "in":
            return _norm(actual) in {_norm(v) for v in _as_tuple(value)}
        if op == "not_in":
            return _norm(actual) not in {_norm(v) for v in _as_tuple(value)}
        if op == "prefix":
            return str(actual).startswith(str(value))
        if op == "==":
            return _norm(actual) == _norm(value)
        if op == "!=":
            return _norm(actual) != _norm(value)
        number = float(actual) if not isinstance(actual, str) else _to_float(actual)
        if number is None:
            return False
        if op == "between":
            low, high = _as_tuple(value)
            return float(low) <= number <= float(high)
        target = float(value)  # type: ignore[arg-type]
        return {"<": number < target, "<=": number <= target, ">": number > target, ">=": number >= target}[
            op
        ]

    def describe(self, row: Mapping[str, float | str]) -> str:
        actual = row.get(self.feature)
        shown = f"{actual:.4g}" if isinstance(actual, float) else str(actual)
        value = self.value
        target = ", ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
        if self.op == "between":
            return f"{self.feature} {shown} between {target.replace(', ', ' and ')}"
        if self.op in ("in", "not_in"):
            target = f"[{target}]"
        return f"{self.feature} {shown} {OPERATORS[self.op]} {target}"


def _norm(value: object) -> object:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_tuple(value: Value) -> tuple[float | str, ...]:
    return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    version: int
    owner: str
    conditions: tuple[Condition, ...]
    valid_from: date
    valid_to: date | None = None
    weight: float = 0.0
    lane: Lane | None = None
    description: str = ""

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def matches(self, row: Mapping[str, float | str]) -> bool:
        return all(condition.holds(row) for condition in self.conditions)

    def effect(self) -> str:
        if self.lane is not None:
            return f"forces {self.lane.value} lane"
        return f"adds {self.weight:+.2f}"


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule_id: str
    version: int
    weight: float
    lane: Lane | None
    reason: str


def _date(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors.append(FieldError(where, f"{raw!r} is not a date (YYYY-MM-DD)"))
    return None


def _condition(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> Condition | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "a condition is a mapping with feature, op and value"))
        return None
    before = len(errors)
    feature, op, value = raw.get("feature"), raw.get("op"), raw.get("value")
    for key in sorted(set(raw) - {"feature", "op", "value"}):
        errors.append(FieldError((*where, str(key)), "unknown key"))
    if feature not in RULE_FIELDS:
        errors.append(FieldError((*where, "feature"), f"unknown feature {feature!r}"))
    if op not in OPERATORS:
        errors.append(FieldError((*where, "op"), f"unknown operator {op!r} (one of {', '.join(OPERATORS)})"))
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            errors.append(FieldError((*where, "value"), f"{op} needs a non-empty list"))
    elif op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
            errors.append(FieldError((*where, "value"), "between needs [low, high] numbers"))
        elif value[0] > value[1]:
            errors.append(FieldError((*where, "value"), "between needs low <= high"))
    elif op in ("<", "<=", ">", ">="):
        if not _is_number(value):
            errors.append(FieldError((*where, "value"), f"{op} needs a number"))
        elif feature in _TEXT_FIELDS:
            errors.append(FieldError((*where, "op"), f"{op} does not apply to the text field {feature}"))
    elif value is None or isinstance(value, list | dict):
        errors.append(FieldError((*where, "value"), f"{op} needs a single value"))
    if len(errors) > before:
        return None
    parsed: Value = tuple(value) if isinstance(value, list) else value  # type: ignore[assignment]
    return Condition(str(feature), str(op), parsed)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rule(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> Rule | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "a rule is a mapping"))
        return None
    before = len(errors)
    for key in sorted(set(raw) - _KEYS, key=str):
        errors.append(FieldError((*where, str(key)), "unknown key"))
    rule_id, version, owner = raw.get("id"), raw.get("version"), raw.get("owner")
    if not isinstance(rule_id, str) or not rule_id.strip():
        errors.append(FieldError((*where, "id"), "is required (text)"))
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append(FieldError((*where, "version"), "is required (a whole number >= 1)"))
    if not isinstance(owner, str) or not owner.strip():
        errors.append(FieldError((*where, "owner"), "is required (who answers for the rule)"))
    valid_from = _date(raw.get("valid_from"), (*where, "valid_from"), errors)
    valid_to = None
    if raw.get("valid_to") is not None:
        valid_to = _date(raw["valid_to"], (*where, "valid_to"), errors)
        if valid_from and valid_to and valid_to < valid_from:
            errors.append(FieldError((*where, "valid_to"), "is before valid_from"))
    when = raw.get("when")
    conditions: list[Condition] = []
    if not isinstance(when, list) or not when:
        errors.append(FieldError((*where, "when"), "needs a non-empty list of conditions"))
    else:
        for index, item in enumerate(when):
            condition = _condition(item, (*where, "when", index), errors)
            if condition is not None:
                conditions.append(condition)
    weight, lane = raw.get("weight"), raw.get("lane")
    if (weight is None) == (lane is None):
        errors.append(FieldError(where, "give exactly one of weight or lane"))
    if weight is not None and (not _is_number(weight) or not -1.0 <= float(weight) <= 1.0):
        errors.append(FieldError((*where, "weight"), "must be a number between -1 and 1"))
    if lane is not None and lane not in {item.value for item in Lane}:
        errors.append(FieldError((*where, "lane"), "must be green, yellow or red"))
    description = raw.get("description", "")
    if len(errors) > before or valid_from is None:
        return None
    return Rule(
        rule_id=str(rule_id).strip(),
        version=int(version),  # type: ignore[arg-type]
        owner=str(owner).strip(),
        conditions=tuple(conditions),
        valid_from=valid_from,
        valid_to=valid_to,
        weight=float(weight) if weight is not None else 0.0,
        lane=Lane(lane) if lane is not None else None,
        description=str(description),
    )


class _RulesLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported, not raised by PyYAML."""


_RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Parse and validate a rules file; ValidationFailed lists every problem with its location."""
    try:
        document = yaml.load(text, Loader=_RulesLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where: tuple[str | int, ...] = ("line", mark.line + 1) if mark is not None else ()
        raise ValidationFailed([FieldError(where, f"not valid YAML: {exc}")]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ValidationFailed([FieldError(("rules",), "the file needs a top-level 'rules:' list")])
    errors: list[FieldError] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["rules"]):
        rule = _rule(raw, ("rules", index), errors)
        if rule is None:
            continue
        if rule.rule_id in seen:
            errors.append(FieldError(("rules", index, "id"), f"duplicate rule id {rule.rule_id!r}"))
        seen.add(rule.rule_id)
        rules.append(rule)
    if errors:
        raise ValidationFailed(errors)
    return tuple(rules)


def evaluate_rules(
    rules: Sequence[Rule], row: Mapping[str, float | str], on_date: date | None = None
) -> tuple[FiredRule, ...]:
    """The rules that fire on one feature row (see ``feature_mapping``), with reasons in words."""
    fired: list[FiredRule] = []
    for rule in rules:
        if on_date is not None and not rule.is_valid_on(on_date):
            continue
        if not rule.matches(row):
            continue
        because = " and ".join(condition.describe(row) for condition in rule.conditions)
        label = f"rule {rule.rule_id} v{rule.version} ({rule.owner})"
        fired.append(
            FiredRule(
                rule.rule_id, rule.version, rule.weight, rule.lane, f"{label} {rule.effect()}: {because}"
            )
        )
    return tuple(fired)


@dataclass(frozen=True, slots=True)
class RuleTestResult:
    rule_id: str
    version: int
    rows: int
    hits: int
    labelled_hits: int
    frauds: int
    fraud_rate: float | None
    base_rate: float | None

    def describe(self) -> str:
        rate = "n/a" if self.fraud_rate is None else f"{self.fraud_rate:.1%}"
        base = "n/a" if self.base_rate is None else f"{self.base_rate:.1%}"
        return (
            f"rule {self.rule_id} v{self.version}: {self.hits} of {self.rows} past declarations hit; "
            f"{self.frauds} of {self.labelled_hits} with outcomes were fraud ({rate}; all rows {base})"
        )


def test_rule(
    rule: Rule,
    history: FeatureTable,
    *,
    respect_validity: bool = False,  # noqa: PT028 (an analyst's rule test, not a pytest test)
) -> RuleTestResult:
    """How many past declarations ``rule`` hits and their fraud rate (rows with outcomes only)."""
    labels = history.labels()
    hits = labelled = frauds = 0
    for index, row in enumerate(history.rows):
        if respect_validity and not rule.is_valid_on(row.declared_on):
            continue
        if rule.matches(history.mapping(index)):
            hits += 1
            if not np.isnan(labels[index]):
                labelled += 1
                frauds += int(labels[index])
    known = labels[~np.isnan(labels)]
    return RuleTestResult(
        rule_id=rule.rule_id,
        version=rule.version,
        rows=len(history),
        hits=hits,
        labelled_hits=labelled,
        frauds=frauds,
        fraud_rate=frauds / labelled if labelled else None,
        base_rate=float(known.mean()) if len(known) else None,
    )


test_rule.__test__ = False  # type: ignore[attr-defined]
