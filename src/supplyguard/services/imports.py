"""Bulk import of declarations: every valid row stored, every bad row named with its reasons.

The whole import is one transaction: a file that cannot be read, or a failure half-way, leaves
nothing behind. Work is split in two steps:

1. :func:`prepare_rows` (pure, picklable): validate a chunk of rows and turn each good one into its
   database rows and ledger envelopes (the declaration and, for labelled KCS rows, its outcome).
   With ``workers > 1`` chunks are prepared in worker processes while the main process writes.
2. the main process drops duplicates (in the file and in the database), resolves parties, bulk
   inserts, appends the ledger leaves, audits and signs one checkpoint, inside one unit of work.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from supplyguard.adapters.db.declarations_repo import declaration_rows, outcome_row
from supplyguard.adapters.db.screening_repo import ScreeningRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.ledger import Ed25519Signer, LeafEnvelope
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import InspectionOutcome, PartyRef
from supplyguard.model.ids import new_id
from supplyguard.model.intake import parse_declaration
from supplyguard.model.kcs import kcs_column_for, kcs_labels_to_result
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import ReferenceData, load_reference_data
from supplyguard.screening import Query, Screener
from supplyguard.services.audit import audit
from supplyguard.services.declarations import declaration_record, outcome_record
from supplyguard.services.import_formats import RowInput
from supplyguard.services.ledger_records import sign_tree_head

MAX_REPORTED_ERRORS = 10_000
CHUNK_ROWS = 1000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reference: str | None
    errors: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reference": self.reference, "errors": self.errors}


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


@dataclass(frozen=True, slots=True)
class ImportContext:
    """What every prepared row needs to know; picklable, so workers get it once per chunk."""

    org_id: uuid.UUID
    actor_id: uuid.UUID
    received_at: datetime
    source: str
    batch_id: uuid.UUID
    with_outcomes: bool


@dataclass(frozen=True, slots=True)
class PreparedRow:
    """A valid row, ready to write: database tuples and ledger envelopes, no domain objects."""

    line: int
    reference: str
    declaration_row: tuple[Any, ...]
    item_rows: list[tuple[Any, ...]]
    parties: list[tuple[str, str | None, str | None]]
    declaration_leaf: LeafEnvelope
    outcome_row: tuple[Any, ...] | None
    outcome_leaf: LeafEnvelope | None


def _error_dict(error: FieldError, layout: str) -> dict[str, Any]:
    """A field error as the report shows it; for KCS files, with the CSV column it came from."""
    found = error.as_dict()
    if layout == "kcs":
        column = kcs_column_for(error.location)
        if column:
            found["column"] = column
    return found


def prepare_rows(
    rows: Sequence[RowInput], context: ImportContext, refdata: ReferenceData | None = None
) -> list[PreparedRow | RowError]:
    """Validate rows and build what is written for each; the same in-process and in workers."""
    reference_data = refdata or load_reference_data()
    prepared: list[PreparedRow | RowError] = []
    for row in rows:
        if row.problem is not None or row.mapping is None:
            prepared.append(RowError(row.line, None, [{"loc": [], "msg": row.problem or "unreadable"}]))
            continue
        try:
            declaration = parse_declaration(
                row.mapping,
                org_id=context.org_id,
                received_at=context.received_at,
                refdata=reference_data,
                source=context.source,
            )
            result = kcs_labels_to_result(row.labels) if row.labels is not None else None
        except ValidationFailed as exc:
            reference = row.mapping.get("reference")
            prepared.append(
                RowError(
                    row.line,
                    str(reference) if reference else None,
                    [_error_dict(e, row.layout) for e in exc.errors],
                )
            )
            continue
        decl_row, item_rows = declaration_rows(declaration, context.batch_id)
        outcome_tuple = outcome_leaf = None
        if result is not None and context.with_outcomes:
            outcome = InspectionOutcome(
                declaration_id=declaration.id,
                inspected=True,
                result=result,
                duty_recovered=0.0,
                notes="imported with the declaration's labels",
                recorded_at=context.received_at,
                recorded_by=context.actor_id,
            )
            outcome_tuple = outcome_row(outcome)
            outcome_leaf = outcome_record(context.org_id, outcome).envelope()
        prepared.append(
            PreparedRow(
                line=row.line,
                reference=declaration.reference,
                declaration_row=decl_row,
                item_rows=item_rows,
                parties=[(ref.code, ref.name, ref.country) for ref in declaration.parties().values()],
                declaration_leaf=declaration_record(declaration).envelope(),
                outcome_row=outcome_tuple,
                outcome_leaf=outcome_leaf,
            )
        )
    return prepared


def _chunks(rows: Iterable[RowInput], size: int) -> Iterator[list[RowInput]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _prepare_chunk(args: tuple[list[RowInput], ImportContext]) -> list[PreparedRow | RowError]:
    return prepare_rows(*args)


def _prepared_stream(
    rows: Iterable[RowInput], context: ImportContext, refdata: ReferenceData, workers: int
) -> Iterator[list[PreparedRow | RowError]]:
    if workers <= 1:
        for chunk in _chunks(rows, CHUNK_ROWS):
            yield prepare_rows(chunk, context, refdata)
        return
    # fork: workers inherit the loaded reference data; chunks come back in file order.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_prepare_chunk, ((chunk, context) for chunk in _chunks(rows, CHUNK_ROWS)))


def import_declarations(
    uow: SqlUnitOfWork,
    clock: Clock,
    refdata: ReferenceData,
    signer: Ed25519Signer,
    actor: Principal,
    rows: Iterable[RowInput],
    *,
    source: str,
    batch_rows: int = 5000,
    with_outcomes: bool = True,
    workers: int = 1,
    screener: Screener | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    require(actor, Action.DECLARATION_CREATE)
    if with_outcomes:
        require(actor, Action.OUTCOME_RECORD)
    context = ImportContext(actor.org_id, actor.user_id, clock.now(), source, new_id(), with_outcomes)
    report = ImportReport(batch_id=str(context.batch_id))
    seen: set[str] = set()
    pending: list[PreparedRow] = []

    def flush() -> None:
        if not pending:
            return
        existing = uow.declarations.existing_references(actor.org_id, (p.reference for p in pending))
        good = [p for p in pending if p.reference not in existing]
        for duplicate in (p for p in pending if p.reference in existing):
            report.add_error(
                RowError(
                    duplicate.line,
                    duplicate.reference,
                    [{"loc": ["reference"], "msg": "a declaration with this reference already exists"}],
                )
            )
        party_refs = {code: PartyRef(code, name, country) for p in good for code, name, country in p.parties}
        party_ids = uow.parties.resolve(actor.org_id, party_refs.values(), context.received_at)
        if screener is not None:
            screening = ScreeningRepository(uow.connection)
            for ref in party_refs.values():
                if ref.name:  # parties known only by a code (as in the KCS data) have nothing to screen
                    hits = screener.screen(Query(name=ref.name, country=ref.country or ""))
                    screening.replace_hits(
                        actor.org_id, party_ids[ref.code], ref.name, hits, context.received_at
                    )
                    report.screening_hits += len(hits)
        uow.declarations.add_rows(
            [p.declaration_row for p in good], [item for p in good for item in p.item_rows]
        )
        outcome_rows = [p.outcome_row for p in good if p.outcome_row is not None]
        uow.declarations.add_outcome_rows(outcome_rows)
        leaves = [p.declaration_leaf for p in good]
        leaves.extend(p.outcome_leaf for p in good if p.outcome_leaf is not None)
        uow.ledger.append_many(leaves)
        report.stored += len(good)
        report.outcomes_stored += len(outcome_rows)
        pending.clear()
        if on_progress is not None:
            on_progress(report.rows_read)

    with uow:
        for chunk in _prepared_stream(rows, context, refdata, workers):
            for item in chunk:
                report.rows_read += 1
                if isinstance(item, RowError):
                    report.add_error(item)
                elif item.reference in seen:
                    report.add_error(
                        RowError(
                            item.line,
                            item.reference,
                            [{"loc": ["reference"], "msg": "appears more than once in this file"}],
                        )
                    )
                else:
                    seen.add(item.reference)
                    pending.append(item)
            if len(pending) >= batch_rows:
                flush()
        flush()
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
    if on_progress is not None:
        on_progress(report.rows_read)
    return report
