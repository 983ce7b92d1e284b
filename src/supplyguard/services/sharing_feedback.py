"""Feedback on shared intelligence: the receiver tells the author what came of an item.

The outcome travels as a signed STIX ``note`` (``abstract: "supplyguard-feedback: seized"``,
``object_refs: [the item]``) published to the author only, under the same agreements as anything
else; the author's ingest turns it into a feedback record. Authors see per-item and per-partner
outcome counts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from supplyguard.adapters.db.sharing_repo import FeedbackRecord, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, IntelNotFound, ValidationFailed
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.sharing_ingest import FEEDBACK_OUTCOMES, FEEDBACK_PREFIX
from supplyguard.services.sharing_node import SharingNode
from supplyguard.services.sharing_publish import PublishResult, publish_object
from supplyguard.sharing import Authoring, NoteInfo, Tlp, build_note, tlp_of


def record_feedback(
    uow: SqlUnitOfWork,
    actor: Principal,
    node: SharingNode,
    object_id: str,
    outcome: str,
    notes: str = "",
) -> PublishResult:
    """Record our outcome on a received item and send it, signed, to its author."""
    require(actor, Action.SHARING_FEEDBACK)
    if outcome not in FEEDBACK_OUTCOMES:
        raise ValidationFailed([FieldError(("outcome",), f"one of {', '.join(FEEDBACK_OUTCOMES)}")])
    if len(notes) > 5000:
        raise ValidationFailed([FieldError(("notes",), "at most 5000 characters")])
    with uow:
        held = SharingRepository(uow.connection).held(object_id)
    if held is None or held.deleted or held.received_from is None:
        raise IntelNotFound(object_id)
    now = node.clock.now()
    tlp = tlp_of(held.wire) or Tlp.AMBER
    note = build_note(
        NoteInfo(content=notes or outcome, object_refs=(object_id,), abstract=f"{FEEDBACK_PREFIX} {outcome}"),
        Authoring(node.author_ref, now, tlp=tlp if tlp.rank <= Tlp.AMBER_STRICT.rank else Tlp.AMBER_STRICT),
    )
    result = publish_object(uow, actor, node, note, only_to={held.author_node})
    with uow:
        SharingRepository(uow.connection).add_feedback(
            FeedbackRecord(
                uuid.uuid4(),
                object_id,
                node.node_id,
                held.author_node,
                outcome,
                notes,
                result.held.stix_id,
                now,
            )
        )
        uow.commit()
    return result


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    by_item: dict[str, dict[str, int]]
    by_partner: dict[str, dict[str, int]]


def feedback_summary(uow: SqlUnitOfWork, actor: Principal, node: SharingNode) -> FeedbackSummary:
    """Outcome counts on our own items, per item and per reporting partner."""
    require(actor, Action.SHARING_READ)
    with uow:
        records = [f for f in SharingRepository(uow.connection).feedback() if f.to_node == node.node_id]
    by_item: dict[str, Counter[str]] = {}
    by_partner: dict[str, Counter[str]] = {}
    for record in records:
        by_item.setdefault(record.stix_id, Counter())[record.outcome] += 1
        by_partner.setdefault(record.from_node, Counter())[record.outcome] += 1
    return FeedbackSummary(
        {k: dict(v) for k, v in by_item.items()}, {k: dict(v) for k, v in by_partner.items()}
    )
