"""An officer opens the live map (its tile server down: the world outline shows) and the alert list of
the demo world and acknowledges an alert, in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.demo.load import load_world
from supplyguard.demo.tracking import TRACKING_ORG, demo_shipments
from supplyguard.demo.world import generate_world
from supplyguard.web.tracking import LEAFLET_JS, WORLD_OUTLINE

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """A node whose tile server does not answer: the world outline under the tiles still shows."""
    from supplyguard.config import Settings

    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        node_name="test.node",
        node_country="NL",
        map_tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png",
    )


def test_officer_watches_the_map_and_acknowledges_an_alert(
    container, live_server, browser_page, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, declarations_total=120)
    load_world(container, world)
    page = browser_page
    page.goto(f"{live_server}/tracking/map")
    page.fill("input[name=username]", "nl-officer")
    page.fill("input[name=password]", "officer-demo-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/tracking/map")

    page.wait_for_selector("#tracking-map[data-loaded=yes]")
    assert "5 devices" in page.inner_text("#map-status")
    side = page.inner_text("#map-alerts")
    for kind in ("seal broken", "temperature", "corridor deviation", "stock mismatch"):
        assert kind in side
    assert page.locator("#map-devices tr").count() == 5
    if LEAFLET_JS.exists():
        assert page.locator(".leaflet-container").count() == 1
        assert page.locator("path.alert").count() >= 4
        assert page.locator("path.asset").count() == 5
        assert page.locator("path.corridor").count() == 5
        page.locator("#map-alerts li", has_text="seal broken").click()  # the map shows it
        page.wait_for_selector(".leaflet-popup-content")
        assert "seal reported broken" in page.inner_text(".leaflet-popup-content")
        assert page.locator("img.leaflet-tile").count() > 0  # tiles were asked for
        if WORLD_OUTLINE.exists():
            page.wait_for_selector("#tracking-map[data-outline-drawn=yes]")
            assert page.locator(".leaflet-outline-pane path").count() > 0
    page.screenshot(path=str(tmp_path / "map.png"), full_page=True)

    page.click("header nav a[href='/tracking/alerts']")
    page.wait_for_selector("table#alerts")
    seal = page.locator("table#alerts tr", has_text="seal reported broken")
    assert seal.count() == 1
    open_before = page.locator("table#alerts tbody tr").count()
    seal.locator("button", has_text="Acknowledge").click()
    page.wait_for_selector("table#alerts")
    assert page.locator("table#alerts tbody tr").count() == open_before - 1
    assert page.locator("table#alerts tr", has_text="seal reported broken").count() == 0

    page.select_option("select[name=status]", "acknowledged")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("table#alerts")
    row = page.locator("table#alerts tr", has_text="seal reported broken")
    assert "by nl-officer at" in row.inner_text()
    page.screenshot(path=str(tmp_path / "alerts.png"), full_page=True)
    assert (tmp_path / "map.png").stat().st_size > 10_000

    sealed, reference = next(iter(demo_shipments(world.declarations[TRACKING_ORG]).items()))
    page.goto(f"{live_server}/tracking/alerts?status=acknowledged")
    page.locator("table#alerts tr", has_text="seal reported broken").locator("td.declarations a").click()
    page.wait_for_selector("#timeline")
    assert reference in page.inner_text("h1")
    timeline = page.inner_text("#timeline")
    assert "seal broken" in timeline and sealed in timeline and "(acknowledged)" in timeline
    assert "departing" in timeline and "door opened" in timeline
    page.screenshot(path=str(tmp_path / "declaration.png"), full_page=True)
