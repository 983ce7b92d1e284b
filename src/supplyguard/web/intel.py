"""The intelligence pages: received and shared intelligence, recipient preview, partner status.

- ``GET /intel``: received or shared intelligence (``?origin=received|published``, ``type``,
  ``tlp``) with TLP 2.0 badges, and the partners' status.
- ``GET /intel/object/{id}``: one object: what it says, who received which copy, feedback, the
  caller's organisation's declarations it matches; the feedback form for received items.
- ``GET``/``POST /intel/preview``: paste a publication spec, see who receives what (whole, which
  fields withheld, nothing — and why) before publishing it.
- ``GET /intel/partners``: each partner's last sync, lag, errors and verification failures.
- ``GET /intel/disclosures``: disclosure requests made and received; the owner approves or refuses
  (an incoming request shows which of our watch-list entries its keyed digest stands for).
- ``GET /intel/watchlist``: our watch list (add, remove), the keyed lists published for partners and
  received from them, publish and pull buttons, and the hits with the requests they opened.
- ``GET``/``POST /intel/import``: upload a partner's STIX bundle; verified like a sync, streamed.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.model.permissions import ALLOWED_ROLES, Action, require
from supplyguard.services.sharing_correlate import correlate_intel
from supplyguard.services.sharing_disclosures import decide_disclosure, list_disclosures
from supplyguard.services.sharing_feed import show_intel
from supplyguard.services.sharing_feedback import record_feedback
from supplyguard.services.sharing_ingest import FEEDBACK_OUTCOMES, MAX_OBJECTS_PER_CALL, import_bundle
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import list_agreements, list_partners
from supplyguard.services.sharing_views import (
    IntelFilter,
    decision_view,
    held_views,
    intel_summary,
    list_held,
    parse_spec_text,
    partner_statuses,
    preview_spec,
    publish_spec,
)
from supplyguard.services.sharing_watch import (
    WatchEntryInput,
    add_watch_entries,
    identify_incoming,
    list_watch_entries,
    list_watch_matches,
    publish_watch_list,
    pull_watch_lists,
    remove_watch_entry,
    watch_status,
)
from supplyguard.sharing import IDENTIFIER_KINDS
from supplyguard.sharing.bundle_stream import DEFAULT_MAX_OBJECT_BYTES
from supplyguard.web.common import SessionDep, check_csrf, container_of, render

router = APIRouter(include_in_schema=False)

EXAMPLE_SPEC = """kind: suspect-shipment
tlp: amber
key: alert-2026-001
name: Cocaine in banana reefer
risk_reasons: [consignee linked to a 2025 seizure]
valid_from: "2026-11-20T00:00:00Z"
shipment:
  container_numbers: [CSQU3054383]
  consignee_name: Golden Harbor Trading
  hs_codes: ["080390"]
"""


def _may(session: Any, action: Action) -> bool:
    return bool(session.principal.roles.intersection(ALLOWED_ROLES[action]))


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(",") if v)


@router.get("/intel", response_class=HTMLResponse)
def intel_page(
    request: Request,
    session: SessionDep,
    origin: str = "received",
    type: str | None = None,
    tlp: str | None = None,
    next: str | None = None,
) -> HTMLResponse:
    container = container_of(request)
    filters = IntelFilter(_split(type), _split(tlp), origin if origin in ("received", "published") else None)
    rows, cursor = list_held(container.uow(readonly=True), session.principal, filters, limit=100, cursor=next)
    statuses = partner_statuses(container.uow(readonly=True), session.principal, container.clock.now())
    return render(
        request,
        "intel_index.html",
        {
            "session": session,
            "objects": held_views(rows),
            "next": cursor,
            "origin": filters.origin or "received",
            "type": type or "",
            "tlp": tlp or "",
            "partners": [s.as_dict() for s in statuses],
            "can_publish": _may(session, Action.SHARING_PUBLISH),
        },
    )


@router.get("/intel/partners", response_class=HTMLResponse)
def partners_page(request: Request, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    statuses = partner_statuses(container.uow(readonly=True), session.principal, container.clock.now())
    return render(
        request, "intel_partners.html", {"session": session, "partners": [s.as_dict() for s in statuses]}
    )


@router.get("/intel/object/{object_id}", response_class=HTMLResponse)
def object_page(request: Request, session: SessionDep, object_id: str) -> HTMLResponse:
    container = container_of(request)
    detail = show_intel(container.uow(readonly=True), session.principal, object_id)
    summary = intel_summary(detail.held)
    matches = (
        correlate_intel(container.uow(readonly=True), session.principal, [object_id])
        if summary["origin"] == "received"
        else []
    )
    return render(
        request,
        "intel_object.html",
        {
            "session": session,
            "summary": summary,
            "wire": json.dumps(detail.held.wire, indent=2, ensure_ascii=False),
            "description": detail.held.wire.get("description"),
            "deliveries": detail.deliveries,
            "feedback": detail.feedback,
            "versions": detail.versions,
            "matches": matches,
            "outcomes": FEEDBACK_OUTCOMES,
            "can_feedback": summary["origin"] == "received" and _may(session, Action.SHARING_FEEDBACK),
        },
    )


@router.post("/intel/object/{object_id}/feedback")
def feedback_form(
    request: Request,
    session: SessionDep,
    object_id: str,
    csrf: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    notes: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    record_feedback(container.uow(), session.principal, sharing_node(container), object_id, outcome, notes)
    return RedirectResponse(f"/intel/object/{object_id}", status_code=303)


@router.get("/intel/disclosures", response_class=HTMLResponse)
def disclosures_page(request: Request, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    records = list_disclosures(container.uow(readonly=True), session.principal)
    ours = identify_incoming(container.uow(readonly=True), container.settings.keys_dir, records)
    return render(
        request,
        "intel_disclosures.html",
        {
            "session": session,
            "records": records,
            "ours": ours,
            "can_decide": _may(session, Action.SHARING_PUBLISH),
        },
    )


@router.post("/intel/disclosures/{disclosure_id}")
def decide_form(
    request: Request,
    session: SessionDep,
    disclosure_id: uuid.UUID,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form()],
    answer: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    decide_disclosure(
        container.uow(),
        session.principal,
        sharing_node(container),
        disclosure_id,
        approve=decision == "approve",
        answer=answer,
    )
    return RedirectResponse("/intel/disclosures", status_code=303)


@router.get("/intel/preview", response_class=HTMLResponse)
def preview_form(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "intel_preview.html",
        {"session": session, "spec": EXAMPLE_SPEC, "recipients": None, "stix": None},
    )


@router.post("/intel/preview", response_class=HTMLResponse)
def preview_page(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    spec: Annotated[str, Form(max_length=200_000)],
) -> HTMLResponse:
    check_csrf(session, csrf)
    container = container_of(request)
    stix, decisions = preview_spec(
        container.uow(readonly=True), session.principal, sharing_node(container), parse_spec_text(spec)
    )
    return render(
        request,
        "intel_preview.html",
        {
            "session": session,
            "spec": spec,
            "recipients": [decision_view(d) for d in decisions],
            "stix": json.dumps(stix, indent=2, ensure_ascii=False),
        },
    )


@router.post("/intel/publish")
def publish_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    spec: Annotated[str, Form(max_length=200_000)],
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    result = publish_spec(container.uow(), session.principal, sharing_node(container), parse_spec_text(spec))
    return RedirectResponse(f"/intel/object/{result.held.stix_id}", status_code=303)


@router.get("/intel/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, session: SessionDep, pulled: str | None = None) -> HTMLResponse:
    container = container_of(request)
    principal = session.principal
    return render(
        request,
        "intel_watchlist.html",
        {
            "session": session,
            "entries": list_watch_entries(container.uow(readonly=True), principal),
            "status": watch_status(container.uow(readonly=True), principal),
            "matches": list_watch_matches(container.uow(readonly=True), principal, 200),
            "agreements": list_agreements(container.uow(readonly=True), principal),
            "kinds": IDENTIFIER_KINDS,
            "can_publish": _may(session, Action.SHARING_PUBLISH),
            "can_pull": _may(session, Action.SHARING_SYNC),
            "pulled": pulled,
        },
    )


@router.post("/intel/watchlist/add")
def watchlist_add(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    kind: Annotated[str, Form(max_length=20)],
    value: Annotated[str, Form(max_length=300)],
    reference: Annotated[str, Form(max_length=200)],
    country: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    entry = WatchEntryInput(kind, value, reference, country or None)
    add_watch_entries(container.uow(), sharing_node(container), session.principal, [entry])
    return RedirectResponse("/intel/watchlist", status_code=303)


@router.post("/intel/watchlist/remove/{entry_id}")
def watchlist_remove(
    request: Request, session: SessionDep, entry_id: uuid.UUID, csrf: Annotated[str, Form()]
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    remove_watch_entry(container.uow(), sharing_node(container), session.principal, entry_id)
    return RedirectResponse("/intel/watchlist", status_code=303)


@router.post("/intel/watchlist/publish")
def watchlist_publish(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    agreement: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    node = sharing_node(container)
    publish_watch_list(container.uow(), session.principal, node, container.settings.keys_dir, agreement)
    return RedirectResponse("/intel/watchlist", status_code=303)


@router.post("/intel/watchlist/pull")
def watchlist_pull(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(session, csrf)
    results = pull_watch_lists(container_of(request), session.principal)
    summary = "; ".join(
        f"{r.partner}/{r.agreement_id}: {r.error or f'{r.hits} hits, {r.requests_opened} requests opened'}"
        for r in results
    )
    return RedirectResponse(
        f"/intel/watchlist?{urlencode({'pulled': summary or 'no partner to pull from'})}", 303
    )


def _import_context(request: Request, session: Any, report: dict[str, Any] | None) -> dict[str, Any]:
    container = container_of(request)
    partners = [
        p for p in list_partners(container.uow(readonly=True), session.principal) if p.status == "active"
    ]
    return {
        "session": session,
        "partners": partners,
        "report": report,
        "limit_bytes": container.settings.max_body_bytes,
        "max_chunk": MAX_OBJECTS_PER_CALL,
    }


@router.get("/intel/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep) -> HTMLResponse:
    require(session.principal, Action.SHARING_SYNC)
    return render(request, "intel_import.html", _import_context(request, session, None))


@router.post("/intel/import", response_class=HTMLResponse)
async def import_page(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    sender: Annotated[str, Form(alias="from", max_length=100)],
    bundle: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """The bundle arrives spooled to disk by the form parser (memory bounded); the body limit is the
    API's (the app refuses a larger Content-Length before the form is read)."""
    check_csrf(session, csrf)
    require(session.principal, Action.SHARING_SYNC)
    container = container_of(request)
    limit = container.settings.max_body_bytes
    try:
        if bundle.size is not None and bundle.size > limit:
            raise PayloadTooLarge(bundle.size, limit)
        if not bundle.filename or not bundle.size:
            raise ValidationFailed([FieldError(("bundle",), "choose a non-empty bundle file")])
        text = io.TextIOWrapper(bundle.file, encoding="utf-8", errors="strict")

        def run() -> dict[str, Any]:
            try:
                report = import_bundle(
                    container.uow,
                    session.principal,
                    sharing_node(container),
                    sender,
                    text,
                    max_object_bytes=DEFAULT_MAX_OBJECT_BYTES,
                )
            except UnicodeDecodeError as error:
                raise ValidationFailed(
                    [FieldError(("bundle",), f"not UTF-8 text: {error.reason}")]
                ) from error
            return report.as_dict()

        report = await run_in_threadpool(run)
    finally:
        await bundle.close()
    return render(request, "intel_import.html", _import_context(request, session, report))
