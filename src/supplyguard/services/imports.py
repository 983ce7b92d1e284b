"""Bulk import of declarations: every valid row stored, every bad row named with its reasons.

The whole import is one transaction: a file that cannot be read, or a failure half-way, leaves
nothing behind. Work is split in two:

1. reading (:mod:`supplyguard.services.import_rows`): rows are checked and turned into their
   database rows and ledger envelopes (the declaration and, for labelled KCS rows, its outcome),
   grouped into batches, a reference seen before in the file refused. With ``workers > 1`` this
   runs in one forked reader process (:class:`~supplyguard.services.import_rows.ImportReader`),
   which a command may start before it opens the database, and which sends each batch ready to
   write (for a first load, its stored rows and leaves too) while this process writes the one
   before.
2. writing (:func:`import_declarations`): this process drops rows whose reference is already
   stored, resolves parties, bulk inserts, appends the ledger leaves, audits and signs one
   checkpoint, inside one unit of work.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from supplyguard.adapters.db.bulk import Stored
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import Declaration, InspectionOutcome, PartyRef
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import ReferenceData
from supplyguard.services.audit import audit
from supplyguard.services.import_formats import RowInput
from supplyguard.services.import_rows import (
    ImportContext,
    ImportReader,
    KcsRow,
    KcsRowPreparer,
    KcsStored,
    NewParties,
    PreparedRow,
    RowError,
    WriteForm,
    default_workers,
    prepare_row,
    prepare_rows,
)
from supplyguard.services.ledger_records import sign_tree_head

if TYPE_CHECKING:  # imported where used: the CLI starts without screening, sharing or the model
    from supplyguard.screening import Screener
    from supplyguard.services.risk_intake import IntakeRisk, IntakeScore
    from supplyguard.services.sharing_watch import IntakeRequest, ReceivedKeyedList
    from supplyguard.services.watch_intake import WatchIntake

__all__ = [
    "ImportContext",
    "ImportReader",
    "ImportReport",
    "KcsRowPreparer",
    "PreparedRow",
    "RowError",
    "default_workers",
    "import_declarations",
    "prepare_row",
    "prepare_rows",
]

MAX_REPORTED_ERRORS = 10_000


@dataclass
class ImportReport:
    batch_id: str
    rows_read: int = 0
    stored: int = 0
    outcomes_stored: int = 0
    rejected: int = 0
    screening_hits: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add_error(self, error: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "stored": self.stored,
            "outcomes_stored": self.outcomes_stored,
            "rejected": self.rejected,
            "screening_hits": self.screening_hits,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.rejected > len(self.errors),
        }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the length of an import.

    An import allocates millions of short-lived tuples, dicts and row objects; the collector kept
    walking them (and everything else alive) again and again, about a third of the import's CPU
    time, to find cycles they do not have (reference counting frees them). It is re-enabled,
    if it was enabled, as soon as the import returns or fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_declarations(
    uow: SqlUnitOfWork,
    clock: Clock,
    refdata: ReferenceData,
    signer: Ed25519Signer,
    actor: Principal,
    rows: Iterable[RowInput] | ImportReader,
    *,
    source: str,
    batch_rows: int = 5000,
    with_outcomes: bool = True,
    workers: int = 1,
    screener: Screener | None = None,
    on_progress: Callable[[int], None] | None = None,
    risk: IntakeRisk | None = None,
    watch: WatchIntake | None = None,
) -> ImportReport:
    """Import declarations in one transaction; with ``screener`` every named party is screened, with
    ``risk`` (the node's intake scorer) every new declaration without an outcome is scored and given
    a lane within its day's capacity (nothing is scored while no model is active).

    ``rows`` may be an :class:`ImportReader` the caller has started already (its block still open;
    it was received when the reader was made, and ``workers`` is the reader's), else one is made
    here with ``workers``."""
    require(actor, Action.DECLARATION_CREATE)
    if with_outcomes:
        require(actor, Action.OUTCOME_RECORD)
    with ExitStack() as stack:
        if isinstance(rows, ImportReader):
            if rows.with_outcomes != with_outcomes:
                raise ValueError("the import reader was made for another with_outcomes")
            reader = rows
        else:  # started before the unit of work opens: nothing is open yet when it forks
            reader = ImportReader(
                rows, received_at=clock.now(), with_outcomes=with_outcomes, workers=workers, refdata=refdata
            )
            stack.enter_context(reader)
        context = ImportContext(
            actor.org_id, actor.user_id, reader.received_at, source, new_id(), with_outcomes
        )
        report = ImportReport(batch_id=str(context.batch_id))
        kcs = KcsRowPreparer.of(context, refdata)
        stack.enter_context(_collector_paused())
        stack.enter_context(uow)
        writer = stack.enter_context(
            _BatchWriter(uow, context, kcs, report, screener, risk, watch, batch_rows)
        )
        batches = reader.batches(
            WriteForm(
                context,
                batch_rows,
                None if writer.check_references else writer.stored,
                writer.parties_absent,
                every_row=risk is not None,
            )
        )
        for batch in batches:
            report.rows_read += batch.rows_read
            for error in batch.errors:
                report.add_error(error)
            writer.write(batch.pending, batch.written, batch.parties, batch.accepted)
            if on_progress is not None:
                on_progress(report.rows_read)
        writer.close()
        report.errors.sort(key=lambda error: error.row)
        audit(
            uow,
            actor,
            clock,
            "declaration.import",
            "import",
            str(context.batch_id),
            {
                "source": source,
                "rows_read": report.rows_read,
                "stored": report.stored,
                "rejected": report.rejected,
            },
        )
        if report.stored:
            sign_tree_head(uow, signer, clock)
        uow.commit()
    if writer.watch_requests and watch is not None:  # after the commit, as a pull
        from supplyguard.services.sharing_watch import open_intake_requests

        open_intake_requests(
            uow,
            actor,
            writer.watch_requests,
            keys_dir=watch.keys_dir,
            node_name=watch.node_name,
            signer=signer,
            clock=clock,
        )
    if risk is not None:
        for scored in writer.scores:
            risk.learn(scored)
    if on_progress is not None:
        on_progress(report.rows_read)
    return report


def _nothing() -> None:
    pass


class _BatchWriter:
    """Writes batches of accepted rows inside the import's unit of work, one batch at a time, in
    a thread of its own while the caller reads and prepares the next batch.

    Only this thread uses the connection until :meth:`finish` returns (the caller waits for each
    batch before handing over the next). The database's own work (SQLite's B-trees, PostgreSQL's
    round trips) runs without Python's lock, so it overlaps the next batch's preparation; a
    failure in a batch is raised in the caller at its next :meth:`write` or :meth:`finish`, and
    the unit of work rolls everything back.

    It remembers, for the length of the import, the party codes it has resolved (a code is looked
    up or created once), and whether the organisation had any declaration or party before the
    import: when it had none, nothing it reads can already exist and the look-ups are skipped.
    """

    def __init__(
        self,
        uow: SqlUnitOfWork,
        context: ImportContext,
        kcs: KcsRowPreparer,
        report: ImportReport,
        screener: Screener | None,
        risk: IntakeRisk | None,
        watch: WatchIntake | None,
        batch_rows: int,
    ) -> None:
        self.uow = uow
        self.batch_rows = batch_rows
        self.context = context
        self.kcs = kcs
        self.report = report
        self.screener = screener
        self.risk = risk
        self.watch = watch
        self.stored = Stored.on(uow.connection)
        self.scores: list[IntakeScore] = []
        self.watch_held: tuple[ReceivedKeyedList, ...] | None = None  # partners' keyed lists, once
        self.watch_requests: list[IntakeRequest] = []  # opened after the commit
        self.party_ids: dict[str, str] = {}
        self.check_references = uow.declarations.any_of(context.org_id)
        self.parties_absent = not uow.parties.any_of(context.org_id)
        self._restore_indexes: Callable[[], None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._running: Future[tuple[int, int, list[RowError]]] | None = None

    def __enter__(self) -> _BatchWriter:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="import-writer")
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._thread is not None
        self._thread.shutdown(wait=True)  # a batch still running ends before the rollback

    def write(
        self,
        pending: list[PreparedRow | KcsRow],
        written: KcsStored | None,
        parties: NewParties | None = None,
        accepted: int | None = None,
    ) -> None:
        """Hand over a batch (after the previous one is written); ``written`` and ``parties``: the
        stored rows of its KCS rows and the parties they name first, when made already (only when
        no reference must be checked first); ``accepted``: the number of rows, when ``pending``
        (with ``parties``) holds only those needed for partner intel and scoring."""
        accepted = len(pending) if accepted is None else accepted
        if not accepted:
            return
        self.finish()
        if self._restore_indexes is None:
            self._restore_indexes = self._defer_indexes(accepted)
        assert self._thread is not None
        self._running = self._thread.submit(self._write, pending, written, parties, accepted)

    def _defer_indexes(self, first_batch: int) -> Callable[[], None]:
        """A first batch that fills up, into tables holding fewer rows than it: the secondary
        indexes are built once at the end instead of updated row by row. When the import looks
        nothing up by their keys either (no reference to check, no party stored before, no
        scoring), the keys go too (PostgreSQL; those no other table refers to), the ledger
        records' among them. Returns what builds them all again."""
        if first_batch < self.batch_rows:
            return _nothing
        keys = not self.check_references and self.parties_absent and self.risk is None
        restore = [self.uow.declarations.defer_indexes(first_batch, keys=keys)]
        if keys:
            restore.append(self.uow.ledger.defer_keys(first_batch))

        def build() -> None:
            for step in restore:
                step()

        return build

    def close(self) -> None:
        """Wait for the last batch and build the indexes that were put off."""
        self.finish()
        if self._restore_indexes is not None:
            self._restore_indexes()

    def finish(self) -> None:
        """Wait for the batch in flight and count it (its failure is raised here)."""
        running, self._running = self._running, None
        if running is None:
            return
        stored, outcomes_stored, errors = running.result()
        self.report.stored += stored
        self.report.outcomes_stored += outcomes_stored
        for error in errors:
            self.report.add_error(error)

    def _write(
        self,
        pending: list[PreparedRow | KcsRow],
        written: KcsStored | None,
        parties: NewParties | None,
        accepted: int,
    ) -> tuple[int, int, list[RowError]]:
        uow, context = self.uow, self.context
        org_id = context.org_id
        errors: list[RowError] = []
        good: list[PreparedRow | KcsRow] = pending
        if self.check_references:
            references = [item[1] if isinstance(item, tuple) else item.reference for item in pending]
            existing = uow.declarations.existing_references(org_id, references)
            if existing:
                good = []
                for item, reference in zip(pending, references, strict=True):
                    if reference not in existing:
                        good.append(item)
                        continue
                    errors.append(
                        RowError(
                            item[0] if isinstance(item, tuple) else item.line,
                            reference,
                            [
                                {
                                    "loc": ["reference"],
                                    "msg": "a declaration with this reference already exists",
                                }
                            ],
                        )
                    )
        general = [item for item in good if not isinstance(item, tuple)]
        if written is None:
            written = self.kcs.stored_rows([item for item in good if isinstance(item, tuple)], self.stored)
        if parties is not None:  # KCS rows alone, every one written: the reader found their parties
            self._coded_parties(parties)
        else:
            self._parties(good, bool(general))
        uow.declarations.add_stored(written.declarations, written.items, written.outcomes)
        uow.declarations.add_rows(
            [p.declaration_row for p in general], [i for p in general for i in p.item_rows]
        )
        general_outcomes = [p.outcome_row for p in general if p.outcome_row is not None]
        uow.declarations.add_outcome_rows(general_outcomes)
        self._signals_and_risk(good)
        if general:  # the leaves in file order: each declaration, then its outcome
            kinds: list[str] = []
            ids: list[str] = []
            leaves: list[bytes] = []
            at = 0
            for item in good:
                if isinstance(item, tuple):
                    take = 1 if item[24] is None else 2
                    kinds += written.leaf_kinds[at : at + take]
                    ids += written.leaf_ids[at : at + take]
                    leaves += written.leaves[at : at + take]
                    at += take
                else:
                    for envelope in (item.declaration_leaf, item.outcome_leaf):
                        if envelope is not None:
                            kinds.append(envelope.kind)
                            ids.append(envelope.id)
                            leaves.append(envelope.to_bytes())
            uow.ledger.append_leaves(kinds, ids, leaves)
        else:
            uow.ledger.append_leaves(
                written.leaf_kinds, written.leaf_ids, written.leaves, written.leaf_hashes
            )
        stored = accepted - (len(pending) - len(good))  # less those already stored
        return stored, len(written.outcomes) + len(general_outcomes), errors

    def _coded_parties(self, parties: NewParties) -> None:
        """Store the parties a batch of KCS rows names first (known by their codes alone: nothing
        to screen)."""
        if parties.rows is not None and parties.ids is not None:
            self.uow.parties.add_stored(parties.rows)
            self.party_ids.update(zip(parties.codes, parties.ids, strict=True))
        elif parties.codes:
            found = self.uow.parties.resolve(
                self.context.org_id, [PartyRef(code) for code in parties.codes], self.context.received_at
            )
            self.party_ids.update((code, ident.hex) for code, ident in found.items())

    def _parties(self, good: Sequence[PreparedRow | KcsRow], any_general: bool) -> None:
        """Create the parties not seen before (the last mention of a code wins) and screen the named."""
        known = self.party_ids
        last: dict[str, tuple[str, str | None, str | None] | None] = {}
        if not any_general:
            for row in cast("Sequence[KcsRow]", good):  # KCS rows: codes only, in role order
                for code in (row[11], row[12], row[13], row[14]):
                    if code is not None and code not in known:
                        last[code] = None
        else:
            for item in good:
                if isinstance(item, tuple):
                    for code in (item[11], item[12], item[13], item[14]):
                        if code is not None:
                            last[code] = None
                else:
                    for party in item.parties:
                        last[party[0]] = party
        refs = [PartyRef(code) if party is None else PartyRef(*party) for code, party in last.items()]
        new = [ref for ref in refs if ref.code not in known]
        if new:
            org_id, now = self.context.org_id, self.context.received_at
            if self.parties_absent:
                known.update(
                    zip([ref.code for ref in new], self.uow.parties.add_new(org_id, new, now), strict=True)
                )
            else:
                known.update(
                    (code, ident.hex) for code, ident in self.uow.parties.resolve(org_id, new, now).items()
                )
        if self.screener is not None:
            from supplyguard.adapters.db.screening_repo import ScreeningRepository
            from supplyguard.screening import Query

            screening = ScreeningRepository(self.uow.connection)
            for ref in refs:
                if ref.name:  # parties known only by a code (as in the KCS data) have nothing to screen
                    hits = self.screener.screen(Query(name=ref.name, country=ref.country or ""))
                    screening.replace_hits(
                        self.context.org_id,
                        uuid.UUID(hex=known[ref.code]),
                        ref.name,
                        hits,
                        self.context.received_at,
                    )
                    self.report.screening_hits += len(hits)

    def _watch_lists(self, declarations: Sequence[Declaration | None]) -> None:
        """Partners' keyed watch lists, loaded once per import (none: not a single query)."""
        if self.watch is None:
            return
        from supplyguard.services.sharing_watch import match_at_intake, received_for_intake

        if self.watch_held is None:
            self.watch_held = received_for_intake(self.uow, self.watch.keys_dir)
        if self.watch_held:
            self.watch_requests.extend(
                match_at_intake(
                    self.uow,
                    [d for d in declarations if d is not None],
                    self.watch_held,
                    self.context.received_at,
                )
            )

    def _signals_and_risk(self, good: Sequence[PreparedRow | KcsRow]) -> None:
        """Partner intel for the open declarations, then intake risk: both need domain objects,
        made here only for the rows that need them."""
        uow, kcs, org_id = self.uow, self.kcs, self.context.org_id
        open_declarations = [
            kcs.declaration(item) if isinstance(item, tuple) else item.declaration
            for item in good
            if (item[24] is None if isinstance(item, tuple) else item.outcome is None)
        ]
        if open_declarations:
            from supplyguard.services.sharing_risk import raise_intake_signals

            # partner intel, in the same transaction
            raise_intake_signals(
                uow, [d for d in open_declarations if d is not None], self.context.received_at
            )
            self._watch_lists(open_declarations)
        risk = self.risk
        # The scorer runs with an active model, or to keep a cached state current.
        if risk is None or (uow.risk.intake_key(org_id) is None and risk.cached(org_id) is None):
            return
        declarations: list[Declaration] = []
        outcomes: dict[uuid.UUID, InspectionOutcome] = {}
        for item in good:  # after the intel match: its signals are features and count in the lane
            declaration: Declaration | None
            if isinstance(item, tuple):
                declaration = kcs.declaration(item)
                outcome = kcs.outcome(item)
            else:
                declaration, outcome = item.declaration, item.outcome
            if declaration is None:
                continue
            declarations.append(declaration)
            if outcome is not None:
                outcomes[outcome.declaration_id] = outcome
        self.scores.append(risk.score(uow, org_id, declarations, self.context.received_at, outcomes))
