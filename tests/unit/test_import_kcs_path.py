"""The KCS direct path of the bulk import builds exactly what the general path builds, or steps aside.

:class:`KcsRowPreparer` must never accept a row the general path (``parse_declaration``) would
refuse, and for every row it accepts, the database rows, party refs, domain objects and ledger
envelopes (so the body hashes) must be identical. Rows it is unsure of return None and go the
general way, which writes the error messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Table

from supplyguard.adapters.db.bulk import CommonValues, Stored, _encoders, copy_text
from supplyguard.adapters.db.tables import declaration_items, declarations, outcomes
from supplyguard.model.kcs import KCS_COLUMNS, KCS_LABEL_COLUMNS
from supplyguard.model.refdata import load_reference_data
from supplyguard.services.import_formats import RowInput, read_csv
from supplyguard.services.imports import (
    ImportContext,
    KcsRowPreparer,
    PreparedRow,
    RowError,
    prepare_row,
    prepare_rows,
)
from tests.conftest import require_shared

CONTEXT = ImportContext(
    org_id=uuid.UUID(int=5),
    actor_id=uuid.UUID(int=6),
    received_at=datetime(2026, 12, 6, 1, 2, 3, 4, tzinfo=UTC),
    source="cli-csv",
    batch_id=uuid.UUID(int=9),
    with_outcomes=True,
)
GOOD = [
    "41256141", "2021-04-01", "40", "B", "11", "21", "11", "40", "LPA7LKZ", "Y3OM027", "FQKH1PD", "",
    "420231", "IT", "RO", "8.0", "A", "G", "1.0", "1248.7", "0", "0",
]  # fmt: skip


def _both(values: list[str], preparer: KcsRowPreparer) -> tuple[PreparedRow | None, PreparedRow | RowError]:
    row = RowInput(7, None, layout="kcs", kcs=tuple(values))
    declaration_id = uuid.UUID(int=0x0190_0000_0000_7000_8000_0000_0000_0001)
    found = preparer.prepare(row.line, tuple(values), declaration_id.hex)
    fast = None if found is None else preparer.expand(found)
    mapping, labels = row.wire()
    assert mapping is not None
    general = prepare_row(row.line, mapping, labels, "kcs", CONTEXT, load_reference_data(), declaration_id)
    return fast, general


def _assert_same_or_stepped_aside(values: list[str], preparer: KcsRowPreparer) -> PreparedRow | None:
    fast, general = _both(values, preparer)
    if fast is not None:
        assert isinstance(general, PreparedRow), (
            f"the direct path accepted a row the general path refuses: {values}"
        )
        for name in PreparedRow.__dataclass_fields__:
            assert getattr(fast, name) == getattr(general, name), (name, values)
        assert fast.declaration_leaf.to_bytes() == general.declaration_leaf.to_bytes()
    return fast


@pytest.fixture(scope="module")
def preparer() -> KcsRowPreparer:
    return KcsRowPreparer(CONTEXT, load_reference_data())


def _encoded(table: Table, dialect: str, row: tuple[object, ...]) -> tuple[object, ...]:
    encoders = _encoders(table, dialect)
    return tuple(
        value if encode is None else encode(value) for encode, value in zip(encoders, row, strict=False)
    )


@pytest.mark.parametrize("postgres", [False, True])
def test_the_stored_rows_are_what_the_general_rows_encode_to(
    preparer: KcsRowPreparer, postgres: bool
) -> None:
    """What the direct path writes equals the general path's rows as :func:`bulk_insert` stores them."""
    path = require_shared("customs", "df_syn_test_eng.csv")
    with path.open(newline="") as stream:
        rows = list(read_csv(stream))[:500]
    rows.append(RowInput(9999, None, layout="kcs", kcs=tuple(GOOD[: len(KCS_COLUMNS)])))  # no outcome
    stored = Stored(postgres=postgres)
    for row in rows:
        assert row.kcs is not None
        found = preparer.prepare(row.line, row.kcs, uuid.uuid4().hex)
        assert found is not None
        general = preparer.expand(found)
        written = preparer.stored_rows([found], stored)
        if postgres:  # uuids as 32 hex digits (PostgreSQL reads both forms), the rest as SQLite
            assert written.declarations[0][0] == general.declaration_row[0].hex
            assert written.declarations[0][18] == CONTEXT.received_at.isoformat()
            # the COPY text written directly is the text of these rows
            as_copy = preparer.stored_rows([found], stored, as_copy=True)
            for direct, tuples in zip(
                (as_copy.declarations, as_copy.items, as_copy.outcomes),
                (written.declarations, written.items, written.outcomes),
                strict=True,
            ):
                assert direct == copy_text(tuples) or (not tuples and not direct and not direct.text)
            assert (as_copy.leaves, as_copy.leaf_hashes) == (written.leaves, written.leaf_hashes)
            continue
        # on SQLite the values common to every row come apart from the rows
        assert isinstance(written.declarations, CommonValues)
        assert isinstance(written.items, CommonValues) and isinstance(written.outcomes, CommonValues)
        assert written.declarations.full() == [_encoded(declarations, "sqlite", general.declaration_row)]
        assert written.items.full() == [_encoded(declaration_items, "sqlite", general.item_rows[0])]
        if general.outcome_row is None:
            assert written.outcomes.full() == [] and len(written.leaves) == 1
        else:
            assert written.outcomes.full() == [_encoded(outcomes, "sqlite", general.outcome_row)]
            assert general.outcome_leaf is not None
            envelopes = [general.declaration_leaf, general.outcome_leaf]
            assert written.leaves == [envelope.to_bytes() for envelope in envelopes]
            assert written.leaf_kinds == ["declaration", "outcome"]
            assert written.leaf_ids == [general.declaration_leaf.id] * 2
            assert written.leaf_hashes == [hashlib.sha256(b"\x00" + leaf).digest() for leaf in written.leaves]


def test_every_row_of_the_kcs_test_split_takes_the_direct_path_and_matches(preparer: KcsRowPreparer) -> None:
    path = require_shared("customs", "df_syn_test_eng.csv")
    with path.open(newline="") as stream:
        rows = list(read_csv(stream))
    assert len(rows) == 8481
    for row in rows:
        assert row.kcs is not None
        assert _assert_same_or_stepped_aside(list(row.kcs), preparer) is not None, row.kcs


@pytest.mark.parametrize(
    ("column", "value", "direct"),
    [
        ("HS6 Code", " 420231 ", True),
        ("HS6 Code", "10121", True),  # leading zero restored, as the general path does
        ("HS6 Code", "4202.31", False),
        ("HS6 Code", "999998", False),
        ("Country of Origin", "ro", False),  # the general path upper-cases it
        ("Country of Origin", "ZZ", True),
        ("Country of Origin", "QQ", False),
        ("Country of Departure", "", True),
        ("Country of Departure", "  ", True),
        ("Tax Rate", "", True),
        ("Tax Rate", "-0.0", True),
        ("Tax Rate", "1000.5", False),
        ("Tax Rate", " 8 ", True),
        ("Tax Rate", "  ", False),  # blank but not empty: the general path calls it not a number
        ("Net Mass", " 1.0", True),
        ("Office ID", "  ", False),
        ("Tax Type", "  ", True),
        ("Item Price", "-0.0", True),
        ("Item Price", "1e3", True),
        ("Item Price", "1_000", True),
        ("Item Price", "inf", False),
        ("Item Price", "nan", False),
        ("Item Price", "-5", False),
        ("Item Price", "twelve", False),
        ("Net Mass", "", False),
        ("Date", "20210401", True),
        ("Date", "2021-13-01", False),
        ("Date", "1989-12-31", False),
        ("Date", "2030-01-01", False),
        ("Importer ID", "", False),
        ("Importer ID", "  Y3OM027 ", True),
        ("Declarant ID", "", True),
        ("Courier ID", "C1", True),
        ("Declaration ID", "x" * 201, False),
        ("Declaration ID", 'a"b', False),
        ("Declaration ID", "a\\b", False),
        ("Declaration ID", "caf\u00e9", False),
        ("Declaration ID", "a\tb", False),
        ("Fraud", "", False),  # "" with Critical Fraud "0" is not a valid pair
        ("Critical Fraud", "2", False),
    ],
)
def test_edge_values_are_matched_or_left_to_the_general_path(
    preparer: KcsRowPreparer, column: str, value: str, direct: bool
) -> None:
    values = list(GOOD)
    values[(*KCS_COLUMNS, *KCS_LABEL_COLUMNS).index(column)] = value
    fast = _assert_same_or_stepped_aside(values, preparer)
    assert (fast is not None) is direct


def test_rows_without_labels_store_no_outcome(preparer: KcsRowPreparer) -> None:
    fast = _assert_same_or_stepped_aside(GOOD[: len(KCS_COLUMNS)], preparer)
    assert fast is not None and fast.outcome_row is None and fast.outcome_leaf is None
    blank_labels = [*GOOD[: len(KCS_COLUMNS)], "", " "]
    fast = _assert_same_or_stepped_aside(blank_labels, preparer)
    assert fast is not None and fast.outcome is None


_CANDIDATES: dict[int, list[str]] = {
    0: ["1", " 2 ", "", "R-9", "x" * 200, "x" * 201, 'q"', "\u00e9"],
    1: ["2021-04-01", "2022-01-01", "2021-12-31", "", "2021-02-30", " 2021-04-01", "20211231"],
    8: ["D1", "", " "],
    10: ["S1", ""],
    11: ["C1", ""],
    12: ["420231", "10121", "850440", "851712", "999999", "", "4202.31", "42023"],
    13: ["IT", "", "zz", "ZZ", "XX"],
    14: ["RO", "cn", "ZZ", "", "KR "],
    15: ["8.0", "", " ", "0", "-0.0", "1000", "1000.0001", "1e2", "x", " 8 "],
    16: ["A", "", " ", " FEU1"],
    18: ["1.0", "0", "-0.0", "", "1e308", "1e309", "-1"],
    19: ["1248.7", "0.1", "7290.000000000001", "nan", " 5 ", ""],
    20: ["0", "1", "", "2"],
    21: ["0", "1", "2", ""],
}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _CANDIDATES.items()}))
def test_any_mix_of_odd_values_is_matched_or_left_to_the_general_path(choice: dict[int, str]) -> None:
    values = list(GOOD)
    for index, value in choice.items():
        values[index] = value
    _assert_same_or_stepped_aside(values, KcsRowPreparer(CONTEXT, load_reference_data()))


def test_prepare_rows_reports_bad_kcs_rows_as_before() -> None:
    header = ",".join((*KCS_COLUMNS, *KCS_LABEL_COLUMNS))
    bad = list(GOOD)
    bad[14] = "QQ"
    text = "\n".join([header, ",".join(GOOD), ",".join(bad), "1,2"]) + "\n"
    prepared = prepare_rows(list(read_csv(io.StringIO(text))), CONTEXT)
    assert isinstance(prepared[0], tuple) and prepared[0][:2] == (2, "41256141")  # the direct path
    assert isinstance(prepared[1], RowError) and prepared[1].row == 3
    assert prepared[1].errors == [
        {
            "loc": ["items", 0, "origin_country"],
            "msg": "'QQ' is not an ISO 3166-1 alpha-2 country code",
            "column": "Country of Origin",
        }
    ]
    assert isinstance(prepared[2], RowError) and "fields" in prepared[2].errors[0]["msg"]


def test_columns_in_another_order_and_extra_columns_read_the_same() -> None:
    columns = [*reversed(KCS_COLUMNS), "Note", *KCS_LABEL_COLUMNS]
    by_name = dict(zip((*KCS_COLUMNS, *KCS_LABEL_COLUMNS), GOOD, strict=True)) | {"Note": "n"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerow([by_name[c] for c in columns])
    (row,) = read_csv(io.StringIO(out.getvalue()))
    assert row.kcs == tuple(GOOD)


def test_id_blocks_are_increasing_unique_uuid7() -> None:
    from supplyguard.adapters.db.bulk import new_id_block

    first, second = new_id_block(1500), new_id_block(3)
    ids = [uuid.UUID(hex=h) for h in first + second]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
