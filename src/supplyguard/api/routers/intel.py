"""/v1/intel: intelligence held, published and received; recipient previews; feedback; partners;
disclosure requests after keyed watch-list hits; keyed watch lists (ours, published for partners,
pulled from them, and their hits); bundle import (a streamed file upload).

``GET /v1/intel/watchlist/keyed/{agreement}`` is the one route here that partner nodes call: it
takes the partner's token *and* its node signature (``SignedPrincipalDep``), as TAXII does.

Intelligence is the node's (see :mod:`supplyguard.services.sharing_views`); matches with
declarations are the caller's organisation's only. Errors are problem+json like everywhere else.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import IO, Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from supplyguard.adapters.db.sharing_repo import DisclosureRecord
from supplyguard.adapters.db.sharing_watch_repo import KeyedListRecord, WatchEntryRecord, WatchMatchRecord
from supplyguard.api.deps import ContainerDep, PrincipalDep, SignedPrincipalDep
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.model.clock import as_utc
from supplyguard.model.permissions import Action, require
from supplyguard.services.sharing_correlate import correlate_intel
from supplyguard.services.sharing_disclosures import decide_disclosure, list_disclosures, request_disclosure
from supplyguard.services.sharing_feed import show_intel
from supplyguard.services.sharing_feedback import feedback_summary, record_feedback
from supplyguard.services.sharing_ingest import MAX_OBJECTS_PER_CALL, import_bundle
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
from supplyguard.services.sharing_watch import (
    WatchEntryInput,
    add_watch_entries,
    identify_incoming,
    list_watch_entries,
    list_watch_matches,
    publish_watch_list,
    pull_watch_lists,
    remove_watch_entry,
    served_watch_list,
    watch_status,
)
from supplyguard.sharing.bundle_stream import DEFAULT_MAX_OBJECT_BYTES

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


def _disclosure_view(record: DisclosureRecord, ours: list[str] | None = None) -> dict[str, Any]:
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
        "ours": ours,
    }


@router.get("/disclosures")
def disclosures(
    container: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(description="open, approved or refused")] = None,
) -> list[dict[str, Any]]:
    """Disclosure requests we made (outgoing) and those partners made to us (incoming); for an
    incoming one, ``ours`` names the entries of our watch list its digest stands for."""
    records = list_disclosures(container.uow(readonly=True), principal, status)
    ours = identify_incoming(container.uow(readonly=True), container.settings.keys_dir, records)
    return [_disclosure_view(r, ours.get(r.id)) for r in records]


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


class WatchEntryIn(BaseModel):
    kind: str = Field(
        max_length=20, description="container, imo, eori, tax_id, party_name, flight, truck_plate"
    )
    value: str = Field(max_length=300, description="the identifier as written; canonicalised before keying")
    reference: str = Field(max_length=200, description="the local case or file it comes from (never sent)")
    country: str | None = Field(default=None, max_length=2, description="issuing country (tax ids, plates)")


class WatchEntriesIn(BaseModel):
    entries: list[WatchEntryIn] = Field(min_length=1, max_length=10_000)


class PublishWatchIn(BaseModel):
    agreement: str = Field(max_length=200, description="key the list under this agreement, for each partner")


class PullWatchIn(BaseModel):
    partner: str | None = Field(default=None, max_length=100, description="one partner (default: all)")


def _entry_view(entry: WatchEntryRecord) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "kind": entry.kind,
        "value": entry.value,
        "canonical": entry.canonical,
        "country": entry.country,
        "reference": entry.reference,
        "added_by": entry.added_by,
        "added_at": entry.added_at.isoformat(),
    }


def _list_view(record: KeyedListRecord, role: str) -> dict[str, Any]:
    return {
        role: record.node,
        "agreement": record.agreement_id,
        "key_id": record.key_id,
        "digests": record.digest_count,
        "list_sha256": record.list_sha256,
        "published_at": record.published_at.isoformat(),
    }


def _match_view(match: WatchMatchRecord) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "partner": match.partner_node,
        "agreement": match.agreement_id,
        "kind": match.kind,
        "digest": match.digest,
        "local_ref": match.local_ref,
        "reason": match.reason,
        "disclosure": str(match.disclosure_id) if match.disclosure_id else None,
        "note": match.note,
        "found_at": match.found_at.isoformat(),
    }


@router.get("/watchlist")
def watchlist(container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """Our watch list (clear: it never leaves this node), and the keyed lists published and held."""
    entries = list_watch_entries(container.uow(readonly=True), principal)
    status = watch_status(container.uow(readonly=True), principal)
    return {
        "entries": [_entry_view(e) for e in entries],
        "published": [_list_view(r, "recipient") for r in status.published],
        "received": [_list_view(r, "owner") for r in status.received],
    }


@router.post("/watchlist", status_code=201)
def add_to_watchlist(
    body: WatchEntriesIn, container: ContainerDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Put identifiers on our watch list (all or none: one bad identifier stores nothing)."""
    entries = [WatchEntryInput(e.kind, e.value, e.reference, e.country) for e in body.entries]
    added = add_watch_entries(container.uow(), sharing_node(container), principal, entries)
    return {"added": [_entry_view(e) for e in added.added], "already_listed": added.already_listed}


@router.delete("/watchlist/entries/{entry_id}", status_code=204)
def remove_from_watchlist(entry_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> Response:
    remove_watch_entry(container.uow(), sharing_node(container), principal, entry_id)
    return Response(status_code=204)


@router.post("/watchlist/publish")
def publish_watchlist(
    body: PublishWatchIn, container: ContainerDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """Key our watch list under the agreement for each partner it names, sign it, store it (ledger)."""
    published = publish_watch_list(
        container.uow(), principal, sharing_node(container), container.settings.keys_dir, body.agreement
    )
    return [p.as_dict() for p in published]


@router.post("/watchlist/pull")
def pull_watchlists(
    container: ContainerDep, principal: PrincipalDep, body: PullWatchIn | None = None
) -> list[dict[str, Any]]:
    """Fetch partners' keyed lists, verify, match against our data; each new hit opens a request."""
    results = pull_watch_lists(container, principal, body.partner if body else None)
    return [r.as_dict() for r in results]


@router.get("/watchlist/matches")
def watchlist_matches(
    container: ContainerDep, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=1000)] = 1000
) -> list[dict[str, Any]]:
    """Our records a partner's keyed list also holds, newest first, with the request each opened."""
    return [_match_view(m) for m in list_watch_matches(container.uow(readonly=True), principal, limit)]


@router.get("/watchlist/keyed/{agreement_id}")
def keyed_watchlist(agreement_id: str, container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    """For partner nodes (token and node signature): the signed keyed list we published for the caller."""
    envelope = served_watch_list(container.uow(readonly=True), principal, agreement_id)
    return Response(envelope, media_type="application/json")


class _TooLarge(MultiPartException):
    """Raised from inside the multipart parser, which then closes the files it opened."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("too large")
        self.size, self.limit = size, limit


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(size, limit)
        yield chunk


async def _upload(request: Request, limit: int) -> tuple[IO[bytes], str | None]:
    """The uploaded bundle, spooled (memory bounded), from a multipart ``file`` field or the raw body.
    Also returns a ``from`` form field when the form has one. The caller closes the file."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        parser = MultiPartParser(request.headers, _limited(request, limit), max_files=1, max_fields=10)
        try:
            form = await parser.parse()
        except _TooLarge as error:
            raise PayloadTooLarge(error.size, error.limit) from error
        except MultiPartException as error:
            raise ValidationFailed([FieldError(("body",), f"unreadable form: {error.message}")]) from error
        upload = form.get("file")
        sender = form.get("from")
        if not isinstance(upload, UploadFile):
            await form.close()
            raise ValidationFailed([FieldError(("file",), "attach the bundle as the form field 'file'")])
        upload.file.seek(0)
        return upload.file, sender if isinstance(sender, str) and sender else None
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - closed by the caller
    try:
        async for chunk in _limited(request, limit):
            spool.write(chunk)
    except _TooLarge as error:
        spool.close()
        raise PayloadTooLarge(error.size, error.limit) from error
    spool.seek(0)
    return spool, None


@router.post("/import")
async def import_intel(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    sender: Annotated[
        str | None, Query(alias="from", max_length=100, description="the partner the bundle came from")
    ] = None,
    chunk: Annotated[int, Query(ge=1, le=MAX_OBJECTS_PER_CALL, description="objects per transaction")] = 1000,
) -> dict[str, Any]:
    """Import a partner's STIX bundle: a file upload (multipart field ``file``) or the raw JSON body.

    Read as a stream and stored a chunk at a time (memory bounded); every object is verified as on
    sync (signature, fields, agreement), as ``intel import FILE --from PARTNER`` does. The body limit
    is the API's (``SUPPLYGUARD_MAX_BODY_BYTES``), enforced while reading."""
    require(principal, Action.SHARING_SYNC)
    source, form_sender = await _upload(request, container.settings.max_body_bytes)
    partner = sender or form_sender
    try:
        if not partner:
            raise ValidationFailed([FieldError(("from",), "the partner node the bundle came from")])
        if source.read(1) == b"":
            raise ValidationFailed([FieldError(("file",), "the bundle is empty")])
        source.seek(0)
        text = io.TextIOWrapper(source, encoding="utf-8", errors="strict")

        def run() -> dict[str, Any]:
            try:
                report = import_bundle(
                    container.uow,
                    principal,
                    sharing_node(container),
                    partner,
                    text,
                    chunk_objects=chunk,
                    max_object_bytes=DEFAULT_MAX_OBJECT_BYTES,
                )
            except UnicodeDecodeError as error:
                raise ValidationFailed([FieldError(("file",), f"not UTF-8 text: {error.reason}")]) from error
            return report.as_dict()

        return await run_in_threadpool(run)
    finally:
        source.close()


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
