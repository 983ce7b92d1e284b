from __future__ import annotations

from datetime import date

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.declarations import Lane
from supplyguard.risk import (
    DeclarationRow,
    FeatureState,
    build_feature_table,
    evaluate_rules,
    parse_rules,
    test_rule,
)

RULES = """
rules:
  - id: UV-LOW-CN
    version: 2
    owner: targeting@office40
    description: goods declared far below their peers
    valid_from: 2021-01-01
    valid_to: 2021-12-31
    when:
      - {feature: unit_value_vs_peers_pct, op: "<", value: -70}
      - {feature: origin_country, op: in, value: [CN, HK]}
    weight: 0.25
  - id: HS-85-RED
    version: 1
    owner: analyst-7
    valid_from: 2020-01-01
    when:
      - {feature: hs6_code, op: prefix, value: "85"}
      - {feature: tax_rate_pct, op: between, value: [5, 10]}
    lane: red
"""


def row(**values: object) -> dict[str, float | str]:
    base: dict[str, float | str] = {
        "unit_value_vs_peers_pct": -78.0,
        "origin_country": "CN",
        "hs6_code": "850440",
        "tax_rate_pct": 8.0,
    }
    base.update(values)  # type: ignore[arg-type]
    return base


def test_parses_weights_lanes_and_validity() -> None:
    weighted, forced = parse_rules(RULES)
    assert weighted.rule_id == "UV-LOW-CN"
    assert weighted.version == 2
    assert weighted.weight == 0.25
    assert weighted.valid_to == date(2021, 12, 31)
    assert forced.lane is Lane.RED
    assert forced.valid_to is None


def test_fired_rules_explain_themselves() -> None:
    rules = parse_rules(RULES)
    fired = evaluate_rules(rules, row(), date(2021, 5, 1))
    assert [f.rule_id for f in fired] == ["UV-LOW-CN", "HS-85-RED"]
    assert "unit_value_vs_peers_pct -78 < -70" in fired[0].reason
    assert "origin_country CN in [CN, HK]" in fired[0].reason
    assert "forces red lane" in fired[1].reason
    assert "tax_rate_pct 8 between 5 and 10" in fired[1].reason


def test_rules_outside_their_validity_or_conditions_do_not_fire() -> None:
    rules = parse_rules(RULES)
    assert [f.rule_id for f in evaluate_rules(rules, row(), date(2020, 6, 1))] == ["HS-85-RED"]
    assert evaluate_rules(rules, row(origin_country="DE", tax_rate_pct=0.0), date(2021, 5, 1)) == ()


def test_errors_carry_locations() -> None:
    text = """
rules:
  - id: R1
    version: 0
    owner: a
    valid_from: 2021-02-30
    when:
      - {feature: no_such_feature, op: "<", value: 1}
      - {feature: tax_rate_pct, op: "~", value: 1}
      - {feature: origin_country, op: ">", value: 3}
    weight: 0.2
    lane: red
  - id: R1
    version: 1
    owner: b
    valid_from: 2021-01-01
    when: [{feature: tax_rate_pct, op: in, value: 3}]
    weight: 2
"""
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(text)
    locations = {error.location for error in caught.value.errors}
    assert ("rules", 0, "version") in locations
    assert ("rules", 0, "valid_from") in locations
    assert ("rules", 0, "when", 0, "feature") in locations
    assert ("rules", 0, "when", 1, "op") in locations
    assert ("rules", 0, "when", 2, "op") in locations
    assert ("rules", 0) in locations  # weight and lane both given
    assert ("rules", 1, "when", 0, "value") in locations
    assert ("rules", 1, "weight") in locations


def test_bad_yaml_and_bad_shape() -> None:
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        parse_rules("rules: [unclosed")
    with pytest.raises(ValidationFailed, match="top-level 'rules:'"):
        parse_rules("- just a list")


def test_rule_is_tested_against_history(train_slice: list[DeclarationRow]) -> None:
    table = build_feature_table(train_slice[:2000], FeatureState(), learn=True)
    (rule,) = parse_rules(
        """
rules:
  - {id: CN, version: 1, owner: a, valid_from: 2020-01-01, weight: 0.1,
     when: [{feature: origin_country, op: "==", value: CN}]}
"""
    )
    result = test_rule(rule, table)
    expected = [r for r in table.rows if r.origin_country == "CN"]
    assert result.hits == len(expected)
    assert result.frauds == sum(r.fraud or 0 for r in expected)
    assert result.fraud_rate == pytest.approx(result.frauds / len(expected))
    assert "past declarations hit" in result.describe()
