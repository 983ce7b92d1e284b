"""An analyst imports a partner's bundle from the intel pages (a forged object refused, a forged form
refused), then keeps the keyed watch list and publishes it for the partners — in Chromium."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import register_agreement
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_watch import install_watch_secret
from tests.factories import admin_principal, make_org, make_user
from tests.integration.sharing.nodes import (
    AGREEMENT,
    SUSPECT,
    SharingTestNode,
    link,
    make_sharing_node,
    sqlite_settings,
)

pytestmark = pytest.mark.browser


def test_analyst_imports_a_bundle_and_publishes_the_keyed_watch_list(  # type: ignore[no-untyped-def]
    container, live_server, browser_page, tmp_path: Path, sqlite_template: Path
) -> None:
    org = make_org(container, "Customs A", "NL")
    admin = admin_principal(org)
    make_user(container, org, "anna", ("analyst",))
    register_agreement(container.uow(), container.clock, admin, sharing_node(container), AGREEMENT)
    here = SharingTestNode(container, sharing_node(container), admin, container.clock)  # type: ignore[arg-type]
    b = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "customs-b"), "Customs B")
    link(here, b)
    for n in range(3):
        stix = build_from_spec({**SUSPECT, "key": f"web-{n}"}, b.node.author_ref, b.clock.now())
        publish_object(b.container.uow(), b.admin, b.node, stix)
    objects = [e.wire for e in feed_page(b.container.uow(readonly=True), "test.node", limit=100).entries]
    forged = copy.deepcopy(objects[0])
    forged["name"] = "Something else entirely"
    bundle = tmp_path / "from-b.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [*objects, forged]}))

    page = browser_page
    page.goto(f"{live_server}/login?next=/intel")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/intel")
    page.click("#intel-tabs a[href='/intel/import']")
    page.wait_for_selector("#import-form")
    page.select_option("#import-form select[name=from]", "customs-b")
    page.set_input_files("#import-form input[name=bundle]", str(bundle))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-report")
    report = page.locator("#import-report")
    assert report.locator(".objects").inner_text() == "4"
    assert report.locator(".stored").inner_text() == "3"
    assert report.locator(".rejected").inner_text() == "1"
    assert "Something else" not in page.content()  # the forged object was refused, not shown as held
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)

    upload = {"name": "b.json", "mimeType": "application/json", "buffer": bundle.read_bytes()}
    refused = page.request.post(  # same session, forged form: no CSRF token
        f"{live_server}/intel/import", multipart={"csrf": "forged", "from": "customs-b", "bundle": upload}
    )
    assert refused.status == 403

    page.goto(f"{live_server}/intel?origin=received")
    assert page.locator("table#intel-list tbody tr").count() == 3

    install_watch_secret(
        container.uow(), here.node, admin, container.settings.keys_dir, "cmaa-test", bytes(32)
    )
    page.click("#intel-tabs a[href='/intel/watchlist']")
    page.wait_for_selector("#watch-add")
    page.select_option("#watch-add select[name=kind]", "container")
    page.fill("#watch-add input[name=value]", "csqu 305438-3")
    page.fill("#watch-add input[name=reference]", "case A-17")
    page.click("#watch-add button[type=submit]")
    page.wait_for_selector("#watch-entries td code")
    assert "CSQU3054383" in page.inner_text("#watch-entries")
    page.fill("#watch-add input[name=value]", "CSQU3054384")  # wrong check digit: a clear error page
    page.fill("#watch-add input[name=reference]", "case A-18")
    page.click("#watch-add button[type=submit]")
    assert "check digit" in page.content()
    page.goto(f"{live_server}/intel/watchlist")
    page.click("#watch-publish button[type=submit]")
    page.wait_for_selector("#keyed-lists td")
    assert "published for" in page.inner_text("#keyed-lists") and "customs-b" in page.inner_text(
        "#keyed-lists"
    )
    b.container.close()
