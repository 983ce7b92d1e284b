"""Spellings that transliteration makes of one name: Albanian x/xh in Cyrillic (кс), дж for j,
an Arabic-script ال written apart from a name the list writes in one piece, an Arabic final h."""

from __future__ import annotations

import pytest

from supplyguard.screening import EntityKind, ListEntry, Screener
from supplyguard.screening.normalize import skeleton, tokenize

PEOPLE = [
    ListEntry("t", "1", EntityKind.PERSON, "MORINA, Xhavit"),
    ListEntry("t", "2", EntityKind.PERSON, "JOKIC, Dragan"),
    ListEntry("t", "3", EntityKind.PERSON, "ALKHALD, Ahmad"),
    ListEntry("t", "4", EntityKind.PERSON, "SADIQABADI, Alireza"),
    ListEntry("t", "5", EntityKind.PERSON, "FEBRIWANSYAH, Tuah"),
    ListEntry("t", "6", EntityKind.PERSON, "MILLER, Alexey Borisovich"),
    ListEntry("t", "7", EntityKind.PERSON, "AMIR, Kamal"),
    ListEntry("t", "8", EntityKind.PERSON, "XIE, Michael"),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.build(PEOPLE)


@pytest.mark.parametrize(
    ("query", "entity"),
    [
        ("ксхавит морина", "1"),  # x -> кс
        ("драган джокик", "2"),  # j -> дж
        ("اهمد الخلد", "3"),  # ال written apart
        ("اليرز سديقبدي", "4"),
        ("توه فبريونسيه", "5"),  # final h
        ("алексей борисович миллер", "6"),
    ],
)
def test_transliterated_forms_find_the_entry(screener: Screener, query: str, entity: str) -> None:
    hits = screener.screen(query)
    assert hits and hits[0].entity_id == entity, [(h.entity_name, h.score) for h in hits]
    assert "transliteration from the original script" in hits[0].why


@pytest.mark.parametrize("query", ["Omar Kamal", "Michelle Cox", "Kamal Omar"])
def test_short_skeletons_still_need_the_same_lead_letter(screener: Screener, query: str) -> None:
    assert screener.screen(query) == []


def test_skeletons_of_x_and_ks_agree() -> None:
    assert skeleton("xhavit") == skeleton("kskhavit") == "ksft"
    assert skeleton("alexey") == skeleton("aleksei")
    assert [t.skel for t in tokenize("توه")] == [skeleton("tuah")]
