"""/v1/intel: intelligence held, published and received; recipient previews; feedback; partners;
disclosure requests after keyed watch-list hits.

Intelligence is the node's (see :mod:`supplyguard.services.sharing_views`); matches with
declarations are the caller's organisation's only. Errors are problem+json like everywhere else.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from supplyguard.adapters.db.sharing_repo import DisclosureRecord
from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.clock import as_utc
from supplyguard.services.sharing_correlate import correlate_intel
from supplyguard.services.sharing_disclosures import decide_disclosure, list_disclosures, request_disclosure
from supplyguard.services.sharing_feed import show_intel
from supplyguard.services.sharing_feedback import feedback_summary, record_feedback
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_views import (
    IntelFilter,
    decision_view,
    held_views,
    intel_summary,
    list_held,
    partner_statuses,
    preview_spec,
    publish_spec,
)

router = APIRouter(prefix="/v1/intel", tags=["intel"])

Spec = Annotated[
    dict[str, Any],
    Body(
        description="A publication spec, as `intel publish` reads it: `kind`, `tlp`, optional `key`, "
        "and the fields of that kind (see docs/sharing.md)."
    ),
]


class FeedbackIn(BaseModel):
    outcome: str = Field(description="inspected, seized, false-positive or not-encountered")
    notes: str = Field(default="", max_length=5000)


def _split(values: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (values or "").split(",") if v.strip())


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as error:
        raise ValidationFailed([FieldError(("since",), "an ISO 8601 timestamp")]) from error


@router.get("")
def list_intel(
    container: ContainerDep,
    principal: PrincipalDep,
    types: Annotated[
        str | None, Query(alias="type", max_length=500, description="STIX types, comma-separated")
    ] = None,
    tlp: Annotated[str | None, Query(max_length=100, description="TLP levels, e.g. amber,red")] = None,
    origin: Annotated[str | None, Query(description="received or published")] = None,
    partner: Annotated[str | None, Query(max_length=100, description="received from / delivered to")] = None,
    since: Annotated[str | None, Query(max_length=40, description="stored after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    next: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Current intelligence held here (ours and received), oldest first, with filters."""
    filters = IntelFilter(_split(types), _split(tlp), origin, partner, _since(since))
    rows, cursor = list_held(container.uow(readonly=True), principal, filters, limit=limit, cursor=next)
    return {"objects": held_views(rows), "next": cursor}


@router.get("/partners")
def partners(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Each partner: last sync, lag in seconds, last error, verification failures, counts."""
    statuses = partner_statuses(container.uow(readonly=True), principal, container.clock.now())
    return [status.as_dict() for status in statuses]


@router.get("/feedback")
def feedback(container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Outcomes partners reported on our items: per item and per partner."""
    summary = feedback_summary(container.uow(readonly=True), principal, sharing_node(container))
    return {"by_item": summary.by_item, "by_partner": summary.by_partner}


@router.post("/preview")
def preview(spec: Spec, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Who would receive what of this object — whole, redacted fields, or nothing — and why."""
    stix, decisions = preview_spec(container.uow(readonly=True), principal, sharing_node(container), spec)
    return {"object": stix, "recipients": [decision_view(d) for d in decisions]}


@router.post("", status_code=201)
def publish(spec: Spec, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Build, sign and publish; each partner gets its compiled copy on its next pull."""
    result = publish_spec(container.uow(), principal, sharing_node(container), spec)
    return {"object": intel_summary(result.held), "recipients": [decision_view(d) for d in result.decisions]}


class DisclosureRequestIn(BaseModel):
    partner: str = Field(max_length=100, description="the partner whose keyed list held the digest")
    agreement: str = Field(max_length=200, description="the agreement the lists were keyed under")
    kind: str = Field(
        max_length=20, description="identifier kind: container, imo, eori, tax_id, party_name..."
    )
    digest: str = Field(max_length=64, description="the keyed digest both lists hold (hex)")
    reason: str = Field(max_length=2000, description="why disclosure is asked")


class DecisionIn(BaseModel):
    answer: str = Field(max_length=5000, description="approve: what is disclosed; refuse: why")


def _disclosure_view(record: DisclosureRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "direction": record.direction,
        "partner": record.partner_node,
        "agreement": record.agreement_id,
        "kind": record.kind,
        "digest": record.digest,
        "reason": record.reason,
        "status": record.status,
        "answer": record.answer,
        "decided_by": record.decided_by,
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
        "created_at": record.created_at.isoformat(),
        "request_note": record.request_note,
        "answer_note": record.answer_note,
    }


@router.get("/disclosures")
def disclosures(
    container: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(description="open, approved or refused")] = None,
) -> list[dict[str, Any]]:
    """Disclosure requests we made (outgoing) and those partners made to us (incoming)."""
    return [_disclosure_view(r) for r in list_disclosures(container.uow(readonly=True), principal, status)]


@router.post("/disclosures", status_code=201)
def open_disclosure(
    body: DisclosureRequestIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """After a keyed watch-list hit: ask the partner to disclose what it holds (a signed note to it alone)."""
    record = request_disclosure(
        container.uow(),
        principal,
        sharing_node(container),
        partner=body.partner,
        agreement_id=body.agreement,
        kind=body.kind,
        digest=body.digest,
        reason=body.reason,
    )
    return _disclosure_view(record)


@router.post("/disclosures/{disclosure_id}/approve")
def approve_disclosure(
    disclosure_id: uuid.UUID, body: DecisionIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Approve an incoming request: ``answer`` (what we disclose) goes signed to the requester alone."""
    node = sharing_node(container)
    record = decide_disclosure(
        container.uow(), principal, node, disclosure_id, approve=True, answer=body.answer
    )
    return _disclosure_view(record)


@router.post("/disclosures/{disclosure_id}/refuse")
def refuse_disclosure(
    disclosure_id: uuid.UUID, body: DecisionIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Refuse an incoming request, saying why (on the record, sent to the requester)."""
    node = sharing_node(container)
    record = decide_disclosure(
        container.uow(), principal, node, disclosure_id, approve=False, answer=body.answer
    )
    return _disclosure_view(record)


@router.get("/{object_id}")
def show(object_id: str, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """One object: the signed STIX, its versions, who received which copy, feedback."""
    detail = show_intel(container.uow(readonly=True), principal, object_id)
    return {
        **intel_summary(detail.held),
        "object": detail.held.wire,
        "versions": detail.versions,
        "deliveries": detail.deliveries,
        "feedback": detail.feedback,
    }


@router.get("/{object_id}/matches")
def matches(object_id: str, container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Declarations of the caller's organisation this received object matches, with reasons."""
    show_intel(container.uow(readonly=True), principal, object_id)  # 404 for what is not held
    return [
        {"declaration": m.match.record_id, "identifier": m.match.identifier_kind.value, "reason": m.reason}
        for m in correlate_intel(container.uow(readonly=True), principal, [object_id])
    ]


@router.post("/{object_id}/feedback", status_code=201)
def report_feedback(
    object_id: str, body: FeedbackIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Report what came of a received item to its author (a signed note under the same agreement)."""
    result = record_feedback(
        container.uow(), principal, sharing_node(container), object_id, body.outcome, body.notes
    )
    return {"note": result.held.stix_id, "to": result.recipients}
