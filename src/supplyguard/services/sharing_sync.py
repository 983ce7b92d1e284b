"""Pulling intelligence from partners' TAXII 2.1 collections, by log position.

For each page: fetch ``objects/?next=<after our last position>``, verify and store every object,
and record the new position *in the same transaction* as the objects. An interruption anywhere
(network, crash, timeout) leaves either the whole page and its position or neither, so the next
run resumes exactly where the last committed page ended; objects seen twice are duplicates by
content and change nothing.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import multiprocessing
import os
import queue
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, overload

import httpx
from pydantic_core import from_json

from supplyguard.adapters.db.sharing_repo import PartnerRecord, SharingRepository
from supplyguard.adapters.http import http_client, is_plain_http
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.logging import get_logger
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.forked import gc_frozen
from supplyguard.services.sharing_feed import MAX_PAGE, position_cursor, split_envelope
from supplyguard.services.sharing_ingest import (
    CheckContext,
    Checked,
    Derived,
    IngestReport,
    UnreadObjects,
    check_context,
    check_objects,
    gc_paused,
    ingest_in_uow,
)
from supplyguard.services.sharing_node import SharingNode, sharing_node
from supplyguard.services.sharing_requests import NodeRequestAuth

log = get_logger(__name__)

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
POSITION_HEADER = "X-SupplyGuard-Last-Position"
MAX_PAGE_BYTES = 64 * 1024 * 1024


def collection_id_for(node_id: str) -> str:
    """The id of a node's intelligence collection (the same on every node)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"supplyguard:{node_id}:intel"))


class SyncFailed(Exception):
    """The partner could not be reached or answered badly; nothing of the failed page was stored."""


@dataclass
class SyncResult:
    partner: str
    pages: int = 0
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    position: int = 0
    error: str | None = None
    reports: list[IngestReport] = field(default_factory=list)
    #: Each stored page's objects and the seconds from the sync's start to its commit: where a
    #: pull's time went (the first page waits for the first fetch, the last is stored alone).
    committed: list[tuple[int, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "pages": self.pages,
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "position": self.position,
            "error": self.error,
        }


CHUNKS = 8  # a page is checked in this many chunks, claimed by the workers and by this process

_claims: Any = None  # in a verification worker: the claim flags it shares with the syncing process
_pages: Any = None  # ... and the shared memory the page bytes arrive in (three slots)
_context: CheckContext | None = None  # ... and the sync's check context (inherited, not sent per page)


def parse_page(body: bytes) -> Any:
    """A page's JSON as ``json.loads`` reads it, by pydantic-core's parser (about two thirds of
    the time on a page of signed objects; same values, the last of duplicate keys wins, NaN and
    Infinity accepted). Text it refuses (a lone surrogate escape, or not JSON) goes to
    ``json.loads``, which reads it or raises as before. The verification worker and the storing
    side both parse a page's bytes with this one function, so they see the same objects."""
    try:
        return from_json(body)
    except ValueError:
        return json.loads(body)


def _envelope(body: bytes, partner: str) -> tuple[list[Any], bool]:
    """A page's objects and ``more``; SyncFailed where it is not a TAXII envelope."""
    try:
        with gc_paused():
            envelope = parse_page(body)
        objects = envelope.get("objects", [])
        more = bool(envelope.get("more", False))
    except (ValueError, AttributeError) as error:
        raise SyncFailed(f"{partner} sent a page that is not a TAXII envelope") from error
    if not isinstance(objects, list):
        raise SyncFailed(f"{partner} sent a page whose objects are not a list")
    return objects, more


def _page_lines(body: Any, start: int = 0, end: int | None = None) -> tuple[bool, list[bytes]] | None:
    """``more`` and the objects' texts of a page (``body[start:end]``) in the form this node's feed
    writes (one object a line: :func:`~supplyguard.services.sharing_feed.split_envelope`), cut
    apart without parsing the objects; None where the page is not in that form."""
    split = split_envelope(body, start, end)
    if split is None:
        return None
    try:
        envelope = parse_page(split[0])
    except ValueError:
        return None
    if type(envelope) is not dict or envelope.get("objects") != []:
        return None
    return bool(envelope.get("more", False)), split[1]


def _parse_lines(texts: Sequence[bytes]) -> list[Any] | None:
    """Each object's text parsed alone (:func:`parse_page`); None where one is not one JSON value
    (the page is then parsed whole, which decides what its objects are)."""
    try:
        with gc_paused():
            return [parse_page(text) for text in texts]
    except ValueError:
        return None


class _Page(UnreadObjects):
    """A page handed to the verification workers, parsed here only as far as something reads it:
    the workers parse it and tell its length and ``more`` with their verdicts (:meth:`known`),
    first versions are stored from their verdicts (see
    :class:`~supplyguard.services.sharing_ingest.UnreadObjects`), and a page in the line form of
    this node's feed (:func:`_page_lines`) is parsed chunk by chunk where this process checks a
    chunk itself (:meth:`chunk`)."""

    def __init__(self, body: bytes, partner: str) -> None:
        self._body = body
        self._partner = partner
        self._objects: list[Any] | None = None
        self._count: int | None = None
        self._more = False
        lines = _page_lines(body)
        self._texts: list[bytes] | None = None
        if lines is not None:
            self._more, self._texts = lines

    def read(self) -> list[Any]:
        """The objects, parsed now if they were not yet (SyncFailed: not a TAXII envelope)."""
        if self._objects is None:
            parsed = None if self._texts is None else _parse_lines(self._texts)
            if parsed is None:
                self._texts = None  # one object a line no more: the page is what its whole parse says
                self._objects, self._more = _envelope(self._body, self._partner)
            else:
                self._objects = parsed
            self._count = len(self._objects)
        return self._objects

    def is_read(self) -> bool:
        return self._objects is not None

    @property
    def texts(self) -> list[bytes] | None:
        """The objects' texts, where the page is held one object a line (None once it is parsed
        whole because one of them is not one JSON value alone)."""
        return self._texts

    def chunk(self, chunk: int) -> list[Any]:
        """The objects of chunk ``chunk``: only its lines parsed where the page is in line form."""
        if self._objects is None and self._texts is not None:
            low, high = _chunk_bounds(len(self._texts), chunk)
            parsed = _parse_lines(self._texts[low:high])
            if parsed is not None:
                return parsed
            self._texts = None  # a line is not one JSON value alone: read whole, lines not tried again
        objects = self.read()
        low, high = _chunk_bounds(len(objects), chunk)
        return objects[low:high]

    def known(self, count: int, more: bool) -> None:
        """What a worker read of this very page (the same bytes, by :func:`parse_page`)."""
        if self._count is None and self._texts is None:
            self._count, self._more = count, more

    @property
    def more(self) -> bool:
        if self._count is None and self._texts is None:
            self.read()
        return self._more

    def __len__(self) -> int:
        if self._count is not None:
            return self._count
        return len(self.read()) if self._texts is None else len(self._texts)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self.read()[index]


def _init_checker(claims: Any, pages: Any, context: CheckContext) -> None:
    global _claims, _pages, _context
    _claims, _pages, _context = claims, pages, context


def _claim(claims: Any, slot: int, chunk: int) -> bool:
    """Take chunk ``chunk`` of the page in ``slot`` (one of :data:`_SLOTS`, the pages in flight)."""
    with claims.get_lock():
        index = slot * CHUNKS + chunk
        if claims[index]:
            return False
        claims[index] = 1
        return True


def _chunk_bounds(count: int, chunk: int) -> tuple[int, int]:
    return count * chunk // CHUNKS, count * (chunk + 1) // CHUNKS


#: A :class:`Checked`'s fields (id, author, agreement, check, detail, derived), or None. From a page
#: held one object a line, a derived text equal to the object's line travels as None: the syncing
#: process holds the same bytes.
_Verdict = tuple[str, str, str | None, str | None, str, Derived | None] | None


#: What a worker found of a page: its number of objects (-1 where it is not a TAXII envelope),
#: ``more``, whether it read the page one object a line (:func:`_page_lines`), and the verdicts of
#: the chunks it claimed.
_Found = tuple[int, bool, bool, list[tuple[int, list[_Verdict]]]]


def _check_page(slot: int, start: int, size: int) -> _Found:
    """In a verification worker: check the chunks of a page (``size`` bytes at ``start`` of the
    shared memory) from the first, each one not already claimed (the syncing process takes chunks
    from the last while it waits). A page held one object a line (:func:`_page_lines`) is parsed
    only chunk by chunk, each object copied out of the map alone; any other page is parsed whole,
    and so is this one from the first line that is not one JSON value alone. Verdicts travel back
    as plain tuples (a pickled slotted dataclass costs about fifteen times as much to send and to
    read)."""
    assert _context is not None
    lines = _page_lines(_pages, start, start + size)
    if lines is None:
        return _check_whole(slot, start, size, set())
    more, texts = lines
    done: list[tuple[int, list[_Verdict]]] = []
    for chunk in range(CHUNKS):
        if _claim(_claims, slot, chunk):
            low, high = _chunk_bounds(len(texts), chunk)
            objects = _parse_lines(texts[low:high])
            if objects is None:
                return _check_whole(slot, start, size, {claimed for claimed, _ in done} | {chunk})
            verdicts = check_objects(objects, _context, derive=True)
            done.append((chunk, [_as_tuple(v, texts[low + i]) for i, v in enumerate(verdicts)]))
    return len(texts), more, True, done


def _check_whole(slot: int, start: int, size: int, claimed: set[int]) -> _Found:
    """:func:`_check_page` on a page parsed whole: the chunks in ``claimed`` (taken already) and
    each other one not yet claimed, by the whole parse's count."""
    assert _context is not None
    try:
        with gc_paused():
            envelope = parse_page(_pages[start : start + size])
        objects = envelope.get("objects", [])
        more = bool(envelope.get("more", False))
    except (ValueError, AttributeError):
        return -1, False, False, []  # the storing side refuses the page itself
    if not isinstance(objects, list):
        return -1, False, False, []
    done: list[tuple[int, list[_Verdict]]] = []
    for chunk in range(CHUNKS):
        if chunk in claimed or _claim(_claims, slot, chunk):
            low, high = _chunk_bounds(len(objects), chunk)
            done.append(
                (chunk, [_as_tuple(v) for v in check_objects(objects[low:high], _context, derive=True)])
            )
    return len(objects), more, False, done


def _as_tuple(verdict: Checked | None, line: bytes | None = None) -> _Verdict:
    if verdict is None:
        return None
    derived = verdict.derived
    if derived is not None and line is not None and derived[2].encode() == line:
        derived = (derived[0], derived[1], None, *derived[3:])  # type: ignore[assignment]
    return (
        verdict.object_id,
        verdict.author,
        verdict.agreement_id,
        verdict.check,
        verdict.detail,
        derived,
    )


def _from_tuple(verdict: _Verdict, line: bytes | None = None) -> Checked | None:
    if verdict is None:
        return None
    derived = verdict[5]
    if derived is not None and derived[2] is None:
        if line is None:
            return None  # cannot happen: a text sent as its line comes from a page held in lines
        derived = (derived[0], derived[1], line.decode(), *derived[3:])
        return Checked(*verdict[:5], derived)
    return Checked(*verdict)


def _warm(_: int) -> int:
    return os.getpid()


def default_verify_workers() -> int:
    """Verification workers a sync uses when not told: one, where there is a second core and the
    worker can be forked safely (a fork-capable platform, and no other thread in this process that
    could hold a lock at the moment of the fork); none otherwise."""
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return 1 if threading.active_count() == 1 else 0


def _verdicts(
    futures: list[Future[_Found]],
    page: _Page,
    context: CheckContext,
    claims: Any,
    slot: int,
) -> list[Checked | None]:
    """The verdicts on a page, in page order. While the workers go through the page from its first
    chunk, this process checks chunks from the last until it meets theirs, so neither side waits
    long for the other (it parses only those chunks where the page is held one object a line, the
    whole page otherwise). Verdicts count only if reached on the page as this process finally reads
    it: one object a line, or whole where any side met a line that is not one JSON value alone. An
    object left without a verdict (a worker failed) is checked where it is stored; the page is
    parsed here if no worker could."""
    own: dict[int, list[Checked | None]] = {}
    own_lines = page.texts is not None
    for chunk in reversed(range(CHUNKS)):
        if not _claim(claims, slot, chunk):
            break
        objects = page.chunk(chunk)
        if own_lines and page.texts is None:  # a line is not one JSON value: the page is read whole
            own.clear()
            own_lines = False
        own[chunk] = check_objects(objects, context, derive=True)
    found: list[tuple[bool, int, bool, list[tuple[int, list[_Verdict]]]]] = []
    try:
        for future in futures:
            count, more, lines, done = future.result()
            if count >= 0:  # else the page is not a TAXII envelope: refused where it is stored
                found.append((lines, count, more, done))
    except Exception as error:  # a worker that died or failed: its objects are checked in ingest
        log.warning("sync.worker_failed", error=f"{type(error).__name__}: {error}")
    if page.texts is not None and any(not lines for lines, *_ in found):
        page.read()  # a worker met a line that is not one JSON value alone: so is it read here
    in_lines = page.texts is not None
    if found and not in_lines and not page.is_read():
        _, count, more, _ = found[0]
        page.known(count, more)  # the workers' whole parse, not repeated here
    count = len(page)  # parses the page here where no worker told its length
    texts = page.texts
    merged: list[Checked | None] = [None] * count
    if own_lines == in_lines:
        for chunk, mine in own.items():
            low, high = _chunk_bounds(count, chunk)
            merged[low:high] = mine
    for lines, told, _, done in found:
        if lines != in_lines or told != count:
            continue
        for chunk, theirs in done:
            low, high = _chunk_bounds(count, chunk)
            if len(theirs) != high - low:
                continue
            if texts is None:
                merged[low:high] = map(_from_tuple, theirs)
            else:
                merged[low:high] = map(_from_tuple, theirs, texts[low:high])
    if (
        in_lines
        and not page.is_read()
        and not all(v is not None and v.check is None and v.derived is not None for v in merged)
    ):
        # Some object is read where it is stored: settle now what the page's objects are. Where a
        # line is not one JSON value alone, the page is read whole and checked where it is stored.
        page.read()
        if page.texts is None:
            return [None] * len(page)
    return merged


_SLOTS = 3  # pages in flight at most: the one being stored, one queued, one being fetched

#: Objects asked for in a sync's first request: until the first page is in, nothing can be checked
#: or stored, so it is kept small (fetched, parsed and handed over in a fifth of the time of a full
#: page); the following pages, fetched while the one before is checked and stored, are full size.
FIRST_PAGE = 200


def _next_page(
    ahead: queue.Queue[tuple[Any, SyncFailed | None]], producer: Future[None]
) -> tuple[Any, SyncFailed | None]:
    """The next page the fetcher thread queued (or its failure); re-raises what broke the fetcher."""
    while True:
        try:
            return ahead.get(timeout=0.1)
        except queue.Empty:
            if producer.done():
                producer.result()  # raises the fetcher's unexpected error, if any
                try:
                    return ahead.get_nowait()
                except queue.Empty:
                    raise SyncFailed("the fetcher stopped without a page") from None


def _fetch_page_body(
    client: httpx.Client,
    partner: PartnerRecord,
    position: int,
    limit: int,
    max_bytes: int,
    on_body: Any,
) -> tuple[list[Any] | _Page, bool, int, Any]:
    """A page's objects (a :class:`_Page` read later where ``on_body`` hands it to the workers),
    ``more``, the log position after it, and what ``on_body`` returned."""
    url = f"{partner.base_url}/v1/taxii2/api/collections/{collection_id_for(partner.node_id)}/objects/"
    params: dict[str, str | int] = {"limit": limit}
    if position > 0:
        params["next"] = position_cursor(position)
    try:
        with client.stream("GET", url, params=params) as response:
            if response.status_code != 200:
                response.read()
                raise SyncFailed(f"{partner.node_id} answered {response.status_code}: {response.text[:200]}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SyncFailed(f"{partner.node_id} sent a page over {max_bytes} bytes: refused")
                chunks.append(chunk)
            header_position = response.headers.get(POSITION_HEADER)
    except httpx.HTTPError as error:
        raise SyncFailed(f"{partner.node_id} unreachable: {type(error).__name__}: {error}") from error
    body = b"".join(chunks)
    try:
        last = int(header_position) if header_position is not None else position
    except ValueError as error:
        raise SyncFailed(f"{partner.node_id} sent a page that is not a TAXII envelope") from error
    if last < position:
        raise SyncFailed(f"{partner.node_id} moved its log position backwards ({last} < {position})")
    if on_body is not None:  # the workers parse it; here only what needs reading will be
        return _Page(body, partner.node_id), False, last, on_body(body)
    objects, more = _envelope(body, partner.node_id)
    return objects, more, last, None


def sync_partner(
    uow_factory: Any,
    node: SharingNode,
    partner_node: str,
    *,
    token: str | None,
    transport: httpx.BaseTransport | None = None,
    page_size: int = MAX_PAGE,
    max_pages: int | None = None,
    timeout_s: float = 30.0,
    max_page_bytes: int = MAX_PAGE_BYTES,
    verify_workers: int | None = None,
) -> SyncResult:
    """Pull every new page from one partner; ``uow_factory()`` gives a fresh unit of work per page.

    ``verify_workers`` forked processes (default: :func:`default_verify_workers`) verify each page
    while the previous one is stored; their verdicts count only under the agreements and keys the
    storing transaction reads (see :func:`~supplyguard.services.sharing_ingest.ingest_in_uow`).
    """
    with uow_factory(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        partner = repo.partner(partner_node)
        context = check_context(repo, node, partner_node, node.clock.now().date())
    if partner is None or partner.status != "active":
        raise ValidationFailed([FieldError(("partner",), f"{partner_node} is not an active partner")])
    if not partner.base_url:
        raise ValidationFailed([FieldError(("partner",), f"{partner_node} has no base URL to pull from")])
    result = SyncResult(partner_node, position=partner.last_sync_position)
    headers = {"Accept": TAXII_MEDIA_TYPE}
    auth = NodeRequestAuth(node, token)
    started = time.monotonic()
    workers = default_verify_workers() if verify_workers is None else max(0, verify_workers)
    # Verification workers are forked first, while this is the only thread of ours (the fetcher
    # thread comes after), and get nothing but page bytes and the check context.
    checkers: Executor | None = None
    claims: Any = None
    pages: Any = None
    frozen = contextlib.ExitStack()
    if workers:
        context.keyring()  # loads the signature verifier here, once, for the workers forked below
        frozen.enter_context(gc_frozen())  # until the workers are gone (see gc_frozen)
        try:
            fork = multiprocessing.get_context("fork")
            claims = fork.Array("b", _SLOTS * CHUNKS)  # inherited by the workers through the fork
            # Page bytes go through shared memory, not a pipe: a pipe moves 3 MB in 64 KB writes,
            # each waiting for the GIL while this process is busy storing.
            pages = mmap.mmap(-1, _SLOTS * max_page_bytes)
            checkers = ProcessPoolExecutor(
                workers, mp_context=fork, initializer=_init_checker, initargs=(claims, pages, context)
            )
            # A fork pool starts all its workers at its first call, here, while this is the only
            # thread of ours; not waited for: they start up while the first page is fetched.
            checkers.submit(_warm, 0)
        except BaseException:
            frozen.close()
            raise
    fetched = 0

    def dispatch(body: bytes) -> tuple[int, list[Future[_Found]]]:
        """Send a page to the workers, in slot ``n % 3`` for the n-th page: the page is then the
        third in flight at most (one stored, one queued, this one), so page n - 3 is done with."""
        nonlocal fetched
        assert checkers is not None
        slot, fetched = fetched % _SLOTS, fetched + 1
        with claims.get_lock():
            claims[slot * CHUNKS : (slot + 1) * CHUNKS] = bytes(CHUNKS)
        start = slot * max_page_bytes
        pages[start : start + len(body)] = body
        futures: list[Future[_Found]] = []
        try:
            for _ in range(workers):
                futures.append(checkers.submit(_check_page, slot, start, len(body)))
        except Exception as error:  # a broken pool: this process claims and checks every chunk
            log.warning("sync.worker_failed", error=f"{type(error).__name__}: {error}")
        return slot, futures

    try:
        # One client (keep-alive) and one fetcher thread that runs ahead of the storing loop by up
        # to two pages (each handed to the workers as soon as it arrives), so fetching, checking
        # and storing overlap. Pages are still stored strictly in order, each with its position in
        # one transaction; prefetched pages after one that fails to store are simply dropped.
        ahead: queue.Queue[tuple[Any, SyncFailed | None]] = queue.Queue(maxsize=1)
        stop = threading.Event()
        on_body = dispatch if checkers is not None else None

        def run_ahead(client: httpx.Client) -> None:
            position, count = result.position, 0
            while not stop.is_set():
                try:
                    limit = min(page_size, FIRST_PAGE) if count == 0 else page_size
                    page = _fetch_page_body(client, partner, position, limit, max_page_bytes, on_body)
                    item: tuple[Any, SyncFailed | None] = (page, None)
                except SyncFailed as error:
                    item = (None, error)
                while not stop.is_set():
                    try:
                        ahead.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if item[1] is not None:
                    return
                objects, more, last, _ = page
                count += 1
                # A page the workers parse is not read here: go on while the position advances
                # (an empty last page stops it), the storing loop stops where ``more`` is false.
                unread = isinstance(objects, _Page)
                if not (last > position and (unread or (more and objects))) or (
                    max_pages is not None and count >= max_pages
                ):
                    return
                position = last

        with (
            http_client(
                plain_http=is_plain_http(partner.base_url),
                headers=headers,
                auth=auth,
                transport=transport,
                timeout=timeout_s,
            ) as client,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-fetch") as fetcher,
        ):
            producer = fetcher.submit(run_ahead, client)
            try:
                while max_pages is None or result.pages < max_pages:
                    before = result.position
                    page, failure = _next_page(ahead, producer)
                    checked: list[Checked | None] | None = None
                    if failure is None and isinstance(page[0], _Page):
                        objects, _, last, sent = page
                        try:
                            checked = _verdicts(sent[1], objects, context, claims, sent[0])
                            page = (objects, objects.more, last, sent)
                        except SyncFailed as refused:
                            failure = refused
                    if failure is not None:
                        result.error = str(failure)
                        uow = uow_factory()
                        with uow:
                            SharingRepository(uow.connection).record_sync_error(partner_node, str(failure))
                            uow.commit()
                        log.warning(
                            "sync.failed", partner=partner_node, position=result.position, error=str(failure)
                        )
                        break
                    objects, more, last, _ = page
                    uow = uow_factory()
                    with uow, gc_paused():
                        report = (
                            ingest_in_uow(
                                uow, node, partner_node, objects, checked=checked, checked_under=context
                            )
                            if objects
                            else IngestReport()
                        )
                        SharingRepository(uow.connection).record_sync(partner_node, last, node.clock.now())
                        uow.commit()
                    result.pages += 1
                    result.committed.append((len(objects), time.monotonic() - started))
                    result.received += len(objects)
                    result.stored += len(report.stored)
                    result.duplicates += report.duplicates
                    result.rejected += len(report.rejected)
                    result.position = last
                    result.reports.append(report)
                    if not more:
                        break
                    if not objects or last <= before:
                        result.error = (
                            f"{partner_node} announced more objects but its position did not advance"
                        )
                        break
            finally:
                stop.set()
    finally:
        if checkers is not None:
            checkers.shutdown(cancel_futures=True)
            pages.close()
        frozen.close()
    log.info(
        "sync.done",
        partner=partner_node,
        pages=result.pages,
        stored=result.stored,
        rejected=result.rejected,
        position=result.position,
        ms=round((time.monotonic() - started) * 1000),
    )
    return result


def run_sync(
    container: Any,
    actor: Principal,
    partner_node: str | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    page_size: int = MAX_PAGE,
    verify_workers: int | None = None,
) -> list[SyncResult]:
    """Sync from one partner, or from every active partner with a base URL."""
    require(actor, Action.SHARING_SYNC)
    node = sharing_node(container)
    with container.uow(readonly=True) as uow:
        partners = SharingRepository(uow.connection).partners()
    targets = [
        p.node_id
        for p in partners
        if p.status == "active" and p.base_url and (partner_node is None or p.node_id == partner_node)
    ]
    if partner_node is not None and not targets:
        raise ValidationFailed(
            [FieldError(("partner",), f"{partner_node} is not an active partner with a URL")]
        )
    return [
        sync_partner(
            container.uow,
            node,
            target,
            token=load_partner_token(container.settings.keys_dir, target),
            transport=transport,
            page_size=page_size,
            verify_workers=verify_workers,
        )
        for target in targets
    ]
