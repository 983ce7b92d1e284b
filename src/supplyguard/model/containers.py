"""ISO 6346 container numbers: owner code, category, serial number and check digit."""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^[A-Z]{3}[UJZ][0-9]{6}[0-9]$")


def _letter_values() -> dict[str, int]:
    values: dict[str, int] = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_LETTER_VALUES = _letter_values()


def normalise_container(number: str) -> str:
    """Upper-case and drop spaces, dashes and slashes: ``"msku 907032-3"`` -> ``"MSKU9070323"``."""
    return re.sub(r"[\s\-/]", "", number).upper()


def container_check_digit(first_ten: str) -> int:
    """The ISO 6346 check digit of owner code + category + serial (10 characters)."""
    total = 0
    for position, char in enumerate(first_ten):
        value = _LETTER_VALUES[char] if char.isalpha() else int(char)
        total += value << position
    return total % 11 % 10


def container_problem(number: str) -> str | None:
    """Why ``number`` is not a valid ISO 6346 container number, or None if it is."""
    normalised = normalise_container(number)
    if not _PATTERN.match(normalised):
        return (
            f"{number!r} is not an ISO 6346 container number "
            "(3-letter owner code, category U/J/Z, 6 digits, check digit)"
        )
    expected = container_check_digit(normalised[:10])
    if int(normalised[10]) != expected:
        return f"container {normalised}: check digit is {normalised[10]}, ISO 6346 gives {expected}"
    return None
