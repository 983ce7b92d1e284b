"""Bulk import of declarations: every valid row stored, every bad row named with its reasons.

The whole import is one transaction: a file that cannot be read, or a failure half-way, leaves
nothing behind. Work is split in two steps:

1. :func:`prepare_rows` (pure): validate a chunk of rows and turn each good one into its database
   rows and ledger envelopes (the declaration and, for labelled KCS rows, its outcome); rows are
   grouped into batches, a reference seen before in the file refused (:func:`_batches`). With
   ``workers > 1`` this runs in one forked reader process, which sends each batch ready to write
   (for a first load, its stored rows and leaves too) while the main process writes the one before.
   KCS rows take a direct path (:class:`KcsRowPreparer`: precompiled look-ups, the ledger body
   written by one format string); any row it is not certain about goes through
   :func:`~supplyguard.model.intake.parse_declaration` instead, so accepted rows, stored values and
   error messages are exactly those of the general path.
2. the main process drops rows whose reference is already stored, resolves parties, bulk
   inserts, appends the ledger leaves, audits and signs one checkpoint, inside one unit of work.
"""

from __future__ import annotations

import gc
import hashlib
import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from supplyguard.adapters.db.bulk import CopyText, Stored, copy_text, new_id_block
from supplyguard.adapters.db.declarations_repo import coded_party_rows, declaration_rows, outcome_row
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.ledger import Ed25519Signer, LeafEnvelope
from supplyguard.ledger.envelope import leaf_template
from supplyguard.ledger.hashing import leaf_hashes
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
from supplyguard.services.audit import audit
from supplyguard.services.forked import ForkedStream, WorkerFailed
from supplyguard.services.import_formats import RowInput
from supplyguard.services.ledger_records import sign_tree_head

if TYPE_CHECKING:  # imported where used: the CLI starts without screening, sharing or the model
    from supplyguard.screening import Screener
    from supplyguard.services.risk_intake import IntakeRisk, IntakeScore
    from supplyguard.services.sharing_watch import IntakeRequest, ReceivedKeyedList
    from supplyguard.services.watch_intake import WatchIntake

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
) -> list[PreparedRow | RowError | KcsRow]:
    """Validate rows and build what is written for each; the same in-process and in workers.

    Each row gets its declaration id here, from one block of ids in file order (a rejected row
    leaves its id unused)."""
    reference_data = refdata or load_reference_data()
    kcs = KcsRowPreparer.of(context, reference_data)
    ids = new_id_block(len(rows))
    prepared: list[PreparedRow | RowError | KcsRow] = []
    add = prepared.append
    for row, hex_id in zip(rows, ids, strict=True):
        if row.kcs is not None:
            ready = kcs.prepare(row.line, row.kcs, hex_id)
            if ready is not None:
                add(ready)
                continue
        mapping, labels = row.wire()
        if row.problem is not None or mapping is None:
            add(RowError(row.line, None, [{"loc": [], "msg": row.problem or "unreadable"}]))
            continue
        add(
            prepare_row(row.line, mapping, labels, row.layout, context, reference_data, uuid.UUID(hex=hex_id))
        )
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
    from supplyguard.services.declarations import declaration_record, outcome_record

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


def _party_json(code: str) -> str:
    return f'{{"code":"{code}"}}'


#: columns of the stored rows :meth:`KcsRowPreparer.stored_rows` writes: declarations, items, outcomes
_DECLARATION_WIDTH, _ITEM_WIDTH, _OUTCOME_WIDTH = 28, 12, 7


#: A KCS row the direct path accepted, as plain values (cheap to build, to pickle and to write):
#: ``(line, reference, id as 32 hex digits, declared_on, declared_on as ISO text, office,
#: transport, process_type, import_type, import_use, payment_type, declarant, importer, seller,
#: courier, hs, origin, departure, indicator, mass, value, rate, tax_type, duty, result)``, where
#: ``result`` is the labelled outcome (None without labels or when outcomes are not imported).
KcsRow = tuple[Any, ...]


class KcsRowPreparer:
    """KCS rows straight from their CSV values to what is written, with no domain objects.

    :meth:`prepare` accepts a row only when every value is plainly valid (printable ASCII with
    nothing to escape, known country and HS codes from sets built once, a cached date, numbers in
    range, consistent labels) and returns its values as a :data:`KcsRow`. For anything else it
    returns None, and the caller takes the general path, which names the problems.
    :meth:`stored_rows` turns accepted rows into database rows and ledger envelopes that are
    exactly those of :func:`prepare_row` (:meth:`expand` builds its :class:`PreparedRow`).
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
        # Each leaf's text around its body hash and record id, from an envelope's own bytes.
        self.leaf_parts = {
            kind: leaf_template(kind, self.org, self.recorded_at) for kind in ("declaration", "outcome")
        }

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

    def prepare(self, line: int, values: Sequence[str], declaration_id: str) -> KcsRow | None:
        """The row's values (``declaration_id``: 32 hex digits), or None when the general path
        must look at it."""
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
        hs = values[12]
        if hs not in dated[2]:
            if len(hs) == 5 and "0" + hs in dated[2]:
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
                if not self.context.with_outcomes:
                    result = None
        return (
            line,
            reference,
            declaration_id,
            dated[0],
            dated[1],
            office,
            transport,
            values[3] or None,
            values[4] or None,
            values[5] or None,
            values[6] or None,
            values[8] or None,
            importer,
            values[10] or None,
            values[11] or None,
            hs,
            origin,
            departure,
            values[17] or None,
            mass,
            value,
            rate,
            values[16] or None,
            round(value * rate / 100.0, 2),
            result,
        )

    def declaration(self, row: KcsRow) -> Declaration:
        """The domain declaration of an accepted row (for intel matching and risk scoring)."""
        (_, reference, hex_id, declared_on, _, office, transport, process_type, import_type,
         import_use, payment_type, declarant, importer, seller, courier, hs, origin, departure,
         indicator, mass, value, rate, tax_type, duty, _) = row  # fmt: skip
        context = self.context
        item = DeclarationItem(1, hs, origin, departure, mass, value, rate, duty, tax_type, indicator, None)
        return Declaration(
            uuid.UUID(hex=hex_id),
            context.org_id,
            reference,
            declared_on,
            office,
            transport,
            PartyRef(importer),
            (item,),
            context.received_at,
            None if declarant is None else PartyRef(declarant),
            None if seller is None else PartyRef(seller),
            None if courier is None else PartyRef(courier),
            process_type,
            import_type,
            import_use,
            payment_type,
            (),
            context.source,
        )

    def outcome(self, row: KcsRow) -> InspectionOutcome | None:
        result = row[24]
        if result is None:
            return None
        return _imported_outcome(self.context, uuid.UUID(hex=row[2]), result)

    def expand(self, row: KcsRow) -> PreparedRow:
        """The :class:`PreparedRow` the general path makes of the same row (tests compare them)."""
        declaration = self.declaration(row)
        outcome = self.outcome(row)
        decl_row, item_rows = declaration_rows(declaration, self.context.batch_id)
        stored = self.stored_rows([row], _PLAIN)
        return PreparedRow(
            line=row[0],
            reference=row[1],
            declaration_row=decl_row,
            item_rows=item_rows,
            parties=[(ref.code, ref.name, ref.country) for ref in declaration.parties().values()],
            declaration_leaf=LeafEnvelope.from_bytes(stored.leaves[0]),
            outcome_row=None if outcome is None else outcome_row(outcome),
            outcome_leaf=LeafEnvelope.from_bytes(stored.leaves[1]) if outcome is not None else None,
            declaration=declaration,
            outcome=outcome,
        )

    def stored_rows(self, rows: Sequence[KcsRow], stored: Stored, *, as_copy: bool = False) -> KcsStored:
        """Database rows (in ``stored`` form) and ledger leaves for accepted rows; the leaves in
        order: each row's declaration, then its outcome when it has one. Each leaf is the bytes of
        its :class:`LeafEnvelope` (written around the body hash and record id), with its hash.

        With ``as_copy`` (PostgreSQL), each table's rows come as the COPY text that
        :func:`~supplyguard.adapters.db.bulk.copy_text` makes of them, written line by line by
        format strings: the row values need no escaping (checked by :meth:`prepare`), the import's
        own values are checked here once."""
        context = self.context
        org, org_text = stored.uuid(context.org_id), self.org
        received, source, batch = (
            stored.timestamp(context.received_at),
            context.source,
            stored.uuid(context.batch_id),
        )
        inspected, notes = stored.true, _IMPORT_NOTES
        outcome_at, actor = stored.timestamp(context.received_at), stored.uuid(context.actor_id)
        # rows as tuples, or with as_copy as lines of COPY text
        declaration_tuples: list[Any] = []
        item_tuples: list[Any] = []
        outcome_tuples: list[Any] = []
        kinds: list[str] = []
        ids: list[str] = []
        leaves: list[bytes] = []
        add_declaration, add_item = declaration_tuples.append, item_tuples.append
        add_outcome, add_kind, add_id, add_leaf = (
            outcome_tuples.append,
            kinds.append,
            ids.append,
            leaves.append,
        )
        sha256 = hashlib.sha256
        outcomes = self.outcomes
        head, middle, tail = self.leaf_parts["declaration"]
        outcome_head, outcome_middle, outcome_tail = self.leaf_parts["outcome"]
        constants = f"{org}{received}{source}{batch}{inspected}{notes}{outcome_at}{actor}"
        as_copy = as_copy and stored.postgres and not any(c in constants for c in "\t\n\r\\")
        declaration_end = f"{received}\t{source}\t{batch}\t\\N\t\\N\topen\tnull\t\\N\t\\N\t\\N"
        outcome_lines = {
            result: f"\t{inspected}\t{result.value}\t0.0\t{notes}\t{outcome_at}\t{actor}"
            for result in OutcomeResult
        }
        N, Q = "\\N", '"'  # COPY's NULL, JSON's quote
        for row in rows:
            (_, reference, hex_id, _, declared_iso, office, transport, process_type, import_type,
             import_use, payment_type, declarant, importer, seller, courier, hs, origin, departure,
             indicator, mass, value, rate, tax_type, duty, result) = row  # fmt: skip
            did = f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
            # the parties column as json.dumps writes {role: {"code": ...}} for the named roles
            importer_json = f'"importer":{{"code":"{importer}"}}'
            if declarant is None and seller is None and courier is None:
                parties = f"{{{importer_json}}}"
            else:
                parties = (
                    "{"
                    + ",".join(
                        [
                            *(() if declarant is None else (f'"declarant":{{"code":"{declarant}"}}',)),
                            importer_json,
                            *(() if seller is None else (f'"seller":{{"code":"{seller}"}}',)),
                            *(() if courier is None else (f'"courier":{{"code":"{courier}"}}',)),
                        ]
                    )
                    + "}"
                )
            if as_copy:  # the tuples below, as COPY text lines
                add_declaration(
                    f"{hex_id}\t{org}\t{reference}\t{declared_iso}\t{office}\t{transport}\t"
                    f"{N if process_type is None else process_type}\t"
                    f"{N if import_type is None else import_type}\t"
                    f"{N if import_use is None else import_use}\t"
                    f"{N if payment_type is None else payment_type}\t"
                    f"{N if declarant is None else declarant}\t"
                    f"{importer}\t{N if seller is None else seller}\t{N if courier is None else courier}\t"
                    f"{parties}\t[]\t{0 + value!r}\t{0 + duty!r}\t{declaration_end}"
                )
                add_item(
                    f"{hex_id}\t1\t{hs}\t{origin}\t{N if departure is None else departure}\t"
                    f"{N if indicator is None else indicator}\t{mass!r}\t{value!r}\t{rate!r}\t"
                    f"{N if tax_type is None else tax_type}\t{duty!r}\t{N}"
                )
            else:
                add_declaration(
                    (hex_id, org, reference, declared_iso, office, transport, process_type, import_type,
                     import_use, payment_type, declarant, importer, seller, courier, parties, "[]",
                     0 + value, 0 + duty, received, source, batch, None, None, "open", "null", None,
                     None, None)
                )  # fmt: skip
                add_item(
                    (hex_id, 1, hs, origin, departure, indicator, mass, value, rate, tax_type, duty, None)
                )
            # ledger_body(declaration) in RFC 8785 form: keys in code-point order, no whitespace,
            # text that needs no escaping (checked by prepare), floats as repr; tested against
            # canonical_json.
            # (optional values written out in place: a call each cost more than the test)
            body = (
                f'{{"containers":[],"courier":{"null" if courier is None else _party_json(courier)},'
                f'"declarant":{"null" if declarant is None else _party_json(declarant)},'
                f'"declared_on":"{declared_iso}","id":"{did}",'
                f'"import_type":{"null" if import_type is None else Q + import_type + Q},'
                f'"import_use":{"null" if import_use is None else Q + import_use + Q},'
                f'"importer":{{"code":"{importer}"}},'
                f'"items":[{{"departure_country":{"null" if departure is None else Q + departure + Q},'
                f'"description":null,"duty":"{duty!r}","hs_code":"{hs}","line_no":1,'
                f'"net_mass_kg":"{mass!r}","origin_country":"{origin}",'
                f'"origin_indicator":{"null" if indicator is None else Q + indicator + Q},'
                f'"tax_rate_pct":"{rate!r}","tax_type":{"null" if tax_type is None else Q + tax_type + Q},'
                f'"value":"{value!r}"}}],"office_id":"{office}","org":"{org_text}",'
                f'"payment_type":{"null" if payment_type is None else Q + payment_type + Q},'
                f'"process_type":{"null" if process_type is None else Q + process_type + Q},'
                f'"reference":"{reference}","seller":{"null" if seller is None else _party_json(seller)},'
                f'"transport_mode":"{transport}"}}'
            )
            add_kind("declaration")
            add_id(did)
            add_leaf(f"{head}{sha256(body.encode()).hexdigest()}{middle}{did}{tail}".encode())
            if result is not None:
                _, before, after = outcomes[result]
                if as_copy:
                    add_outcome(f"{hex_id}{outcome_lines[result]}")
                else:
                    add_outcome((hex_id, inspected, result.value, 0.0, notes, outcome_at, actor))
                add_kind("outcome")
                add_id(did)
                add_leaf(
                    f"{outcome_head}{sha256(f'{before}{did}{after}'.encode()).hexdigest()}"
                    f"{outcome_middle}{did}{outcome_tail}".encode()
                )
        hashes = leaf_hashes(leaves)
        if as_copy:
            texts = cast("list[list[str]]", [declaration_tuples, item_tuples, outcome_tuples])
            declarations, items, outcome_rows = (
                CopyText("\n".join(lines) + "\n" if lines else "", len(lines), width)
                for lines, width in zip(texts, (_DECLARATION_WIDTH, _ITEM_WIDTH, _OUTCOME_WIDTH), strict=True)
            )
            return KcsStored(declarations, items, outcome_rows, kinds, ids, leaves, hashes)
        return KcsStored(declaration_tuples, item_tuples, outcome_tuples, kinds, ids, leaves, hashes)


@dataclass(frozen=True, slots=True)
class KcsStored:
    #: the rows of each table; on PostgreSQL, in a batch made by the reader, as COPY text
    declarations: list[tuple[Any, ...]] | CopyText
    items: list[tuple[Any, ...]] | CopyText
    outcomes: list[tuple[Any, ...]] | CopyText
    #: per ledger leaf: its kind, record id, bytes and RFC 9162 leaf hash
    leaf_kinds: list[str]
    leaf_ids: list[str]
    leaves: list[bytes]
    leaf_hashes: list[bytes]


_PLAIN = Stored(postgres=False)

_PREPARERS: dict[tuple[ImportContext, int], tuple[ReferenceData, KcsRowPreparer]] = {}


def _chunks(rows: Iterable[RowInput], size: int) -> Iterator[list[RowInput]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class _Batch:
    """Rows read, checked and ready to write: ``pending`` (accepted, in file order, no reference
    twice in the file) and, when no reference has to be checked against the database first,
    ``written``: the stored rows and ledger leaves of its KCS rows."""

    rows_read: int
    errors: list[RowError]
    pending: list[PreparedRow | KcsRow]
    written: KcsStored | None
    #: with ``written``, for a batch of KCS rows alone: the party codes it names first, in order
    #: (what :meth:`_BatchWriter._parties` would find), and, for an organisation with no party
    #: before the import, their new ids and stored rows
    parties: _NewParties | None = None


@dataclass(frozen=True, slots=True)
class _NewParties:
    codes: list[str]
    ids: list[str] | None
    rows: list[tuple[Any, ...]] | CopyText | None


def _batches(
    rows: Iterable[RowInput],
    context: ImportContext,
    refdata: ReferenceData,
    kcs: KcsRowPreparer,
    batch_rows: int,
    stored: Stored | None,
    parties_absent: bool = False,
) -> Iterator[_Batch]:
    """Read and prepare the rows in chunks and group the accepted ones into batches of at least
    ``batch_rows`` (the last one smaller); a reference seen before in the file is refused here.
    With ``stored`` (the backend's form: every accepted row is written), each batch's KCS rows
    are also turned into stored rows, and the parties they name first found (and with
    ``parties_absent``, their rows made). The same in this process and in the reader process
    (:func:`_batch_source`)."""
    seen: set[str] = set()
    codes_seen: set[str] = set()
    pending: list[PreparedRow | KcsRow] = []
    errors: list[RowError] = []
    read = 0
    for chunk in _chunks(rows, CHUNK_ROWS):
        for item in prepare_rows(chunk, context, refdata):
            read += 1
            if isinstance(item, tuple):
                reference = item[1]
            elif isinstance(item, RowError):
                errors.append(item)
                continue
            else:
                reference = item.reference
            if reference in seen:
                errors.append(
                    RowError(
                        item[0] if isinstance(item, tuple) else item.line,
                        reference,
                        [{"loc": ["reference"], "msg": "appears more than once in this file"}],
                    )
                )
            else:
                seen.add(reference)
                pending.append(item)
        if len(pending) >= batch_rows:
            yield _batch(read, errors, pending, kcs, stored, codes_seen, parties_absent)
            pending, errors, read = [], [], 0
    yield _batch(read, errors, pending, kcs, stored, codes_seen, parties_absent)


def _batch(
    read: int,
    errors: list[RowError],
    pending: list[PreparedRow | KcsRow],
    kcs: KcsRowPreparer,
    stored: Stored | None,
    codes_seen: set[str],
    parties_absent: bool,
) -> _Batch:
    if stored is None or not pending:
        return _Batch(read, errors, pending, None)
    # on PostgreSQL, the text COPY sends: cheaper to make, and to pass on, than the rows
    kcs_rows = [item for item in pending if isinstance(item, tuple)]
    written = kcs.stored_rows(kcs_rows, stored, as_copy=True)
    if len(kcs_rows) < len(pending):  # general rows too: the writer finds the parties
        codes_seen.update(code for item in kcs_rows for code in item[11:15] if code is not None)
        codes_seen.update(
            code for item in pending if not isinstance(item, tuple) for code, *_ in item.parties
        )
        return _Batch(read, errors, pending, written)
    codes: list[str] = []
    for row in kcs_rows:  # in role order, as the writer would
        for code in (row[11], row[12], row[13], row[14]):
            if code is not None and code not in codes_seen:
                codes_seen.add(code)
                codes.append(code)
    ids = rows = None
    if parties_absent and codes:
        context = kcs.context
        ids, party_tuples = coded_party_rows(context.org_id, codes, context.received_at, stored)
        rows = copy_text(party_tuples) if stored.postgres else party_tuples
    return _Batch(read, errors, pending, written, _NewParties(codes, ids, rows))


def _reader_errors(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """The reader's batches; its own error (a :class:`ValidationFailed` with its field errors, a
    :class:`UnicodeDecodeError`...) raised here as it was raised there, so the import rolls back and
    reports it as one made in this process would be."""
    try:
        yield from batches
    except WorkerFailed as failure:
        if failure.cause is not None:
            raise failure.cause from None
        raise RuntimeError(f"the import's reader process ended without finishing: {failure}") from None


@contextmanager
def _batch_source(
    rows: Iterable[RowInput],
    context: ImportContext,
    refdata: ReferenceData,
    kcs: KcsRowPreparer,
    batch_rows: int,
    stored: Stored | None,
    parties_absent: bool,
    workers: int,
) -> Iterator[Iterator[_Batch]]:
    """The import's batches: made here (``workers`` 1), or in a forked reader process (2 or more)."""

    def make() -> Iterator[_Batch]:
        return _batches(rows, context, refdata, kcs, batch_rows, stored, parties_absent)

    if workers <= 1:
        yield make()
        return
    # One slot: the reader runs one batch ahead of the writer (it makes the next while this one is
    # written). It inherits everything it needs through the fork (the rows' iterator with its open
    # file, the reference data, the preparer) and never touches the database connection.
    with ForkedStream(make, slots=1) as batches:
        yield _reader_errors(batches)


def default_workers() -> int:
    """Processes a CLI import uses when not told: two (a reader and this one) where this process may
    run on two cores or more and one of them is free (a 1-minute load average at most the number of
    cores less one), else one. On a busy machine a second process only competes for the same cores
    and costs its transfers (about a tenth more CPU in all), so one is faster there."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 and os.getloadavg()[0] <= cores - 1 else 1


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
    watch: WatchIntake | None = None,
) -> ImportReport:
    """Import declarations in one transaction; with ``screener`` every named party is screened, with
    ``risk`` (the node's intake scorer) every new declaration without an outcome is scored and given
    a lane within its day's capacity (nothing is scored while no model is active)."""
    require(actor, Action.DECLARATION_CREATE)
    if with_outcomes:
        require(actor, Action.OUTCOME_RECORD)
    context = ImportContext(actor.org_id, actor.user_id, clock.now(), source, new_id(), with_outcomes)
    report = ImportReport(batch_id=str(context.batch_id))
    kcs = KcsRowPreparer.of(context, refdata)
    with (
        _collector_paused(),
        uow,
        _BatchWriter(uow, context, kcs, report, screener, risk, watch, batch_rows) as writer,
        _batch_source(
            rows,
            context,
            refdata,
            kcs,
            batch_rows,
            None if writer.check_references else writer.stored,
            writer.parties_absent,
            workers,
        ) as batches,
    ):
        for batch in batches:
            report.rows_read += batch.rows_read
            for error in batch.errors:
                report.add_error(error)
            writer.write(batch.pending, batch.written, batch.parties)
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
        parties: _NewParties | None = None,
    ) -> None:
        """Hand over a batch (after the previous one is written); ``written`` and ``parties``: the
        stored rows of its KCS rows and the parties they name first, when made already (only when
        no reference must be checked first)."""
        if not pending:
            return
        self.finish()
        if self._restore_indexes is None:
            # A first batch that fills up, into tables holding fewer rows than it: the secondary
            # indexes are built once at the end instead of updated row by row.
            below = len(pending) if len(pending) >= self.batch_rows else 0
            self._restore_indexes = self.uow.declarations.defer_indexes(below) if below else _nothing
        assert self._thread is not None
        self._running = self._thread.submit(self._write, pending, written, parties)

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
        self, pending: list[PreparedRow | KcsRow], written: KcsStored | None, parties: _NewParties | None
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
        return len(good), len(written.outcomes) + len(general_outcomes), errors

    def _coded_parties(self, parties: _NewParties) -> None:
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
