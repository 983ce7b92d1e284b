"""Parties of the caller's organisation: reading them, and creating or updating their details."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, PartyNotFound, ValidationFailed
from supplyguard.model.clock import Clock
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.parties import Party, PartyIdentifier
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import ReferenceData
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_record

MAX_NAME = 300
MAX_ALIASES = 50
IDENTIFIER_SCHEMES = ("eori", "tin", "lei", "vat", "duns", "imo", "registration", "kcs", "other")


def list_parties(
    uow: SqlUnitOfWork, actor: Principal, query: str | None, after: str | None, limit: int
) -> list[Party]:
    require(actor, Action.PARTY_READ)
    with uow:
        return uow.parties.list_page(actor.org_id, query, after, limit)


def get_party(uow: SqlUnitOfWork, clock: Clock, actor: Principal, party_id: uuid.UUID) -> Party:
    require(actor, Action.PARTY_READ)
    with uow:
        party = uow.parties.get(actor.org_id, party_id)
        if party is None:
            raise PartyNotFound(party_id)
        audit(uow, actor, clock, "party.read", "party", str(party_id), {})
        uow.commit()
    return party


def party_body(party: Party) -> dict[str, object]:
    """A party as the ledger hashes it."""
    return {
        "code": party.code,
        "name": party.name,
        "country": party.country,
        "aliases": list(party.aliases),
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in party.identifiers],
        "address": party.address,
    }


def _clean_text(value: Any, loc: tuple[str | int, ...], errors: list[FieldError], limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError(loc, "must be text"))
        return None
    text = " ".join(value.split())
    if len(text) > limit:
        errors.append(FieldError(loc, f"is longer than {limit} characters"))
        return None
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        errors.append(FieldError(loc, "contains control characters or invalid Unicode"))
        return None
    return text or None


def upsert_party(
    uow: SqlUnitOfWork, clock: Clock, refdata: ReferenceData, actor: Principal, data: Mapping[str, Any]
) -> Party:
    """Create a party of the caller's organisation, or update the one with the same code."""
    require(actor, Action.PARTY_WRITE)
    errors: list[FieldError] = []
    code = _clean_text(data.get("code"), ("code",), errors, 200)
    name = _clean_text(data.get("name"), ("name",), errors, MAX_NAME)
    if not code:
        errors.append(FieldError(("code",), "is required"))
    if not name:
        errors.append(FieldError(("name",), "is required"))
    country = data.get("country")
    if country is not None and (not isinstance(country, str) or not refdata.is_country(country.upper())):
        errors.append(FieldError(("country",), f"{country!r} is not an ISO 3166-1 alpha-2 country code"))
    aliases: list[str] = []
    raw_aliases = data.get("aliases") or []
    if not isinstance(raw_aliases, list) or len(raw_aliases) > MAX_ALIASES:
        errors.append(FieldError(("aliases",), f"must be a list of at most {MAX_ALIASES} names"))
        raw_aliases = []
    for index, alias in enumerate(raw_aliases):
        cleaned = _clean_text(alias, ("aliases", index), errors, MAX_NAME)
        if cleaned:
            aliases.append(cleaned)
    identifiers: list[PartyIdentifier] = []
    raw_ids = data.get("identifiers") or []
    if not isinstance(raw_ids, list):
        errors.append(FieldError(("identifiers",), "must be a list of {scheme, value}"))
        raw_ids = []
    for index, item in enumerate(raw_ids):
        if not isinstance(item, Mapping):
            errors.append(FieldError(("identifiers", index), "must be an object with scheme and value"))
            continue
        scheme = str(item.get("scheme", "")).lower()
        value = _clean_text(item.get("value"), ("identifiers", index, "value"), errors, 100)
        if scheme not in IDENTIFIER_SCHEMES:
            errors.append(
                FieldError(
                    ("identifiers", index, "scheme"), f"must be one of {', '.join(IDENTIFIER_SCHEMES)}"
                )
            )
        elif not value:
            errors.append(FieldError(("identifiers", index, "value"), "is required"))
        else:
            identifiers.append(PartyIdentifier(scheme, value))
    address = _clean_text(data.get("address"), ("address",), errors, 1000)
    if errors:
        raise ValidationFailed(errors)
    assert code and name
    party = Party(
        id=new_id(),
        org_id=actor.org_id,
        code=code,
        name=name,
        country=country.upper() if isinstance(country, str) else None,
        aliases=tuple(aliases),
        identifiers=tuple(identifiers),
        address=address,
    )
    with uow:
        stored = uow.parties.upsert(party, clock.now())
        body = party_body(stored)
        append_record(uow, "party", str(stored.id), str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "party.upsert", "party", str(stored.id), {"code": stored.code})
        uow.commit()
    return stored
