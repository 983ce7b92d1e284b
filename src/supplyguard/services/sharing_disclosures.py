"""Disclosure requests: after a keyed watch-list hit, ask the owner; the owner approves or refuses.

A keyed hit (:func:`supplyguard.sharing.match_watch_lists`) tells both sides only that they watch
the same identifier. To learn *why* the partner watches it, an analyst opens a request: a signed
STIX ``note`` to that partner alone (abstract ``supplyguard-disclosure-request: KIND DIGEST
AGREEMENT``, the reason as content), carried by the ordinary feed under the agreement. The partner
(the owner) sees it as an open incoming request and approves — its answer, what it discloses — or
refuses with a reason; the answer is another signed note, to the requester only. Every request and
answer is a signed object and a ledger leaf on both nodes (``intel.published`` / ``intel.received``)
and each decision is audited: the record of who asked whom for what, and what came of it.

Requests are opened automatically by keyed watch-list hits (:mod:`supplyguard.services.sharing_watch`
calls :func:`request_disclosure` once per new digest, with a reason that names none of our records)
or by hand from a digest known otherwise.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from supplyguard.adapters.db.sharing_repo import DisclosureRecord, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.sharing_keys import node_author_ref
from supplyguard.errors import Conflict, FieldError, IntelNotFound, ValidationFailed
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.sharing_node import SharingNode, agreement_named
from supplyguard.services.sharing_publish import preview_recipients, publish_object
from supplyguard.sharing import (
    IDENTIFIER_KINDS,
    KEYED_DIGEST,
    Authoring,
    NoteInfo,
    Outcome,
    SignedObject,
    Tlp,
    build_note,
)

REQUEST_PREFIX = "supplyguard-disclosure-request:"
ANSWER_PREFIX = "supplyguard-disclosure-answer:"


def _send_note(uow: SqlUnitOfWork, actor: Principal, node: SharingNode, partner: str, info: NoteInfo) -> str:
    """Publish a signed note to ``partner`` alone; refuse (storing nothing) if no agreement allows it."""
    note = build_note(info, Authoring(node.author_ref, node.clock.now(), tlp=Tlp.AMBER))
    decisions = {d.recipient: d for d in preview_recipients(uow, actor, node, note)}
    decision = decisions.get(partner)
    if decision is None or decision.outcome is Outcome.NOTHING:
        why = decision.reasons[0] if decision is not None and decision.reasons else "not an active partner"
        raise ValidationFailed([FieldError(("partner",), f"cannot send {partner} a note: {why}")])
    return publish_object(uow, actor, node, note, only_to={partner}).held.stix_id


def request_disclosure(
    uow: SqlUnitOfWork,
    actor: Principal,
    node: SharingNode,
    *,
    partner: str,
    agreement_id: str,
    kind: str,
    digest: str,
    reason: str,
) -> DisclosureRecord:
    """Ask ``partner`` to disclose what it holds on the identifier behind a keyed hit."""
    require(actor, Action.SHARING_PUBLISH)
    errors: list[FieldError] = []
    if kind not in IDENTIFIER_KINDS:
        errors.append(FieldError(("kind",), f"one of {', '.join(IDENTIFIER_KINDS)}"))
    if not KEYED_DIGEST.match(digest):
        errors.append(FieldError(("digest",), "the 64-character hex keyed digest of the hit"))
    if not reason.strip() or len(reason) > 2000:
        errors.append(FieldError(("reason",), "why you ask, 1 to 2000 characters"))
    with uow:
        repo = SharingRepository(uow.connection)
        agreement = agreement_named(repo, agreement_id)
    if agreement is None:
        errors.append(FieldError(("agreement",), f"no registered agreement {agreement_id!r}"))
    elif not agreement.is_party(partner) or not agreement.is_party(node.node_id):
        errors.append(FieldError(("partner",), f"{partner} and this node are not both parties to it"))
    if errors:
        raise ValidationFailed(errors)
    note_id = _send_note(
        uow,
        actor,
        node,
        partner,
        NoteInfo(
            content=reason.strip(),
            object_refs=(node_author_ref(partner),),
            abstract=f"{REQUEST_PREFIX} {kind} {digest} {agreement_id}",
        ),
    )
    record = DisclosureRecord(
        uuid.uuid4(),
        "outgoing",
        partner,
        agreement_id,
        kind,
        digest,
        reason.strip(),
        note_id,
        "open",
        None,
        None,
        None,
        None,
        node.clock.now(),
    )
    with uow:
        SharingRepository(uow.connection).add_disclosure(record)
        audit(
            uow,
            actor,
            node.clock,
            "intel.disclosure_requested",
            "disclosure",
            str(record.id),
            {"to": partner},
        )
        uow.commit()
    return record


def decide_disclosure(
    uow: SqlUnitOfWork,
    actor: Principal,
    node: SharingNode,
    disclosure_id: uuid.UUID,
    *,
    approve: bool,
    answer: str,
) -> DisclosureRecord:
    """The owner's decision on an incoming request: approve (``answer`` is what it discloses) or refuse
    (``answer`` says why). Sent signed to the requester alone; decided once."""
    require(actor, Action.SHARING_PUBLISH)
    if not answer.strip() or len(answer) > 5000:
        raise ValidationFailed([FieldError(("answer",), "1 to 5000 characters")])
    with uow:
        record = SharingRepository(uow.connection).disclosure(disclosure_id)
    if record is None or record.direction != "incoming":
        raise IntelNotFound(f"disclosure request {disclosure_id}")
    if record.status != "open":
        raise Conflict(f"disclosure request {disclosure_id} was already {record.status}")
    status = "approved" if approve else "refused"
    note_id = _send_note(
        uow,
        actor,
        node,
        record.partner_node,
        NoteInfo(
            content=answer.strip(),
            object_refs=(record.request_note,),
            abstract=f"{ANSWER_PREFIX} {status}",
        ),
    )
    now = node.clock.now()
    with uow:
        repo = SharingRepository(uow.connection)
        repo.answer_disclosure(disclosure_id, status, answer.strip(), note_id, actor.username, now)
        audit(uow, actor, node.clock, f"intel.disclosure_{status}", "disclosure", str(disclosure_id), {})
        uow.commit()
        updated = repo.disclosure(disclosure_id)
    assert updated is not None
    return updated


def list_disclosures(
    uow: SqlUnitOfWork, actor: Principal, status: str | None = None
) -> list[DisclosureRecord]:
    require(actor, Action.SHARING_READ)
    if status is not None and status not in ("open", "approved", "refused"):
        raise ValidationFailed([FieldError(("status",), "open, approved or refused")])
    with uow:
        return SharingRepository(uow.connection).disclosures(status)


def disclosure_from_note(repo: SharingRepository, sender: str, signed: SignedObject, at: datetime) -> int:
    """At ingest: a request note opens an incoming request; an answer note closes ours. Returns 1 if
    the note was one of those (and new), else 0."""
    stix = signed.stix
    abstract = str(stix.get("abstract", ""))
    if stix.get("type") != "note":
        return 0
    if abstract.startswith(REQUEST_PREFIX):
        parts = abstract.removeprefix(REQUEST_PREFIX).split()
        if len(parts) != 3 or parts[0] not in IDENTIFIER_KINDS or not KEYED_DIGEST.match(parts[1]):
            return 0
        record = DisclosureRecord(
            uuid.uuid4(),
            "incoming",
            sender,
            parts[2],
            parts[0],
            parts[1],
            str(stix.get("content", "")),
            signed.object_id,
            "open",
            None,
            None,
            None,
            None,
            at,
        )
        return int(repo.add_disclosure(record))
    if abstract.startswith(ANSWER_PREFIX):
        status = abstract.removeprefix(ANSWER_PREFIX).strip()
        if status not in ("approved", "refused"):
            return 0
        for ref in stix.get("object_refs", ()):
            asked = repo.disclosure_by_note(str(ref))
            if asked is not None and asked.direction == "outgoing" and asked.partner_node == sender:
                if asked.status != "open":
                    return 0
                answer = str(stix.get("content", ""))
                repo.answer_disclosure(asked.id, status, answer, signed.object_id, sender, at)
                return 1
    return 0
