"""Partner nodes and sharing agreements: register, list, and the partner behind an API token."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
import uuid
from dataclasses import dataclass

from supplyguard.adapters.db.sharing_repo import AgreementRecord, PartnerRecord, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.sharing_keys import node_author_ref
from supplyguard.errors import (
    Conflict,
    FieldError,
    PartnerNotFound,
    PermissionDenied,
    ValidationFailed,
    VerificationFailed,
)
from supplyguard.ledger import parse_vkey
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal, Role
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.sharing_node import SharingNode
from supplyguard.sharing import Agreement, parse_agreement
from supplyguard.sharing.signing import key_id_of

_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
PARTNER_STATUSES = ("active", "suspended")


def decode_public_key(text: str) -> bytes:
    """A raw 32-byte Ed25519 public key from hex, base64 or base64url text."""
    value = text.strip()
    candidates: list[bytes] = []
    with contextlib.suppress(ValueError):
        candidates.append(bytes.fromhex(value))
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        with contextlib.suppress(binascii.Error, ValueError):
            candidates.append(decoder(value + "=" * (-len(value) % 4)))
    for raw in candidates:
        if len(raw) == 32:
            return raw
    raise ValidationFailed([FieldError(("public_key",), "a 32-byte Ed25519 public key in hex or base64")])


@dataclass(frozen=True, slots=True)
class PartnerInput:
    node_id: str
    name: str
    public_key: str
    country: str | None = None
    base_url: str | None = None
    author_ref: str | None = None
    username: str | None = None
    ledger_vkey: str | None = None


def register_partner(uow: SqlUnitOfWork, clock: Clock, actor: Principal, data: PartnerInput) -> PartnerRecord:
    """Register a partner node with its key exchanged out of band; optionally map a local user to it."""
    require(actor, Action.SHARING_ADMIN)
    errors: list[FieldError] = []
    if not _NODE_ID.match(data.node_id):
        errors.append(FieldError(("node_id",), "letters, digits, '.', '_' or '-' (at most 100)"))
    if not data.name.strip():
        errors.append(FieldError(("name",), "required"))
    if data.country is not None and not re.fullmatch(r"[A-Z]{2}", data.country):
        errors.append(FieldError(("country",), "an ISO 3166-1 alpha-2 code"))
    if data.base_url is not None and not re.match(r"^https?://", data.base_url):
        errors.append(FieldError(("base_url",), "an http(s) URL"))
    try:
        raw = decode_public_key(data.public_key)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        raw = b""
    if data.ledger_vkey:
        try:
            parse_vkey(data.ledger_vkey)
        except VerificationFailed as exc:
            errors.append(FieldError(("ledger_vkey",), exc.message))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = SharingRepository(uow.connection)
        if repo.partner(data.node_id) is not None:
            raise Conflict(f"partner {data.node_id} is already registered")
        if repo.partner_by_key(key_id_of(raw)) is not None:
            raise Conflict("another partner is registered with this public key")
        user_id = None
        if data.username:
            found = uow.accounts.get_user_by_name(data.username)
            user = None if found is None else found[0]
            if user is None or user.org_id != actor.org_id:
                raise ValidationFailed([FieldError(("username",), f"no user {data.username!r} here")])
            if Role.PARTNER not in user.roles:
                raise ValidationFailed([FieldError(("username",), "the user needs the partner role")])
            user_id = user.id
        partner = PartnerRecord(
            id=uuid.uuid4(),
            node_id=data.node_id,
            name=data.name.strip(),
            country=data.country,
            base_url=data.base_url.rstrip("/") if data.base_url else None,
            public_key=raw,
            key_id=key_id_of(raw),
            author_ref=data.author_ref or node_author_ref(data.node_id),
            user_id=user_id,
            ledger_vkey=data.ledger_vkey.strip() if data.ledger_vkey else None,
            status="active",
            last_sync_position=0,
            last_sync_at=None,
            last_sync_error=None,
            verification_failures=0,
            last_failure=None,
            created_at=clock.now(),
        )
        repo.add_partner(partner)
        audit(uow, actor, clock, "sharing.partner.add", "partner", data.node_id, {"key_id": partner.key_id})
        uow.commit()
    return partner


def list_partners(uow: SqlUnitOfWork, actor: Principal) -> list[PartnerRecord]:
    require(actor, Action.SHARING_READ)
    with uow:
        return SharingRepository(uow.connection).partners()


def get_partner(uow: SqlUnitOfWork, actor: Principal, node_id: str) -> PartnerRecord:
    require(actor, Action.SHARING_READ)
    with uow:
        partner = SharingRepository(uow.connection).partner(node_id)
    if partner is None:
        raise PartnerNotFound(node_id)
    return partner


def partner_for_principal(uow: SqlUnitOfWork, actor: Principal) -> PartnerRecord:
    """The partner node an API caller with the ``partner`` role stands for."""
    if Role.PARTNER not in actor.roles:
        raise PermissionDenied("read a partner feed", "only partner accounts have one")
    with uow:
        partner = SharingRepository(uow.connection).partner_by_user(actor.user_id)
    if partner is None or partner.status != "active":
        raise PermissionDenied("read a partner feed", f"{actor.username} is not mapped to an active partner")
    return partner


def register_agreement(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, node: SharingNode, yaml_text: str
) -> Agreement:
    """Parse, check and store an agreement file (a newer text with the same id replaces the old)."""
    require(actor, Action.SHARING_ADMIN)
    agreement = parse_agreement(yaml_text)
    if not agreement.is_party(node.node_id):
        raise ValidationFailed(
            [
                FieldError(
                    ("parties",), f"this node ({node.node_id}) is not a party to {agreement.agreement_id}"
                )
            ]
        )
    version = hashlib.sha256(yaml_text.encode()).hexdigest()
    with uow:
        SharingRepository(uow.connection).save_agreement(
            AgreementRecord(agreement.agreement_id, agreement.title[:500], yaml_text, version, clock.now())
        )
        audit(
            uow,
            actor,
            clock,
            "sharing.agreement.add",
            "agreement",
            agreement.agreement_id,
            {"version": version},
        )
        uow.commit()
    return agreement


def list_agreements(uow: SqlUnitOfWork, actor: Principal) -> list[AgreementRecord]:
    require(actor, Action.SHARING_READ)
    with uow:
        return SharingRepository(uow.connection).agreements()


def set_partner_status(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, node_id: str, status: str
) -> PartnerRecord:
    """Suspend a partner (its feed closes, nothing from it is accepted) or make it active again."""
    require(actor, Action.SHARING_ADMIN)
    if status not in PARTNER_STATUSES:
        raise ValidationFailed([FieldError(("status",), f"one of {', '.join(PARTNER_STATUSES)}")])
    with uow:
        repo = SharingRepository(uow.connection)
        if repo.partner(node_id) is None:
            raise PartnerNotFound(node_id)
        repo.set_status(node_id, status)
        audit(uow, actor, clock, "sharing.partner.status", "partner", node_id, {"status": status})
        uow.commit()
        partner = repo.partner(node_id)
    assert partner is not None
    return partner
