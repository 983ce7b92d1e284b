"""Bulk import of declarations: every valid row stored, every bad row named with its reasons.

The whole import is one transaction: a file that cannot be read, or a failure half-way, leaves
nothing behind. Rows are validated, stored and appended to the ledger in batches inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import Declaration, InspectionOutcome
from supplyguard.model.ids import new_id
from supplyguard.model.intake import parse_declaration
from supplyguard.model.kcs import kcs_column_for, kcs_labels_to_result
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import ReferenceData
from supplyguard.services.audit import audit
from supplyguard.services.declarations import declaration_record, outcome_record
from supplyguard.services.import_formats import RowResult
from supplyguard.services.ledger_records import append_records, sign_tree_head

MAX_REPORTED_ERRORS = 10_000


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
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.rejected > len(self.errors),
        }


def _error_dict(error: FieldError, layout: str) -> dict[str, Any]:
    """A field error as the report shows it; for KCS files, with the CSV column it came from."""
    found = error.as_dict()
    if layout == "kcs":
        column = kcs_column_for(error.location)
        if column:
            found["column"] = column
    return found


def import_declarations(
    uow: SqlUnitOfWork,
    clock: Clock,
    refdata: ReferenceData,
    signer: Ed25519Signer,
    actor: Principal,
    rows: Iterable[RowResult],
    *,
    source: str,
    batch_rows: int = 5000,
    with_outcomes: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    require(actor, Action.DECLARATION_CREATE)
    if with_outcomes:
        require(actor, Action.OUTCOME_RECORD)
    batch_id = new_id()
    report = ImportReport(batch_id=str(batch_id))
    seen: set[str] = set()
    now = clock.now()
    pending: list[tuple[int, Declaration, Mapping[str, str] | None]] = []

    def flush() -> None:
        if not pending:
            return
        existing = uow.declarations.existing_references(actor.org_id, (d.reference for _, d, _ in pending))
        good: list[Declaration] = []
        found_outcomes: list[InspectionOutcome] = []
        for row_number, declaration, labels in pending:
            if declaration.reference in existing:
                report.add_error(
                    RowError(
                        row_number,
                        declaration.reference,
                        [{"loc": ["reference"], "msg": "a declaration with this reference already exists"}],
                    )
                )
                continue
            good.append(declaration)
            if labels is not None and with_outcomes:
                result = kcs_labels_to_result(labels)
                if result is not None:
                    found_outcomes.append(
                        InspectionOutcome(
                            declaration_id=declaration.id,
                            inspected=True,
                            result=result,
                            duty_recovered=0.0,
                            notes="imported with the declaration's labels",
                            recorded_at=now,
                            recorded_by=actor.user_id,
                        )
                    )
        refs = [ref for d in good for ref in d.parties().values()]
        uow.parties.resolve(actor.org_id, refs, now)
        uow.declarations.add_many(good, import_batch=batch_id)
        uow.declarations.save_outcomes(found_outcomes)
        records = [declaration_record(d) for d in good]
        records.extend(outcome_record(actor.org_id, o) for o in found_outcomes)
        append_records(uow, records)
        report.stored += len(good)
        report.outcomes_stored += len(found_outcomes)
        pending.clear()
        if on_progress is not None:
            on_progress(report.rows_read)

    with uow:
        for row in rows:
            report.rows_read += 1
            row_number, mapping, labels = row.line, row.mapping, row.labels
            if row.problem is not None or mapping is None:
                report.add_error(
                    RowError(row_number, None, [{"loc": [], "msg": row.problem or "unreadable"}])
                )
                continue
            reference = mapping.get("reference")
            try:
                declaration = parse_declaration(
                    mapping, org_id=actor.org_id, received_at=now, refdata=refdata, source=source
                )
                if labels is not None:
                    kcs_labels_to_result(labels)
            except ValidationFailed as exc:
                report.add_error(
                    RowError(
                        row_number,
                        str(reference) if reference else None,
                        [_error_dict(e, row.layout) for e in exc.errors],
                    )
                )
                continue
            if declaration.reference in seen:
                report.add_error(
                    RowError(
                        row_number,
                        declaration.reference,
                        [{"loc": ["reference"], "msg": "appears more than once in this file"}],
                    )
                )
                continue
            seen.add(declaration.reference)
            pending.append((row_number, declaration, labels))
            if len(pending) >= batch_rows:
                flush()
        flush()
        audit(
            uow,
            actor,
            clock,
            "declaration.import",
            "import",
            str(batch_id),
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
