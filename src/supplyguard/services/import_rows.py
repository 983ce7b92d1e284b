"""The reading side of a bulk import: rows checked and turned into what is written, in batches.

Nothing here touches the database or loads its layer (SQLAlchemy), so that a forked reader process
can start before the import opens its database (:class:`ImportReader`) and begin with the rows at
once. Its work comes in two steps:

1. checking (:func:`check_rows`): each KCS row's values are checked on the direct path
   (:class:`KcsRowChecker`: precompiled look-ups), which needs only the time the import was received
   and whether outcomes are imported; a row it is not certain about waits for the general path.
2. preparing, once the import has told the reader its :class:`WriteForm` (the organisation, the
   batch, the backend's stored form): the waiting rows go through
   :func:`~supplyguard.model.intake.parse_declaration`, so accepted rows, stored values and error
   messages are exactly those of the general path; rows are grouped into batches, a reference seen
   before in the file refused; for a first load, each batch's stored rows, ledger leaves and new
   parties are made too (:class:`KcsRowPreparer`).

:mod:`supplyguard.services.imports` writes the batches.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from supplyguard.adapters.db.bulk import CommonValues, CopyText, Stored, copy_text, new_id_block
from supplyguard.adapters.db.table_rows import coded_party_rows, declaration_rows, outcome_row
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.ledger.envelope import LeafEnvelope, leaf_template
from supplyguard.ledger.hashing import leaf_hashes
from supplyguard.model.canonical import canonical_json
from supplyguard.model.clock import iso_utc
from supplyguard.model.declarations import (
    Declaration,
    DeclarationItem,
    InspectionOutcome,
    OutcomeResult,
    PartyRef,
    outcome_ledger_body,
)
from supplyguard.model.intake import EARLIEST_DATE, FUTURE_LIMIT, MAX_TEXT, parse_declaration
from supplyguard.model.kcs import KCS_COLUMNS, kcs_column_for, kcs_labels_to_result
from supplyguard.model.refdata import UNKNOWN_COUNTRY, ReferenceData, load_reference_data
from supplyguard.services.forked import ForkedStream, WorkerFailed
from supplyguard.services.import_formats import RowInput

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

CHUNK_ROWS = 1000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reference: str | None
    errors: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reference": self.reference, "errors": self.errors}


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


@dataclass(frozen=True, slots=True)
class _Unchecked:
    """A row the direct path did not accept, with its declaration id: it waits for the general
    path, which needs the import's organisation (:meth:`prepare`)."""

    row: RowInput
    hex_id: str

    def prepare(self, context: ImportContext, refdata: ReferenceData) -> PreparedRow | RowError:
        row = self.row
        mapping, labels = row.wire()
        if row.problem is not None or mapping is None:
            return RowError(row.line, None, [{"loc": [], "msg": row.problem or "unreadable"}])
        return prepare_row(
            row.line, mapping, labels, row.layout, context, refdata, uuid.UUID(hex=self.hex_id)
        )


def check_rows(rows: Sequence[RowInput], checker: KcsRowChecker) -> list[KcsRow | _Unchecked]:
    """The first step for a chunk of rows: KCS rows the direct path accepts, as :data:`KcsRow`; the
    others wait for :meth:`_Unchecked.prepare`.

    Each row gets its declaration id here, from one block of ids in file order (a rejected row
    leaves its id unused)."""
    ids = new_id_block(len(rows))
    checked: list[KcsRow | _Unchecked] = []
    add = checked.append
    prepare = checker.prepare
    for row, hex_id in zip(rows, ids, strict=True):
        if row.kcs is not None:
            ready = prepare(row.line, row.kcs, hex_id)
            if ready is not None:
                add(ready)
                continue
        add(_Unchecked(row, hex_id))
    return checked


def prepare_rows(
    rows: Sequence[RowInput], context: ImportContext, refdata: ReferenceData | None = None
) -> list[PreparedRow | RowError | KcsRow]:
    """Validate rows and build what is written for each (both steps at once): the same in this
    process and in a reader process."""
    reference_data = refdata or load_reference_data()
    kcs = KcsRowPreparer.of(context, reference_data)
    return [
        item.prepare(context, reference_data) if isinstance(item, _Unchecked) else item
        for item in check_rows(rows, kcs)
    ]


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


class KcsRowChecker:
    """The first step for KCS rows: their CSV values checked, with no domain objects.

    :meth:`prepare` accepts a row only when every value is plainly valid (printable ASCII with
    nothing to escape, known country and HS codes from sets built once, a cached date, numbers in
    range, consistent labels) and returns its values as a :data:`KcsRow`. For anything else it
    returns None, and the caller takes the general path, which names the problems. It needs only
    when the import was received (the latest date accepted) and whether outcomes are imported.
    """

    def __init__(self, received_at: datetime, with_outcomes: bool, refdata: ReferenceData) -> None:
        self.with_outcomes = with_outcomes
        self.refdata = refdata
        self.countries = frozenset(refdata.countries) | {UNKNOWN_COUNTRY}  # as is_country
        self.latest = received_at.date() + FUTURE_LIMIT
        self._hs: dict[int, frozenset[str]] = {}
        self._dates: dict[str, tuple[date, str, frozenset[str]] | None] = {}

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
                if not self.with_outcomes:
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


class KcsRowPreparer(KcsRowChecker):
    """KCS rows straight from their CSV values to what is written, with no domain objects.

    It checks rows as :class:`KcsRowChecker` does, and :meth:`stored_rows` turns accepted rows into
    database rows and ledger envelopes that are exactly those of :func:`prepare_row`
    (:meth:`expand` builds its :class:`PreparedRow`).
    """

    def __init__(self, context: ImportContext, refdata: ReferenceData) -> None:
        super().__init__(context.received_at, context.with_outcomes, refdata)
        self.context = context
        self.org = str(context.org_id)
        self.recorded_at = iso_utc(context.received_at)
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
        narrow = not stored.postgres
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
            elif narrow:  # the values that differ from row to row (see common below)
                add_declaration(
                    (hex_id, reference, declared_iso, office, transport, process_type, import_type,
                     import_use, payment_type, declarant, importer, seller, courier, parties, 0 + value,
                     0 + duty)
                )  # fmt: skip
                add_item((hex_id, hs, origin, departure, indicator, mass, value, rate, tax_type, duty))
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
                elif narrow:
                    add_outcome((hex_id, result.value))
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
        if narrow:
            # SQLite binds each value of each row: the values common to every row are written into
            # the statement once instead (bulk.CommonValues), and are not passed between processes
            common = (
                {1: org, 15: "[]", 18: received, 19: source, 20: batch, 21: None, 22: None,
                 23: "open", 24: "null", 25: None, 26: None, 27: None},
                {1: 1, 11: None},
                {1: inspected, 3: 0.0, 4: notes, 5: outcome_at, 6: actor},
            )  # fmt: skip
            return KcsStored(
                CommonValues(declaration_tuples, common[0]),
                CommonValues(item_tuples, common[1]),
                CommonValues(outcome_tuples, common[2]),
                kinds,
                ids,
                leaves,
                hashes,
            )
        return KcsStored(declaration_tuples, item_tuples, outcome_tuples, kinds, ids, leaves, hashes)


@dataclass(frozen=True, slots=True)
class KcsStored:
    #: the rows of each table: on SQLite with the values common to every row apart; on PostgreSQL
    #: whole, or in a batch made by the reader as COPY text
    declarations: list[tuple[Any, ...]] | CopyText | CommonValues
    items: list[tuple[Any, ...]] | CopyText | CommonValues
    outcomes: list[tuple[Any, ...]] | CopyText | CommonValues
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
    ``written``: the stored rows and ledger leaves of its KCS rows. ``accepted`` counts the rows
    accepted; with ``parties``, ``pending`` holds only the ones the writer still needs (see
    :attr:`WriteForm.every_row`)."""

    rows_read: int
    errors: list[RowError]
    pending: list[PreparedRow | KcsRow]
    written: KcsStored | None
    accepted: int
    #: with ``written``, for a batch of KCS rows alone: the party codes it names first, in order
    #: (what the writer's ``_BatchWriter._parties`` would find), and, for an organisation with no
    #: party before the import, their new ids and stored rows
    parties: NewParties | None = None


@dataclass(frozen=True, slots=True)
class NewParties:
    """The parties a batch of KCS rows names first, as the reader found them for the writer
    (:meth:`supplyguard.services.imports._BatchWriter.write`): their codes in the order the writer
    would meet them and, for an organisation with no party before the import, their new ids (32 hex
    digits) and stored rows (COPY text on PostgreSQL); None when the writer resolves the codes."""

    codes: list[str]
    ids: list[str] | None
    rows: list[tuple[Any, ...]] | CopyText | None


@dataclass(frozen=True, slots=True)
class WriteForm:
    """What a reader learns once the import has opened its unit of work: the import's context,
    the batch size, and, when no reference has to be checked against the database first,
    ``stored`` (the backend's form: every accepted row is written, so each batch's KCS rows are
    made into stored rows by the reader) and ``parties_absent`` (the organisation had no party
    before the import: the reader makes the new parties' rows too)."""

    context: ImportContext
    batch_rows: int
    stored: Stored | None
    parties_absent: bool = False
    #: whether the writer needs every accepted row back (it scores them); if not, a batch of KCS
    #: rows alone, made into stored rows, brings back only the open ones (no outcome), which partner
    #: intel is matched against
    every_row: bool = True


#: rows a reader checks ahead, at most, while it waits for its :class:`WriteForm`
READ_AHEAD_ROWS = 100_000


def read_batches(
    rows: Iterable[RowInput], checker: KcsRowChecker, form_of: Callable[[bool], WriteForm | None]
) -> Iterator[_Batch]:
    """Read and check the rows in chunks; once ``form_of`` gives the :class:`WriteForm`
    (``form_of(False)``: None while it is not known yet; ``form_of(True)`` waits for it), prepare
    them and group the accepted ones into batches of at least its ``batch_rows`` (the last one
    smaller), a reference seen before in the file refused. The same in this process (the form is
    known from the start) and in a reader process (:class:`ImportReader`)."""
    waiting: deque[list[KcsRow | _Unchecked]] = deque()
    waiting_rows = 0
    batcher: _Batcher | None = None
    for chunk in _chunks(rows, CHUNK_ROWS):
        checked = check_rows(chunk, checker)
        if batcher is not None:
            yield from batcher.add(checked)
            continue
        waiting.append(checked)
        waiting_rows += len(checked)
        form = form_of(waiting_rows >= READ_AHEAD_ROWS)
        if form is not None:
            batcher = _Batcher(form, checker.refdata)
            while waiting:
                yield from batcher.add(waiting.popleft())
    if batcher is None:
        form = form_of(True)
        if form is None:
            raise RuntimeError("the import reader was not told how to write its rows")
        batcher = _Batcher(form, checker.refdata)
        while waiting:
            yield from batcher.add(waiting.popleft())
    yield batcher.take()


class _Batcher:
    """The second step of :func:`read_batches`: checked rows, chunk by chunk, prepared and grouped."""

    def __init__(self, form: WriteForm, refdata: ReferenceData) -> None:
        self.form = form
        self.refdata = refdata
        self.kcs = KcsRowPreparer.of(form.context, refdata)
        self.seen: set[str] = set()
        self.codes_seen: set[str] = set()
        self.pending: list[PreparedRow | KcsRow] = []
        self.errors: list[RowError] = []
        self.read = 0

    def add(self, checked: list[KcsRow | _Unchecked]) -> Iterator[_Batch]:
        """Take one chunk's rows; a batch when enough are pending."""
        context, refdata, seen = self.form.context, self.refdata, self.seen
        pending, errors = self.pending, self.errors
        self.read += len(checked)
        for found in checked:
            item = found.prepare(context, refdata) if isinstance(found, _Unchecked) else found
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
        if len(pending) >= self.form.batch_rows:
            yield self.take()

    def take(self) -> _Batch:
        """The rows pending as a batch (the last one: whatever is left)."""
        form = self.form
        batch = _batch(self.read, self.errors, self.pending, self.kcs, form, self.codes_seen)
        self.pending, self.errors, self.read = [], [], 0
        return batch


def _batch(
    read: int,
    errors: list[RowError],
    pending: list[PreparedRow | KcsRow],
    kcs: KcsRowPreparer,
    form: WriteForm,
    codes_seen: set[str],
) -> _Batch:
    stored = form.stored
    if stored is None or not pending:
        return _Batch(read, errors, pending, None, len(pending))
    # on PostgreSQL, the text COPY sends: cheaper to make, and to pass on, than the rows
    kcs_rows = [item for item in pending if isinstance(item, tuple)]
    written = kcs.stored_rows(kcs_rows, stored, as_copy=True)
    if len(kcs_rows) < len(pending):  # general rows too: the writer finds the parties
        codes_seen.update(code for item in kcs_rows for code in item[11:15] if code is not None)
        codes_seen.update(
            code for item in pending if not isinstance(item, tuple) for code, *_ in item.parties
        )
        return _Batch(read, errors, pending, written, len(pending))
    codes: list[str] = []
    for row in kcs_rows:  # in role order, as the writer would
        for code in (row[11], row[12], row[13], row[14]):
            if code is not None and code not in codes_seen:
                codes_seen.add(code)
                codes.append(code)
    ids = rows = None
    if form.parties_absent and codes:
        context = kcs.context
        ids, party_tuples = coded_party_rows(context.org_id, codes, context.received_at, stored)
        rows = copy_text(party_tuples) if stored.postgres else party_tuples
    # what is not sent back is not pickled here and unpickled there
    needed: list[PreparedRow | KcsRow] = (
        pending if form.every_row else [row for row in kcs_rows if row[24] is None]
    )
    return _Batch(read, errors, needed, written, len(pending), NewParties(codes, ids, rows))


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


class ImportReader:
    """The rows of one import, read and checked from the moment the block is entered.

    ``with ImportReader(rows, received_at=..., with_outcomes=..., workers=2) as reader:
    import_declarations(..., reader, ...)``. With ``workers`` 2 or more, a forked reader process
    starts at once: a command can start it before it loads the database layer and opens the
    database, and the reader checks rows meanwhile; the import tells it the :class:`WriteForm`
    when it starts writing (:meth:`batches`), and from then on the reader runs one batch ahead of
    the writer. It inherits what it needs through the fork (the rows' iterator with its open file,
    the reference data) and never touches the database. With ``workers`` 1 the rows are read in
    this process, batch by batch. Leaving the block stops the reader process.
    """

    def __init__(
        self,
        rows: Iterable[RowInput],
        *,
        received_at: datetime,
        with_outcomes: bool,
        workers: int = 1,
        refdata: ReferenceData | None = None,
    ) -> None:
        self.received_at = received_at
        self.with_outcomes = with_outcomes
        self.workers = workers
        self._rows = rows
        self._checker = KcsRowChecker(received_at, with_outcomes, refdata or load_reference_data())
        self._stream: ForkedStream[_Batch] | None = None
        self._forked: Iterator[_Batch] | None = None
        self._send_form: Connection | None = None
        self._started = False

    def __enter__(self) -> ImportReader:
        if self.workers > 1 and self._stream is None:
            form_r, form_w = multiprocessing.get_context("fork").Pipe(duplex=False)
            rows, checker = self._rows, self._checker

            def produce() -> Iterator[_Batch]:  # in the reader process
                form_w.close()  # the import's end of the pipe: closed when the import has gone
                gc.disable()  # as in the import (see its _collector_paused); this process ends after
                known: list[WriteForm] = []

                def form_of(wait: bool) -> WriteForm | None:
                    if not known and (wait or form_r.poll()):
                        known.append(form_r.recv())
                    return known[0] if known else None

                return read_batches(rows, checker, form_of)

            self._stream = ForkedStream(produce, slots=1)
            self._forked = self._stream.__enter__()
            form_r.close()
            self._send_form = form_w
        return self

    def batches(self, form: WriteForm) -> Iterator[_Batch]:
        """The import's batches, made with ``form``; once per reader."""
        if self._started:
            raise RuntimeError("an import reader gives its batches once")
        self._started = True
        if self._forked is None:
            return read_batches(self._rows, self._checker, lambda _wait: form)
        assert self._send_form is not None
        with contextlib.suppress(OSError):  # a reader that failed has gone: its error comes next
            self._send_form.send(form)
        return _reader_errors(self._forked)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stream, self._stream, self._forked = self._stream, None, None
        if stream is not None:
            stream.__exit__(exc_type, exc, tb)
        if self._send_form is not None:
            self._send_form.close()
            self._send_form = None


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
