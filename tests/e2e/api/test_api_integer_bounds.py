"""Integers past what the databases store (2**63 - 1), and ids below 1, are bad input at the edge: a
422 problem naming the parameter. Before, SQLite's driver raised OverflowError on them, PostgreSQL
said "bigint out of range" on ids below -2**63, and the API answered 500."""

from __future__ import annotations

import pytest

from supplyguard.adapters.db.metadata import MAX_STORED_INT
from tests.e2e.api.conftest import Node

PROBLEM = "application/problem+json"
TOO_BIG = MAX_STORED_INT + 1
TOO_SMALL = -(2**64)


@pytest.mark.parametrize(
    ("method", "url", "parameter"),
    [
        ("GET", f"/v1/audit?before_id={TOO_BIG}", ["query", "before_id"]),
        ("GET", f"/v1/screening/runs/{TOO_BIG}", ["path", "run_id"]),
        ("POST", f"/v1/screening/hits/{TOO_BIG}/false-positive", ["path", "hit_id"]),
        ("GET", f"/v1/ledger/proof/inclusion?index={TOO_BIG}", ["query", "index"]),
        ("GET", f"/v1/ledger/proof/inclusion?index=0&size={TOO_BIG}", ["query", "size"]),
        ("GET", f"/v1/ledger/proof/consistency?first={TOO_BIG}", ["query", "first"]),
        ("GET", f"/v1/ledger/proof/consistency?first=1&second={TOO_BIG}", ["query", "second"]),
        ("GET", f"/v1/ledger/leaves?start={TOO_BIG}&end=1", ["query", "start"]),
        ("GET", f"/v1/audit?before_id={TOO_SMALL}", ["query", "before_id"]),
        ("GET", f"/v1/screening/runs/{TOO_SMALL}", ["path", "run_id"]),
        ("POST", f"/v1/screening/hits/{TOO_SMALL}/false-positive", ["path", "hit_id"]),
        ("GET", "/v1/screening/runs/0", ["path", "run_id"]),
    ],
)
def test_an_integer_past_the_stored_range_is_a_422_problem(
    node: Node, method: str, url: str, parameter: list[str]
) -> None:
    response = node.client.request(method, url, json={"reason": "fuzz"}, headers=node.headers("auditor_a"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert parameter in [error["loc"] for error in response.json()["errors"]]


def test_the_largest_stored_integer_is_still_looked_up(node: Node) -> None:
    run = node.client.get(f"/v1/screening/runs/{MAX_STORED_INT}", headers=node.headers("officer_a"))
    assert run.status_code == 404 and run.headers["content-type"].startswith(PROBLEM)
    audit = node.client.get(f"/v1/audit?before_id={MAX_STORED_INT}", headers=node.headers("auditor_a"))
    assert audit.status_code == 200 and audit.json()
