from __future__ import annotations

from datetime import date

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.sharing import Agreement, OnwardTransfer, Tlp, parse_agreement


def test_example_agreement_parses(agreement: Agreement) -> None:
    assert agreement.agreement_id == "cmaa-a-b-2026"
    assert [party.node_id for party in agreement.parties] == ["customs-a", "customs-b", "carrier-oceanic"]
    assert agreement.onward_transfer is OnwardTransfer.PARTIES
    carrier = agreement.recipients["carrier-oceanic"]
    assert carrier.max_tlp is Tlp.AMBER
    assert carrier.retention_days == 90
    assert carrier.personal_data is False
    assert carrier.rule_for("identity") is None
    indicator_rule = carrier.rule_for("indicator")
    assert indicator_rule is not None
    assert indicator_rule.allows("shipment.container_numbers")
    assert not indicator_rule.allows("shipment.declaration_reference")
    assert agreement.in_force_on(date(2026, 11, 23))
    assert not agreement.in_force_on(date(2029, 1, 1))


BAD = """
id: broken
title: Broken
legal_basis: none
parties:
  - node: a
    name: A
  - node: b
    name: B
purposes: [risk-targeting]
valid_from: 2026-01-01
onward_transfer: anyone
retention_days: 30
colour: blue
recipients:
  b:
    max_tlp: white
    purposes: [marketing]
    retention_days: 60
    objects:
      indicator: all
  c:
    max_tlp: green
    objects:
      "*": all
"""


def test_every_problem_is_reported_with_its_location() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_agreement(BAD)
    locations = {error.location for error in caught.value.errors}
    assert ("colour",) in locations
    assert ("onward_transfer",) in locations
    assert ("recipients", "b", "max_tlp") in locations
    assert ("recipients", "b", "purposes") in locations
    assert ("recipients", "b", "retention_days") in locations
    assert ("recipients", "c") in locations


def test_not_yaml_mapping_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="mapping"):
        parse_agreement("- just a list")
