"""Small factories: the least data a test needs, made through the real services."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from supplyguard.model.organisations import Organisation, Principal, Role, User

if TYPE_CHECKING:
    from supplyguard.bootstrap import Container


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
    password: str | None = "correct horse battery",  # noqa: S107
) -> User:
    from supplyguard.services import accounts

    return accounts.create_user(
        container.uow(), container.clock, None, org.id, username, list(roles), password
    )


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
