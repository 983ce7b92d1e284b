"""`screen_csv` on a file of parties: in order, bad rows reported, the same with forked workers."""

from __future__ import annotations

import io

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.screening import EntityKind, ListEntry, Screener
from supplyguard.services.screening import screen_csv

ENTRIES = [
    ListEntry("test", "1", EntityKind.ORGANISATION, "BANK MELLI IRAN"),
    ListEntry("test", "2", EntityKind.PERSON, "IVANOV, Sergei Borisovich", countries=("RU",)),
    ListEntry("test", "3", EntityKind.ORGANISATION, "DANDONG HONGXIANG INDUSTRIAL DEVELOPMENT CO LTD"),
]


def _file(rows: int) -> str:
    names = [
        "Bank Meli Iran",
        "Сергей Иванов",
        "Golden Harbor Trading",
        "",
        "Dandong Hong Xiang Industrial Devlopment Co",
    ]
    lines = ["name,country"] + [f"{names[i % len(names)]},{'RU' if i % 5 == 1 else ''}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_forked_workers_give_the_same_results_in_order() -> None:
    screener = Screener.build(ENTRIES)
    text = _file(1_234)  # more than two chunks of 500
    one = [r.as_dict() for r in screen_csv(screener, io.StringIO(text))]
    two = [r.as_dict() for r in screen_csv(screener, io.StringIO(text), workers=2)]
    assert one == two
    assert [r["row"] for r in two] == list(range(1, 1_235))
    assert two[0]["hits"][0]["entity_id"] == "1"
    assert two[1]["hits"][0]["entity_id"] == "2"
    assert two[2]["hits"] == []
    assert "error" in two[3] and two[3]["hits"] == []
    assert two[4]["hits"][0]["entity_id"] == "3"


def test_a_file_without_a_name_column_is_refused_before_any_work() -> None:
    screener = Screener.build(ENTRIES)
    with pytest.raises(ValidationFailed, match="name"):
        next(iter(screen_csv(screener, io.StringIO("party,country\nX,NL\n"), workers=2)))
