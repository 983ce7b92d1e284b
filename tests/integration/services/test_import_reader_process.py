"""A reader process started before the import opens its database (as the CLI starts it)."""

from __future__ import annotations

import io
import multiprocessing

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.services.import_formats import read_csv
from supplyguard.services.import_rows import ImportReader
from supplyguard.services.imports import import_declarations
from supplyguard.services.ledger import verify_database
from tests.factories import admin_principal, make_org

KCS_HEADER = (
    "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,"
    "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,"
    "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud"
)
GOOD = "41256141,2021-04-01,40,B,11,21,11,40,LPA7LKZ,Y3OM027,FQKH1PD,,420231,IT,RO,8.0,A,G,1.0,1248.7,0,0"


def _import(container, org, rows):  # type: ignore[no-untyped-def]
    return import_declarations(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        rows,
        source="test",
        batch_rows=500,
    )


@pytest.mark.parametrize("labelled", [True, False])
def test_a_reader_started_first_gives_what_one_process_gives(container, labelled: bool) -> None:  # type: ignore[no-untyped-def]
    rows = [GOOD.replace("41256141", str(n)) for n in range(2500)]
    rows[10] = rows[10].replace(",IT,RO,", ",IT,QQ,")
    rows[20] = rows[20].replace(",IT,RO,", ",IT,ro,")  # accepted by the general path only
    rows[2000] = rows[5]
    if not labelled:
        rows = [row.removesuffix(",0,0") + ",," for row in rows]
    text = KCS_HEADER + "\n" + "\n".join(rows) + "\n"
    single = _import(container, make_org(container, "Org 1"), read_csv(io.StringIO(text)))
    with ImportReader(
        read_csv(io.StringIO(text)), received_at=container.clock.now(), with_outcomes=True, workers=2
    ) as reader:
        assert len(multiprocessing.active_children()) == 1  # it reads before the import starts
        forked = _import(container, make_org(container, "Org 2"), reader)
    outcomes = 2498 if labelled else 0
    assert (single.stored, single.rejected, single.outcomes_stored) == (2498, 2, outcomes)
    assert (forked.stored, forked.rejected, forked.outcomes_stored) == (2498, 2, outcomes)
    assert [(e.row, e.errors) for e in single.errors] == [(e.row, e.errors) for e in forked.errors]
    verified = verify_database(container.uow(), container.clock, None)  # rows and leaves agree
    assert verified.ok, verified.problems[:3]
    with container.engine.connect() as conn:
        counts = conn.exec_driver_sql(
            "SELECT o.name, count(*) FROM declarations d JOIN organisations o ON o.id = d.org_id "
            "GROUP BY o.name ORDER BY o.name"
        ).all()
    assert [tuple(row) for row in counts] == [("Org 1", 2498), ("Org 2", 2498)]


def test_a_reader_left_before_the_import_starts_stops_its_process() -> None:
    from datetime import UTC, datetime

    text = KCS_HEADER + "\n" + GOOD + "\n"
    with ImportReader(
        read_csv(io.StringIO(text)), received_at=datetime.now(UTC), with_outcomes=True, workers=2
    ):
        assert len(multiprocessing.active_children()) == 1
    assert multiprocessing.active_children() == []


def test_a_reader_made_for_other_outcomes_is_refused(container) -> None:  # type: ignore[no-untyped-def]
    text = KCS_HEADER + "\n" + GOOD + "\n"
    org = make_org(container)
    with (
        ImportReader(
            read_csv(io.StringIO(text)), received_at=container.clock.now(), with_outcomes=False, workers=2
        ) as reader,
        pytest.raises(ValueError, match="with_outcomes"),
    ):
        _import(container, org, reader)
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 0


def test_an_error_the_early_reader_meets_is_raised_by_the_import(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    with (
        ImportReader(
            read_csv(io.StringIO("")), received_at=container.clock.now(), with_outcomes=True, workers=2
        ) as reader,
        pytest.raises(ValidationFailed) as raised,
    ):
        _import(container, org, reader)
    assert "empty" in str(raised.value.errors)
    with container.uow(readonly=True) as uow:
        assert uow.declarations.count(org.id) == 0
