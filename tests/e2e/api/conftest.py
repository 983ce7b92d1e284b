from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from tests.factories import make_org, make_user


@dataclass
class Node:
    client: TestClient
    container: object
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


@pytest.fixture
def node(container) -> Node:  # type: ignore[no-untyped-def]
    org_a = make_org(container, "Customs A", "NL")
    org_b = make_org(container, "Customs B", "KR")
    people = {
        "officer_a": (org_a, ("officer",)),
        "analyst_a": (org_a, ("analyst",)),
        "auditor_a": (org_a, ("auditor",)),
        "partner_a": (org_a, ("partner",)),
        "officer_b": (org_b, ("officer",)),
    }
    tokens = {}
    for username, (org, roles) in people.items():
        make_user(container, org, username, roles)
        tokens[username] = create_token(container.uow(), container.clock, None, username, "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield Node(client, container, tokens)
