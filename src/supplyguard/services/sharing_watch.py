"""Keyed watch lists exchanged between partner nodes, and the disclosure requests their hits open.

The flow, for one agreement whose parties hold the same secret (installed out of band,
:mod:`supplyguard.adapters.sharing_watch_keys`):

1. **Publish** (:func:`publish_watch_list`): our watch list (``sharing_watch_entries``, clear,
   never sent) is canonicalised and keyed with the agreement's list key
   (:func:`supplyguard.sharing.watch_exchange.list_key`), one list per partner the agreement names
   as recipient (a recipient that may not receive personal data gets no names, EORIs or tax ids),
   signed with our node key and stored. Each publication is a ledger leaf
   (``intel.watchlist_published``: agreement, recipient, key id, count, SHA-256 of the digests).
2. **Serve** (:func:`served_watch_list`): a partner fetches the list keyed for it over the signed
   node-request channel (its token *and* its node signature, as for TAXII); nobody else gets it.
3. **Pull** (:func:`pull_watch_lists`): we fetch each partner's list for us, check its signature
   against the partner's pinned key, that it is for us, under that agreement, keyed with our key
   (same key id) and not older than the one held; store it (ledger leaf ``intel.watchlist_received``)
   and match it against our own data keyed the same way: our watch list, and the containers and
   parties (names; codes that are EORIs) of the organisation's declarations.
4. **Hits**: each of our records whose digest the partner also listed is a hit
   (``sharing_watch_matches``, shown to the analyst), and each new digest opens a disclosure
   request to the partner automatically (:func:`~supplyguard.services.sharing_disclosures.request_disclosure`:
   a signed note to that partner alone, a ledger leaf). The request carries the kind and the
   digest only, never which of our records hit. The partner, which owns the entry, sees which of
   *its* entries the digest is (:func:`identify_incoming`) and approves or refuses as for any
   disclosure request.

Only the overlap is revealed: the partner learns that we hold the identifiers we ask about, and
nothing of the rest of our data; we learn nothing of the partner's other digests without the key.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from supplyguard.adapters.db.sharing_repo import DisclosureRecord, PartnerRecord, Rejection, SharingRepository
from supplyguard.adapters.db.sharing_watch_repo import (
    KeyedListRecord,
    WatchEntryRecord,
    WatchMatchRecord,
    WatchRepository,
)
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.http import http_client, is_plain_http
from supplyguard.adapters.keys import has_watch_secret
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.adapters.sharing_watch_keys import load_watch_secret, save_watch_secret
from supplyguard.errors import (
    ConfigurationError,
    FieldError,
    IntelNotFound,
    PermissionDenied,
    ValidationFailed,
)
from supplyguard.logging import get_logger
from supplyguard.model.declarations import Declaration
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import LedgerRecord, append_records
from supplyguard.services.sharing_disclosures import request_disclosure
from supplyguard.services.sharing_node import (
    SharingNode,
    agreement_named,
    agreements_of,
    sharing_node,
    sign_if_appended,
)
from supplyguard.services.sharing_partners import partner_for_principal
from supplyguard.services.sharing_requests import NodeRequestAuth
from supplyguard.sharing import (
    IDENTIFIER_KINDS,
    Agreement,
    IdentifierKind,
    KeyedWatchList,
    TrustedKey,
    watch_list_key_id,
)
from supplyguard.sharing.identifiers import IdentifierInvalid, canonical_identifier
from supplyguard.sharing.keyed import keyed_digest
from supplyguard.sharing.watch_exchange import (
    MAX_DIGESTS,
    PERSONAL_KINDS,
    SignedWatchList,
    WatchListInvalid,
    list_key,
    parse_watch_list,
    sign_watch_list,
    verify_watch_list,
)

log = get_logger(__name__)

MAX_ENTRIES_PER_CALL = 10_000
MAX_LIST_BYTES = 80 * MAX_DIGESTS + 4096
_KIND_WORDS = {kind.value: kind.value.replace("_", " ") for kind in IdentifierKind}


def keyed_list_path(agreement_id: str) -> str:
    """Where a node serves the keyed list it published for the calling partner."""
    return f"/v1/intel/watchlist/keyed/{agreement_id}"


# --- our watch list ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchEntryInput:
    kind: str
    value: str
    reference: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class AddedEntries:
    added: tuple[WatchEntryRecord, ...]
    already_listed: int


def add_watch_entries(
    uow: SqlUnitOfWork, node: SharingNode, actor: Principal, entries: Sequence[WatchEntryInput]
) -> AddedEntries:
    """Put identifiers on our watch list (canonicalised; all or none: a bad entry stores nothing)."""
    require(actor, Action.SHARING_PUBLISH)
    if not entries or len(entries) > MAX_ENTRIES_PER_CALL:
        raise ValidationFailed([FieldError(("entries",), f"1 to {MAX_ENTRIES_PER_CALL} entries")])
    errors: list[FieldError] = []
    records: list[WatchEntryRecord] = []
    now = node.clock.now()
    for index, entry in enumerate(entries):
        where = ("entries", index)
        if entry.kind not in IDENTIFIER_KINDS:
            errors.append(FieldError((*where, "kind"), f"one of {', '.join(IDENTIFIER_KINDS)}"))
            continue
        if not entry.reference.strip() or len(entry.reference) > 200:
            errors.append(FieldError((*where, "reference"), "the local case or file, 1 to 200 characters"))
        if len(entry.value) > 300:
            errors.append(FieldError((*where, "value"), "at most 300 characters"))
            continue
        try:
            canonical = canonical_identifier(IdentifierKind(entry.kind), entry.value, entry.country)
        except IdentifierInvalid as error:
            errors.append(FieldError((*where, "value"), error.reason))
            continue
        records.append(
            WatchEntryRecord(
                uuid.uuid4(),
                entry.kind,
                entry.value.strip(),
                canonical,
                entry.country.strip().upper() if entry.country else None,
                entry.reference.strip(),
                actor.username,
                now,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = WatchRepository(uow.connection)
        added = tuple(record for record in records if repo.add_entry(record))
        audit(uow, actor, node.clock, "intel.watch_added", "watchlist", None, {"added": len(added)})
        uow.commit()
    return AddedEntries(added, len(records) - len(added))


def remove_watch_entry(uow: SqlUnitOfWork, node: SharingNode, actor: Principal, entry_id: uuid.UUID) -> None:
    """Take one identifier off our watch list (partners stop seeing it at the next publication)."""
    require(actor, Action.SHARING_PUBLISH)
    with uow:
        if not WatchRepository(uow.connection).remove_entry(entry_id):
            raise IntelNotFound(f"watch list entry {entry_id}")
        audit(uow, actor, node.clock, "intel.watch_removed", "watchlist", str(entry_id), {})
        uow.commit()


def list_watch_entries(uow: SqlUnitOfWork, actor: Principal) -> list[WatchEntryRecord]:
    require(actor, Action.SHARING_READ)
    with uow:
        return WatchRepository(uow.connection).entries()


# --- agreement secrets -----------------------------------------------------------------------------


def _agreement(uow: SqlUnitOfWork, agreement_id: str) -> Agreement:
    with uow:
        found = agreement_named(SharingRepository(uow.connection), agreement_id)
    if found is None:
        raise ValidationFailed([FieldError(("agreement",), f"no registered agreement {agreement_id!r}")])
    return found


def install_watch_secret(
    uow: SqlUnitOfWork, node: SharingNode, actor: Principal, keys_dir: Path, agreement_id: str, secret: bytes
) -> str:
    """Install (or rotate) the agreement's shared secret; returns the key id partners must show."""
    require(actor, Action.SHARING_ADMIN)
    _agreement(uow, agreement_id)
    key_id = watch_list_key_id(list_key(secret, agreement_id))
    save_watch_secret(keys_dir, agreement_id, secret)
    with uow:
        audit(
            uow, actor, node.clock, "intel.watch_key_installed", "agreement", agreement_id, {"key_id": key_id}
        )
        uow.commit()
    return key_id


def _list_key_for(keys_dir: Path, agreement_id: str) -> bytes:
    secret = load_watch_secret(keys_dir, agreement_id)
    if secret is None:
        raise ValidationFailed(
            [
                FieldError(
                    ("agreement",),
                    f"no watch-list secret installed for {agreement_id}: "
                    f"supplyguard intel watchlist key {agreement_id} --from-file FILE",
                )
            ]
        )
    return list_key(secret, agreement_id)


def _known_list_key(keys_dir: Path, agreement_id: str, known: dict[str, bytes | None]) -> bytes | None:
    """The agreement's list key, read once per ``known`` (a loop's cache); None, logged, when no
    secret is installed or it cannot be read (an odd id from a partner, a bad file)."""
    if agreement_id not in known:
        try:
            secret = load_watch_secret(keys_dir, agreement_id)
        except (ValidationFailed, ConfigurationError) as error:
            log.warning("watchlist.secret_unreadable", agreement=agreement_id[:200], error=str(error)[:200])
            secret = None
        known[agreement_id] = list_key(secret, agreement_id) if secret else None
    return known[agreement_id]


# --- publishing and serving -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedList:
    recipient: str
    agreement_id: str
    key_id: str
    digest_count: int
    list_sha256: str
    withheld_kinds: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "agreement": self.agreement_id,
            "key_id": self.key_id,
            "digests": self.digest_count,
            "list_sha256": self.list_sha256,
            "withheld_kinds": list(self.withheld_kinds),
        }


def _recipients(repo: SharingRepository, agreement: Agreement, node: SharingNode) -> list[str]:
    active = {p.node_id for p in repo.partners() if p.status == "active"}
    return sorted(
        partner
        for partner in agreement.recipients
        if partner != node.node_id and partner in active and agreement.is_party(partner)
    )


def publish_watch_list(
    uow: SqlUnitOfWork, actor: Principal, node: SharingNode, keys_dir: Path, agreement_id: str
) -> list[PublishedList]:
    """Key our watch list for every partner under ``agreement_id``, sign and store; ledger leaves."""
    require(actor, Action.SHARING_PUBLISH)
    agreement = _agreement(uow, agreement_id)
    now = node.clock.now()
    if not agreement.is_party(node.node_id):
        raise ValidationFailed([FieldError(("agreement",), f"this node is not a party to {agreement_id}")])
    if not agreement.in_force_on(now.date()):
        raise ValidationFailed([FieldError(("agreement",), f"{agreement_id} is not in force today")])
    key = _list_key_for(keys_dir, agreement_id)
    key_id = watch_list_key_id(key)
    published: list[PublishedList] = []
    with uow:
        repo = SharingRepository(uow.connection)
        watch = WatchRepository(uow.connection)
        recipients = _recipients(repo, agreement, node)
        if not recipients:
            raise ValidationFailed(
                [FieldError(("agreement",), f"{agreement_id} names no active partner as recipient")]
            )
        entries = watch.entries()
        records: list[LedgerRecord] = []
        # Every recipient gets the list keyed with the same agreement key: it is keyed once per
        # distinct set of withheld kinds (at most two), not once per recipient.
        keyed: dict[tuple[str, ...], frozenset[str]] = {}
        for recipient in recipients:
            personal = agreement.recipients[recipient].personal_data
            withheld = () if personal else tuple(sorted(kind.value for kind in PERSONAL_KINDS))
            digests = keyed.get(withheld)
            if digests is None:
                digests = keyed[withheld] = frozenset(
                    keyed_digest(key, IdentifierKind(entry.kind), entry.canonical)
                    for entry in entries
                    if entry.kind not in withheld
                )
            if len(digests) > MAX_DIGESTS:
                raise ValidationFailed(
                    [
                        FieldError(
                            ("entries",), f"{len(digests)} entries, over the {MAX_DIGESTS} a list may hold"
                        )
                    ]
                )
            signed = sign_watch_list(node.key, KeyedWatchList(agreement_id, key_id, digests), recipient, now)
            envelope = json.dumps(signed.as_dict(), separators=(",", ":"))
            summary = PublishedList(
                recipient, agreement_id, key_id, len(digests), signed.content_sha256, withheld
            )
            watch.save_published(
                KeyedListRecord(
                    recipient,
                    agreement_id,
                    key_id,
                    len(digests),
                    summary.list_sha256,
                    envelope,
                    now,
                    now,
                    actor.username,
                )
            )
            records.append(
                LedgerRecord(
                    kind="intel.watchlist_published",
                    record_id=f"{agreement_id}/{recipient}"[:128],
                    org=node.node_id[:64],
                    recorded_at=now,
                    body={"owner": node.node_id, **summary.as_dict()},
                )
            )
            published.append(summary)
        append_records(uow, records)
        sign_if_appended(uow, node, now)
        audit(
            uow,
            actor,
            node.clock,
            "intel.watch_published",
            "agreement",
            agreement_id,
            {"recipients": recipients, "key_id": key_id},
        )
        uow.commit()
    log.info("watchlist.published", agreement=agreement_id, recipients=len(published), key_id=key_id)
    return published


def served_watch_list(uow: SqlUnitOfWork, principal: Principal, agreement_id: str) -> str:
    """The signed keyed list we published for the calling partner node (its token and signature)."""
    partner = partner_for_principal(uow, principal)
    agreement = _agreement(uow, agreement_id)
    with uow:
        found = WatchRepository(uow.connection).published(agreement_id, partner.node_id)
    if not found or not agreement.is_party(partner.node_id):
        raise IntelNotFound(f"keyed watch list for {partner.node_id} under {agreement_id}")
    return found[0].envelope


# --- pulling and matching --------------------------------------------------------------------------


@dataclass
class WatchPullResult:
    partner: str
    agreement_id: str
    digests: int = 0
    local_keyed: int = 0
    hits: int = 0
    new_hits: int = 0
    requests_opened: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "agreement": self.agreement_id,
            "digests": self.digests,
            "local_keyed": self.local_keyed,
            "hits": self.hits,
            "new_hits": self.new_hits,
            "requests_opened": self.requests_opened,
            "error": self.error,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class LocalItem:
    """One of our identifiers, by kind and raw value, and the local record it comes from."""

    kind: IdentifierKind
    value: str
    local_ref: str
    org_id: uuid.UUID | None
    country: str | None = None


def declaration_items(declaration: Declaration) -> Iterator[LocalItem]:
    """What of a declaration is matched: its containers, its parties' names, codes that are EORIs."""
    ref = f"declaration {declaration.reference}"
    for number in declaration.containers:
        yield LocalItem(IdentifierKind.CONTAINER, number, f"{ref} (container)", declaration.org_id)
    for role, party in (
        ("importer", declaration.importer),
        ("seller", declaration.seller),
        ("declarant", declaration.declarant),
        ("courier", declaration.courier),
    ):
        if party is None:
            continue
        if party.name:
            yield LocalItem(IdentifierKind.PARTY_NAME, party.name, f"{ref} ({role} name)", declaration.org_id)
        if party.code and len(party.code) >= 4 and party.code[:2].isalpha():
            yield LocalItem(IdentifierKind.EORI, party.code, f"{ref} ({role} code)", declaration.org_id)


def _local_items(uow: SqlUnitOfWork, actor: Principal) -> Iterator[LocalItem]:
    for entry in WatchRepository(uow.connection).entries():
        yield LocalItem(
            IdentifierKind(entry.kind), entry.value, f"watch list {entry.reference}", None, entry.country
        )
    for declaration in uow.declarations.iter_all(org_id=actor.org_id):
        yield from declaration_items(declaration)


@dataclass(frozen=True, slots=True)
class KeyedHit:
    item: LocalItem
    digest: str


def match_local_items(
    items: Iterable[LocalItem], key: bytes, partner_digests: frozenset[str]
) -> tuple[int, list[KeyedHit]]:
    """Key every local item (canonicalised; unreadable ones skipped) and keep those the partner holds.

    Streams: only the hits are kept, so a million declarations cost time, not memory. Returns the
    number of items keyed and the hits."""

    @functools.lru_cache(maxsize=65536)
    def digest_of(kind: IdentifierKind, value: str, country: str | None) -> str | None:
        try:
            return keyed_digest(key, kind, canonical_identifier(kind, value, country))
        except IdentifierInvalid:
            return None

    keyed = 0
    hits: list[KeyedHit] = []
    for item in items:
        digest = digest_of(item.kind, item.value, item.country)
        if digest is None:
            continue
        keyed += 1
        if digest in partner_digests:
            hits.append(KeyedHit(item, digest))
    return keyed, hits


def _fetch(client: httpx.Client, partner: PartnerRecord, agreement_id: str) -> Any | None:
    url = f"{partner.base_url}{keyed_list_path(agreement_id)}"
    try:
        with client.stream("GET", url) as response:
            if response.status_code == 404:
                response.read()
                return None
            if response.status_code != 200:
                response.read()
                raise WatchListInvalid(
                    "fetch", f"{partner.node_id} answered {response.status_code}: {response.text[:200]}"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_LIST_BYTES:
                    raise WatchListInvalid(
                        "size", f"{partner.node_id} sent a list over {MAX_LIST_BYTES} bytes"
                    )
                chunks.append(chunk)
    except httpx.HTTPError as error:
        raise WatchListInvalid("fetch", f"{partner.node_id} unreachable: {type(error).__name__}") from error
    try:
        return json.loads(b"".join(chunks))
    except ValueError as error:
        raise WatchListInvalid("format", f"{partner.node_id} sent something that is not JSON") from error


def _pull_one(
    container: Any,
    actor: Principal,
    node: SharingNode,
    partner: PartnerRecord,
    agreement: Agreement,
    client: httpx.Client,
) -> WatchPullResult:
    result = WatchPullResult(partner.node_id, agreement.agreement_id)
    aid = agreement.agreement_id
    secret = load_watch_secret(container.settings.keys_dir, aid)
    if secret is None:  # this node takes no part in watch-list exchange under that agreement
        result.notes.append(f"no watch-list secret installed for {aid}: skipped")
        return result
    try:
        key = list_key(secret, aid)
        data = _fetch(client, partner, aid)
        if data is None:
            result.notes.append(f"{partner.node_id} has published no keyed list for us under {aid}")
            return result
        signed = parse_watch_list(data)
        owner_key = TrustedKey.from_public_bytes(partner.node_id, partner.author_ref, partner.public_key)
        verify_watch_list(signed, owner_key, recipient=node.node_id, agreement_id=aid, our_list_key=key)
    except WatchListInvalid as error:
        result.error = f"{error.check}: {error.detail}"
        _record_failure(container, partner.node_id, aid, error.check, error.detail)
        return result
    return _accept_list(container, actor, node, partner.node_id, key, signed, result)


def accept_watch_list(
    container: Any, actor: Principal, node: SharingNode, partner: PartnerRecord, signed: SignedWatchList
) -> WatchPullResult:
    """A partner's keyed list handed over other than by a pull (the demo world's stand-in partner):
    checked, stored and matched exactly as a pulled one."""
    require(actor, Action.SHARING_SYNC)
    aid = signed.agreement_id
    result = WatchPullResult(partner.node_id, aid)
    key = _list_key_for(container.settings.keys_dir, aid)
    owner_key = TrustedKey.from_public_bytes(partner.node_id, partner.author_ref, partner.public_key)
    try:
        verify_watch_list(signed, owner_key, recipient=node.node_id, agreement_id=aid, our_list_key=key)
    except WatchListInvalid as error:
        result.error = f"{error.check}: {error.detail}"
        return result
    return _accept_list(container, actor, node, partner.node_id, key, signed, result)


def _accept_list(
    container: Any,
    actor: Principal,
    node: SharingNode,
    partner_id: str,
    key: bytes,
    signed: SignedWatchList,
    result: WatchPullResult,
) -> WatchPullResult:
    """Store a verified list (unless older than the one held) and match it against our data."""
    aid = signed.agreement_id
    result.digests = len(signed.digests)
    now = node.clock.now()
    uow = container.uow()
    with uow:
        watch = WatchRepository(uow.connection)
        held = next((r for r in watch.received(partner_id) if r.agreement_id == aid), None)
        if held is not None and signed.published_at < held.published_at:
            result.error = (
                f"replay: the list is older ({signed.published_at.isoformat()}) than the one held "
                f"({held.published_at.isoformat()})"
            )
        elif (
            held is None
            or held.list_sha256 != signed.content_sha256
            or held.published_at != signed.published_at
        ):
            _store_received(uow, node, partner_id, signed, now)
            uow.commit()
    if result.error:
        _record_failure(container, partner_id, aid, "replay", result.error)
        return result
    with container.uow(readonly=True) as read:
        result.local_keyed, hits = match_local_items(
            _local_items(read, actor), key, frozenset(signed.digests)
        )
    result.hits = len(hits)
    _record_hits(container, actor, node, partner_id, aid, hits, result)
    return result


def _store_received(
    uow: SqlUnitOfWork, node: SharingNode, partner: str, signed: SignedWatchList, now: datetime
) -> None:
    envelope = json.dumps(signed.as_dict(), separators=(",", ":"))
    WatchRepository(uow.connection).save_received(
        KeyedListRecord(
            partner,
            signed.agreement_id,
            signed.key_id,
            len(signed.digests),
            signed.content_sha256,
            envelope,
            signed.published_at,
            now,
        )
    )
    append_records(
        uow,
        [
            LedgerRecord(
                kind="intel.watchlist_received",
                record_id=f"{signed.agreement_id}/{partner}"[:128],
                org=node.node_id[:64],
                recorded_at=now,
                body={
                    "owner": partner,
                    "recipient": node.node_id,
                    "agreement": signed.agreement_id,
                    "key_id": signed.key_id,
                    "digests": len(signed.digests),
                    "list_sha256": signed.content_sha256,
                    "published_at": signed.published_at.isoformat(),
                },
            )
        ],
    )
    sign_if_appended(uow, node, now)


# A list that fails these checks is forged, tampered or misdirected: on the partner's record like a
# refused object (partner status, verification failures). Unreachable, not published, another key
# (a rotation in progress) or an older list are only reported to the caller and logged.
_FORGERY_CHECKS = frozenset({"format", "size", "owner", "signature", "recipient", "agreement"})


def _record_failure(container: Any, partner: str, agreement_id: str, check: str, detail: str) -> None:
    log.warning(
        "watchlist.pull_refused", partner=partner, agreement=agreement_id, check=check, detail=detail[:200]
    )
    if check not in _FORGERY_CHECKS:
        return
    uow = container.uow()
    with uow:
        SharingRepository(uow.connection).record_rejection(
            Rejection(
                partner, f"watchlist:{agreement_id}", f"watchlist-{check}", detail, container.clock.now()
            )
        )
        uow.commit()


def _auto_reason(agreement_id: str, kind: str) -> str:
    """What the partner reads: the overlap only (kind and digest are in the request anyway)."""
    return (
        f"Keyed watch-list hit under {agreement_id}: a {_KIND_WORDS.get(kind, kind)} on your list is also "
        "in our records. What do you hold on it? (request opened automatically)"
    )


def _record_hits(
    container: Any,
    actor: Principal,
    node: SharingNode,
    partner: str,
    agreement_id: str,
    hits: list[KeyedHit],
    result: WatchPullResult,
) -> None:
    uow = container.uow()
    with uow:
        added, to_ask = _store_hits(
            WatchRepository(uow.connection), partner, agreement_id, hits, node.clock.now()
        )
        result.new_hits += added
        uow.commit()
    for digest, kind in to_ask:
        note = _open_request(container.uow(), actor, node, partner, agreement_id, kind, digest)
        if note is None:
            result.requests_opened += 1
        else:
            result.notes.append(note)


def _store_hits(
    watch: WatchRepository,
    partner: str,
    agreement_id: str,
    hits: Sequence[KeyedHit],
    now: datetime,
    where: str = "",
) -> tuple[int, list[tuple[str, str]]]:
    """Record each hit on ``partner``'s list (once per local record and digest), link the hits
    whose digest we already asked about to that request, and return how many hits were new and
    the ``(digest, kind)`` pairs still to ask about. ``where`` ends the reason (" (at intake)")."""
    added = 0
    for hit in hits:
        kind = hit.item.kind.value
        added += watch.add_match(
            WatchMatchRecord(
                uuid.uuid4(),
                partner,
                agreement_id,
                kind,
                hit.digest,
                hit.item.local_ref[:300],
                hit.item.org_id,
                f"{partner}'s keyed list under {agreement_id} also holds the {_KIND_WORDS[kind]} "
                f"of our {hit.item.local_ref}{where}",
                None,
                None,
                now,
            )
        )
    asked = watch.requested_digests(partner, agreement_id)
    for digest in sorted({hit.digest for hit in hits} & asked.keys()):
        watch.link_disclosure(partner, agreement_id, digest, asked[digest], None)
    to_ask = sorted({(hit.digest, hit.item.kind.value) for hit in hits if hit.digest not in asked})
    return added, to_ask


def _open_request(
    uow: SqlUnitOfWork,
    actor: Principal,
    node: SharingNode,
    partner: str,
    agreement_id: str,
    kind: str,
    digest: str,
    refused_suffix: str = "",
) -> str | None:
    """Open the disclosure request of one new hit and link it to the hit's matches (or note why not).
    Returns None when opened, else the note."""
    opened: DisclosureRecord | None = None
    note: str | None = None
    try:
        opened = request_disclosure(
            uow,
            actor,
            node,
            partner=partner,
            agreement_id=agreement_id,
            kind=kind,
            digest=digest,
            reason=_auto_reason(agreement_id, kind),
        )
    except (ValidationFailed, PermissionDenied) as error:
        note = f"no disclosure request opened: {error.message}{refused_suffix}"
    with uow:
        WatchRepository(uow.connection).link_disclosure(
            partner, agreement_id, digest, opened.id if opened else None, note
        )
        uow.commit()
    return note


# --- matching at intake ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedKeyedList:
    """A partner's keyed list held for intake matching: its digests and our list key for it."""

    partner: str
    agreement_id: str
    key: bytes
    digests: frozenset[str]


@dataclass(frozen=True, slots=True)
class IntakeRequest:
    """A new hit found at intake whose disclosure request is opened once the intake has committed."""

    partner: str
    agreement_id: str
    kind: str
    digest: str


def received_for_intake(uow: SqlUnitOfWork, keys_dir: Path | None) -> tuple[ReceivedKeyedList, ...]:
    """The partners' keyed lists we hold, with the key to match them, inside the caller's unit of
    work. Costs no query at all when no watch-list secret is installed (then no list can have been
    received); a list keyed with another key than ours (a rotation in progress) waits for the pull."""
    if keys_dir is None or not has_watch_secret(keys_dir):
        return ()
    found: list[ReceivedKeyedList] = []
    keys: dict[str, bytes | None] = {}
    repo = WatchRepository(uow.connection)
    for node, aid, key_id, content_sha256 in repo.received_heads():
        key = _known_list_key(keys_dir, aid, keys)
        if key is None or watch_list_key_id(key) != key_id:
            continue
        digests = _RECEIVED_DIGESTS.get(content_sha256)
        if digests is None:  # first intake since this list arrived: read and parse it once
            envelope = repo.received_envelope(node, aid)
            if envelope is None:
                continue
            digests = frozenset(parse_watch_list(json.loads(envelope)).digests)
            if len(_RECEIVED_DIGESTS) >= _RECEIVED_DIGESTS_HELD:
                _RECEIVED_DIGESTS.clear()
            _RECEIVED_DIGESTS[content_sha256] = digests
        found.append(ReceivedKeyedList(node, aid, key, digests))
    return tuple(found)


# Received lists' digests by the lists' content hash (checked against the signed list when it was
# pulled, so one hash always stands for the same digests): intake parses a list once per process,
# not on every declaration.
_RECEIVED_DIGESTS: dict[str, frozenset[str]] = {}
_RECEIVED_DIGESTS_HELD = 64


def match_at_intake(
    uow: SqlUnitOfWork,
    declarations: Sequence[Declaration],
    lists: Sequence[ReceivedKeyedList],
    now: datetime,
) -> list[IntakeRequest]:
    """Inside the intake's open unit of work: key the new declarations' identifiers once per
    agreement, record each hit on a received list as a pull does (``sharing_watch_matches``) and
    return the disclosure requests still to open (none for a digest already asked about)."""
    if not lists or not declarations:
        return []
    watch = WatchRepository(uow.connection)
    by_agreement: dict[str, list[ReceivedKeyedList]] = {}
    for received in lists:
        by_agreement.setdefault(received.agreement_id, []).append(received)
    pending: list[IntakeRequest] = []
    for agreement_id, held in by_agreement.items():
        union = frozenset().union(*(r.digests for r in held))
        _, hits = match_local_items(
            (item for d in declarations for item in declaration_items(d)), held[0].key, union
        )
        for received in held:
            mine = [hit for hit in hits if hit.digest in received.digests]
            if not mine:
                continue
            partner = received.partner
            _, to_ask = _store_hits(watch, partner, agreement_id, mine, now, " (at intake)")
            pending.extend(IntakeRequest(partner, agreement_id, kind, digest) for digest, kind in to_ask)
            log.info("watchlist.intake_hits", partner=partner, agreement=agreement_id, hits=len(mine))
    return pending


def open_intake_requests(
    uow: SqlUnitOfWork,
    actor: Principal,
    pending: Sequence[IntakeRequest],
    *,
    keys_dir: Path,
    node_name: str,
    signer: Any,
    clock: Any,
) -> int:
    """After the intake has committed: open the disclosure request of each new hit, as a pull does
    (same request, signed with the node key, same ledger leaf). An actor who may not ask (an
    officer) leaves it to the next pull, noted on the hit; so does any failure here (the
    declarations are stored already). Returns the number of requests opened."""
    if not pending:
        return 0
    from supplyguard.adapters.sharing_keys import load_or_create_sharing_key

    opened = 0
    try:
        node = SharingNode(node_name, load_or_create_sharing_key(keys_dir, node_name), signer, clock)
        for request in pending:
            note = _open_request(
                uow,
                actor,
                node,
                request.partner,
                request.agreement_id,
                request.kind,
                request.digest,
                " (the next watch-list pull opens it)",
            )
            opened += note is None
    except Exception as error:  # the declarations are committed: the next pull opens what is left
        log.warning("watchlist.intake_requests_failed", opened=opened, error=str(error)[:200])
    return opened


def pull_watch_lists(
    container: Any,
    actor: Principal,
    partner_node: str | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = 30.0,
) -> list[WatchPullResult]:
    """Fetch, verify and match every partner's keyed list for us (or ``partner_node``'s)."""
    require(actor, Action.SHARING_SYNC)
    node = sharing_node(container)
    with container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        partners = [
            p
            for p in repo.partners()
            if p.status == "active" and p.base_url and (partner_node is None or p.node_id == partner_node)
        ]
        agreements = agreements_of(repo)
    if partner_node is not None and not partners:
        raise ValidationFailed(
            [FieldError(("partner",), f"{partner_node} is not an active partner with a URL")]
        )
    today = node.clock.now().date()
    started = time.monotonic()
    results: list[WatchPullResult] = []
    for partner in partners:
        shared = [
            a
            for a in agreements
            if a.is_party(partner.node_id) and a.is_party(node.node_id) and a.in_force_on(today)
        ]
        token = load_partner_token(container.settings.keys_dir, partner.node_id)
        with http_client(
            plain_http=is_plain_http(partner.base_url or ""),
            auth=NodeRequestAuth(node, token),
            transport=transport,
            timeout=timeout_s,
        ) as client:
            for agreement in shared:
                results.append(_pull_one(container, actor, node, partner, agreement, client))
    log.info(
        "watchlist.pulled",
        lists=len(results),
        hits=sum(r.hits for r in results),
        requests=sum(r.requests_opened for r in results),
        ms=round((time.monotonic() - started) * 1000),
    )
    return results


# --- what the analyst sees ------------------------------------------------------------------------


def list_watch_matches(uow: SqlUnitOfWork, actor: Principal, limit: int = 1000) -> list[WatchMatchRecord]:
    """Hits on our watch list and on the caller's organisation's declarations, newest first."""
    require(actor, Action.SHARING_READ)
    with uow:
        return WatchRepository(uow.connection).matches(actor.org_id, limit)


@dataclass(frozen=True, slots=True)
class WatchStatus:
    entries: int
    published: list[KeyedListRecord]
    received: list[KeyedListRecord]


def watch_status(uow: SqlUnitOfWork, actor: Principal) -> WatchStatus:
    """How many identifiers we watch, the lists we published (per partner) and those we hold."""
    require(actor, Action.SHARING_READ)
    with uow:
        watch = WatchRepository(uow.connection)
        return WatchStatus(len(watch.entries()), watch.published(), watch.received())


def identify_incoming(
    uow: SqlUnitOfWork, keys_dir: Path, records: Sequence[DisclosureRecord]
) -> dict[uuid.UUID, list[str]]:
    """For incoming requests (we own the entry): which of our watch-list entries each digest is."""
    wanted = [r for r in records if r.direction == "incoming"]
    if not wanted:
        return {}
    with uow:
        entries = WatchRepository(uow.connection).entries()
    found: dict[uuid.UUID, list[str]] = {}
    keys: dict[str, bytes | None] = {}
    named: dict[str, dict[tuple[str, str], list[str]]] = {}  # per agreement: (kind, digest) -> entries
    for record in wanted:
        key = _known_list_key(keys_dir, record.agreement_id, keys)
        if key is None:
            continue
        if record.agreement_id not in named:  # each entry keyed once per agreement, not per request
            by_digest: dict[tuple[str, str], list[str]] = {}
            for entry in entries:
                digest = keyed_digest(key, IdentifierKind(entry.kind), entry.canonical)
                by_digest.setdefault((entry.kind, digest), []).append(
                    f"{entry.kind.replace('_', ' ')} {entry.canonical} ({entry.reference})"
                )
            named[record.agreement_id] = by_digest
        found[record.id] = list(named[record.agreement_id].get((record.kind, record.digest), ()))
    return found
