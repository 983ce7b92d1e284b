"""Screening use cases: import lists into the node, screen one name or a file of parties."""

from __future__ import annotations

import csv
import itertools
import multiprocessing
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from supplyguard.adapters.db.screening_repo import HitChanges, ScreeningRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.lists_store import MIN_SHARE_OF_CURRENT, ListStore, Progress
from supplyguard.errors import (
    FieldError,
    InvalidInput,
    ListSourceError,
    ScreeningHitNotFound,
    ScreeningRunNotFound,
    ValidationFailed,
)
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.screening import Hit, ListMetadata, Query, Screener
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_record, sign_tree_head

if TYPE_CHECKING:
    import httpx

MAX_BATCH_ROWS = 10_000_000


@dataclass(frozen=True, slots=True)
class ScreenResult:
    row: int
    name: str
    hits: list[Hit]
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "row": self.row,
            "name": self.name,
            "hits": [
                {
                    "list": hit.list_id,
                    "entity_id": hit.entity_id,
                    "matched_name": hit.matched_alias,
                    "entity_name": hit.entity_name,
                    "score": round(hit.score, 4),
                    "why": hit.why,
                }
                for hit in self.hits
            ],
        }
        if self.error:
            body["error"] = self.error
        return body


def import_lists(store: ListStore, clock: Clock, paths: list[Path], fmt: str | None) -> list[ListMetadata]:
    """Install each list; a broken one raises and leaves the list in force untouched."""
    return [store.install(path, fmt, clock.now()) for path in paths]


#: The lists ``lists update`` fetches when none is named and none with a URL is installed yet.
OFFICIAL_LISTS = ("ofac-sdn", "ofac-cons", "un-sc", "us-csl")


@dataclass(frozen=True, slots=True)
class ListUpdate:
    """What ``lists update`` did for one list: installed (``metadata``) or refused (``error``)."""

    list_id: str
    url: str
    metadata: ListMetadata | None = None
    error: str | None = None


def lists_to_update(store: ListStore, urls: dict[str, str], names: list[str]) -> list[tuple[str, str]]:
    """(list id, URL) for the named lists; with no names, the installed lists that have a URL, or the
    official government lists on a node that has none of them yet."""
    unknown = [name for name in names if name not in urls]
    if unknown:
        known = ", ".join(sorted(urls)) or "none"
        raise ValidationFailed(
            [FieldError(("NAME",), f"no URL configured for {', '.join(unknown)} (configured: {known})")]
        )
    if not names:
        installed = [m["metadata"]["list_id"] for m in store.manifests()]
        names = [name for name in installed if name in urls] or [n for n in OFFICIAL_LISTS if n in urls]
    return [(name, urls[name]) for name in dict.fromkeys(names)]


def update_lists(
    store: ListStore,
    clock: Clock,
    targets: list[tuple[str, str]],
    client: httpx.Client,
    progress: Progress | None = None,
    allow_shrink: bool = False,
) -> list[ListUpdate]:
    """Download and install each list; one that fails leaves its list in force and says why."""
    results = []
    for list_id, url in targets:
        try:
            meta = store.update(
                list_id,
                url,
                clock.now(),
                client=client,
                progress=progress,
                min_share=None if allow_shrink else MIN_SHARE_OF_CURRENT,
            )
        except ListSourceError as exc:
            results.append(ListUpdate(list_id, url, error=str(exc)))
        else:
            results.append(ListUpdate(list_id, url, metadata=meta))
    return results


def build_screener(store: ListStore, threshold: float) -> Screener:
    snapshots = store.snapshots()
    if not snapshots:
        raise ValidationFailed(
            [FieldError(("lists",), "no sanctions list is installed: run `supplyguard lists import PATH`")]
        )
    return Screener.build([entry for snap in snapshots for entry in snap.entries], threshold=threshold)


def screen_one(
    screener: Screener, name: str, country: str = "", dob: str = "", identifier: str = ""
) -> list[Hit]:
    query = Query(name=name, country=country, dob=dob, identifiers=(identifier,) if identifier else ())
    return screener.screen(query)


def csv_queries(stream: IO[str]) -> Iterator[tuple[int, Query]]:
    """``(row number, query)`` for each row of a CSV with a ``name`` column (and optional country,
    dob, id), read lazily; the header is checked before the first row is asked for."""
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or "name" not in reader.fieldnames:
        raise ValidationFailed([FieldError(("file", 1), "the CSV needs a 'name' column")])

    def rows() -> Iterator[tuple[int, Query]]:
        for index, row in enumerate(reader, start=1):
            if index > MAX_BATCH_ROWS:
                raise ValidationFailed([FieldError(("file",), f"more than {MAX_BATCH_ROWS} rows")])
            identifier = (row.get("id") or "").strip()
            yield (
                index,
                Query(
                    name=row.get("name") or "",
                    country=(row.get("country") or "").strip(),
                    dob=(row.get("dob") or "").strip(),
                    identifiers=(identifier,) if identifier else (),
                    ref=str(index),
                ),
            )

    return rows()


def _screen_rows(screener: Screener, rows: Iterable[tuple[int, Query]]) -> list[ScreenResult]:
    results = []
    for index, query in rows:
        try:
            results.append(ScreenResult(index, query.name, screener.screen(query)))
        except InvalidInput as exc:
            results.append(ScreenResult(index, query.name, [], exc.message))
    return results


def screen_csv(screener: Screener, stream: IO[str], workers: int = 1) -> Iterator[ScreenResult]:
    """One result per row of a CSV with a ``name`` column (and optional country, dob, id), in order,
    row by row (bounded memory whatever the file's size); only hits at or above the threshold.

    ``workers`` > 1 screens chunks of rows in that many forked processes (they share the built
    screener copy-on-write), with at most two chunks per worker in flight: results stay in order
    and memory stays bounded."""
    rows = csv_queries(stream)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for index, query in rows:
            yield from _screen_rows(screener, [(index, query)])
        return
    yield from _screen_forked(screener, rows, workers)


_FORKED_SCREENER: Screener | None = None
CHUNK_ROWS = 500


def _screen_chunk(rows: list[tuple[int, Query]]) -> list[ScreenResult]:
    assert _FORKED_SCREENER is not None
    return _screen_rows(_FORKED_SCREENER, rows)


def _screen_forked(
    screener: Screener, rows: Iterator[tuple[int, Query]], workers: int
) -> Iterator[ScreenResult]:
    global _FORKED_SCREENER
    _FORKED_SCREENER = screener
    pending: deque[AsyncResult[list[ScreenResult]]] = deque()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            while True:
                chunk = list(itertools.islice(rows, CHUNK_ROWS))
                if chunk:
                    pending.append(pool.apply_async(_screen_chunk, (chunk,)))
                while pending and (len(pending) >= 2 * workers or not chunk):
                    yield from pending.popleft().get()
                if not chunk:
                    break
    finally:
        _FORKED_SCREENER = None


class ScreenerCache:
    """One screener per node process, rebuilt when the installed lists change (their manifests).

    A list is swapped in by renaming folders inside the store's root, which changes the root's
    modification time: while it is unchanged, the manifests are not read again."""

    def __init__(self, store: ListStore, threshold: float) -> None:
        self._store = store
        self._threshold = threshold
        self._key: tuple[str, ...] | None = None
        self._screener: Screener | None = None
        self._stamp: tuple[int, int] | None = None

    @property
    def root(self) -> Path:
        return self._store.root

    def _root_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._store.root.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_ino)

    def _fresh(self) -> bool:
        return self._screener is not None and self._stamp is not None and self._root_stamp() == self._stamp

    def has_lists(self) -> bool:
        return self._fresh() or bool(self._store.manifests())

    def get(self) -> Screener:
        if self._fresh():
            assert self._screener is not None
            return self._screener
        stamp = self._root_stamp()
        key = tuple(sorted(m["metadata"]["content_sha256"] for m in self._store.manifests()))
        if self._screener is None or key != self._key:
            self._screener = build_screener(self._store, self._threshold)
            self._key = key
        self._stamp = stamp
        return self._screener


def screen_parties(
    screener: Screener, parties: list[dict[str, str]], threshold: float | None = None
) -> list[ScreenResult]:
    """Screen a batch of parties ({name, country?, dob?, id?}); bad rows get an error, not a failure."""
    results = []
    for index, party in enumerate(parties, start=1):
        name = party.get("name", "")
        identifier = party.get("id", "")
        query = Query(
            name=name,
            country=party.get("country", ""),
            dob=party.get("dob", ""),
            identifiers=(identifier,) if identifier else (),
        )
        try:
            results.append(ScreenResult(index, name, screener.screen(query, threshold=threshold)))
        except InvalidInput as exc:
            results.append(ScreenResult(index, name, [], exc.message))
    return results


def screener_for(extras: dict[str, Any], lists_dir: Path, threshold: float = 0.75) -> Screener | None:
    """The node's screener (cached in the container's extras), or None while no list is installed."""
    cache = extras.get("screener")
    if not isinstance(cache, ScreenerCache) or cache.root != lists_dir:
        cache = ScreenerCache(ListStore(lists_dir), threshold)
        extras["screener"] = cache
    if not cache.has_lists():
        return None
    return cache.get()


#: Weight a new hit found by re-screening adds to each open declaration of the party (times its score).
RESCREEN_SIGNAL_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class RescreenReport:
    """One organisation's re-screening run: parties screened, hits added and removed."""

    org_id: uuid.UUID
    run_id: int
    parties: int
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    skipped: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "parties": self.parties,
            "hits_added": len(self.added),
            "hits_removed": len(self.removed),
            "added": self.added,
            "removed": self.removed,
            "skipped": self.skipped,
        }


def lists_fingerprint(store: ListStore) -> dict[str, Any]:
    """The lists in force, as a re-screening run records them: list id -> sha256, list date, URL."""
    return {
        m["metadata"]["list_id"]: {
            "sha256": m["metadata"]["content_sha256"],
            "list_date": m["metadata"]["list_date"],
            "source": m.get("source_url") or m["metadata"]["source"],
        }
        for m in store.manifests()
    }


def rescreen_org(
    uow: SqlUnitOfWork,
    clock: Clock,
    screener: Screener,
    org_id: uuid.UUID,
    *,
    trigger: str,
    actor: Principal | None,
    lists: dict[str, Any],
) -> RescreenReport:
    """Screen again every named party of the organisation's open declarations against the lists in
    force, store the hits (false positives stay so while the list entry and the party's name are
    unchanged), record the run with the hits it added and removed, and raise a screening risk signal
    on the open declarations of a party with a new hit. One transaction."""
    from supplyguard.model.declarations import Lane
    from supplyguard.risk.signals import RiskSignal, SignalSource
    from supplyguard.services.risk_signals import raise_signal

    now = clock.now()
    with uow:
        repo = ScreeningRepository(uow.connection)
        open_parties = repo.open_parties(org_id)
        changes: list[tuple[uuid.UUID, str, HitChanges]] = []
        added: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        skipped: list[str] = []
        for party in open_parties:
            try:
                hits = screener.screen(Query(name=party.name, country=party.country))
            except InvalidInput as exc:
                skipped.append(f"{party.code}: {exc.message}")
                continue
            change = repo.replace_hits(org_id, party.party_id, party.name, hits, now)
            if not (change.added or change.removed):
                continue
            changes.append((party.party_id, party.name, change))
            for hit in change.added:
                added.append(
                    {
                        "party": party.code,
                        "name": party.name,
                        "list": hit.list_id,
                        "entity_id": hit.entity_id,
                        "entity_name": hit.entity_name,
                        "score": round(hit.score, 4),
                        "why": hit.why,
                    }
                )
                signal = RiskSignal(
                    source=SignalSource.SCREENING,
                    ref=f"{party.code}:{hit.list_id}:{hit.entity_id}",
                    kind="list-change-hit",
                    weight=round(RESCREEN_SIGNAL_WEIGHT * hit.score, 4),
                    reason=(
                        f"party {party.name} now matches {hit.list_id} {hit.entity_id} "
                        f"{hit.entity_name} (score {hit.score:.2f}) after a list change"
                    ),
                    min_lane=Lane.YELLOW,
                )
                for declaration_id in party.declaration_ids:
                    raise_signal(uow, org_id, declaration_id, signal, now)
            removed.extend(
                {
                    "party": party.code,
                    "name": party.name,
                    "list": gone["list_id"],
                    "entity_id": gone["entity_id"],
                    "entity_name": gone["entity_name"],
                }
                for gone in change.removed
            )
        label = actor.username if actor is not None else "system"
        run_id = repo.record_run(org_id, now, trigger, label, lists, len(open_parties), changes)
        audit(
            uow,
            actor,
            clock,
            "screening.rescreen",
            "screening_run",
            str(run_id),
            {
                "trigger": trigger,
                "parties": len(open_parties),
                "hits_added": len(added),
                "hits_removed": len(removed),
                "lists": sorted(lists),
            },
            org_id=org_id,
        )
        uow.commit()
    return RescreenReport(org_id, run_id, len(open_parties), added, removed, skipped)


def rescreen(
    uow_factory: Callable[[], SqlUnitOfWork],
    clock: Clock,
    screener: Screener,
    store: ListStore,
    actor: Principal,
    *,
    trigger: str = "manual",
) -> RescreenReport:
    """Re-screen the open declarations' parties of the actor's organisation (API and CLI trigger)."""
    require(actor, Action.SCREENING_DECIDE)
    return rescreen_org(
        uow_factory(),
        clock,
        screener,
        actor.org_id,
        trigger=trigger,
        actor=actor,
        lists=lists_fingerprint(store),
    )


def runs_of(uow: SqlUnitOfWork, actor: Principal, run_id: int | None = None) -> list[dict[str, Any]]:
    """The organisation's latest re-screening runs (or one, with its hit changes)."""
    require(actor, Action.PARTY_READ)
    with uow:
        repo = ScreeningRepository(uow.connection)
        runs = repo.runs(actor.org_id, run_id=run_id)
        if run_id is not None:
            if not runs:
                raise ScreeningRunNotFound(run_id)
            runs[0]["changes"] = repo.changes_of(actor.org_id, run_id)
    return runs


def rescreen_all(
    uow_factory: Callable[[], SqlUnitOfWork],
    clock: Clock,
    store: ListStore,
    threshold: float,
    actors: list[Principal],
    *,
    trigger: str,
) -> list[RescreenReport]:
    """After a list change on the node: every organisation given (one operator principal each)."""
    if not actors:
        return []
    screener = build_screener(store, threshold)
    lists = lists_fingerprint(store)
    return [
        rescreen_org(uow_factory(), clock, screener, actor.org_id, trigger=trigger, actor=actor, lists=lists)
        for actor in actors
    ]


def mark_false_positive(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, hit_id: int, reason: str = ""
) -> dict[str, Any]:
    """Mark a hit a false positive for its party: kept so (and not re-alerted) until the list entry or
    the party's name changes. Audited and recorded in the ledger."""
    require(actor, Action.SCREENING_DECIDE)
    with uow:
        hit = ScreeningRepository(uow.connection).mark_false_positive(actor.org_id, hit_id)
        if hit is None:
            raise ScreeningHitNotFound(hit_id)
        body = {
            "party_id": str(hit["party_id"]),
            "list_id": hit["list_id"],
            "entity_id": hit["entity_id"],
            "entry_digest": hit["entry_digest"],
            "decision": "false_positive",
            "reason": reason,
        }
        append_record(uow, "screening.decision", str(hit_id), str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "screening.false_positive", "screening_hit", str(hit_id), body)
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return hit
