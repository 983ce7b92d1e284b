from __future__ import annotations

import pytest

from supplyguard.errors import InvalidInput
from supplyguard.screening.normalize import normalize_query_name, skeleton, tokenize


def texts(name: str) -> list[str]:
    return [t.text for t in tokenize(name)]


def test_accents_case_and_punctuation_fold() -> None:
    assert texts("José  MÜLLER-Lüdenscheidt") == ["jose", "muller", "ludenscheidt"]
    assert texts("Straße Øresund") == ["strasse", "oresund"]


def test_scripts_are_transliterated() -> None:
    assert texts("Сергей Иванов") == ["sergei", "ivanov"]
    assert texts("Олександр") == ["oleksandr"]
    assert texts("Νικόλαος") == ["nikolaos"]
    assert texts("김정은") == ["kim", "jong", "un"]
    assert texts("习近平") == ["xi", "jin", "ping"]
    assert texts("صدام حسين التكريتي") == ["sdam", "hsin", "al", "tkriti"]
    assert all(t.abjad for t in tokenize("محمد"))


def test_legal_forms_and_particles_weigh_little_and_honorifics_go() -> None:
    tokens = {t.text: t for t in tokenize("Dr. Ayman AL-ZAWAHIRI")}
    assert "dr" not in tokens
    assert tokens["al"].weight < 0.5
    company = {t.text: t.weight for t in tokenize("STG-EKO, OOO")}
    assert company["ooo"] < 0.5 and company["stg"] == 1.0
    assert [t.text for t in tokenize("CECOEX, S.A.")] == ["cecoex", "sa"]


def test_a_name_made_only_of_legal_words_keeps_them_as_names() -> None:
    assert all(t.weight == 1.0 for t in tokenize("Holding Company"))


def test_skeleton_joins_spellings_and_abjad() -> None:
    assert skeleton("mohammed") == skeleton("muhammad") == skeleton("mhmd")
    assert skeleton("hussein") == skeleton("hsin")


def test_bad_names() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        normalize_query_name("   ")
    with pytest.raises(InvalidInput, match="longer"):
        normalize_query_name("a" * 10_000)
    with pytest.raises(InvalidInput, match="no letters"):
        normalize_query_name("!!! ---")
    with pytest.raises(InvalidInput, match="text"):
        normalize_query_name(42)
    assert [t.text for t in normalize_query_name("Ivan\x00ov\x07 Petr")] == ["ivan", "ov", "petr"]


def test_unknown_script_is_kept_as_is() -> None:
    assert texts("ពូទីន") != []
