"""Small factories: the least data a test needs, made through the real services."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from supplyguard.model.organisations import Organisation, Principal, Role, User

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from supplyguard.bootstrap import Container

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_org(
    container: Container, name: str = "Customs A", country: str = "NL", kind: str = "customs"
) -> Organisation:
    from supplyguard.services import accounts

    return accounts.create_organisation(container.uow(), container.clock, None, name, country, kind)


def make_user(
    container: Container,
    org: Organisation,
    username: str,
    roles: tuple[str, ...] = ("officer",),
    password: str | None = PASSWORD,
) -> User:
    from supplyguard.services import accounts

    return accounts.create_user(
        container.uow(), container.clock, None, org.id, username, list(roles), password
    )


def web_login(client: TestClient, username: str, landing: str) -> str:
    """Log ``username`` (password :data:`PASSWORD`) in through the dashboard's form, landing on
    ``landing``; the session's CSRF token, read from that page (its logout form)."""
    token = _CSRF.search(client.get("/login").text)
    assert token is not None
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": landing},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    csrf = _CSRF.search(client.get(landing).text)
    assert csrf is not None
    return csrf.group(1)


def principal_for(user: User) -> Principal:
    return Principal(user.id, user.org_id, user.username, user.roles, "test", "api")


def admin_principal(org: Organisation) -> Principal:
    return Principal(uuid.UUID(int=0), org.id, "test-admin", frozenset({Role.ADMIN}), "test", "cli")


def declaration_data(reference: str = "REF-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": reference,
        "declared_on": "2021-04-01",
        "office_id": "40",
        "transport_mode": "10",
        "importer": {"code": "IMP1", "name": "Golden Harbor Trading Co., Ltd", "country": "NL"},
        "declarant": "DCL1",
        "seller": "SEL1",
        "containers": ["CSQU3054383"],
        "items": [
            {
                "hs_code": "420231",
                "origin_country": "RO",
                "departure_country": "IT",
                "net_mass_kg": 1.0,
                "value": 1248.7,
                "tax_rate_pct": 8.0,
                "tax_type": "A",
            }
        ],
    }
    data.update(overrides)
    return data
