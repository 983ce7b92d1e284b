"""Tracking use cases: hashing EPCIS documents, capturing them (all or nothing, every event a ledger
leaf) and querying the stored events of the caller's organisation.

Permissions: capture needs ``TRACKING_WRITE`` (partners and logistics included), queries
``TRACKING_READ``.
"""

from __future__ import annotations

import dataclasses
import gc
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from supplyguard.adapters.db.bulk import new_id_block
from supplyguard.adapters.db.tracking_repo import (
    CaptureJob,
    EncodedEvents,
    EventEncoder,
    EventRow,
    EventsAlreadyStored,
    TrackingRepository,
)
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import (
    CaptureJobNotFound,
    DuplicateEvents,
    EpcisEventNotFound,
    FieldError,
    InvalidInput,
    ValidationFailed,
)
from supplyguard.ledger import Ed25519Signer, LeafEnvelope
from supplyguard.ledger.envelope import leaf_template
from supplyguard.ledger.hashing import leaf_hashes
from supplyguard.ledger.tail import BUNDLE_WIDTH, LogTail
from supplyguard.logging import get_logger
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.forked import ForkedStream, WorkerFailed, can_fork
from supplyguard.services.ledger_records import sign_tree_head
from supplyguard.tracking import (
    EPCIS_CONTEXT,
    SLICE_EVENTS,
    EpcisDocument,
    EpcisEvent,
    EpcisJsonSchema,
    EventQuery,
    ParseAgain,
    SlicedParse,
    decode_page_token,
    detect_syntax,
    encode_page_token,
    events_to_query_document,
    parse_epcis_document,
    parse_epcis_json,
    parse_epcis_xml,
)

log = get_logger(__name__)

#: The largest EPCIS document captured or hashed (API: also ``max_body_bytes``). A document is parsed
#: whole (in slices, by a worker, for large ones) before anything is committed (all or nothing); a
#: capture needs about 11 times its size in memory (a 60 MB document: 650 MB more; in the worker when
#: one parses it, which keeps the document's text while it reads the events one by one: about twice
#: its size of that), so this bounds a capture to about 700 MB. Larger documents are refused (413),
#: never read whole.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: The ledger kind of a captured event; its body hash is the hex digest of the CBV event hash.
EVENT_LEAF_KIND = "tracking.event"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
CAPTURE_ACTION = Action.TRACKING_WRITE
QUERY_ACTION = Action.TRACKING_READ


def hash_events(data: bytes, media_type: str | None = None) -> list[str]:
    """The CBV 2.0 event hash of every event of an EPCIS document (XML or JSON-LD), in document order."""
    parse = parse_epcis_xml if detect_syntax(data, media_type) == "xml" else parse_epcis_json
    document = parse(data)
    return [event.event_hash for event in document.events]


def hash_hex(event_hash: str) -> str:
    """The 64 hex digits of a ``ni:///sha-256;<hex>?ver=CBV2.0`` event hash."""
    digest = event_hash.partition(";")[2].partition("?")[0]
    if len(digest) != 64:
        raise ValueError(f"not a ni:///sha-256 event hash: {event_hash!r}")
    return digest.lower()


def event_envelope(row_id: uuid.UUID, org_id: uuid.UUID, recorded_at: str, event_hash: str) -> LeafEnvelope:
    """The ledger leaf that proves one stored event: its row id and the hex of its CBV event hash."""
    return LeafEnvelope(EVENT_LEAF_KIND, str(row_id), str(org_id), recorded_at, hash_hex(event_hash))


def _event_path(document_type: str, index: int) -> tuple[str | int, ...]:
    if document_type == "EPCISQueryDocument":
        return ("epcisBody", "queryResults", "resultsBody", "eventList", index)
    return ("epcisBody", "eventList", index)


#: Documents from this size up are parsed by a forked worker while this process stores (when a
#: fork is safe: see :func:`~supplyguard.services.forked.can_fork`); below it the fork costs more
#: than the overlap gains.
WORKER_MIN_BYTES = 512 * 1024


def capture_events(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    data: bytes,
    *,
    media_type: str | None = None,
    schema: EpcisJsonSchema | None = None,
    source: str = "api",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_events: int | None = None,
    worker: bool | None = None,
    slice_events: int = SLICE_EVENTS,
) -> CaptureJob:
    """Capture one EPCIS document for the caller's organisation, all or nothing.

    Parses and validates it (the GS1 JSON schema too when ``schema`` is given), refuses events whose
    hash or eventID the organisation already holds or that repeat in the document (an error
    declaration may follow the event it corrects), stores every event with its identifiers, appends
    one ledger leaf per event and signs one checkpoint, in one transaction. A refused document leaves only a
    ``failed`` capture job behind; the error is raised again.

    Events are stored ``slice_events`` at a time. With ``worker`` (default: for documents of
    :data:`WORKER_MIN_BYTES` or more, when a fork is safe), a forked process parses, checks, hashes
    and encodes each slice while this one stores the previous; the transaction commits only once
    the worker has checked the whole document, so the outcome and its errors are the same.
    """
    require(actor, CAPTURE_ACTION)
    job_id = new_id()
    created_at = clock.now()
    if worker is None:
        worker = WORKER_MIN_BYTES <= len(data) <= max_bytes
    options = _ParseOptions(
        media_type, schema, max_bytes, max_events, created_at, max(1, slice_events), worker and can_fork()
    )
    with _collector_paused():
        return _capture(uow, clock, signer, actor, data, job_id, created_at, source, options)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is captured.

    A capture allocates a few dicts, tuples and strings per event that reference counting frees;
    the collector kept walking them (and the whole heap) for cycles they do not have. It is
    re-enabled, if it was enabled, as soon as the capture returns or fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _ParseOptions:
    media_type: str | None
    schema: EpcisJsonSchema | None
    max_bytes: int
    max_events: int | None
    now: datetime
    slice_events: int
    worker: bool = False
    #: the worker reads a JSON document's events as it parses them (SlicedParse's stream)
    stream: bool = True


@dataclass(frozen=True, slots=True)
class _Slice:
    """One slice of a document, ready to store: its rows, and each event's record id, ledger leaf
    and leaf hash."""

    rows: EncodedEvents
    record_ids: list[str]
    leaves: list[bytes]
    leaf_hashes: list[bytes]


@dataclass(frozen=True, slots=True)
class _End:
    """The whole document passed its checks; ``repeats``: events it holds twice (to refuse)."""

    document_type: str
    repeats: list[FieldError]


@dataclass(frozen=True, slots=True)
class _Refused:
    """The document failed its checks (an :class:`InvalidInput`, as data: it crosses processes)."""

    errors: tuple[FieldError, ...] | None
    message: str

    @classmethod
    def of(cls, exc: InvalidInput) -> _Refused:
        return cls(exc.errors if isinstance(exc, ValidationFailed) else None, exc.message)

    def error(self) -> InvalidInput:
        if self.errors is None:
            return InvalidInput(self.message)
        return ValidationFailed(self.errors, self.message)


@dataclass(frozen=True, slots=True)
class _Again:
    """The streamed slices differ from the whole document's (:class:`ParseAgain`): drop them."""


_Item = _Slice | _End | _Refused | _Again


class _ParseWhole(Exception):
    """The worker's streamed slices were dropped (nothing stored): capture again, the document
    read whole."""


def _slices(
    events: Iterable[Sequence[EpcisEvent]],
    encoder: EventEncoder,
    org: str,
    recorded_at: str,
    texts: Callable[[], Sequence[str] | None] = lambda: None,
) -> Iterator[_Slice]:
    """Each slice of events with new row ids, encoded, with its ledger leaves. ``texts()``, called
    once a slice has come, gives its events' JSON text as the document holds it, when known: the
    encoder stores it as the body instead of writing the body anew."""
    # event_envelope()'s bytes written around the record id and body hash (plain text: a UUID and
    # hex digits), as LeafEnvelope.to_bytes() writes them
    head, middle, tail = leaf_template(EVENT_LEAF_KIND, org, recorded_at)
    for part in events:
        rows = new_id_block(len(part))
        # str(uuid.UUID(hex=row)), without making the UUID
        record_ids = [f"{r[:8]}-{r[8:12]}-{r[12:16]}-{r[16:20]}-{r[20:]}" for r in rows]
        leaves = [
            f"{head}{hash_hex(event.event_hash)}{middle}{record}{tail}".encode()
            for record, event in zip(record_ids, part, strict=True)
        ]
        yield _Slice(
            encoder.encode(zip(rows, part, strict=True), texts()),
            record_ids,
            leaves,
            leaf_hashes(leaves),
        )


def _parsed_slices(
    data: bytes, options: _ParseOptions, encoder: EventEncoder, org: str, recorded_at: str
) -> Iterator[_Item]:
    """What the worker sends: the document parsed, checked and encoded slice by slice, then the
    verdict on the whole (:class:`_End` or :class:`_Refused`)."""
    parse = SlicedParse(
        data,
        media_type=options.media_type,
        schema=options.schema,
        max_bytes=options.max_bytes,
        max_events=options.max_events,
        now=options.now,
        size=options.slice_events,
        stream=options.stream,
    )
    try:
        yield from _slices(parse, encoder, org, recorded_at, lambda: parse.slice_texts)
    except InvalidInput as exc:
        yield _Refused.of(exc)
        return
    except ParseAgain:
        yield _Again()
        return
    assert parse.document is not None
    yield _End(parse.document.document_type, _repeats(parse.document, _keys(parse.document)))


def _keys(document: EpcisDocument) -> list[tuple[str, bool]]:
    return [(e.event_hash, e.error_declaration is not None) for e in document.events]


def _capture(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    data: bytes,
    job_id: uuid.UUID,
    created_at: datetime,
    source: str,
    options: _ParseOptions,
) -> CaptureJob:
    if options.worker:
        try:
            try:
                return _capture_checked(uow, clock, signer, actor, data, job_id, created_at, source, options)
            except _ParseWhole:  # rolled back: the worker loads the whole document this time
                options = dataclasses.replace(options, stream=False)
                return _capture_checked(uow, clock, signer, actor, data, job_id, created_at, source, options)
        except WorkerFailed as exc:  # nothing stored: the document is captured again, in this process
            log.warning("epcis.capture.worker_failed", error=str(exc)[-2000:])
            options = dataclasses.replace(options, worker=False)
    return _capture_checked(uow, clock, signer, actor, data, job_id, created_at, source, options)


def _capture_checked(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    data: bytes,
    job_id: uuid.UUID,
    created_at: datetime,
    source: str,
    options: _ParseOptions,
) -> CaptureJob:
    try:
        if options.worker:

            def items(encoder: EventEncoder, org: str, recorded_at: str) -> _Items:
                return ForkedStream(lambda: _parsed_slices(data, options, encoder, org, recorded_at))

        else:
            document = _parse_whole(data, options)
            repeated = _repeats(document, _keys(document))
            if repeated:
                raise DuplicateEvents(repeated)
            parts = [
                document.events[first : first + options.slice_events]
                for first in range(0, len(document.events), options.slice_events)
            ]

            def items(encoder: EventEncoder, org: str, recorded_at: str) -> _Items:
                end = _End(document.document_type, [])
                return nullcontext(chain(_slices(parts, encoder, org, recorded_at), [end]))

        try:
            return _store(uow, clock, signer, actor, job_id, created_at, source, items)
        except _HeldAlready:
            if options.worker:  # the worker checked it: it parses again without an error
                document = _parse_whole(data, options)
            raise DuplicateEvents(_already_held(uow, actor, document)) from None
    except (InvalidInput, DuplicateEvents) as exc:
        _record_failure(uow, clock, actor, job_id, created_at, source, exc)
        raise


_Items = AbstractContextManager[Iterator[_Item]]


class _HeldAlready(Exception):
    """The database refused an event the organisation holds already (nothing was stored)."""


def _parse_whole(data: bytes, options: _ParseOptions) -> EpcisDocument:
    return parse_epcis_document(
        data,
        media_type=options.media_type,
        schema=options.schema,
        max_bytes=options.max_bytes,
        max_events=options.max_events,
        now=options.now,
    )


def _store(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    job_id: uuid.UUID,
    created_at: datetime,
    source: str,
    items: Callable[[EventEncoder, str, str], _Items],
) -> CaptureJob:
    """Store the slices as they come, in one transaction committed after the verdict on the whole
    document. Once the database refuses an event as already held, the rest is only read, for the
    verdict, which comes first; then :class:`_HeldAlready`."""
    held = False
    with uow:
        repo = TrackingRepository(uow.connection)
        record_time = clock.now()
        recorded_at = iso_utc(record_time)
        count = 0
        end: _End | None = None
        tail: LogTail | None = None  # the ledger's right edge, read once, moved on by each slice
        encoder = repo.event_encoder(actor.org_id, job_id, record_time)
        with items(encoder, str(actor.org_id), recorded_at) as stream:
            for item in stream:
                if isinstance(item, _Refused):
                    raise item.error()
                if isinstance(item, _Again):
                    raise _ParseWhole
                if isinstance(item, _End):
                    end = item
                    break
                count += len(item.record_ids)
                if held:
                    continue
                kinds = [EVENT_LEAF_KIND] * len(item.record_ids)
                if tail is None:  # the append lock, held from here to the commit: the tail is carried
                    tail = uow.ledger.tail(bulk=len(item.leaves) >= BUNDLE_WIDTH)
                indexes = uow.ledger.append_leaves(
                    kinds, item.record_ids, item.leaves, item.leaf_hashes, tail=tail
                )
                try:
                    repo.write_events(item.rows, indexes)
                except EventsAlreadyStored:
                    held = True
        assert end is not None
        if end.repeats:
            raise DuplicateEvents(end.repeats)
        if held:
            raise _HeldAlready
        job = CaptureJob(
            job_id,
            actor.org_id,
            "succeeded",
            source,
            actor.username,
            created_at,
            clock.now(),
            count,
            None,
            (),
        )
        repo.add_job(job)
        audit(uow, actor, clock, "epcis.capture", "capture_job", str(job_id), {"events": count})
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return job


def _already_held(uow: SqlUnitOfWork, actor: Principal, document: EpcisDocument) -> list[FieldError]:
    """The paths of the events (or event IDs) the organisation holds already, looked up after the
    unique indexes refused the insert."""
    keys = _keys(document)
    id_keys = [(e.event_id or e.event_hash, key[1]) for e, key in zip(document.events, keys, strict=True)]
    with uow:
        repo = TrackingRepository(uow.connection)
        held = repo.existing_hashes(actor.org_id, keys)
        held_ids = repo.existing_event_ids(actor.org_id, id_keys)
    errors = []
    for index, (key, id_key) in enumerate(zip(keys, id_keys, strict=True)):
        path = _event_path(document.document_type, index)
        if key in held:
            errors.append(FieldError(path, f"event {key[0]} was already captured"))
        elif id_key in held_ids:
            errors.append(
                FieldError((*path, "eventID"), f"eventID {id_key[0]} belongs to an event already captured")
            )
    return errors


def _repeats(document: EpcisDocument, keys: Sequence[tuple[str, bool]]) -> list[FieldError]:
    first: dict[tuple[str, bool], int] = {}
    errors = []
    for index, key in enumerate(keys):
        if key in first:
            errors.append(
                FieldError(
                    _event_path(document.document_type, index), f"event {key[0]} repeats event {first[key]}"
                )
            )
        first.setdefault(key, index)
    return errors


def _record_failure(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    job_id: uuid.UUID,
    created_at: datetime,
    source: str,
    exc: InvalidInput | DuplicateEvents,
) -> None:
    field_errors = getattr(exc, "errors", ())
    with uow:
        TrackingRepository(uow.connection).add_job(
            CaptureJob(
                job_id,
                actor.org_id,
                "failed",
                source,
                actor.username,
                created_at,
                clock.now(),
                0,
                exc.message[:2000],
                tuple(e.as_dict() for e in field_errors[:100]),
            )
        )
        audit(uow, actor, clock, "epcis.capture.failed", "capture_job", str(job_id), {"error": exc.title})
        uow.commit()


def get_capture_job(uow: SqlUnitOfWork, actor: Principal, job_id: uuid.UUID) -> CaptureJob:
    require(actor, QUERY_ACTION)
    with uow:
        job = TrackingRepository(uow.connection).get_job(actor.org_id, job_id)
    if job is None:
        raise CaptureJobNotFound(job_id)
    return job


def list_capture_jobs(uow: SqlUnitOfWork, actor: Principal, limit: int = 50) -> list[CaptureJob]:
    require(actor, QUERY_ACTION)
    with uow:
        return TrackingRepository(uow.connection).jobs(actor.org_id, limit)


def capture_job_json(job: CaptureJob) -> dict[str, Any]:
    """The capture job as the EPCIS 2.0 REST binding shows it."""
    return {
        "captureID": str(job.id),
        "createdAt": iso_utc(job.created_at),
        "finishedAt": iso_utc(job.finished_at) if job.finished_at else None,
        "running": False,
        "success": job.succeeded,
        "captureErrorBehaviour": "rollback",
        "eventCount": job.event_count,
        "errors": [{"detail": job.error_text, "fieldErrors": list(job.errors)}] if job.error_text else [],
    }


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of query results: the EPCIS query document and the token of the next page."""

    document: dict[str, Any]
    next_page_token: str | None
    count: int


def query_events(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    params: Mapping[str, str | Sequence[str]],
    *,
    max_per_page: int = MAX_PER_PAGE,
) -> EventPage:
    """Events of the caller's organisation that match the EPCIS REST query ``params``.

    ``perPage`` (default 30) bounds the page; ``nextPageToken`` continues after the previous page.
    Sensor value bounds: ``EQ_type`` with ``GE_value`` / ``LE_value`` match events with one sensor
    report of that type within the bounds.
    """
    require(actor, QUERY_ACTION)
    query = EventQuery.from_params(params)
    per_page = _per_page(params.get("perPage"), max_per_page)
    after: tuple[Any, uuid.UUID] | None = None
    token = _single(params.get("nextPageToken"))
    if token:
        moment, last = decode_page_token(token, query)
        try:
            after = (moment, uuid.UUID(last))
        except ValueError as exc:
            raise ValidationFailed([FieldError(("nextPageToken",), "not a page token")]) from exc
    with uow:
        rows = TrackingRepository(uow.connection).query(actor.org_id, query, after, per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_token = None
    if more and rows:
        last_row = rows[-1]
        assert last_row.event.record_time is not None
        next_token = encode_page_token(last_row.event.record_time, str(last_row.id), query)
    document = events_to_query_document([r.event for r in rows], creation_date=iso_utc(clock.now()))
    return EventPage(document, next_token, len(rows))


def get_event(uow: SqlUnitOfWork, clock: Clock, actor: Principal, reference: str) -> dict[str, Any]:
    """The event with this eventID or event hash (with any error declaration of it) as a query document."""
    require(actor, QUERY_ACTION)
    with uow:
        rows = TrackingRepository(uow.connection).find(actor.org_id, reference)
    if not rows:
        raise EpcisEventNotFound(reference)
    return events_to_query_document([r.event for r in rows], creation_date=iso_utc(clock.now()))


def _single(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value[-1] if value else None


def _per_page(raw: str | Sequence[str] | None, limit: int) -> int:
    text = _single(raw)
    if text is None:
        return DEFAULT_PER_PAGE
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise ValidationFailed([FieldError(("perPage",), f"a whole number from 1 to {limit}")])
    return int(text)


def rehash_stored_event(event: EpcisEvent) -> str | None:
    """The CBV event hash recomputed from a stored event's JSON body (``None``: no longer valid)."""
    context: list[Any] = [EPCIS_CONTEXT]
    if event.namespaces:
        context.append(dict(event.namespaces))
    document = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "epcisBody": {"eventList": [dict(event.body)]},
    }
    try:
        (again,) = parse_epcis_json(document).events
    except (ValidationFailed, ValueError):
        return None
    return again.event_hash


def verify_events(uow: SqlUnitOfWork, actor: Principal, *, batch_size: int = 1000) -> list[str]:
    """Recompute the hash of every stored event of the caller's organisation from its stored body and
    compare it with its ledger leaf; name each event changed or inserted behind the ledger's back."""
    require(actor, Action.LEDGER_READ)
    problems: list[str] = []
    with uow:
        repo = TrackingRepository(uow.connection)
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            rows = repo.query(actor.org_id, EventQuery(), after, batch_size)
            for row in rows:
                problems.extend(_check_row(uow, row))
            if len(rows) < batch_size:
                return problems
            last = rows[-1]
            assert last.event.record_time is not None
            after = (last.event.record_time, last.id)


def _check_row(uow: SqlUnitOfWork, row: EventRow) -> list[str]:
    name = f"event {row.event.event_id} (row {row.id})"
    again = rehash_stored_event(row.event)
    if again is None:
        return [f"{name} was changed behind the ledger's back: its body is no longer a valid event"]
    leaves = uow.ledger.find_by_record(EVENT_LEAF_KIND, row.id)
    if not leaves:
        return [f"{name} was inserted behind the ledger's back (no leaf records it)"]
    leaf = leaves[-1]
    if leaf.envelope.body_sha256 != hash_hex(again):
        return [f"{name} was changed behind the ledger's back (leaf {leaf.index} recorded another hash)"]
    if again != row.event.event_hash:
        return [f"{name}: its stored event hash column no longer matches its body"]
    return []
