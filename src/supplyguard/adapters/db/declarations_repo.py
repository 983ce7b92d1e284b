"""Declarations, their items, parties and outcomes in the database."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, exists, func, or_, select, text, tuple_, update

from supplyguard.adapters.db.bulk import (
    CommonValues,
    CopyText,
    Stored,
    bulk_insert,
    defer_indexes,
    insert_stored,
    new_id_block,
)
from supplyguard.adapters.db.table_rows import declaration_rows, outcome_row
from supplyguard.adapters.db.tables import RISK_KEY, declaration_items, declarations, outcomes, parties
from supplyguard.model.clock import as_utc
from supplyguard.model.declarations import (
    Declaration,
    DeclarationItem,
    InspectionOutcome,
    Lane,
    OutcomeResult,
    PartyRef,
)
from supplyguard.model.parties import Party, PartyIdentifier


@dataclass(frozen=True, slots=True)
class DeclarationFilter:
    date_from: date | None = None
    date_to: date | None = None
    office_id: str | None = None
    importer: str | None = None
    hs_code: str | None = None
    lane: str | None = None
    has_outcome: bool | None = None


SORTS = ("risk", "date", "-date", "value")


def _party_ref(data: Any) -> PartyRef | None:
    if not data:
        return None
    return PartyRef(code=data["code"], name=data.get("name"), country=data.get("country"))


def _any_of(conn: Connection, table: Table, org_id: uuid.UUID) -> bool:
    found = conn.execute(select(table.c.org_id).where(table.c.org_id == org_id).limit(1)).first()
    return found is not None


def lookup_by_key(
    conn: Connection, table: Table, column: str, org_id: uuid.UUID, keys: Iterable[str]
) -> dict[str, uuid.UUID]:
    """key -> id for the keys of ``org_id`` that exist (``(org_id, column)`` is unique).

    On PostgreSQL the keys go as one array joined through ``unnest``: one index probe per key,
    whatever the planner believes about a table growing inside the caller's transaction (an
    ``IN (...)`` list there is planned as a filter over every row of the organisation).
    """
    values = list(set(keys))
    found: dict[str, uuid.UUID] = {}
    if not values:
        return found
    if conn.dialect.name == "postgresql":
        statement = text(
            f'SELECT t."{column}", t.id FROM unnest(CAST(:keys AS text[])) AS k(key) '
            f'JOIN "{table.name}" t ON t.org_id = :org_id AND t."{column}" = k.key'
        )
        found.update({row[0]: row[1] for row in conn.execute(statement, {"keys": values, "org_id": org_id})})
        return found
    # SQLite: plain SQL through the driver (SQLAlchemy's expanding IN cost more than the look-up);
    # ids are stored as 32 hex digits, as the Uuid type writes them there.
    org = org_id.hex
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        rows = conn.exec_driver_sql(
            f'SELECT "{column}", id FROM "{table.name}" WHERE org_id = ? AND "{column}" IN ({marks})',
            (org, *chunk),
        ).fetchall()
        found.update({key: uuid.UUID(hex=ident) for key, ident in rows})
    return found


class DeclarationRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # ---- writing -------------------------------------------------------------------------------
    def add_many(self, batch: Sequence[Declaration], import_batch: uuid.UUID | None = None) -> None:
        rows = [declaration_rows(decl, import_batch) for decl in batch]
        self.add_rows([row for row, _ in rows], [item for _, items in rows for item in items])

    def add_rows(
        self, declaration_tuples: Sequence[tuple[Any, ...]], item_tuples: Sequence[tuple[Any, ...]]
    ) -> None:
        """Insert rows made by :func:`declaration_rows` (the bulk import prepares them in workers)."""
        bulk_insert(self._conn, declarations, declaration_tuples)
        bulk_insert(self._conn, declaration_items, item_tuples)

    def add_stored(
        self,
        declaration_tuples: Sequence[tuple[Any, ...]] | CopyText | CommonValues,
        item_tuples: Sequence[tuple[Any, ...]] | CopyText | CommonValues,
        outcome_tuples: Sequence[tuple[Any, ...]] | CopyText | CommonValues,
    ) -> None:
        """Insert declaration, item and outcome rows whose values are already in stored form
        (:func:`~supplyguard.adapters.db.bulk.insert_stored`; the bulk import writes KCS rows so),
        on PostgreSQL possibly as COPY text already."""
        insert_stored(self._conn, declarations, declaration_tuples)
        insert_stored(self._conn, declaration_items, item_tuples)
        insert_stored(self._conn, outcomes, outcome_tuples)

    def defer_indexes(self, below_rows: int, *, keys: bool = False) -> Callable[[], None]:
        """For a bulk load: the secondary indexes of declarations, their items, outcomes and parties
        put off while those tables hold fewer than ``below_rows`` rows, with ``keys`` (a load that
        looks nothing up by them) their keys no other table refers to too (see
        :func:`~supplyguard.adapters.db.bulk.defer_indexes`); returns what builds them again."""
        return defer_indexes(
            self._conn,
            (declarations, declaration_items, outcomes, parties),
            below_rows=below_rows,
            keys=keys,
        )

    def any_of(self, org_id: uuid.UUID) -> bool:
        """Whether the organisation has any declaration at all."""
        return _any_of(self._conn, declarations, org_id)

    def set_assessment(self, declaration_id: uuid.UUID, lane: Lane | None, score: float | None) -> None:
        self._conn.execute(
            update(declarations)
            .where(declarations.c.id == declaration_id)
            .values(lane=lane.value if lane else None, score=score)
        )

    def existing_references(self, org_id: uuid.UUID, references: Iterable[str]) -> set[str]:
        return set(self.ids_for_references(org_id, references))

    def ids_for_references(self, org_id: uuid.UUID, references: Iterable[str]) -> dict[str, uuid.UUID]:
        return lookup_by_key(self._conn, declarations, "reference", org_id, references)

    # ---- reading -------------------------------------------------------------------------------
    def _items_for(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[DeclarationItem]]:
        result: dict[uuid.UUID, list[DeclarationItem]] = {}
        if not ids:
            return result
        rows = self._conn.execute(
            select(declaration_items)
            .where(declaration_items.c.declaration_id.in_(list(ids)))
            .order_by(declaration_items.c.declaration_id, declaration_items.c.line_no)
        ).mappings()
        for row in rows:
            result.setdefault(row["declaration_id"], []).append(
                DeclarationItem(
                    line_no=row["line_no"],
                    hs_code=row["hs_code"],
                    origin_country=row["origin_country"],
                    departure_country=row["departure_country"],
                    net_mass_kg=row["net_mass_kg"],
                    value=row["value"],
                    tax_rate_pct=row["tax_rate_pct"],
                    duty=row["duty"],
                    tax_type=row["tax_type"],
                    origin_indicator=row["origin_indicator"],
                    description=row["description"],
                )
            )
        return result

    @staticmethod
    def _to_declaration(row: Any, items: list[DeclarationItem]) -> Declaration:
        named = row["parties"] or {}
        return Declaration(
            id=row["id"],
            org_id=row["org_id"],
            reference=row["reference"],
            declared_on=row["declared_on"],
            office_id=row["office_id"],
            transport_mode=row["transport_mode"],
            importer=_party_ref(named.get("importer")) or PartyRef(code=row["importer_code"]),
            items=tuple(items),
            received_at=as_utc(row["received_at"]),
            declarant=_party_ref(named.get("declarant")),
            seller=_party_ref(named.get("seller")),
            courier=_party_ref(named.get("courier")),
            process_type=row["process_type"],
            import_type=row["import_type"],
            import_use=row["import_use"],
            payment_type=row["payment_type"],
            containers=tuple(row["containers"] or ()),
            source=row["source"],
            lane=Lane(row["lane"]) if row["lane"] else None,
            score=row["score"],
        )

    def get(self, org_id: uuid.UUID, declaration_id: uuid.UUID) -> Declaration | None:
        row = (
            self._conn.execute(
                select(declarations).where(
                    declarations.c.id == declaration_id, declarations.c.org_id == org_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return self._to_declaration(row, self._items_for([row["id"]]).get(row["id"], []))

    def get_many(self, org_id: uuid.UUID, declaration_ids: Sequence[uuid.UUID]) -> list[Declaration]:
        """The organisation's declarations among ``declaration_ids`` (others are left out)."""
        found: list[Declaration] = []
        for start in range(0, len(declaration_ids), 500):
            chunk = list(declaration_ids[start : start + 500])
            rows = list(
                self._conn.execute(
                    select(declarations).where(declarations.c.org_id == org_id, declarations.c.id.in_(chunk))
                ).mappings()
            )
            items = self._items_for([row["id"] for row in rows])
            found.extend(self._to_declaration(row, items.get(row["id"], [])) for row in rows)
        return found

    def outcomes_for(self, declaration_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, InspectionOutcome]:
        """The outcomes recorded for these declarations (call with ids already scoped to an org)."""
        found: dict[uuid.UUID, InspectionOutcome] = {}
        for start in range(0, len(declaration_ids), 500):
            chunk = list(declaration_ids[start : start + 500])
            for row in self._conn.execute(
                select(outcomes).where(outcomes.c.declaration_id.in_(chunk))
            ).mappings():
                outcome = _to_outcome(row)
                found[outcome.declaration_id] = outcome
        return found

    def get_unscoped(self, declaration_id: uuid.UUID) -> Declaration | None:
        """For the ledger verifier only: a declaration whatever its organisation."""
        row = (
            self._conn.execute(select(declarations).where(declarations.c.id == declaration_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return self._to_declaration(row, self._items_for([row["id"]]).get(row["id"], []))

    def iter_all(self, chunk: int = 2000, org_id: uuid.UUID | None = None) -> Iterable[Declaration]:
        """Every declaration (of one organisation, or all), in id order, chunk by chunk (bounded memory)."""
        last: uuid.UUID | None = None
        while True:
            query = select(declarations).order_by(declarations.c.id).limit(chunk)
            if org_id is not None:
                query = query.where(declarations.c.org_id == org_id)
            if last is not None:
                query = query.where(declarations.c.id > last)
            rows = list(self._conn.execute(query).mappings())
            if not rows:
                return
            items = self._items_for([row["id"] for row in rows])
            for row in rows:
                yield self._to_declaration(row, items.get(row["id"], []))
            last = rows[-1]["id"]

    def list_page(
        self,
        org_id: uuid.UUID,
        filters: DeclarationFilter,
        sort: str,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """One page of summaries, keyset-paginated: ``after`` is the sort key of the last row seen."""
        d = declarations
        conditions = [d.c.org_id == org_id]
        if filters.date_from:
            conditions.append(d.c.declared_on >= filters.date_from)
        if filters.date_to:
            conditions.append(d.c.declared_on <= filters.date_to)
        if filters.office_id:
            conditions.append(d.c.office_id == filters.office_id)
        if filters.importer:
            conditions.append(d.c.importer_code == filters.importer)
        if filters.lane:
            conditions.append(d.c.lane == filters.lane)
        if filters.hs_code:
            items = declaration_items
            conditions.append(
                exists().where(items.c.declaration_id == d.c.id, items.c.hs_code == filters.hs_code)
            )
        if filters.has_outcome is not None:
            has = exists().where(outcomes.c.declaration_id == d.c.id)
            conditions.append(has if filters.has_outcome else ~has)
        score_key = RISK_KEY
        # Keyset paging on (sort key, id) row values: one index range scan per page on both backends.
        sort_column = {"risk": score_key, "value": d.c.total_value}.get(sort, d.c.declared_on)
        ascending = sort == "date"
        key = tuple_(sort_column, d.c.id)
        if after is not None:
            conditions.append(key > tuple_(*after) if ascending else key < tuple_(*after))
        order = [sort_column.asc(), d.c.id.asc()] if ascending else [sort_column.desc(), d.c.id.desc()]
        first_item = (
            select(declaration_items.c.hs_code)
            .where(declaration_items.c.declaration_id == d.c.id, declaration_items.c.line_no == 1)
            .scalar_subquery()
        )
        outcome_result = (
            select(outcomes.c.result).where(outcomes.c.declaration_id == d.c.id).scalar_subquery()
        )
        outcome_inspected = (
            select(outcomes.c.inspected).where(outcomes.c.declaration_id == d.c.id).scalar_subquery()
        )
        query = (
            select(
                d.c.id,
                d.c.reference,
                d.c.declared_on,
                d.c.office_id,
                d.c.importer_code,
                d.c.total_value,
                d.c.total_duty,
                d.c.lane,
                d.c.score,
                score_key.label("score_key"),
                first_item.label("hs_code"),
                outcome_result.label("outcome"),
                outcome_inspected.label("inspected"),
            )
            .where(and_(*conditions))
            .order_by(*order)
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def count(self, org_id: uuid.UUID) -> int:
        return int(
            self._conn.execute(select(func.count()).where(declarations.c.org_id == org_id)).scalar_one()
        )

    # ---- outcomes -------------------------------------------------------------------------------
    def save_outcome(self, outcome: InspectionOutcome) -> None:
        self.save_outcomes([outcome])

    def save_outcomes(self, batch: Sequence[InspectionOutcome]) -> None:
        self.add_outcome_rows([outcome_row(o) for o in batch])

    def add_outcome_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        bulk_insert(self._conn, outcomes, rows)

    def get_outcome(self, declaration_id: uuid.UUID) -> InspectionOutcome | None:
        row = (
            self._conn.execute(select(outcomes).where(outcomes.c.declaration_id == declaration_id))
            .mappings()
            .first()
        )
        return _to_outcome(row) if row else None

    def iter_outcomes(
        self, chunk: int = 5000, org_id: uuid.UUID | None = None
    ) -> Iterable[InspectionOutcome]:
        last: uuid.UUID | None = None
        while True:
            query = select(outcomes).order_by(outcomes.c.declaration_id).limit(chunk)
            if org_id is not None:
                query = query.join(declarations, declarations.c.id == outcomes.c.declaration_id).where(
                    declarations.c.org_id == org_id
                )
            if last is not None:
                query = query.where(outcomes.c.declaration_id > last)
            rows = list(self._conn.execute(query).mappings())
            if not rows:
                return
            yield from (_to_outcome(row) for row in rows)
            last = rows[-1]["declaration_id"]


def _to_outcome(row: Any) -> InspectionOutcome:
    return InspectionOutcome(
        declaration_id=row["declaration_id"],
        inspected=row["inspected"],
        result=OutcomeResult(row["result"]) if row["result"] else None,
        duty_recovered=row["duty_recovered"],
        notes=row["notes"],
        recorded_at=as_utc(row["recorded_at"]),
        recorded_by=row["recorded_by"],
    )


class PartyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def resolve(self, org_id: uuid.UUID, refs: Iterable[PartyRef], now: datetime) -> dict[str, uuid.UUID]:
        """Code -> party id for every ref, creating the parties not seen before."""
        wanted: dict[str, PartyRef] = {}
        for ref in refs:
            known = wanted.get(ref.code)
            if known is None or (ref.name and not known.name):
                wanted[ref.code] = ref
        codes = list(wanted)
        found = lookup_by_key(self._conn, parties, "code", org_id, codes)
        missing = [wanted[code] for code in codes if code not in found]
        if missing:
            ids = self.add_new(org_id, missing, now)
            found.update({ref.code: uuid.UUID(hex=hex_id) for hex_id, ref in zip(ids, missing, strict=True)})
        return found

    def add_stored(self, rows: Sequence[tuple[Any, ...]] | CopyText) -> None:
        """Insert party rows in stored form (:func:`~.table_rows.coded_party_rows`)."""
        insert_stored(self._conn, parties, rows)

    def add_new(self, org_id: uuid.UUID, refs: Sequence[PartyRef], now: datetime) -> list[str]:
        """Store parties the caller knows are not stored yet (codes distinct); their ids, as hex."""
        stored = Stored.on(self._conn)
        org, created = stored.uuid(org_id), stored.timestamp(now)
        ids = new_id_block(len(refs))
        insert_stored(
            self._conn,
            parties,
            [
                (hex_id, org, ref.code, ref.name or ref.code, ref.country, "[]", "[]", None, created)
                for hex_id, ref in zip(ids, refs, strict=True)
            ],
        )
        return ids

    def any_of(self, org_id: uuid.UUID) -> bool:
        """Whether the organisation has any party at all."""
        return _any_of(self._conn, parties, org_id)

    def upsert(self, party: Party, now: datetime) -> Party:
        existing = self.get_by_code(party.org_id, party.code)
        values = {
            "name": party.name,
            "country": party.country,
            "aliases": list(party.aliases),
            "identifiers": [{"scheme": i.scheme, "value": i.value} for i in party.identifiers],
            "address": party.address,
        }
        if existing is None:
            self._conn.execute(
                parties.insert(),
                [{"id": party.id, "org_id": party.org_id, "code": party.code, "created_at": now, **values}],
            )
            return party
        self._conn.execute(update(parties).where(parties.c.id == existing.id).values(**values))
        return Party(
            id=existing.id,
            org_id=party.org_id,
            code=party.code,
            name=party.name,
            country=party.country,
            aliases=party.aliases,
            identifiers=party.identifiers,
            address=party.address,
        )

    def ids_for_codes(self, org_id: uuid.UUID, codes: Iterable[str]) -> dict[str, uuid.UUID]:
        return lookup_by_key(self._conn, parties, "code", org_id, codes)

    def get(self, org_id: uuid.UUID, party_id: uuid.UUID) -> Party | None:
        row = (
            self._conn.execute(select(parties).where(parties.c.id == party_id, parties.c.org_id == org_id))
            .mappings()
            .first()
        )
        return _to_party(row) if row else None

    def get_by_code(self, org_id: uuid.UUID, code: str) -> Party | None:
        row = (
            self._conn.execute(select(parties).where(parties.c.org_id == org_id, parties.c.code == code))
            .mappings()
            .first()
        )
        return _to_party(row) if row else None

    def list_page(self, org_id: uuid.UUID, query: str | None, after: str | None, limit: int) -> list[Party]:
        conditions = [parties.c.org_id == org_id]
        if query:
            pattern = f"%{query.lower()}%"
            conditions.append(
                or_(func.lower(parties.c.name).like(pattern), func.lower(parties.c.code).like(pattern))
            )
        if after:
            conditions.append(parties.c.code > after)
        rows = self._conn.execute(
            select(parties).where(and_(*conditions)).order_by(parties.c.code).limit(limit)
        ).mappings()
        return [_to_party(row) for row in rows]


def _to_party(row: Any) -> Party:
    return Party(
        id=row["id"],
        org_id=row["org_id"],
        code=row["code"],
        name=row["name"],
        country=row["country"],
        aliases=tuple(row["aliases"] or ()),
        identifiers=tuple(PartyIdentifier(i["scheme"], i["value"]) for i in row["identifiers"] or ()),
        address=row["address"],
    )
