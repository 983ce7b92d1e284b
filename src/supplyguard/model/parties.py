"""Parties: importers, declarants, sellers, carriers, consignees."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class PartyRole(StrEnum):
    DECLARANT = "declarant"
    IMPORTER = "importer"
    SELLER = "seller"
    COURIER = "courier"


@dataclass(frozen=True, slots=True)
class PartyIdentifier:
    """An identifier of a party in a named scheme: ``eori``, ``tin``, ``lei``, ``kcs`` (dataset code)..."""

    scheme: str
    value: str


@dataclass(frozen=True, slots=True)
class Party:
    id: uuid.UUID
    org_id: uuid.UUID
    code: str
    name: str
    country: str | None = None
    aliases: tuple[str, ...] = ()
    identifiers: tuple[PartyIdentifier, ...] = ()
    address: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
