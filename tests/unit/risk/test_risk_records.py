from __future__ import annotations

import io
from datetime import date

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.risk import DeclarationRow, read_kcs_stream
from supplyguard.risk.records import KCS_FEATURE_COLUMNS, iter_weeks

HEADER = ",".join((*KCS_FEATURE_COLUMNS, "Fraud", "Critical Fraud"))
LINE = (
    "97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,440890,BE,BE,8.0,FEU1,G,108.0,1000.0,1,2"
)


def test_reads_a_kcs_line_into_a_typed_row() -> None:
    (row,) = read_kcs_stream(io.StringIO(f"{HEADER}\n{LINE}\n"))
    assert row.declaration_id == "97061800"
    assert row.declared_on == date(2020, 1, 1)
    assert row.hs6_code == "440890"
    assert row.courier_id == ""
    assert row.net_mass_kg == 108.0
    assert (row.fraud, row.critical_fraud) == (1, 2)
    assert row.duty_at_stake == pytest.approx(80.0)


def test_labels_can_be_dropped() -> None:
    (row,) = read_kcs_stream(io.StringIO(f"{HEADER}\n{LINE}\n"), keep_labels=False)
    assert row.fraud is None
    assert row.critical_fraud is None


def test_bad_values_are_reported_with_line_and_column() -> None:
    bad = LINE.replace("2020-01-01", "2020-13-01").replace("108.0", "heavy")
    with pytest.raises(ValidationFailed) as caught:
        read_kcs_stream(io.StringIO(f"{HEADER}\n{LINE}\n{bad}\n"))
    locations = {error.location for error in caught.value.errors}
    assert ("line", 3, "Date") in locations
    assert ("line", 3, "Net Mass") in locations


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_kcs_stream(io.StringIO("Declaration ID,Date\n1,2020-01-01\n"))
    assert ("header", "HS6 Code") in {error.location for error in caught.value.errors}


def test_without_labels_keeps_everything_else(train_slice: list[DeclarationRow]) -> None:
    row = next(r for r in train_slice if r.fraud == 1)
    bare = row.without_labels()
    assert bare.fraud is None
    assert bare.item_price == row.item_price
    assert bare.declaration_id == row.declaration_id


def test_weeks_are_monday_to_sunday(train_slice: list[DeclarationRow]) -> None:
    weeks = list(iter_weeks(train_slice[:2000]))
    assert sum(len(week) for week in weeks) == 2000
    for week in weeks:
        assert len({row.declared_on.isocalendar()[:2] for row in week}) == 1


def test_stored_declarations_map_onto_rows() -> None:
    import uuid
    from datetime import UTC, datetime

    from supplyguard.model.declarations import (
        Declaration,
        DeclarationItem,
        InspectionOutcome,
        OutcomeResult,
        PartyRef,
    )
    from supplyguard.risk import row_from_declaration

    item = DeclarationItem(1, "85044012", "CN", "HK", 10.0, 500.0, 8.0, 40.0, "A", "G")
    declaration = Declaration(
        uuid.uuid4(),
        uuid.uuid4(),
        "REF-1",
        date(2021, 4, 2),
        "30",
        "40",
        PartyRef("IMP"),
        (item,),
        datetime(2021, 4, 2, tzinfo=UTC),
        seller=PartyRef("SEL"),
    )
    outcome = InspectionOutcome(
        declaration.id, True, OutcomeResult.CRITICAL_FRAUD, 40.0, "", datetime.now(UTC)
    )
    row = row_from_declaration(declaration, outcome)
    assert (row.declaration_id, row.hs6_code, row.importer_id, row.seller_id, row.declarant_id) == (
        "REF-1",
        "850440",
        "IMP",
        "SEL",
        "",
    )
    assert (row.fraud, row.critical_fraud) == (1, 2)
    assert row.duty_at_stake == pytest.approx(40.0)
    assert row_from_declaration(declaration).fraud is None
