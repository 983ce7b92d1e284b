from __future__ import annotations

import pytest

from supplyguard.model.containers import container_check_digit, container_problem, normalise_container


@pytest.mark.parametrize("number", ["CSQU3054383", "MSKU9070323", "TGHU 8754323", "hlxu-123456-1"])
def test_valid_container_numbers_pass(number: str) -> None:
    assert container_problem(number) is None


def test_normalisation_drops_separators_and_case() -> None:
    assert normalise_container("hlxu-123456-1") == "HLXU1234561"


def test_check_digit_of_the_iso_6346_example() -> None:
    assert container_check_digit("CSQU305438") == 3


def test_wrong_check_digit_is_named() -> None:
    problem = container_problem("CSQU3054384")
    assert problem is not None
    assert "check digit is 4" in problem and "gives 3" in problem


@pytest.mark.parametrize("number", ["CSQ3054383", "CSQX3054383", "1234567890A", "", "CSQU30543833"])
def test_malformed_container_numbers_are_refused(number: str) -> None:
    assert container_problem(number) is not None
