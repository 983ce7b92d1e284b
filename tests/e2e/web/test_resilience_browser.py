"""A logistics manager opens the demo network in headless Chromium: map, exposure ranking, loss
chart, stockpile plan and Suez reroute; then runs a drill from the page and sees it on the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.services import resilience as service
from tests.conftest import REPO
from tests.factories import make_org, make_user, principal_for

pytestmark = pytest.mark.browser
EXAMPLES = REPO / "examples" / "resilience"


def test_network_page_and_a_drill_end_to_end(container, live_server, browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    planner = make_user(container, org, "planner", ("logistics",))
    stored = service.store_network(
        container.uow(),
        container.clock,
        container.signer,
        principal_for(planner),
        (EXAMPLES / "medical-supplies.yaml").read_text(),
    ).network
    page = browser_page
    page.goto(f"{live_server}/login?next=/resilience")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/resilience")
    page.click("nav >> text=Resilience")
    page.click(f"a[href='/resilience/{stored.id}']")
    page.wait_for_selector("#ranking")
    map_holder = page.locator("#resilience-map")
    if map_holder.get_attribute("data-leaflet") == "yes":
        page.wait_for_selector("#resilience-map[data-drawn=leaflet]")
        assert page.locator("#resilience-map path.leaflet-interactive").count() > 20
    else:
        assert page.locator("#resilience-map svg.network-map circle").count() >= 13
    assert page.locator("#ranking tbody tr").count() == 21
    assert "site:SUP-KHH" in page.locator("#ranking tbody tr").first.inner_text()
    assert page.locator("#montecarlo svg.loss-histogram rect.bar").count() == 20
    assert "HOSP-N" in page.inner_text("#stockpile")
    assert "SHA-RTM" in page.inner_text("#reroute") and "panama" in page.inner_text("#reroute")
    page.screenshot(path=str(tmp_path / "network.png"), full_page=True)

    page.select_option("select[name=scenario]", "site:PLANT-EHV")
    page.click("#drills button[type=submit]")
    page.wait_for_selector("#injects")
    assert "Eindhoven ventilator assembly is out of action" in page.inner_text("#injects")
    page.select_option("#decision-choice", "use-alternative:MX-PCB")
    page.click("#decision-form button[type=submit]")
    page.wait_for_selector("#decisions td")
    assert "MX-PCB" in page.inner_text("#decisions")
    page.click("text=End and score the drill")
    page.wait_for_selector("#scores td.score")
    score = float(page.inner_text("#scores td.score"))
    assert 0 <= score <= 100
    page.goto(f"{live_server}/resilience/training")
    assert "Drill: site:PLANT-EHV" in page.inner_text("#training")
    assert (tmp_path / "network.png").stat().st_size > 10_000
