"""The OpenAPI document says what the API does: its errors as sent (RFC 9457 problem+json), its parameters."""

from __future__ import annotations

from typing import Any

import pytest

from supplyguard.api.problems import PROBLEM_JSON
from tests.e2e.api.conftest import Node
from tests.factories import declaration_data
from tests.openapi_doc import assert_as_declared, problem_validator

METHODS = {"get", "put", "post", "delete", "patch"}


def test_every_operation_declares_its_errors_as_problems(node: Node) -> None:
    spec = node.client.get("/v1/openapi.json").json()
    reference = {"$ref": "#/components/schemas/Problem"}
    operations = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            operations += 1
            responses = operation["responses"]
            assert responses["default"]["content"] == {PROBLEM_JSON: {"schema": reference}}, (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    assert answer["content"] == {PROBLEM_JSON: {"schema": reference}}, (method, path, status)
    assert operations > 50
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "HTTPValidationError" not in str(spec)
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert set(spec["components"]["schemas"]["FieldProblem"]["required"]) == {"loc", "msg"}


def _bad_declaration(node: Node) -> Any:
    bad = declaration_data(items=[{"hs_code": "123", "origin_country": "NL", "net_mass_kg": 1, "value": 1}])
    return node.client.post("/v1/declarations", json=bad, headers=node.headers("officer_a"))


@pytest.mark.parametrize(
    ("send", "path", "method", "status"),
    [
        (_bad_declaration, "/v1/declarations", "post", 422),
        (
            lambda node: node.client.post(
                "/v1/declarations",
                content=b"[1,2",
                headers=node.headers("officer_a", **{"content-type": "application/json"}),
            ),
            "/v1/declarations",
            "post",
            422,
        ),
        (lambda node: node.client.get("/v1/declarations"), "/v1/declarations", "get", 401),
        (
            lambda node: node.client.get(
                "/v1/declarations/00000000-0000-4000-8000-000000000000", headers=node.headers("officer_a")
            ),
            "/v1/declarations/{declaration_id}",
            "get",
            404,
        ),
        (
            lambda node: node.client.get("/v1/audit", headers=node.headers("officer_a")),
            "/v1/audit",
            "get",
            403,
        ),
    ],
    ids=["field errors", "not JSON", "no token", "not found", "not allowed"],
)
def test_errors_sent_fit_the_declared_problem(
    node: Node, send: Any, path: str, method: str, status: int
) -> None:
    spec = node.client.get("/v1/openapi.json").json()
    response = send(node)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert_as_declared(spec, path, method, response)
    body = response.json()
    if send is _bad_declaration:  # the field errors are in the body, each where it is
        assert body["errors"][0]["loc"] == ["items", 0, "hs_code"], body


def test_a_body_unlike_the_problem_schema_is_refused_by_it(node: Node) -> None:
    """The validator the tests use does refuse what the app must not send."""
    validator = problem_validator(node.client.get("/v1/openapi.json").json())
    good = {"type": "https://x", "title": "Not found", "status": 404, "detail": "no", "instance": "/v1/x"}
    validator.validate(good)
    for broken in (
        {k: v for k, v in good.items() if k != "detail"},
        good | {"status": 200},
        good | {"errors": [{"loc": "items.0", "msg": "bad"}]},
        good | {"errors": [{"loc": ["items", 0]}]},
    ):
        assert not validator.is_valid(broken), broken


def test_the_epcis_query_parameters_are_declared(node: Node) -> None:
    spec = node.client.get("/v1/openapi.json").json()
    declared = {p["name"]: p for p in spec["paths"]["/epcis/events"]["get"]["parameters"]}
    assert {"MATCH_epc", "GE_eventTime", "EQ_bizStep", "perPage", "nextPageToken"} <= set(declared)
    assert declared["perPage"]["schema"] == {"type": "integer"} and declared["perPage"]["in"] == "query"
