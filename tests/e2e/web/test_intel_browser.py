"""An analyst reads received intelligence (TLP badges, matching declaration), reports an outcome,
previews who would receive a new alert and publishes it, then checks the partners — in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.services.declarations import submit_declaration
from supplyguard.services.sharing_disclosures import request_disclosure
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import ingest_objects
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import register_agreement
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from tests.factories import admin_principal, declaration_data, make_org, make_user, principal_for
from tests.integration.sharing.nodes import (
    AGREEMENT,
    SharingTestNode,
    link,
    make_sharing_node,
    sqlite_settings,
)

pytestmark = pytest.mark.browser

SEIZURE = {
    "kind": "seizure",
    "tlp": "amber",
    "key": "seizure-1",
    "name": "Seizure of 120 kg cocaine at Rotterdam",
    "seized_at": "2026-11-20T06:30:00Z",
    "shipment": {"container_numbers": ["CSQU3054383"], "consignee_name": "Golden Harbor Trading"},
}


def test_analyst_reads_reports_previews_and_publishes(  # type: ignore[no-untyped-def]
    container, live_server, browser_page, tmp_path: Path, sqlite_template: Path
) -> None:
    org = make_org(container, "Customs A", "NL")
    admin = admin_principal(org)
    analyst = make_user(container, org, "anna", ("analyst",))
    register_agreement(container.uow(), container.clock, admin, sharing_node(container), AGREEMENT)
    here = SharingTestNode(container, sharing_node(container), admin, container.clock)  # type: ignore[arg-type]
    b = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "customs-b"), "Customs B")
    carrier = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "carrier-x"), "Carrier X")
    link(here, b)
    link(here, carrier)
    stix = build_from_spec(SEIZURE, b.node.author_ref, b.clock.now())
    seizure_id = publish_object(b.container.uow(), b.admin, b.node, stix).held.stix_id
    submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        principal_for(analyst),
        declaration_data("DECL-A-9"),
    )
    asked = request_disclosure(
        b.container.uow(),
        b.admin,
        b.node,
        partner="test.node",
        agreement_id="cmaa-test",
        kind="container",
        digest="c0" * 32,
        reason="our case B-9 names this container",
    )
    wires = [e.wire for e in feed_page(b.container.uow(readonly=True), "test.node", limit=100).entries]
    stored = ingest_objects(container.uow(), here.node, "customs-b", wires).stored
    assert stored == [seizure_id, asked.request_note]

    page = browser_page
    page.goto(f"{live_server}/login?next=/queue")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/queue")
    page.click("header nav a[href='/intel']")
    page.wait_for_selector("table#intel-list")
    row = page.locator("table#intel-list tbody tr", has_text="Seizure of 120 kg")
    assert row.count() == 1
    badge = row.locator(".tlp")
    assert badge.inner_text() == "TLP:AMBER"
    assert badge.evaluate("e => getComputedStyle(e).color") == "rgb(255, 192, 0)"  # TLP 2.0 amber on black
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 0, 0)"
    assert "customs-b" in page.inner_text("#partner-status")

    row.locator("a").click()
    page.wait_for_selector("#intel-summary")
    assert "DECL-A-9" in page.inner_text("#matches")
    page.select_option("#feedback select[name=outcome]", "seized")
    page.fill("#feedback input[name=notes]", "120 kg found")
    page.click("#feedback button[type=submit]")
    page.wait_for_selector("#feedback td")
    assert "seized" in page.inner_text("#feedback") and "120 kg found" in page.inner_text("#feedback")

    page.goto(f"{live_server}/intel/preview")
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#recipients")
    carrier_row = page.locator("#recipients tr[data-partner='carrier-x']")
    assert carrier_row.locator(".share").inner_text() == "redacted"
    assert "shipment.consignee_name" in carrier_row.inner_text()
    assert page.locator("#recipients tr[data-partner='customs-b'] .share").inner_text() == "whole"
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    page.click("#publish-form button[type=submit]")
    page.wait_for_selector("#deliveries")
    assert "redacted" in page.inner_text("#deliveries") and "whole" in page.inner_text("#deliveries")

    page.goto(f"{live_server}/intel")
    page.click("#intel-tabs a[href='/intel/disclosures']")
    request_row = page.locator("#disclosures tr", has_text="our case B-9")
    assert request_row.locator(".status").inner_text() == "open"
    request_row.locator("input[name=answer]").fill("on our list since October: broker under investigation")
    request_row.locator("button[value=approve]").click()
    page.wait_for_selector("#disclosures td.status")
    assert (
        page.locator("#disclosures tr", has_text="our case B-9").locator(".status").inner_text() == "approved"
    )

    page.goto(f"{live_server}/intel/partners")
    page.wait_for_selector("#partner-status")
    assert "carrier-x" in page.inner_text("#partner-status")
    for node in (b, carrier):
        node.container.close()
