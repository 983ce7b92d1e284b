from __future__ import annotations

import pytest

from supplyguard.errors import InvalidInput
from supplyguard.screening import EntityKind, Query, Screener


def top(screener: Screener, query: Query | str) -> tuple[str, str, float, str]:
    hits = screener.screen(query)
    assert hits, f"no hit for {query!r}"
    return hits[0].list_id, hits[0].entity_id, hits[0].score, hits[0].why


def test_exact_reordered_and_transliterated_forms_find_the_entry(small_screener: Screener) -> None:
    for name in ("Sergei Ivanov", "IVANOV SERGEY", "Иванов Сергей", "Sergej Ivanow"):
        list_id, entity_id, score, why = top(small_screener, name)
        assert (list_id, entity_id) == ("ofac-sdn", "16688"), name
        assert 0.8 <= score <= 1.0
        assert "ivanov" in why.lower() or "ivanow" in why.lower()


def test_arabic_original_script_finds_the_un_entry(small_screener: Screener) -> None:
    list_id, entity_id, _, _why = top(small_screener, "Saddam Husain al-Tikriti")
    assert list_id == "un-sc"
    hits = small_screener.screen("صدام حسين التكريتي")
    assert hits[0].entity_id == entity_id
    assert "original script" in hits[0].why


def test_company_suffixes_do_not_matter(small_screener: Screener) -> None:
    for name in ("STG EKO", "STG-EKO Ltd", "OOO STG EKO", "ООО СТГ-ЭКО"):
        assert top(small_screener, name)[1] == "900", name


def test_explanation_names_date_and_country_mismatch(small_screener: Screener) -> None:
    hits = small_screener.screen(Query("Sergei Ivanov", dob="1953", country="RU"))
    assert "year of birth 1953 matches" in hits[0].why
    assert "country RU matches" in hits[0].why
    other = small_screener.screen(Query("Sergei Ivanov", dob="1980-02-02", country="UA"), threshold=0.5)
    assert "date of birth differs" in other[0].why
    assert "country differs" in other[0].why
    assert other[0].score < hits[0].score


def test_identifier_lifts_the_score(small_screener: Screener) -> None:
    plain = small_screener.screen("SAND SWAN")[0]
    with_id = small_screener.screen(Query("SAND SWANN", identifiers=("IMO 9187629",)))[0]
    assert with_id.entity_id == "901"
    assert "identifier" in with_id.why
    assert with_id.score >= plain.score - 0.05


def test_unrelated_names_raise_no_alert(small_screener: Screener) -> None:
    for name in ("Kathryn Barr", "Patricia Lucas Wheeler", "Acme Widgets GmbH"):
        assert small_screener.screen(name) == [], name


def test_hits_are_sorted_and_bounded(small_screener: Screener) -> None:
    hits = small_screener.screen("Mohammed", threshold=0.0, limit=5)
    assert len(hits) <= 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_bad_queries(small_screener: Screener) -> None:
    with pytest.raises(InvalidInput):
        small_screener.screen("")
    with pytest.raises(InvalidInput):
        small_screener.screen("x" * 10_000)
    with pytest.raises(InvalidInput):
        small_screener.screen("Ivanov", threshold=2.0)
    assert small_screener.screen("ᚠᚢᚦᚨᚱᚲ") == []


def test_screen_many_is_lazy_and_keeps_order(small_screener: Screener) -> None:
    def endless():  # type: ignore[no-untyped-def]
        row = 0
        while True:
            yield "" if row == 1 else ("Sergei Ivanov" if row % 2 == 0 else "Nobody Atall")
            row += 1

    results = small_screener.screen_many(endless())
    first = [next(results) for _ in range(4)]
    assert [row for row, _ in first] == [0, 1, 2, 3]
    assert isinstance(first[1][1], InvalidInput)
    assert isinstance(first[0][1], list) and first[0][1][0].entity_id == "16688"


def test_kind_mismatch_is_explained(small_screener: Screener) -> None:
    hits = small_screener.screen(Query("Sand Swan", kind=EntityKind.PERSON), threshold=0.5)
    assert "kind differs" in hits[0].why


def test_oversized_facts_are_refused(small_screener: Screener) -> None:
    with pytest.raises(InvalidInput, match="address"):
        small_screener.screen(Query("Sergei Ivanov", address="x" * 5000))
    with pytest.raises(InvalidInput, match="identifier"):
        small_screener.screen(Query("Sergei Ivanov", identifiers=("1" * 500,)))


def test_legal_forms_swap_and_short_skeletons_do_not_collide() -> None:
    from supplyguard.screening import ListEntry

    screener = Screener.build(
        [
            ListEntry("ofac-sdn", "1", EntityKind.ORGANISATION, "YAKIMA TRADING CORPORATION"),
            ListEntry("ofac-cons", "2", EntityKind.ORGANISATION, "ROSNEFT TRADE LIMITED"),
        ],
        country_names={"RU": "Russian Federation"},
    )
    assert screener.screen("Acme Trading LLC") == []
    hit = screener.screen("Rosneft Trade Ltd")[0]
    assert hit.entity_id == "2" and hit.score > 0.95
    assert "legal form differs" in hit.why


def test_hits_carry_the_digest_of_the_entry_version(small_screener: Screener) -> None:
    from dataclasses import replace

    hit = small_screener.screen("Sergei Ivanov")[0]
    entry = next(e for e in small_screener.entries if e.entity_id == "16688")
    assert hit.entry_digest == entry.digest() and len(hit.entry_digest) == 64
    assert replace(entry, remarks="changed").digest() != entry.digest()
