from __future__ import annotations

from supplyguard.screening.facts import (
    BirthDate,
    CountryResolver,
    compare_countries,
    compare_dates,
    normalise_identifier,
    parse_dates,
)


def test_dates_in_the_lists_layouts() -> None:
    assert parse_dates(["31 Jan 1953"]) == (BirthDate(1953, 1, 31),)
    assert parse_dates(["1961-05-07"]) == (BirthDate(1961, 5, 7),)
    assert parse_dates(["05/06/1950"]) == (BirthDate(1950, 6, 5),)
    assert parse_dates(["circa 1960"]) == (BirthDate(1960),)
    assert parse_dates(["1960..1962"]) == (BirthDate(1960), BirthDate(1961), BirthDate(1962))
    assert parse_dates(["unknown"]) == ()


def test_date_comparison_words() -> None:
    listed = parse_dates(["31 Jan 1953"])
    assert compare_dates(parse_dates(["1953-01-31"]), listed)[0] > 0
    assert "1953 matches" in compare_dates(parse_dates(["1953"]), listed)[1]
    assert compare_dates(parse_dates(["1954"]), listed)[1].startswith("year of birth 1954 is one year off")
    delta, words = compare_dates(parse_dates(["1980"]), listed)
    assert delta < 0 and "differs" in words
    assert compare_dates((), listed) == (0.0, "")


def test_countries_by_code_name_and_adjective() -> None:
    resolver = CountryResolver({"RU": "Russian Federation (the)", "UA": "Ukraine"})
    assert resolver.resolve("ru") == "RU"
    assert resolver.resolve("Russian Federation") == "RU"
    assert resolver.resolve("Russian") == "RU"
    assert resolver.resolve("Atlantis") is None
    assert compare_countries(frozenset({"RU"}), frozenset({"UA"}))[1] == "country differs: RU vs UA"


def test_identifiers_lose_labels_and_punctuation() -> None:
    assert normalise_identifier("IMO 9187629") == "9187629"
    assert normalise_identifier("No. 1084-010") == "1084010"
