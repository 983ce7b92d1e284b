"""Scheduled retraining, the feedback loop, drift on the node's data, and the trusted-trader register."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.clock import FixedClock
from supplyguard.services import risk_node
from supplyguard.services.declarations import record_outcome, submit_declaration
from supplyguard.services.risk_intake import IntakeConfig, IntakeRisk
from tests.factories import declaration_data
from tests.integration.services.test_risk_intake import _node_with_model, _risk_of

REGISTER = """
statuses:
  - {party: IMP1, programme: AEO, tier: 3, issuing_country: KR, valid_from: 2020-01-01, certificate: KRAEO77}
arrangements:
  - {partner_country: KR, programmes: [AEO], valid_from: 2015-01-01}
"""


def test_an_outcome_recorded_by_an_officer_is_in_the_next_retrains_data(container) -> None:  # type: ignore[no-untyped-def]
    _org, admin = _node_with_model(container, rows=600)
    with container.uow(readonly=True) as uow:
        before = uow.risk.active_model(_org.id)
    declaration = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("FEEDBACK-1", declared_on="2021-04-01"),
    )
    record_outcome(
        container.uow(),
        container.clock,
        container.signer,
        admin,
        declaration.id,
        inspected=True,
        result="fraud",
    )
    after = risk_node.retrain(
        container.uow(), container.clock, container.signer, container.settings.models_dir, admin
    )
    assert sum(after.summary["rows"].values()) == sum(before.summary["rows"].values()) + 1
    assert after.summary["data_window"]["valid"]["to"] == "2021-04-01"
    assert after.version != before.version


def test_retrain_is_due_only_once_the_active_model_is_old_enough(container) -> None:  # type: ignore[no-untyped-def]
    org, admin = _node_with_model(container, rows=600)
    with container.uow(readonly=True) as uow:
        created = uow.risk.active_model(org.id).created_at
    fresh = risk_node.retrain_due(container.uow(), FixedClock(created + timedelta(days=2)), admin, 7)
    assert not fresh.due and "due in 5.0 days" in fresh.reason
    old = risk_node.retrain_due(container.uow(), FixedClock(created + timedelta(days=7)), admin, 7)
    assert old.due and "7.0 days old" in old.reason


def test_drift_reports_weeks_of_the_nodes_own_scores_and_hit_rates(container) -> None:  # type: ignore[no-untyped-def]
    _org, admin = _node_with_model(container, rows=600)
    risk = IntakeRisk(IntakeConfig(red_per_day=2, yellow_per_day=2, exploration_share=0.0))
    made = []
    for n, day in enumerate(["2021-04-05", "2021-04-06", "2021-04-12", "2021-04-13", "2021-04-19"]):
        made.append(
            submit_declaration(
                container.uow(),
                container.clock,
                container.refdata,
                container.signer,
                admin,
                declaration_data(f"DRIFT-{n}", declared_on=day),
                None,
                risk,
            )
        )
    record_outcome(
        container.uow(), container.clock, container.signer, admin, made[2].id, inspected=True, result="fraud"
    )
    record_outcome(
        container.uow(),
        container.clock,
        container.signer,
        admin,
        made[3].id,
        inspected=True,
        result="compliant",
    )
    summary = risk_node.drift(container.uow(), container.clock, admin, weeks=2)
    assert [week.week for week in summary.weeks] == ["2021-W15", "2021-W16"]
    assert summary.reference.startswith("2 scored declarations before 2021-W15")
    assert summary.weeks[0].declarations == 2 and summary.weeks[0].inspected == 2
    assert summary.weeks[0].hit_rate == pytest.approx(0.5)
    assert summary.weeks[1].hit_rate is None and "no outcomes yet" in summary.weeks[1].reason
    with pytest.raises(ValidationFailed):
        risk_node.drift(container.uow(), container.clock, admin, weeks=0)


def test_a_trusted_register_is_ledgered_and_used_at_the_next_intake(container) -> None:  # type: ignore[no-untyped-def]
    _org, admin = _node_with_model(container, rows=600)
    risk = IntakeRisk(IntakeConfig(red_per_day=2, yellow_per_day=2, exploration_share=0.0))
    first = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("T-1"),
        None,
        risk,
    )
    register = risk_node.load_trust(container.uow(), container.clock, container.signer, admin, REGISTER)
    assert len(register.statuses) == 1 and len(register.arrangements) == 1
    with container.uow(readonly=True) as uow:
        assert [leaf for leaf in uow.ledger.find_in_kinds(("risk.trust",), _digest(REGISTER))]
    # no explicit invalidation: the cache sees the register changed
    second = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("T-2"),
        None,
        risk,
    )
    assert not any("AEO" in reason for reason in _risk_of(container, first.id)[2])
    reasons = _risk_of(container, second.id)[2]
    assert any("AEO tier 3 from KR (mutual recognition NL-KR)" in reason for reason in reasons)
    with pytest.raises(ValidationFailed) as bad:
        risk_node.load_trust(
            container.uow(),
            container.clock,
            container.signer,
            admin,
            "statuses:\n  - {party: X, programme: AEO+, tier: 4, issuing_country: kr,"
            " valid_from: 2020-13-01}\n",
        )
    where = {tuple(error.location) for error in bad.value.errors}
    assert {
        ("statuses", 0, "programme"),
        ("statuses", 0, "tier"),
        ("statuses", 0, "issuing_country"),
        ("statuses", 0, "valid_from"),
    } <= where


def _digest(text: str) -> str:
    from supplyguard.model.canonical import sha256_hex

    return sha256_hex(text.encode("utf-8"))
