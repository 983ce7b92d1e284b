"""The resilience pages over HTTP: a network page with map, ranking, histogram, stockpile plan and
Suez reroute; the forwardable report (HTML and PDF); a drill run from the page; training records."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services import resilience as service
from tests.conftest import REPO
from tests.factories import make_org, make_user, principal_for, web_login

EXAMPLES = REPO / "examples" / "resilience"


@pytest.fixture
def site(container):  # type: ignore[no-untyped-def]
    org = make_org(container)
    planner = make_user(container, org, "planner", ("logistics",))
    make_user(container, org, "olga", ("officer",))
    make_user(container, make_org(container, "Customs B", "KR"), "kim", ("logistics",))
    stored = service.store_network(
        container.uow(),
        container.clock,
        container.signer,
        principal_for(planner),
        (EXAMPLES / "medical-supplies.yaml").read_text(),
        risks=(EXAMPLES / "medical-risks.yaml").read_text(),
    ).network
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, stored


def test_network_page_shows_ranking_histogram_stockpile_and_suez_reroute(site) -> None:  # type: ignore[no-untyped-def]
    client, stored = site
    assert client.get(f"/resilience/{stored.id}", follow_redirects=False).status_code == 303  # login first
    web_login(client, "planner", "/resilience")
    index = client.get("/resilience").text
    assert "medical-supplies" in index and f"/resilience/{stored.id}" in index
    page = client.get(f"/resilience/{stored.id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="ranking"' in html and "site:SUP-KHH" in html and "exposed" in html
    assert 'class="loss-histogram"' in html and 'class="bar"' in html
    assert 'id="stockpile"' in html and "HOSP-N" in html and "Service levels" in html
    assert "Suez closure" in html and "SHA-RTM" in html and "panama" in html
    assert ('class="network-map"' in html) or ("resilience_map.js" in html)
    assert (
        'id="resilience-map-data"' in html
        and "</script" not in html.split('id="resilience-map-data">')[1].split("</script>")[0]
    )


def test_report_is_self_contained_html_and_a_pdf(site) -> None:  # type: ignore[no-untyped-def]
    client, stored = site
    web_login(client, "olga", "/resilience")
    report = client.get(f"/resilience/{stored.id}/report")
    assert report.status_code == 200
    html = report.text
    assert "<script" not in html and 'href="/static' not in html and "@media print" in html
    assert "Exposure ranking" in html and "Emergency stockpile plan" in html and "Suez closure" in html
    assert "<svg" in html
    pdf = client.get(f"/resilience/{stored.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 3000
    assert "attachment" in pdf.headers["content-disposition"]


def test_other_organisations_and_bad_uploads_get_error_pages(site) -> None:  # type: ignore[no-untyped-def]
    client, stored = site
    csrf = web_login(client, "kim", "/resilience")
    assert client.get(f"/resilience/{stored.id}").status_code == 404
    bad = client.post("/resilience/networks", data={"csrf": csrf, "network_yaml": "sites: [\n"})
    assert bad.status_code == 422 and "YAML" in bad.text and "<html" in bad.text
    forged = client.post("/resilience/networks", data={"csrf": "nope", "network_yaml": "name: x\n"})
    assert forged.status_code == 403
    uploaded = client.post(
        "/resilience/networks",
        data={"csrf": csrf},
        files={"network_file": ("golden.yaml", (EXAMPLES / "golden-ttr.yaml").read_bytes(), "text/yaml")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    golden = client.get(uploaded.headers["location"]).text
    assert (
        "golden-ttr" in golden
        and "site:S3" in golden
        and "No sea lane of this network crosses suez" in golden
    )


def test_a_drill_from_the_page_to_the_training_record(site) -> None:  # type: ignore[no-untyped-def]
    client, stored = site
    csrf = web_login(client, "planner", "/resilience")
    started = client.post(
        f"/resilience/{stored.id}/drills",
        data={"csrf": csrf, "scenario": "dutch-blackout-and-hamburg-strike"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    drill_url = started.headers["location"]
    page = client.get(drill_url).text
    assert "Port of Hamburg is out of action" in page and "Western Netherlands grid has failed" not in page
    client.post(f"{drill_url}/advance", data={"csrf": csrf})
    page = client.get(drill_url).text
    assert "Western Netherlands grid has failed" in page and "Record a decision" in page
    choice = re.search(r'<option value="(draw-stock:[^"]+)"', page)
    assert choice is not None
    assert (
        client.post(f"{drill_url}/decisions", data={"csrf": csrf, "choice": choice.group(1)}).status_code
        == 200
    )
    bad = client.post(f"{drill_url}/decisions", data={"csrf": csrf, "choice": "reroute:NOPE"})
    assert bad.status_code == 422
    scored = client.post(f"{drill_url}/score", data={"csrf": csrf})
    assert scored.status_code == 200 and 'id="scores"' in scored.text and "planner" in scored.text
    record = client.get("/resilience/training").text
    assert "Drill: dutch-blackout-and-hamburg-strike" in record and 'id="training"' in record
    everyone = client.get("/resilience/training", params={"everyone": 1}).text
    assert "everyone in the organisation" in everyone and "planner" in everyone
