"""Organisations, users and their roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OrganisationKind(StrEnum):
    CUSTOMS = "customs"
    AGENCY = "agency"
    TRADER = "trader"
    CARRIER = "carrier"
    PORT = "port"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OFFICER = "officer"
    ANALYST = "analyst"
    LOGISTICS = "logistics"
    AUDITOR = "auditor"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: uuid.UUID
    name: str
    country: str
    kind: OrganisationKind
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    org_id: uuid.UUID
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool = True
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: the user, their organisation, and where the request came from."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    username: str
    roles: frozenset[Role]
    source: str = "internal"
    via: str = "system"
    extra: dict[str, str] = field(default_factory=dict)

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))
