from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.model.containers import container_check_digit, container_problem
from supplyguard.sharing import (
    IdentifierInvalid,
    IdentifierKind,
    canonical_container,
    canonical_eori,
    canonical_flight,
    canonical_identifier,
    canonical_imo,
    canonical_tax_id,
    imo_check_digit,
    name_match_key,
    normalise_party_name,
)


@pytest.mark.parametrize("spelling", ["MSKU9070323", "msku 907032-3", "MSKU 907032 3", "MSKU/9070323"])
def test_container_spellings_share_one_canonical_form(spelling: str) -> None:
    assert canonical_container(spelling) == "MSKU9070323"


def test_container_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(IdentifierInvalid, match="check digit"):
        canonical_container("MSKU9070320")


@pytest.mark.parametrize("spelling", ["9074729", "IMO 9074729", "imo9074729", "IMO 907-4729"])
def test_imo_spellings(spelling: str) -> None:
    assert canonical_imo(spelling) == "9074729"


def test_imo_check_digit_follows_the_weighted_sum() -> None:
    assert imo_check_digit("907472") == 9  # 9*7 + 0*6 + 7*5 + 4*4 + 7*3 + 2*2 = 139
    with pytest.raises(IdentifierInvalid, match="check digit"):
        canonical_imo("IMO 9074728")
    with pytest.raises(IdentifierInvalid, match="7 digits"):
        canonical_imo("90747")


def test_eori_and_tax_ids() -> None:
    assert canonical_eori("nl 8123.45678") == "NL812345678"
    with pytest.raises(IdentifierInvalid):
        canonical_eori("812345678")
    assert canonical_tax_id("DE 123/456/789", "de") == "DE:123456789"
    assert canonical_tax_id("DE123456789", "DE") == "DE:123456789"


def test_flight_numbers_drop_leading_zeros() -> None:
    assert canonical_flight("lh 0400") == "LH400"
    assert canonical_flight("LH400") == "LH400"


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Müller & Söhne GmbH & Co. KG", "muller and sohne"),
        ("Frutas del Pacífico S.A.", "frutas del pacifico"),
        ("OOO Severny Potok", "severny potok"),
        ("ACME Trading Co., Ltd.", "acme trading"),
        ("Østergaard ApS", "ostergaard"),
        ("Ltd", "ltd"),
    ],
)
def test_party_names_are_folded_and_lose_legal_forms(name: str, normalised: str) -> None:
    assert normalise_party_name(name) == normalised


def test_name_match_key_ignores_word_order() -> None:
    assert name_match_key("de Vries, Jan") == name_match_key("Jan DE VRIES")


@given(
    st.sampled_from(["MSKU9070323", "CSQU3054383"]), st.lists(st.sampled_from([" ", "-", "/"]), max_size=3)
)
def test_container_canonical_form_ignores_case_and_separators(number: str, separators: list[str]) -> None:
    spelled = number[:4].lower() + "".join(separators) + number[4:]
    assert canonical_identifier(IdentifierKind.CONTAINER, spelled) == number


def test_names_in_other_scripts_keep_their_letters() -> None:
    assert normalise_party_name("ООО «Ромашка»") == "ромашка"
    assert name_match_key("株式会社 山田") == "山田 株式会社"


@given(
    st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.integers(min_value=0, max_value=999_999),
)
def test_fast_check_digit_agrees_with_the_model(owner: str, category: str, serial: int) -> None:
    first_ten = f"{owner}{category}{serial:06d}"
    number = first_ten + str(container_check_digit(first_ten))
    assert canonical_container(number) == number
    wrong = first_ten + str((container_check_digit(first_ten) + 1) % 10)
    assert container_problem(wrong) is not None
    with pytest.raises(IdentifierInvalid):
        canonical_container(wrong)
