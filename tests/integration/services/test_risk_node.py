"""Retraining on recorded outcomes and scoring the open queue, on both backends."""

from __future__ import annotations

from collections import Counter

import pytest

from supplyguard.adapters.db.declarations_repo import DeclarationFilter
from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world
from supplyguard.errors import ModelError
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import risk_node
from supplyguard.services.declarations import get_declaration, list_declarations
from tests.factories import admin_principal, make_org


def test_retrain_then_score_fills_lanes_within_capacity_with_reasons(container) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=11, declarations_total=700)
    world.orgs = world.orgs[:1]
    load_world(container, world)
    with container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
        stored = uow.risk.active_model(org.id)
        assert stored is not None
        assert uow.ledger.find_in_kinds(("risk.model",), stored.version)
    officer = Principal(org.id, org.id, "o", frozenset({Role.OFFICER}), "t", "api")
    page = list_declarations(
        container.uow(), container.clock, officer, DeclarationFilter(has_outcome=False), limit=500
    )
    open_rows = page.items
    assert open_rows and all(row["lane"] in ("red", "yellow", "green") for row in open_rows)
    ranking = [row["score_key"] for row in open_rows]  # the queue follows the lanes' ranking
    assert ranking == sorted(ranking, reverse=True)
    by_day: dict[object, list[dict]] = {}  # type: ignore[type-arg]
    for row in open_rows:  # already in ranking order
        by_day.setdefault(row["declared_on"], []).append(row)
    lane_rank = {"red": 0, "yellow": 1, "green": 2}
    forced = set()
    forced_by_rule = set()
    for row in open_rows:  # forced by a rule or a sanctions hit, or escalated by a stored signal
        reasons = get_declaration(container.uow(), container.clock, officer, row["id"]).risk_reasons
        if any("lane forced" in r or r.startswith(("screening:", "intel:", "tracking:")) for r in reasons):
            forced.add(row["id"])
        for stated in (r.split(" lane forced: ", 1)[1] for r in reasons if " lane forced: " in r):
            said_again = [part for part in stated.split("; ") if part in reasons]
            assert not said_again, reasons  # what forced the lane is said once, in the lane's reason
            forced_by_rule.add(row["id"])
    for rows in by_day.values():  # within a day a higher rank never gets a lighter lane (ties aside)
        for higher in rows:
            for lower in rows:
                if higher["score_key"] > lower["score_key"] and lower["id"] not in forced:
                    assert lane_rank[higher["lane"]] <= lane_rank[lower["lane"]], (higher, lower)
    red_by_day = Counter(row["declared_on"] for row in open_rows if row["lane"] == "red")
    assert max(red_by_day.values()) <= world.red_per_day + 2  # capacity, plus rule-forced lanes
    top = get_declaration(container.uow(), container.clock, officer, open_rows[0]["id"])
    assert top.model_version == stored.version
    assert any("model probability" in reason for reason in top.risk_reasons)
    with container.uow(readonly=True) as uow:
        assert uow.ledger.find_in_kinds(("risk.rule",), "TRANSSHIP-STEEL@1")
    fired = [
        get_declaration(container.uow(), container.clock, officer, row["id"]).risk_reasons
        for row in open_rows[:60]
    ]
    assert any("TRANSSHIP-STEEL" in " ".join(reasons) for reasons in fired)
    assert forced_by_rule  # the rescore forced some lanes, whose reasons were checked above


def test_retraining_needs_enough_outcomes(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    with pytest.raises(ModelError, match="inspected declarations"):
        risk_node.retrain(
            container.uow(),
            container.clock,
            container.signer,
            container.settings.models_dir,
            admin_principal(org),
        )
    with pytest.raises(ModelError, match="no active risk model"):
        risk_node.score_open(
            container.uow(),
            container.clock,
            admin_principal(org),
            red_per_day=1,
            yellow_per_day=1,
            exploration_share=0.1,
        )
