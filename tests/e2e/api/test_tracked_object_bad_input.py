"""GET /v1/tracking/objects/{epc} with no identifier in it (blank, or only commas) is a 422 problem at
``epc``. Before, the empty list of identifiers was indexed and the API answered 500 (IndexError)."""

from __future__ import annotations

import pytest

from tests.e2e.api.conftest import Node

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("blank", ["%20", ",", "%20,%20,"])
def test_an_object_path_without_an_identifier_is_a_422_problem(node: Node, blank: str) -> None:
    response = node.client.get(f"/v1/tracking/objects/{blank}", headers=node.headers("officer_a"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["loc"] == ["epc"]


def test_an_unknown_object_is_still_a_404(node: Node) -> None:
    response = node.client.get(
        "/v1/tracking/objects/urn:epc:id:sgtin:0614141.107346.2017", headers=node.headers("officer_a")
    )
    assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
