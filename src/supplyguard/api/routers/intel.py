"""/v1/intel: intelligence held, published and received; recipient previews; feedback; partners.

Intelligence is the node's (see :mod:`supplyguard.services.sharing_views`); matches with
declarations are the caller's organisation's only. Errors are problem+json like everywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.clock import as_utc
from supplyguard.services.sharing_correlate import correlate_intel
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
