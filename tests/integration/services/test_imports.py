"""Bulk import against real SQLite and PostgreSQL: good rows stored, bad rows named, nothing half-written."""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
from pathlib import Path

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.declarations import PartyRef
from supplyguard.services.import_formats import read_csv, read_ndjson
from supplyguard.services.imports import import_declarations
from supplyguard.services.ledger import verify_database
from tests.conftest import require_shared
from tests.factories import admin_principal, make_org

KCS_HEADER = (
    "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,"
    "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,"
    "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud"
)
GOOD = "41256141,2021-04-01,40,B,11,21,11,40,LPA7LKZ,Y3OM027,FQKH1PD,,420231,IT,RO,8.0,A,G,1.0,1248.7,0,0"


def _import(container, org, rows, **options):  # type: ignore[no-untyped-def]
    """``import_declarations`` of ``rows`` (read_csv / read_ndjson) by ``org``'s admin."""
    return import_declarations(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        rows,
        source="test",
        **options,
    )


def _run(container, text: str, org=None):  # type: ignore[no-untyped-def]
    org = org or make_org(container)
    return _import(container, org, read_csv(io.StringIO(text)), batch_rows=2), org


def test_a_file_with_broken_rows_stores_the_good_ones_and_names_each_bad_one(container) -> None:  # type: ignore[no-untyped-def]
    rows = [
        GOOD,
        GOOD.replace("41256141", "2").replace(",IT,RO,", ",IT,QQ,"),  # bad country
        GOOD.replace("41256141", "3").replace(",420231,", ",999998,"),  # bad HS code
        GOOD.replace("41256141", "4").replace(",1.0,1248.7,", ",-5.0,1248.7,"),  # negative mass
        GOOD.replace("41256141", "5").replace(",LPA7LKZ,Y3OM027,", ",LPA7LKZ,,"),  # missing importer
        GOOD.replace("41256141", "6").replace(",1248.7,", ",twelve,"),  # wrong type
        GOOD.replace("41256141", "7").replace("2021-04-01", "2021-13-01"),  # bad date
        GOOD.replace("41256141", "8"),
        GOOD,  # duplicate in file
        "9,2021-04-01,40",  # short row
    ]
    report, org = _run(container, KCS_HEADER + "\n" + "\n".join(rows) + "\n")
    assert report.rows_read == 10
    assert report.stored == 2
    assert report.outcomes_stored == 2
    by_row = {e.row: e for e in report.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 10, 11}
    assert "Country of Origin" in str(by_row[3].errors) and "origin_country" in str(by_row[3].errors)
    assert "not an HS2017 subheading" in str(by_row[4].errors)
    assert "must not be negative" in str(by_row[5].errors)
    assert "importer" in str(by_row[6].errors) and "is required" in str(by_row[6].errors)
    assert "must be a number" in str(by_row[7].errors)
    assert "must be a date" in str(by_row[8].errors)
    assert "more than once" in str(by_row[10].errors)
    assert "fields" in str(by_row[11].errors)
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 2
        assert uow.ledger.size() >= 2 + 2  # declarations and outcomes (plus organisation config leaves)


@pytest.mark.parametrize("workers", [1, 2])
def test_parties_stored_before_are_found_not_made_again(container, workers: int) -> None:  # type: ignore[no-untyped-def]
    """An organisation with parties but no declaration: the import's codes are looked up."""
    org = make_org(container)
    with container.uow() as uow:
        (known,) = uow.parties.add_new(
            org.id, [PartyRef("Y3OM027", "Known Importer Ltd")], container.clock.now()
        )
        uow.commit()
    rows = [GOOD.replace("41256141", str(n)) for n in range(3)]
    rows[2] = rows[2].replace(",FQKH1PD,", ",NEWSELL,")
    report = _import(
        container,
        org,
        read_csv(io.StringIO(KCS_HEADER + "\n" + "\n".join(rows) + "\n")),
        batch_rows=2,
        workers=workers,
    )
    assert report.stored == 3
    with container.uow(readonly=True) as uow:
        importer = uow.parties.get_by_code(org.id, "Y3OM027")
        assert importer is not None and importer.id.hex == known and importer.name == "Known Importer Ltd"
        assert all(uow.parties.get_by_code(org.id, code) for code in ("LPA7LKZ", "FQKH1PD", "NEWSELL"))
        assert uow.declarations.count(org.id) == 3


def test_reimporting_reports_existing_references(container) -> None:  # type: ignore[no-untyped-def]
    first, org = _run(container, KCS_HEADER + "\n" + GOOD + "\n")
    assert first.stored == 1
    second, _ = _run(container, KCS_HEADER + "\n" + GOOD + "\n", org)
    assert second.stored == 0 and second.rejected == 1
    assert "already exists" in str(second.errors[0].errors)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_half_way_leaves_nothing_behind(container, workers: int) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    good_rows = list(
        read_csv(
            io.StringIO(
                KCS_HEADER + "\n" + "\n".join(GOOD.replace("41256141", str(n)) for n in range(10)) + "\n"
            )
        )
    )

    def rows_then_crash():  # type: ignore[no-untyped-def]
        yield from good_rows
        raise OSError("disk went away")

    with container.uow(readonly=True) as uow:
        ledger_before = uow.ledger.size()
    with pytest.raises(OSError):
        # workers=2: the error is met in the reader process and raised here
        _import(container, org, rows_then_crash(), batch_rows=3, workers=workers)
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 0
        assert uow.ledger.size() == ledger_before
    assert gc.isenabled()  # the collector, paused during the import, is back after a failure


def test_kcs_rows_store_what_the_general_path_stores(container) -> None:  # type: ignore[no-untyped-def]
    """The same declaration imported from KCS CSV (direct path) and as NDJSON (general path)."""
    import json

    from supplyguard.model.declarations import ledger_body
    from supplyguard.model.kcs import KCS_COLUMNS, kcs_row_to_mapping

    org = make_org(container)
    kcs_report, _ = _run(container, KCS_HEADER + "\n" + GOOD + "\n", org)
    row = dict(zip((*KCS_COLUMNS, "Fraud", "Critical Fraud"), GOOD.split(","), strict=True))
    wire = kcs_row_to_mapping(row) | {"reference": "wire-copy"}
    wire_report = _import(container, org, read_ndjson(io.StringIO(json.dumps(wire))))
    assert (kcs_report.stored, wire_report.stored) == (1, 1)
    with container.uow(readonly=True) as uow:
        ids = uow.declarations.ids_for_references(org.id, ["41256141", "wire-copy"])
        from_kcs = uow.declarations.get(org.id, ids["41256141"])
        from_wire = uow.declarations.get(org.id, ids["wire-copy"])
        kcs_leaf = uow.ledger.find_by_record("declaration", ids["41256141"])[-1].envelope
    assert from_kcs is not None and from_wire is not None
    same = {"id": from_kcs.id, "reference": from_kcs.reference, "received_at": from_kcs.received_at}
    assert from_kcs == dataclasses.replace(from_wire, **same, source=from_kcs.source)
    assert kcs_leaf.body_sha256 == canonical_sha256(ledger_body(from_kcs))


def test_an_unreadable_header_is_refused_before_anything_is_written(container) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match="neither the KCS layout"):
        _run(container, "a,b,c\n1,2,3\n")


def test_a_reader_process_error_arrives_whole(container) -> None:  # type: ignore[no-untyped-def]
    """With a reader process, its ValidationFailed is raised here with its field errors."""
    org = make_org(container)
    with pytest.raises(ValidationFailed, match="neither the KCS layout") as raised:
        _import(container, org, read_csv(io.StringIO("a,b,c\n1,2,3\n")), workers=2)
    assert [e.location for e in raised.value.errors] == [("file", 1)]
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 0


def test_ndjson_lines_are_imported_and_bad_json_named(container) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.factories import declaration_data

    org = make_org(container)
    lines = [
        json.dumps(declaration_data("N1")),
        "{not json",
        json.dumps([1, 2]),
        json.dumps(declaration_data("N2")),
    ]
    report = _import(container, org, read_ndjson(io.StringIO("\n".join(lines))))
    assert report.stored == 2
    assert {e.row for e in report.errors} == {2, 3}


def test_the_whole_kcs_test_split_imports(container, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = require_shared("customs", "df_syn_test_eng.csv")
    org = make_org(container)
    with path.open(newline="") as stream:
        report = _import(container, org, read_csv(stream))
    with path.open(newline="") as stream:
        expected = sum(1 for _ in csv.DictReader(stream))
    assert report.rejected == 0, report.errors[:3]
    assert report.stored == expected == 8481
    assert report.outcomes_stored == expected
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == expected


def test_worker_processes_give_the_same_result_as_one_process(container) -> None:  # type: ignore[no-untyped-def]
    rows = [GOOD.replace("41256141", str(n)) for n in range(2500)]
    rows[10] = rows[10].replace(",IT,RO,", ",IT,QQ,")
    rows[20] = rows[20].replace(",IT,RO,", ",IT,ro,")  # accepted by the general path only
    rows[2000] = rows[5]
    text = KCS_HEADER + "\n" + "\n".join(rows) + "\n"
    reports = []
    for index, workers in enumerate((1, 2)):
        org = make_org(container, f"Org {index}")
        reports.append(_import(container, org, read_csv(io.StringIO(text)), workers=workers))
    single, parallel = reports
    assert (single.stored, single.rejected, single.outcomes_stored) == (2498, 2, 2498)
    assert (parallel.stored, parallel.rejected, parallel.outcomes_stored) == (2498, 2, 2498)
    assert [(e.row, e.errors) for e in single.errors] == [(e.row, e.errors) for e in parallel.errors]
    verified = verify_database(container.uow(), container.clock, None)  # rows and leaves agree
    assert verified.ok, verified.problems[:3]
    with container.engine.connect() as conn:  # each party code once per organisation, named by it
        found = conn.exec_driver_sql(
            "SELECT org_id, count(*), count(DISTINCT code), sum(CASE WHEN name = code THEN 1 ELSE 0 END) "
            "FROM parties GROUP BY org_id"
        ).all()
    assert [tuple(row[1:]) for row in found] == [(3, 3, 3), (3, 3, 3)]  # declarant, importer, seller


def _index_definitions(container) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with container.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
            )
        return [(str(name), str(sql)) for name, sql in rows]


def test_indexes_put_off_during_a_bulk_load_come_back_as_they_were(container) -> None:  # type: ignore[no-untyped-def]
    """A first full batch into empty tables drops the secondary indexes (and on PostgreSQL the
    foreign keys) and builds them again before the commit; a failure leaves them as they were too."""
    before = _index_definitions(container)
    report, org = _run(
        container,
        KCS_HEADER + "\n" + "\n".join(GOOD.replace("41256141", str(n)) for n in range(7)) + "\n",
        make_org(container, "Bulk"),
    )
    assert report.stored == 7
    assert _index_definitions(container) == before
    with container.uow(readonly=True) as uow:  # the queue reads through them
        assert uow.declarations.count(org.id) == 7
    other = make_org(container, "Failing")
    rows = list(
        read_csv(
            io.StringIO(KCS_HEADER + "\n" + "\n".join(GOOD.replace("41256141", str(n)) for n in range(1200)))
        )
    )

    def rows_then_crash():  # type: ignore[no-untyped-def]
        yield from rows  # the first chunk of 1,000 is written (indexes dropped) before the crash
        raise OSError("disk went away")

    with pytest.raises(OSError):
        _import(container, other, rows_then_crash(), batch_rows=500)
    assert _index_definitions(container) == before
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(other.id) == 0


def _kcs_rows(count: int, first: int = 0) -> str:
    return (
        KCS_HEADER + "\n" + "\n".join(GOOD.replace("41256141", str(n)) for n in range(first, first + count))
    )


def _constraints_dropped(container, load) -> list[str]:  # type: ignore[no-untyped-def]
    """The constraints ``load()`` drops (on PostgreSQL, where keys can be put off)."""
    from sqlalchemy import event

    dropped: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "DROP CONSTRAINT" in statement:
            dropped.append(statement.rsplit(" ", 1)[1].strip('"'))

    event.listen(container.engine, "before_cursor_execute", seen)
    try:
        load()
    finally:
        event.remove(container.engine, "before_cursor_execute", seen)
    return dropped


def test_a_first_load_puts_off_the_keys_it_looks_nothing_up_by(container) -> None:  # type: ignore[no-untyped-def]
    """Into an organisation with no declaration and no party, the unique keys nothing refers to (the
    reference's, the party code's, the ledger records') are put off too on PostgreSQL, and come
    back as they were: the records are found by their keys and the ledger verifies; a second import
    into the same organisation checks its references, so it keeps them."""
    before = _index_definitions(container)
    org = make_org(container, "First load")
    reports = []

    def load(text: str, batch_rows: int) -> None:
        reports.append(_import(container, org, read_csv(io.StringIO(text)), batch_rows=batch_rows))

    first = _constraints_dropped(container, lambda: load(_kcs_rows(1200), 500))
    assert reports[0].stored == 1200
    assert _index_definitions(container) == before
    if container.engine.dialect.name == "postgresql":
        assert {"uq_declarations_org_reference", "uq_parties_org_code", "pk_ledger_records"} <= set(first)
        assert {"pk_declarations", "pk_parties"}.isdisjoint(first)  # other tables refer to these
    else:
        assert first == []
    # a first batch larger than the tables again: indexes put off, the keys kept
    again = _constraints_dropped(container, lambda: load(_kcs_rows(2500, first=1100), 2000))
    assert (reports[1].stored, reports[1].rejected) == (2400, 100)  # 100 references already stored
    if container.engine.dialect.name == "postgresql":
        assert "fk_declaration_items_declaration_id_declarations" in again
    assert not {"uq_declarations_org_reference", "uq_parties_org_code", "pk_ledger_records"} & set(again)
    assert _index_definitions(container) == before
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 3600
        assert set(uow.declarations.ids_for_references(org.id, ["5", "3550"])) == {"5", "3550"}
    verified = verify_database(container.uow(), container.clock, None)
    assert verified.ok, verified.problems[:3]


def test_party_names_with_backslashes_and_null_markers_are_stored_as_given(container) -> None:  # type: ignore[no-untyped-def]
    """New parties go in stored form (one COPY text stream on PostgreSQL): text that would break it
    is escaped."""
    import json

    from tests.factories import declaration_data

    org = make_org(container)
    name = "Back\\\\slash \\N Trading"
    data = declaration_data("ESC-1", importer={"code": "ESC\\1", "name": name, "country": "NL"})
    report = _import(container, org, read_ndjson(io.StringIO(json.dumps(data))))
    assert report.stored == 1, report.errors
    with container.uow(readonly=True) as uow:
        party = uow.parties.get_by_code(org.id, "ESC\\1")
        assert party is not None and party.name == name
        assert uow.parties.get_by_code(org.id, "DCL1") is not None


def test_values_common_to_every_row_are_stored_as_given(container) -> None:  # type: ignore[no-untyped-def]
    """Bulk rows may leave out the values every row shares (the KCS rows on SQLite do): on SQLite
    they are written into the statement, quoted; on PostgreSQL the rows are made whole again."""
    from sqlalchemy import Column, Float, Integer, MetaData, Table, Text

    from supplyguard.adapters.db.bulk import CommonValues, insert_stored

    table = Table(
        "common_values_check",
        MetaData(),
        Column("a", Text),
        Column("b", Text),
        Column("c", Integer),
        Column("d", Float),
        Column("e", Text),
    )
    common = {1: "o'brien'); DROP TABLE parties; --?", 3: 0.5, 4: None}
    # In one transaction that is rolled back: the table must not outlive the test (the database is
    # shared by the session's tests, and the schema test compares it with the migrations).
    with container.engine.connect() as conn, conn.begin() as transaction:
        table.create(conn)
        insert_stored(conn, table, CommonValues([("x", 1), ("y?", 2)], common))
        rows = conn.exec_driver_sql("SELECT a, b, c, d, e FROM common_values_check ORDER BY a").all()
        assert conn.exec_driver_sql("SELECT count(*) FROM parties").scalar() == 0  # still there
        transaction.rollback()
    assert [tuple(row) for row in rows] == [("x", common[1], 1, 0.5, None), ("y?", common[1], 2, 0.5, None)]
