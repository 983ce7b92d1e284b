"""Rescoring keeps what other services raised, and signals are model and rule inputs, as of a time."""

from __future__ import annotations

import pytest

from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services import risk_node
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.risk_intake import signals_for, trust_book
from supplyguard.services.risk_signals import raise_signal
from tests.factories import declaration_data
from tests.integration.services.test_risk_intake import _node_with_model

SEAL = RiskSignal(SignalSource.TRACKING, "alert-9", "seal_opened", 0.3, "seal opened at sea", Lane.RED)
INTEL = RiskSignal(SignalSource.INTEL, "indicator--9", "party_match", 0.2, "importer on partner watch list")
RULES = """
rules:
  - id: TRACKED
    version: 1
    owner: analyst
    valid_from: 2020-01-01
    when:
      - {feature: tracking_alerts, op: ">=", value: 1}
      - {feature: intel_signals, op: ">=", value: 1}
    weight: 0.1
"""


def _rescore(container, admin, red: int = 0):  # type: ignore[no-untyped-def]
    return risk_node.score_open(
        container.uow(), container.clock, admin, red_per_day=red, yellow_per_day=0, exploration_share=0.0
    )


def test_a_rescore_applies_stored_signals_after_the_lanes_and_never_forgets_them(container) -> None:  # type: ignore[no-untyped-def]
    org, admin = _node_with_model(container, rows=600)
    declaration = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("OPEN-1"),
    )
    _rescore(container, admin)
    with container.uow(readonly=True) as uow:
        _org, plain_priority, plain_lane, _reasons = uow.risk.risk_state(declaration.id)
    assert plain_lane == "green"  # no red or yellow capacity at all
    uow = container.uow()
    with uow:
        raise_signal(uow, org.id, declaration.id, SEAL, container.clock.now())
        raise_signal(uow, org.id, declaration.id, INTEL, container.clock.now())
        uow.commit()
    for _ in range(2):  # twice: the signals count once
        _rescore(container, admin)
        with container.uow(readonly=True) as uow:
            _org, priority, lane, reasons = uow.risk.risk_state(declaration.id)
        assert lane == "red"  # escalated by the seal signal, past capacity
        assert reasons.count("tracking: seal opened at sea") == 1
        assert reasons.count("intel: importer on partner watch list") == 1
    # the priority is the model's (which now also sees the two signals as features) plus the weights
    assert priority >= 0.5 and priority != plain_priority


def test_signal_features_count_what_was_known_at_the_cutoff_and_rules_can_use_them(container) -> None:  # type: ignore[no-untyped-def]
    org, admin = _node_with_model(container, rows=600)
    declaration = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("OPEN-2"),
    )
    before = container.clock.now()
    uow = container.uow()
    with uow:
        raise_signal(uow, org.id, declaration.id, SEAL, container.clock.now())
        raise_signal(uow, org.id, declaration.id, INTEL, container.clock.now())
        uow.commit()
    with container.uow(readonly=True) as uow:
        book = trust_book(uow, org.id)
        now = signals_for(uow, org.id, [declaration], book)[declaration.id].signals
        earlier = signals_for(uow, org.id, [declaration], book, {declaration.id: before})[
            declaration.id
        ].signals
    assert (now.tracking_alerts, now.intel_signals) == (1, 1)
    assert (earlier.tracking_alerts, earlier.intel_signals) == (0, 0)
    risk_node.load_rules(container.uow(), container.clock, container.signer, admin, RULES)
    _rescore(container, admin, red=5)
    with container.uow(readonly=True) as uow:
        _org, _priority, _lane, reasons = uow.risk.risk_state(declaration.id)
    fired = [reason for reason in reasons if reason.startswith("rule TRACKED v1")]
    assert fired and "tracking_alerts 1 >= 1" in fired[0] and "intel_signals 1 >= 1" in fired[0]


@pytest.mark.parametrize("rows", [600])
def test_retraining_reads_signals_as_of_each_outcome(container, rows: int) -> None:  # type: ignore[no-untyped-def]
    org, admin = _node_with_model(container, rows=rows)
    with container.uow(readonly=True) as uow:
        first = next(iter(uow.declarations.iter_all(org_id=org.id)))
    uow = container.uow()
    with uow:  # raised after the outcome was recorded: not what the model may learn from
        raise_signal(uow, org.id, first.id, SEAL, container.clock.now())
        uow.commit()
    with container.uow(readonly=True) as uow:
        outcome = uow.declarations.get_outcome(first.id)
        book = trust_book(uow, org.id)
        found = signals_for(uow, org.id, [first], book, {first.id: outcome.recorded_at})[first.id]
    assert found.signals.tracking_alerts == 0
    stored = risk_node.retrain(
        container.uow(), container.clock, container.signer, container.settings.models_dir, admin
    )
    assert sum(stored.summary["rows"].values()) == rows


def test_retraining_on_the_same_outcomes_keeps_the_same_model(container) -> None:  # type: ignore[no-untyped-def]
    """Nothing new learnt: the same content is the same version, still active, registered once."""
    org, admin = _node_with_model(container, rows=600)
    with container.uow(readonly=True) as uow:
        before = uow.risk.active_model(org.id)
        leaves = uow.ledger.size()
    again = risk_node.retrain(
        container.uow(), container.clock, container.signer, container.settings.models_dir, admin
    )
    with container.uow(readonly=True) as uow:
        models = uow.risk.models(org.id)
        assert uow.ledger.size() == leaves  # no new leaf: the active model did not change
    assert before is not None and again.version == before.version and again.active
    assert [m.version for m in models] == [before.version]
