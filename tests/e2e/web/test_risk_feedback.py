"""The feedback loop from the dashboard: an outcome an officer records on the declaration page is in the
next retrain's training data (headless Chromium against a live node)."""

from __future__ import annotations

import re

import pytest

from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import risk_node

pytestmark = pytest.mark.browser


def test_an_outcome_recorded_on_the_page_is_in_the_next_retrain(container, live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=11, declarations_total=700)
    world.orgs = world.orgs[:1]  # the officer's organisation, with enough outcomes to train on
    load_world(container, world)
    with container.uow(readonly=True) as uow:
        found = uow.accounts.get_user_by_name("nl-officer")
        assert found is not None
        org = uow.accounts.get_org(found[0].org_id)
        assert org is not None
        before = uow.risk.active_model(org.id)
    assert before is not None
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "nl-officer")
    page.fill("input[name=password]", "officer-demo-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/queue")
    page.select_option("select[name=status]", "open")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=open"))
    page.wait_for_selector("#queue-rows tr")
    page.locator("#queue-rows tr:not(.more) a").first.click()
    page.wait_for_selector("h1")
    page.select_option("select[name=result]", "fraud")
    page.click("form.outcome button[type=submit]")
    page.wait_for_selector("#outcome dl")

    admin = Principal(org.id, org.id, "retrain", frozenset({Role.ADMIN}), "test", "cli")
    after = risk_node.retrain(
        container.uow(), container.clock, container.signer, container.settings.models_dir, admin
    )
    assert sum(after.summary["rows"].values()) == sum(before.summary["rows"].values()) + 1
