"""What people see of the intelligence a node holds: lists with filters, one object, the recipient
preview before publishing, and each partner's status. Shared by the ``/v1/intel`` API and the pages.

Intelligence belongs to the node (its agreements bind the node, not an organisation): every local
role allowed ``SHARING_READ`` sees all of it; partner accounts see none of it here (they read their
compiled copies over TAXII). What is organisation-scoped is what it is matched with: the
declarations listed as matches are the caller's organisation's only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from supplyguard.adapters.db.sharing_repo import HeldObject, PartnerRecord, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, SignedObjectInvalid, ValidationFailed
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.sharing_feed import cursor_position, position_cursor
from supplyguard.services.sharing_node import SharingNode
from supplyguard.services.sharing_publish import PublishResult, preview_recipients, publish_object
from supplyguard.services.sharing_risk import object_kind
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import SignedObject, Tlp
from supplyguard.sharing.disclosure import ShareDecision

ORIGINS = ("received", "published")
STIX_TYPES = (
    "identity",
    "indicator",
    "sighting",
    "report",
    "note",
    "relationship",
    "incident",
    "attack-pattern",
)


@dataclass(frozen=True, slots=True)
class IntelFilter:
    types: tuple[str, ...] = ()
    tlp: tuple[str, ...] = ()
    origin: str | None = None
    partner: str | None = None
    since: datetime | None = None

    def check(self) -> None:
        errors: list[FieldError] = []
        for kind in self.types:
            if kind not in STIX_TYPES:
                errors.append(FieldError(("type",), f"{kind!r} is not one of {', '.join(STIX_TYPES)}"))
        levels = [level.value for level in Tlp]
        for level in self.tlp:
            if level not in levels:
                errors.append(FieldError(("tlp",), f"{level!r} is not one of {', '.join(levels)}"))
        if self.origin is not None and self.origin not in ORIGINS:
            errors.append(FieldError(("origin",), "received or published"))
        if errors:
            raise ValidationFailed(errors)


def parse_spec_text(text: str) -> dict[str, Any]:
    """A publication spec pasted as YAML (JSON is YAML too)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationFailed([FieldError(("spec",), f"not valid YAML/JSON: {error}")]) from error
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(("spec",), "a mapping describing one object")])
    return data


def intel_summary(held: HeldObject) -> dict[str, Any]:
    """One held version as a list row: what it is, its marking, who wrote it and who sent it."""
    wire = held.wire
    try:
        withheld = SignedObject.from_stix(wire).withheld_count
    except SignedObjectInvalid:  # cannot be held unsigned; show it all the same
        withheld = 0
    return {
        "id": held.stix_id,
        "type": held.stix_type,
        "kind": object_kind(wire),
        "name": str(wire.get("name") or wire.get("abstract") or wire.get("content") or "")[:200],
        "tlp": held.tlp,
        "version": held.version,
        "author": held.author_node,
        "origin": "published" if held.received_from is None else "received",
        "received_from": held.received_from,
        "agreement": held.agreement_id,
        "withheld_fields": withheld,
        "position": held.position,
        "stored_at": held.stored_at.isoformat(),
        "revoked": held.revoked,
    }


def list_held(
    uow: SqlUnitOfWork, actor: Principal, filters: IntelFilter, *, limit: int = 100, cursor: str | None = None
) -> tuple[list[HeldObject], str | None]:
    """Current versions held here, oldest first, with the filters; a ``next`` cursor when more."""
    require(actor, Action.SHARING_READ)
    filters.check()
    if not 1 <= limit <= 1000:
        raise ValidationFailed([FieldError(("limit",), "between 1 and 1000")])
    after = cursor_position(cursor) if cursor else 0
    with uow:
        rows = SharingRepository(uow.connection).held_page(
            after_position=after,
            types=filters.types,
            tlp=filters.tlp,
            origin=filters.origin,
            partner=filters.partner,
            since=filters.since,
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, position_cursor(rows[-1].position) if more and rows else None


def decision_view(decision: ShareDecision) -> dict[str, Any]:
    """One recipient's share of an object: whole, redacted (which fields) or nothing, with reasons."""
    return {
        "partner": decision.recipient,
        "outcome": decision.outcome.value,
        "agreement": decision.agreement_id,
        "withheld_fields": list(decision.removed_fields),
        "reasons": list(decision.reasons),
        "purposes": list(decision.purposes),
        "retention_until": decision.retention_until.isoformat() if decision.retention_until else None,
    }


def preview_spec(
    uow: SqlUnitOfWork, actor: Principal, node: SharingNode, spec: Mapping[str, Any]
) -> tuple[dict[str, Any], list[ShareDecision]]:
    """The STIX object a publication spec makes, and what each active partner would receive."""
    stix = build_from_spec(spec, node.author_ref, node.clock.now())
    return stix, list(preview_recipients(uow, actor, node, stix))


def publish_spec(
    uow: SqlUnitOfWork, actor: Principal, node: SharingNode, spec: Mapping[str, Any]
) -> PublishResult:
    return publish_object(uow, actor, node, build_from_spec(spec, node.author_ref, node.clock.now()))


@dataclass(frozen=True, slots=True)
class PartnerStatus:
    partner: PartnerRecord
    counts: dict[str, int]
    lag_s: int | None  # seconds since the last successful pull; None: never pulled

    def as_dict(self) -> dict[str, Any]:
        p = self.partner
        return {
            "node_id": p.node_id,
            "name": p.name,
            "country": p.country,
            "status": p.status,
            "base_url": p.base_url,
            "key_id": p.key_id,
            "last_sync_at": p.last_sync_at.isoformat() if p.last_sync_at else None,
            "last_sync_position": p.last_sync_position,
            "lag_s": self.lag_s,
            "last_sync_error": p.last_sync_error,
            "verification_failures": p.verification_failures,
            "last_failure": p.last_failure,
            "received": self.counts.get("received", 0),
            "delivered": self.counts.get("delivered", 0),
            "rejected": self.counts.get("rejected", 0),
        }


def partner_statuses(uow: SqlUnitOfWork, actor: Principal, now: datetime) -> list[PartnerStatus]:
    """Every partner: last sync, lag, errors, verification failures, what went each way."""
    require(actor, Action.SHARING_READ)
    with uow:
        repo = SharingRepository(uow.connection)
        partners = repo.partners()
        counts = repo.counts_by_partner()
    return [
        PartnerStatus(
            p,
            counts.get(p.node_id, {}),
            None if p.last_sync_at is None else max(0, int((now - p.last_sync_at).total_seconds())),
        )
        for p in partners
    ]


def held_views(rows: Sequence[HeldObject]) -> list[dict[str, Any]]:
    return [intel_summary(held) for held in rows]
