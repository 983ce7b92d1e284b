"""Publishing intelligence: preview who receives what, sign, store, compile per-partner copies, prove.

One transaction per publication: the signed version at a new log position, one delivery per
partner the agreements let receive it (whole or redacted, still verifiable against the author's
signature), an ``intel.published`` ledger leaf naming the recipients, an audit entry and a checkpoint.
Deletions are signed tombstones that travel to everyone who received the object.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.sharing_repo import Delivery, HeldObject, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import Conflict, FieldError, IntelNotFound, ValidationFailed
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_records
from supplyguard.services.sharing_node import (
    SharingNode,
    agreements_of,
    intel_record,
    sign_if_appended,
)
from supplyguard.sharing import (
    Outcome,
    ShareDecision,
    SignedObject,
    check_freshness,
    disclose,
    preview,
    sign_object,
    sign_tombstone,
    stix_id,
    stix_timestamp,
    tlp_of,
)
from supplyguard.sharing.provenance import parse_version

TOMBSTONE_TYPE = "x-supplyguard-tombstone"


@dataclass(frozen=True, slots=True)
class PublishResult:
    held: HeldObject
    decisions: tuple[ShareDecision, ...]

    @property
    def recipients(self) -> list[str]:
        return [d.recipient for d in self.decisions if d.outcome is not Outcome.NOTHING]


def _partner_ids(repo: SharingRepository) -> list[str]:
    return [p.node_id for p in repo.partners() if p.status == "active"]


def preview_recipients(
    uow: SqlUnitOfWork, actor: Principal, node: SharingNode, stix_object: Mapping[str, Any]
) -> tuple[ShareDecision, ...]:
    """For every active partner: whole, redacted (which fields, why) or nothing (why)."""
    require(actor, Action.SHARING_PUBLISH)
    with uow:
        repo = SharingRepository(uow.connection)
        return preview(
            stix_object,
            agreements_of(repo),
            _partner_ids(repo),
            sender=node.node_id,
            on=node.clock.now().date(),
        )


def held_from_signed(
    signed: SignedObject,
    *,
    position: int,
    author_node: str,
    received_from: str | None,
    agreement_id: str | None,
    stored_at: datetime,
    content_hash: str | None = None,
) -> HeldObject:
    """The held row of ``signed``; ``content_hash``, when the caller has it, is its header's."""
    stix = signed.stix
    tlp = tlp_of(stix)
    return HeldObject(
        position=position,
        stix_id=signed.object_id,
        stix_type=signed.header.object_type,
        version=signed.header.version,
        author_ref=signed.header.author_ref,
        author_node=author_node,
        content_hash=signed.header.content_hash if content_hash is None else content_hash,
        tlp=None if tlp is None else tlp.value,
        wire=signed.to_stix(),
        received_from=received_from,
        agreement_id=agreement_id,
        current=True,
        revoked=bool(stix.get("revoked", False)),
        deleted=False,
        stored_at=stored_at,
    )


def deliveries_for(
    signed: SignedObject, decisions: Sequence[ShareDecision], position: int, at: datetime
) -> list[Delivery]:
    """One delivery per partner that receives something: the author-signed, disclosed copy."""
    result = []
    for decision in decisions:
        if decision.outcome is Outcome.NOTHING or decision.agreement_id is None:
            continue
        copy = disclose(signed, decision.kept_fields) if decision.removed_fields else signed
        result.append(
            Delivery(
                partner_node=decision.recipient,
                position=position,
                stix_id=signed.object_id,
                stix_type=signed.header.object_type,
                version=signed.header.version,
                agreement_id=decision.agreement_id,
                outcome=decision.outcome.value,
                removed_fields=decision.removed_fields,
                wire=copy.to_stix(),
                current=True,
                created_at=at,
            )
        )
    return result


def publish_object(
    uow: SqlUnitOfWork,
    actor: Principal,
    node: SharingNode,
    stix_object: Mapping[str, Any],
    *,
    only_to: Collection[str] | None = None,
) -> PublishResult:
    """Sign ``stix_object`` as this node and share it as the agreements allow (``only_to`` narrows)."""
    require(actor, Action.SHARING_PUBLISH)
    now = node.clock.now()
    stix = dict(stix_object)
    author = stix.get("created_by_ref")
    if author is not None and author != node.author_ref:
        raise ValidationFailed(
            [FieldError(("created_by_ref",), "only this node's own objects are published")]
        )
    stix["created_by_ref"] = node.author_ref
    with uow:
        repo = SharingRepository(uow.connection)
        object_id = str(stix.get("id", ""))
        held = repo.held(object_id)
        if repo.tombstone(object_id) is not None:
            raise Conflict(f"{object_id} was deleted; publish a new object instead")
        if held is not None:
            if held.author_ref != node.author_ref:
                raise Conflict(
                    f"{object_id} was written by {held.author_node}; only its author may change it"
                )
            stix["created"] = held.wire.get("created", stix.get("created"))
            if parse_version(str(stix.get("modified"))) <= parse_version(held.version):
                stix["modified"] = stix_timestamp(now)
                if parse_version(stix["modified"]) <= parse_version(held.version):
                    raise Conflict(f"{object_id}: a version at {held.version} is already held")
        signed = sign_object(stix, node.key)
        if held is not None:
            check_freshness(signed.header, SignedObject.from_stix(held.wire).header)
        decisions = preview(
            signed.stix, agreements_of(repo), _partner_ids(repo), sender=node.node_id, on=now.date()
        )
        if only_to is not None:
            decisions = tuple(d for d in decisions if d.recipient in only_to)
        position = repo.next_position()
        stored = held_from_signed(
            signed,
            position=position,
            author_node=node.node_id,
            received_from=None,
            agreement_id=None,
            stored_at=now,
        )
        repo.add_object(stored)
        deliveries = deliveries_for(signed, decisions, position, now)
        repo.add_deliveries(deliveries)
        recipients = [
            {"node": d.partner_node, "outcome": d.outcome, "agreement": d.agreement_id}
            for d in sorted(deliveries, key=lambda d: d.partner_node)
        ]
        append_records(
            uow,
            [
                intel_record(
                    "intel.published",
                    stored,
                    node,
                    {"recipients": recipients},
                )
            ],
        )
        audit(
            uow,
            actor,
            node.clock,
            "intel.publish",
            "intel",
            stored.stix_id,
            {"version": stored.version, "recipients": [d.partner_node for d in deliveries]},
        )
        sign_if_appended(uow, node, now)
        uow.commit()
    return PublishResult(stored, decisions)


def tombstone_wire(tombstone_data: Mapping[str, Any]) -> dict[str, Any]:
    """A signed tombstone wrapped as a STIX custom object, so it travels through TAXII feeds."""
    target = str(tombstone_data["id"])
    return {
        "type": TOMBSTONE_TYPE,
        "spec_version": "2.1",
        "id": stix_id(TOMBSTONE_TYPE, target),
        "created": tombstone_data["deleted_at"],
        "modified": tombstone_data["deleted_at"],
        "object_ref": target,
        "tombstone": dict(tombstone_data),
    }


def tombstone_marker(
    wire: Mapping[str, Any],
    position: int,
    author_ref: str,
    author_node: str,
    received_from: str | None,
    at: datetime,
) -> HeldObject:
    """The log row of a tombstone, so it has a position in feeds like any object."""
    signature = str(wire["tombstone"]["signature"])
    return HeldObject(
        position=position,
        stix_id=str(wire["id"]),
        stix_type=TOMBSTONE_TYPE,
        version=str(wire["modified"]),
        author_ref=author_ref,
        author_node=author_node,
        content_hash=uuid.uuid5(uuid.NAMESPACE_URL, signature).hex,
        tlp=None,
        wire=dict(wire),
        received_from=received_from,
        agreement_id=None,
        current=True,
        revoked=False,
        deleted=False,
        stored_at=at,
    )


def delete_object(
    uow: SqlUnitOfWork, actor: Principal, node: SharingNode, object_id: str, reason: str
) -> dict[str, Any]:
    """Withdraw one of our objects: a signed tombstone, sent to every partner that received it."""
    require(actor, Action.SHARING_PUBLISH)
    now = node.clock.now()
    with uow:
        repo = SharingRepository(uow.connection)
        held = repo.held(object_id)
        if held is None or held.deleted:
            raise IntelNotFound(object_id)
        if held.author_ref != node.author_ref:
            raise Conflict(f"{object_id} was written by {held.author_node}; only its author may delete it")
        recipients = sorted({d.partner_node: d.agreement_id for d in repo.deliveries_of(object_id)}.items())
        tombstone = sign_tombstone(object_id, held.stix_type, now, reason, node.key)
        wire = tombstone_wire(tombstone.as_dict())
        repo.save_tombstone(
            object_id, node.author_ref, tombstone.deleted_at, reason, tombstone.as_dict(), now
        )
        repo.mark_deleted(object_id)
        position = repo.next_position()
        marker = tombstone_marker(wire, position, node.author_ref, node.node_id, None, now)
        repo.add_object(marker)
        repo.add_deliveries(
            [
                Delivery(
                    p,
                    position,
                    wire["id"],
                    TOMBSTONE_TYPE,
                    tombstone.deleted_at,
                    a,
                    "whole",
                    (),
                    wire,
                    True,
                    now,
                )
                for p, a in recipients
            ]
        )
        append_records(uow, [intel_record("intel.deleted", held, node, {"deleted_at": tombstone.deleted_at})])
        audit(uow, actor, node.clock, "intel.delete", "intel", object_id, {"reason": reason})
        sign_if_appended(uow, node, now)
        uow.commit()
    return wire
