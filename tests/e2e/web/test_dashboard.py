"""An officer logs in, works the queue, opens a declaration and records its outcome, in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world

pytestmark = pytest.mark.browser


def test_officer_works_the_queue_and_records_an_outcome(
    container, live_server, browser_page, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    load_world(container, generate_world(seed=7, declarations_total=120))
    page = browser_page

    page.goto(f"{live_server}/queue")
    assert page.url.startswith(f"{live_server}/login")
    page.fill("input[name=username]", "nl-officer")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "wrong username or password" in page.inner_text("main")

    page.fill("input[name=username]", "nl-officer")
    page.fill("input[name=password]", "officer-demo-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/queue")
    rows = page.locator("#queue-rows tr:not(.more)")
    assert rows.count() == 50
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    page.select_option("select[name=status]", "open")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=open"))
    page.wait_for_selector("#queue-rows tr")
    first_open = page.locator("#queue-rows tr:not(.more) a").first
    reference = first_open.inner_text()
    first_open.click()
    page.wait_for_selector("h1")
    assert reference in page.inner_text("h1")

    page.select_option("select[name=result]", "fraud")
    page.fill("input[name=duty_recovered]", "1234.5")
    page.fill("textarea[name=notes]", "undervalued; invoice seized")
    page.click("form.outcome button[type=submit]")
    page.wait_for_selector("#outcome dl")
    outcome_text = page.inner_text("#outcome")
    assert "fraud" in outcome_text and "1,234.50" in outcome_text and "invoice seized" in outcome_text
    page.screenshot(path=str(tmp_path / "declaration.png"), full_page=True)
    assert (tmp_path / "queue.png").stat().st_size > 10_000


def test_forged_form_posts_are_refused(container, live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    load_world(container, generate_world(seed=7, declarations_total=20))
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "nl-officer")
    page.fill("input[name=password]", "officer-demo-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/queue")
    link = page.locator("#queue-rows tr:not(.more) a").first.get_attribute("href")
    response = page.request.post(f"{live_server}{link}/outcome", form={"csrf": "forged", "inspected": "no"})
    assert response.status == 403
    assert "CSRF" in response.text()
