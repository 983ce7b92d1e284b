"""A NUL character (%00) in the URL is a 422 refusal before routing, on both backends. Before, on
PostgreSQL, a path or query parameter holding one reached the database, which refuses NUL in text,
and the API answered 500 (/v1/audit?action=a%00b, /v1/tracking/rules/a%00b)."""

from __future__ import annotations

import pytest

from tests.e2e.api.conftest import Node

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    "url",
    [
        "/v1/audit?action=a%00b",
        "/v1/audit?target_id=%00",
        "/v1/tracking/rules/a%00b",
        "/v1/declarations?reference=%00",
        "/epcis/events/a%00b",
        "/v1/intel/watchlist/matches?a%00=1",
    ],
)
def test_a_nul_in_the_url_is_a_422_problem(node: Node, url: str) -> None:
    response = node.client.get(url, headers=node.headers("auditor_a"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "NUL" in response.json()["detail"]


def test_a_dashboard_page_refuses_it_with_an_html_page(node: Node) -> None:
    response = node.client.get("/login?next=%00")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


def test_the_same_urls_without_the_nul_are_answered(node: Node) -> None:
    audit = node.client.get("/v1/audit?action=ab", headers=node.headers("auditor_a"))
    assert audit.status_code == 200
