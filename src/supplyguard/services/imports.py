"""Bulk import of declarations: every valid row stored, every bad row named with its reasons.

The whole import is one transaction: a file that cannot be read, or a failure half-way, leaves
nothing behind. Work is split in two steps:

1. :func:`prepare_rows` (pure, picklable): validate a chunk of rows and turn each good one into its
   database rows and ledger envelopes (the declaration and, for labelled KCS rows, its outcome).
   With ``workers > 1`` chunks are prepared in worker processes while the main process writes.
   KCS rows take a direct path (:class:`KcsRowPreparer`: precompiled look-ups, the ledger body
   written by one format string); any row it is not certain about goes through
   :func:`~supplyguard.model.intake.parse_declaration` instead, so accepted rows, stored values and
   error messages are exactly those of the general path.
2. the main process drops duplicates (in the file and in the database), resolves parties, bulk
   inserts, appends the ledger leaves, audits and signs one checkpoint, inside one unit of work.
"""

from __future__ import annotations

import gc
import hashlib
import math
import multiprocessing
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from supplyguard.adapters.db.declarations_repo import declaration_rows, outcome_row
from supplyguard.adapters.db.screening_repo import ScreeningRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.ledger import Ed25519Signer, LeafEnvelope
from supplyguard.model.canonical import canonical_json
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.declarations import (
    Declaration,
    DeclarationItem,
    InspectionOutcome,
    OutcomeResult,
    PartyRef,
    outcome_ledger_body,
)
from supplyguard.model.ids import new_id
from supplyguard.model.intake import EARLIEST_DATE, FUTURE_LIMIT, MAX_TEXT, parse_declaration
from supplyguard.model.kcs import KCS_COLUMNS, kcs_column_for, kcs_labels_to_result
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import UNKNOWN_COUNTRY, ReferenceData, load_reference_data
from supplyguard.screening import Query, Screener
from supplyguard.services.audit import audit
from supplyguard.services.declarations import declaration_record, outcome_record
from supplyguard.services.import_formats import RowInput
from supplyguard.services.ledger_records import sign_tree_head
from supplyguard.services.risk_intake import IntakeRisk, IntakeScore
from supplyguard.services.sharing_risk import raise_intake_signals

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
    #: the parsed declaration and its outcome, for scoring at intake
    declaration: Declaration | None = None
    outcome: InspectionOutcome | None = None


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
    kcs = KcsRowPreparer.of(context, reference_data)
    prepared: list[PreparedRow | RowError] = []
    for row in rows:
        if row.kcs is not None:
            ready = kcs.prepare(row.line, row.kcs)
            if ready is not None:
                prepared.append(ready)
                continue
        mapping, labels = row.wire()
        if row.problem is not None or mapping is None:
            prepared.append(RowError(row.line, None, [{"loc": [], "msg": row.problem or "unreadable"}]))
            continue
        prepared.append(prepare_row(row.line, mapping, labels, row.layout, context, reference_data))
    return prepared


def prepare_row(
    line: int,
    mapping: Mapping[str, Any],
    labels: Mapping[str, str] | None,
    layout: str,
    context: ImportContext,
    refdata: ReferenceData,
    declaration_id: uuid.UUID | None = None,
) -> PreparedRow | RowError:
    """The general path for one row: :func:`parse_declaration`, then its rows and envelopes."""
    try:
        declaration = parse_declaration(
            mapping,
            org_id=context.org_id,
            received_at=context.received_at,
            refdata=refdata,
            source=context.source,
            declaration_id=declaration_id,
        )
        result = kcs_labels_to_result(labels) if labels is not None else None
    except ValidationFailed as exc:
        reference = mapping.get("reference")
        return RowError(
            line,
            str(reference) if reference else None,
            [_error_dict(e, layout) for e in exc.errors],
        )
    decl_row, item_rows = declaration_rows(declaration, context.batch_id)
    outcome_tuple = outcome_leaf = None
    outcome: InspectionOutcome | None = None
    if result is not None and context.with_outcomes:
        outcome = _imported_outcome(context, declaration.id, result)
        outcome_tuple = outcome_row(outcome)
        outcome_leaf = outcome_record(context.org_id, outcome).envelope()
    return PreparedRow(
        line=line,
        reference=declaration.reference,
        declaration_row=decl_row,
        item_rows=item_rows,
        parties=[(ref.code, ref.name, ref.country) for ref in declaration.parties().values()],
        declaration_leaf=declaration_record(declaration).envelope(),
        outcome_row=outcome_tuple,
        outcome_leaf=outcome_leaf,
        declaration=declaration,
        outcome=outcome,
    )


_IMPORT_NOTES = "imported with the declaration's labels"


def _imported_outcome(
    context: ImportContext, declaration_id: uuid.UUID, result: OutcomeResult
) -> InspectionOutcome:
    return InspectionOutcome(
        declaration_id=declaration_id,
        inspected=True,
        result=result,
        duty_recovered=0.0,
        notes=_IMPORT_NOTES,
        recorded_at=context.received_at,
        recorded_by=context.actor_id,
    )


_KCS_RESULTS: dict[tuple[str, str], OutcomeResult] = {
    ("0", "0"): OutcomeResult.COMPLIANT,
    ("1", "1"): OutcomeResult.FRAUD,
    ("1", "2"): OutcomeResult.CRITICAL_FRAUD,
}
_KCS_WIDTH = len(KCS_COLUMNS)
_DATE_CACHE_LIMIT = 20_000


def _json_text(text: str | None) -> str:
    return "null" if text is None else f'"{text}"'


def _json_party(code: str | None) -> str:
    return "null" if code is None else f'{{"code":"{code}"}}'


class KcsRowPreparer:
    """KCS rows straight from their CSV values to database rows, domain objects and envelopes.

    :meth:`prepare` accepts a row only when every value is plainly valid (printable ASCII with
    nothing to escape, known country and HS codes from sets built once, a cached date, numbers in
    range, consistent labels) and then builds exactly what :func:`prepare_row` would. For anything
    else it returns None, and the caller takes the general path, which names the problems.
    """

    def __init__(self, context: ImportContext, refdata: ReferenceData) -> None:
        self.context = context
        self.refdata = refdata
        self.countries = frozenset(refdata.countries) | {UNKNOWN_COUNTRY}  # as is_country
        self.latest = context.received_at.date() + FUTURE_LIMIT
        self.org = str(context.org_id)
        self.recorded_at = iso_utc(context.received_at)
        self._hs: dict[int, frozenset[str]] = {}
        self._dates: dict[str, tuple[date, str, frozenset[str]] | None] = {}
        # Outcome rows and bodies differ only in the declaration id: the general path's own output,
        # split around a marker id, once per result.
        marker = uuid.UUID(int=0x5347_0000_0000_7000_8000_0000_0000_0000)
        self.outcomes: dict[OutcomeResult, tuple[tuple[Any, ...], str, str]] = {}
        for result in OutcomeResult:
            outcome = _imported_outcome(context, marker, result)
            body = canonical_json(outcome_ledger_body(outcome)).decode()
            before, after = body.split(str(marker))
            self.outcomes[result] = (outcome_row(outcome)[1:], before, after)

    @classmethod
    def of(cls, context: ImportContext, refdata: ReferenceData) -> KcsRowPreparer:
        """One preparer per import, kept while the chunks of that import arrive."""
        key = (context, id(refdata))
        found = _PREPARERS.get(key)
        if found is None or found[0] is not refdata:
            if len(_PREPARERS) >= 4:
                _PREPARERS.clear()
            found = _PREPARERS[key] = (refdata, cls(context, refdata))
        return found[1]

    def _date(self, raw: str) -> tuple[date, str, frozenset[str]] | None:
        """``(date, ISO text, HS codes in force)`` when ``raw`` is a valid declaration date."""
        try:
            return self._dates[raw]
        except KeyError:
            pass
        found = None
        try:
            parsed: date | None = date.fromisoformat(raw.strip())
        except ValueError:
            parsed = None
        if parsed is not None and EARLIEST_DATE <= parsed <= self.latest:
            table = self.refdata.hs_codes(parsed)
            codes = self._hs.get(id(table))
            if codes is None:
                codes = self._hs[id(table)] = frozenset(c for c in table if len(c) == 6 and c.isdigit())
            found = (parsed, parsed.isoformat(), codes)
        if len(self._dates) < _DATE_CACHE_LIMIT:
            self._dates[raw] = found
        return found

    def prepare(
        self, line: int, values: Sequence[str], declaration_id: uuid.UUID | None = None
    ) -> PreparedRow | None:
        """The row ready to write, or None when the general path must look at it."""
        joined = "".join(values)
        if not (joined.isascii() and joined.isprintable()) or '"' in joined or "\\" in joined:
            return None
        if max(map(len, values)) > MAX_TEXT:
            return None
        raw = values  # numbers are read from the raw text, as the general path reads them
        if " " in joined:  # nothing else to strip: other whitespace is not printable
            values = [value.strip() for value in values]
        reference = values[0]
        office = values[2]
        transport = values[7]
        importer = values[9]
        if not (reference and office and transport and importer):
            return None
        dated = self._date(values[1])
        if dated is None:
            return None
        declared_on, declared_iso, hs_codes = dated
        hs = values[12]
        if hs not in hs_codes:
            if len(hs) == 5 and "0" + hs in hs_codes:
                hs = "0" + hs
            else:
                return None
        origin = values[14]
        departure = values[13] or None
        countries = self.countries
        if origin not in countries or (departure is not None and departure not in countries):
            return None
        try:
            mass = float(raw[18])
            value = float(raw[19])
            rate_text = raw[15]
            rate = float(rate_text) if rate_text != "" else 0.0
        except ValueError:
            return None
        if not (0.0 <= mass < math.inf and 0.0 <= value < math.inf and 0.0 <= rate <= 1000.0):
            return None
        rate = rate or 0.0  # as the general path: a negative zero rate is 0.0
        result = None
        if len(values) > _KCS_WIDTH:
            fraud, critical = values[20], values[21]
            if fraud or critical:
                result = _KCS_RESULTS.get((fraud, critical))
                if result is None:
                    return None
        duty = round(value * rate / 100.0, 2)
        declarant = values[8] or None
        seller = values[10] or None
        courier = values[11] or None
        process_type = values[3] or None
        import_type = values[4] or None
        import_use = values[5] or None
        payment_type = values[6] or None
        tax_type = values[16] or None
        indicator = values[17] or None

        context = self.context
        did = declaration_id or new_id()
        did_text = str(did)
        parties: dict[str, Any] = {}
        party_rows: list[tuple[str, str | None, str | None]] = []
        refs: dict[str, PartyRef] = {}
        for role, code in (
            ("declarant", declarant),
            ("importer", importer),
            ("seller", seller),
            ("courier", courier),
        ):
            if code is not None:
                parties[role] = {"code": code}
                refs[role] = PartyRef(code)
                party_rows.append((code, None, None))
        item = DeclarationItem(1, hs, origin, departure, mass, value, rate, duty, tax_type, indicator, None)
        declaration = Declaration(
            did,
            context.org_id,
            reference,
            declared_on,
            office,
            transport,
            refs["importer"],
            (item,),
            context.received_at,
            refs.get("declarant"),
            refs.get("seller"),
            refs.get("courier"),
            process_type,
            import_type,
            import_use,
            payment_type,
            (),
            context.source,
        )
        decl_row: tuple[Any, ...] = (
            did,
            context.org_id,
            reference,
            declared_on,
            office,
            transport,
            process_type,
            import_type,
            import_use,
            payment_type,
            declarant,
            importer,
            seller,
            courier,
            parties,
            [],
            0 + value,  # as sum() over the items writes it
            0 + duty,
            context.received_at,
            context.source,
            context.batch_id,
            None,
            None,
            "open",
            None,
            None,
            None,
        )
        item_row = (did, 1, hs, origin, departure, indicator, mass, value, rate, tax_type, duty, None)
        # ledger_body(declaration) in RFC 8785 form: keys in code-point order, no whitespace, text
        # that needs no escaping (checked above), floats as repr; tested against canonical_json.
        body = (
            f'{{"containers":[],"courier":{_json_party(courier)},"declarant":{_json_party(declarant)},'
            f'"declared_on":"{declared_iso}","id":"{did_text}","import_type":{_json_text(import_type)},'
            f'"import_use":{_json_text(import_use)},"importer":{{"code":"{importer}"}},'
            f'"items":[{{"departure_country":{_json_text(departure)},"description":null,'
            f'"duty":"{duty!r}","hs_code":"{hs}","line_no":1,"net_mass_kg":"{mass!r}",'
            f'"origin_country":"{origin}","origin_indicator":{_json_text(indicator)},'
            f'"tax_rate_pct":"{rate!r}","tax_type":{_json_text(tax_type)},"value":"{value!r}"}}],'
            f'"office_id":"{office}","org":"{self.org}","payment_type":{_json_text(payment_type)},'
            f'"process_type":{_json_text(process_type)},"reference":"{reference}",'
            f'"seller":{_json_party(seller)},"transport_mode":"{transport}"}}'
        )
        leaf = LeafEnvelope(
            "declaration", did_text, self.org, self.recorded_at, hashlib.sha256(body.encode()).hexdigest()
        )
        outcome_tuple = outcome_leaf = outcome = None
        if result is not None and context.with_outcomes:
            tail, before, after = self.outcomes[result]
            outcome_tuple = (did, *tail)
            outcome = InspectionOutcome(
                did, True, result, 0.0, _IMPORT_NOTES, context.received_at, context.actor_id
            )
            outcome_leaf = LeafEnvelope(
                "outcome",
                did_text,
                self.org,
                self.recorded_at,
                hashlib.sha256(f"{before}{did_text}{after}".encode()).hexdigest(),
            )
        return PreparedRow(
            line,
            reference,
            decl_row,
            [item_row],
            party_rows,
            leaf,
            outcome_tuple,
            outcome_leaf,
            declaration,
            outcome,
        )


_PREPARERS: dict[tuple[ImportContext, int], tuple[ReferenceData, KcsRowPreparer]] = {}


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
    rows: Iterable[RowInput],
    *,
    source: str,
    batch_rows: int = 5000,
    with_outcomes: bool = True,
    workers: int = 1,
    screener: Screener | None = None,
    on_progress: Callable[[int], None] | None = None,
    risk: IntakeRisk | None = None,
) -> ImportReport:
    """Import declarations in one transaction; with ``screener`` every named party is screened, with
    ``risk`` (the node's intake scorer) every new declaration without an outcome is scored and given
    a lane within its day's capacity (nothing is scored while no model is active)."""
    require(actor, Action.DECLARATION_CREATE)
    if with_outcomes:
        require(actor, Action.OUTCOME_RECORD)
    context = ImportContext(actor.org_id, actor.user_id, clock.now(), source, new_id(), with_outcomes)
    report = ImportReport(batch_id=str(context.batch_id))
    seen: set[str] = set()
    pending: list[PreparedRow] = []
    scores: list[IntakeScore] = []

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
        # The last mention of each code wins, as before; PartyRef built once per distinct code.
        last = {party[0]: party for p in good for party in p.parties}
        party_refs = {code: PartyRef(*party) for code, party in last.items()}
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
        open_declarations = [p.declaration for p in good if p.declaration is not None and p.outcome is None]
        raise_intake_signals(uow, open_declarations, context.received_at)  # partner intel, same transaction
        if risk is not None:  # after the intel match: its signals are features and count in the lane
            stored = [p for p in good if p.declaration is not None]
            scores.append(
                risk.score(
                    uow,
                    actor.org_id,
                    [p.declaration for p in stored if p.declaration is not None],
                    context.received_at,
                    {p.outcome.declaration_id: p.outcome for p in stored if p.outcome is not None},
                )
            )
        leaves = [p.declaration_leaf for p in good]
        leaves.extend(p.outcome_leaf for p in good if p.outcome_leaf is not None)
        uow.ledger.append_many(leaves)
        report.stored += len(good)
        report.outcomes_stored += len(outcome_rows)
        pending.clear()
        if on_progress is not None:
            on_progress(report.rows_read)

    with _collector_paused(), uow:
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
    if risk is not None:
        for scored in scores:
            risk.learn(scored)
    if on_progress is not None:
        on_progress(report.rows_read)
    return report
