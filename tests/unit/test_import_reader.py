"""The import's reader checks rows before it knows how to write them, and batches them as if it had.

:func:`read_batches` checks rows while its :class:`WriteForm` is not known yet (a forked reader
started before the import opened its database), then prepares and batches them: the batches must
be exactly those made when the form is known from the first row.
"""

from __future__ import annotations

import io

import pytest

from supplyguard.adapters.db.bulk import Stored
from supplyguard.model.refdata import load_reference_data
from supplyguard.services.import_formats import read_csv
from supplyguard.services.import_rows import (
    KcsRowChecker,
    WriteForm,
    read_batches,
)
from tests.unit.test_import_kcs_path import CONTEXT  # the same import context for both

HEADER = (
    "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,"
    "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,"
    "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud"
)
GOOD = "41256141,2021-04-01,40,B,11,21,11,40,LPA7LKZ,Y3OM027,FQKH1PD,,420231,IT,RO,8.0,A,G,1.0,1248.7,0,0"


def _text(count: int) -> str:
    rows = [GOOD.replace("41256141", str(n)) for n in range(count)]
    rows[10] = rows[10].replace(",IT,RO,", ",IT,QQ,")  # refused, by the general path
    rows[20] = rows[20].replace(",IT,RO,", ",IT,ro,")  # accepted by the general path only
    rows[30] = rows[30].replace(",0,0", ",1,2")  # an outcome other than compliant
    rows[count - 5] = rows[5]  # a reference twice in the file
    return HEADER + "\n" + "\n".join(rows) + "\n"


def _batches(text: str, form: WriteForm, unknown_for: int) -> list[tuple[object, ...]]:
    """The batches, with the form unknown for the first ``unknown_for`` questions; ids aside (each
    row's id comes from the clock), every value of each batch."""
    asked: list[bool] = []

    def form_of(wait: bool) -> WriteForm | None:
        asked.append(wait)
        return form if wait or len(asked) > unknown_for else None

    checker = KcsRowChecker(CONTEXT.received_at, CONTEXT.with_outcomes, load_reference_data())
    found = []
    for batch in read_batches(read_csv(io.StringIO(text)), checker, form_of):
        pending = [
            item[:2] + item[3:] if isinstance(item, tuple) else (item.line, item.reference)
            for item in batch.pending
        ]
        written = batch.written
        stored = None if written is None else (len(written.declarations), written.leaf_kinds)
        parties = None if batch.parties is None else (batch.parties.codes, batch.parties.rows is None)
        errors = [(e.row, e.reference, e.errors) for e in batch.errors]
        found.append((batch.rows_read, batch.accepted, pending, stored, parties, errors))
    return found


@pytest.mark.parametrize("stored", [None, Stored(postgres=False), Stored(postgres=True)])
@pytest.mark.parametrize("every_row", [True, False])
@pytest.mark.parametrize("unknown_for", [1, 3, 1000])  # 1000: not before the end of the file
def test_rows_checked_before_the_form_is_known_are_batched_as_if_it_had_been(
    stored: Stored | None, every_row: bool, unknown_for: int
) -> None:
    text = _text(4500)
    form = WriteForm(CONTEXT, 1500, stored, parties_absent=True, every_row=every_row)
    known = _batches(text, form, 0)
    assert _batches(text, form, unknown_for) == known
    # chunks of 1,000 rows: a batch once 1,500 are pending, then what is left
    assert [batch[0] for batch in known] == [2000, 2000, 500]
    assert [batch[1] for batch in known] == [1999, 2000, 499]  # all but the two refused
    errors = [error[:2] for batch in known for error in batch[5]]
    assert errors == [(12, "10"), (4497, "5")]


def test_without_every_row_only_the_open_rows_come_back() -> None:
    lines = _text(3000).splitlines()
    for open_row in (101, 2501):  # no labels: open declarations (line = row + 1: the header)
        lines[open_row] = lines[open_row].removesuffix(",0,0") + ",,"
    form = WriteForm(CONTEXT, 1000, Stored(postgres=False), parties_absent=True, every_row=False)
    batches = _batches("\n".join(lines) + "\n", form, 0)
    # the first batch holds row 20, which took the general path: every row comes back; of the
    # other, KCS rows alone, only the open one
    assert [(batch[1], len(batch[2])) for batch in batches] == [(1999, 1999), (999, 1)]


def test_the_reader_stops_checking_ahead_once_it_holds_enough_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from supplyguard.services import import_rows

    monkeypatch.setattr(import_rows, "READ_AHEAD_ROWS", 2000)
    waited: list[int] = []

    def form_of(wait: bool) -> WriteForm | None:
        waited.append(wait)
        return form if wait else None

    form = WriteForm(CONTEXT, 1000, None)
    checker = KcsRowChecker(CONTEXT.received_at, True, load_reference_data())
    batches = list(read_batches(read_csv(io.StringIO(_text(5000))), checker, form_of))
    assert waited == [False, True]  # after the second chunk of 1,000 rows it waits for the form
    assert sum(batch.accepted for batch in batches) == 4998
