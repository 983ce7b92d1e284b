"""Reading what this node holds or shares: TAXII feed pages, manifests, versions, lists, export.

A *viewer* is either a partner node (it sees only the copies compiled for it) or ``None`` for
local staff (every version held). Pages are cut by log position; the ``next`` cursor is the
base64url of the last position returned, so a client that retries a page gets the same page and
the server keeps no state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.sharing_repo import HeldObject, ObjectQuery, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, IntelNotFound, ValidationFailed
from supplyguard.model.clock import as_utc
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.cursors import decode_cursor, encode_cursor
from supplyguard.sharing import build_bundle

CURSOR_KIND = "taxii-position"
MAX_PAGE = 1000


def position_cursor(position: int) -> str:
    """The ``next`` cursor meaning "after log position ``position``" (stateless)."""
    return encode_cursor(CURSOR_KIND, [position])


def cursor_position(cursor: str) -> int:
    values = decode_cursor(cursor, CURSOR_KIND)
    if len(values) != 1 or not isinstance(values[0], int) or values[0] < 0:
        raise ValidationFailed([FieldError(("next",), "is damaged")])
    return int(values[0])


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a page; ``wire_text`` is the stored JSON, served as it is (versions are
    immutable, so the stored bytes are the serialised object: nothing is parsed or re-encoded)."""

    position: int
    stix_id: str
    stix_type: str
    version: str
    date_added: datetime
    wire_text: str

    @property
    def wire(self) -> dict[str, Any]:
        return dict(json.loads(self.wire_text))


@dataclass(frozen=True, slots=True)
class FeedPage:
    entries: tuple[FeedEntry, ...]
    more: bool
    next_cursor: str | None
    last_position: int


def _query(
    cursor: str | None,
    ids: Sequence[str],
    types: Sequence[str],
    added_after: datetime | None,
    limit: int,
    versions: str,
) -> ObjectQuery:
    if versions not in ("last", "all"):
        raise ValidationFailed([FieldError(("match[version]",), "last or all")])
    if limit < 1:
        raise ValidationFailed([FieldError(("limit",), "at least 1")])
    return ObjectQuery(
        after_position=cursor_position(cursor) if cursor else 0,
        ids=tuple(ids),
        types=tuple(types),
        added_after=None if added_after is None else as_utc(added_after),
        all_versions=versions == "all",
        limit=min(limit, MAX_PAGE) + 1,
    )


def feed_page(
    uow: SqlUnitOfWork,
    partner_node: str | None,
    *,
    cursor: str | None = None,
    ids: Sequence[str] = (),
    types: Sequence[str] = (),
    added_after: datetime | None = None,
    limit: int = 100,
    versions: str = "last",
) -> FeedPage:
    """One page of the feed of ``partner_node`` (or of everything held, for ``None``)."""
    query = _query(cursor, ids, types, added_after, limit, versions)
    with uow:
        repo = SharingRepository(uow.connection)
        rows = (
            repo.objects_feed_rows(query)
            if partner_node is None
            else repo.deliveries_feed_rows(partner_node, query)
        )
        entries = [
            FeedEntry(r.position, r.stix_id, r.stix_type, r.version, r.added, r.wire_text) for r in rows
        ]
    wanted = query.limit - 1
    more = len(entries) > wanted
    entries = entries[:wanted]
    after = query.after_position
    last = entries[-1].position if entries else after
    return FeedPage(tuple(entries), more, position_cursor(last) if more else None, last)


def objects_envelope(page: FeedPage) -> bytes:
    """The TAXII envelope of a page of objects as JSON bytes, the stored objects spliced in as
    they are (the document ``json.dumps`` of the parsed objects would give, without the per-object
    parse and re-encode, and with each object on a line of its own: see :func:`split_envelope`)."""
    return b"".join(objects_envelope_parts(page))


ENVELOPE_PART_OBJECTS = 16  # objects per part of an envelope: ~55 KB for 3.4 KB objects

#: How an envelope holds its objects: ``{..."objects":[`` and a line break, the objects' texts
#: separated by a comma and a line break, a line break and ``]}``. Whitespace between JSON tokens,
#: so the document is the same to any reader; a stored object's text (compact JSON) has no line
#: break of its own, so a reader that knows this can cut the objects apart without parsing them.
OBJECTS_OPENING = b'"objects":[\n'
OBJECT_SEPARATOR = b",\n"
OBJECTS_CLOSING = b"\n]}"


def objects_envelope_parts(page: FeedPage) -> list[bytes]:
    """:func:`objects_envelope` in parts of at most :data:`ENVELOPE_PART_OBJECTS` objects, which
    joined are its bytes. A server sends them one after the other: a page (3.4 MB for 1,000
    alerts) is then never copied whole (joined, spliced into the envelope, encoded, framed and
    buffered for the socket: each a fresh allocation whose pages the kernel must map)."""
    head: dict[str, Any] = {"more": page.more}
    if page.next_cursor:
        head["next"] = page.next_cursor
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=False)
    if not page.entries:
        return [text.encode()]
    texts = [entry.wire_text for entry in page.entries]
    opening, separator = f"{text[:-1]},{OBJECTS_OPENING.decode()}", OBJECT_SEPARATOR.decode()
    step = ENVELOPE_PART_OBJECTS
    parts = [
        ((separator if start else opening) + separator.join(texts[start : start + step])).encode()
        for start in range(0, len(texts), step)
    ]
    parts[-1] += OBJECTS_CLOSING
    return parts


def split_envelope(body: Any, start: int = 0, end: int | None = None) -> tuple[bytes, list[bytes]] | None:
    """A page in the form :func:`objects_envelope` writes (``body[start:end]``: bytes, or a shared
    memory map holding the page), cut apart without parsing it: the envelope with an empty
    ``objects`` list, and each object's text. None where the page is not in that form (it is then
    to be parsed whole).

    The texts are what a parser would read as the objects only if each parses alone as one JSON
    value (then the whole page is the envelope with those values as its objects, line breaks
    being whitespace between tokens); the caller checks that as it parses them, and parses the
    page whole where one does not."""
    end = len(body) if end is None else end
    opening = body.find(OBJECTS_OPENING, start, end)
    stop = end - len(OBJECTS_CLOSING)
    if opening < 0 or body[stop:end] != OBJECTS_CLOSING:
        return None
    first = opening + len(OBJECTS_OPENING)
    if first > stop:
        return None  # the opening and the closing overlap: no objects between them
    texts: list[bytes] = []
    find, at = body.find, first
    while (cut := find(OBJECT_SEPARATOR, at, stop)) >= 0:
        texts.append(body[at:cut])
        at = cut + len(OBJECT_SEPARATOR)
    texts.append(body[at:stop])
    return body[start : first - 1] + b"]}", texts


def object_versions(uow: SqlUnitOfWork, partner_node: str | None, object_id: str) -> list[FeedEntry]:
    """Every version of one object the viewer may see, oldest first; 404 when there is none."""
    page = feed_page(uow, partner_node, ids=[object_id], versions="all", limit=MAX_PAGE)
    if not page.entries:
        raise IntelNotFound(object_id)
    return list(page.entries)


def list_intel(
    uow: SqlUnitOfWork,
    actor: Principal,
    *,
    types: Sequence[str] = (),
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[HeldObject], str | None]:
    """Current versions held here (own and received), in log order."""
    require(actor, Action.SHARING_READ)
    query = _query(cursor, (), types, None, limit, "last")
    with uow:
        rows = SharingRepository(uow.connection).objects_page(query)
    more = len(rows) > query.limit - 1
    rows = rows[: query.limit - 1]
    cursor_out = position_cursor(rows[-1].position) if more and rows else None
    # Tombstone markers travel in feeds; people see the objects they delete instead.
    return [held for held in rows if not held.stix_type.startswith("x-supplyguard-")], cursor_out


@dataclass(frozen=True, slots=True)
class IntelDetail:
    held: HeldObject
    versions: int
    deliveries: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


def show_intel(uow: SqlUnitOfWork, actor: Principal, object_id: str) -> IntelDetail:
    require(actor, Action.SHARING_READ)
    with uow:
        repo = SharingRepository(uow.connection)
        held = repo.held(object_id)
        if held is None or held.deleted:
            raise IntelNotFound(object_id)
        versions = len(repo.versions(object_id))
        deliveries = [
            {
                "partner": d.partner_node,
                "version": d.version,
                "outcome": d.outcome,
                "agreement": d.agreement_id,
                "withheld": list(d.removed_fields),
            }
            for d in repo.deliveries_of(object_id)
        ]
        feedback = [
            {"from": f.from_node, "outcome": f.outcome, "notes": f.notes, "at": f.recorded_at.isoformat()}
            for f in repo.feedback(object_id)
        ]
    return IntelDetail(held, versions, deliveries, feedback)


def export_bundle(uow: SqlUnitOfWork, actor: Principal) -> dict[str, Any]:
    """One STIX 2.1 bundle of every current object held here, each with its author's signature."""
    require(actor, Action.SHARING_READ)
    objects: list[dict[str, Any]] = []
    after = 0
    with uow:
        repo = SharingRepository(uow.connection)
        while True:
            page = repo.objects_page(ObjectQuery(after_position=after, limit=MAX_PAGE))
            if not page:
                break
            objects.extend(h.wire for h in page if not h.stix_type.startswith("x-"))
            after = page[-1].position
    return build_bundle(objects)
