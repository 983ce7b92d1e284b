"""Canonical forms of the identifiers partners match on.

Two nodes must turn the same real-world identifier into the same string before hashing or
indexing it, whatever the spelling: ``"msku 907032-3"`` and ``"MSKU9070323"`` are one container.
Each ``canonical_*`` function returns the canonical form or raises :class:`IdentifierInvalid`
with the reason (a wrong check digit is refused, never silently matched).
"""

from __future__ import annotations

import enum
import functools
import re
import string
import unicodedata

from supplyguard.errors import InvalidInput
from supplyguard.model.containers import container_problem, normalise_container


class IdentifierKind(enum.StrEnum):
    CONTAINER = "container"
    IMO = "imo"
    EORI = "eori"
    TAX_ID = "tax_id"
    PARTY_NAME = "party_name"
    FLIGHT = "flight"
    TRUCK_PLATE = "truck_plate"


IDENTIFIER_KINDS = tuple(kind.value for kind in IdentifierKind)
"""The kinds' values, in declaration order (what forms and errors list)."""

KEYED_DIGEST = re.compile(r"^[0-9a-f]{64}$")
"""A keyed digest as partners exchange it: 64 lower-case hex characters (HMAC-SHA-256)."""


class IdentifierInvalid(InvalidInput):
    """An identifier that cannot be canonicalised (wrong format or check digit)."""

    def __init__(self, kind: IdentifierKind, value: str, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        super().__init__(f"{kind.value} {value!r}: {reason}")


_CANONICAL_CONTAINER = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")


@functools.cache
def _serial_chunk_values(first_position: int) -> dict[str, int]:
    """ISO 6346 weighted sums of every 3-digit chunk starting at ``first_position``."""
    return {
        f"{n:03d}": sum(int(d) << (first_position + i) for i, d in enumerate(f"{n:03d}")) for n in range(1000)
    }


@functools.cache
def _letter_values() -> dict[str, int]:
    """ISO 6346 letter values: A=10 upwards, skipping multiples of 11."""
    values: dict[str, int] = {}
    value = 10
    for letter in string.ascii_uppercase:
        value += value % 11 == 0
        values[letter] = value
        value += 1
    return values


@functools.cache
def _owner_value(owner_and_category: str) -> int:
    letters = _letter_values()
    return sum(letters[ch] << i for i, ch in enumerate(owner_and_category))


def _fast_container_check_digit(number: str) -> int:
    total = (
        _owner_value(number[:4])
        + _serial_chunk_values(4)[number[4:7]]
        + _serial_chunk_values(7)[number[7:10]]
    )
    return total % 11 % 10


def canonical_container(number: str) -> str:
    """ISO 6346 container number, upper case without separators, check digit verified."""
    if _CANONICAL_CONTAINER.fullmatch(number) and _fast_container_check_digit(number) == int(number[10]):
        return number
    problem = container_problem(number)
    if problem is not None:
        raise IdentifierInvalid(IdentifierKind.CONTAINER, number, problem)
    return normalise_container(number)


_IMO = re.compile(r"^(?:IMO)?([0-9]{7})$")


def imo_check_digit(first_six: str) -> int:
    """IMO ship number check digit: sum of the six digits weighted 7..2, modulo 10."""
    d = [int(ch) for ch in first_six]
    if len(d) != 6:
        raise ValueError("an IMO check digit is computed over 6 digits")
    return (d[0] * 7 + d[1] * 6 + d[2] * 5 + d[3] * 4 + d[4] * 3 + d[5] * 2) % 10


def canonical_imo(number: str) -> str:
    """IMO ship identification number as 7 digits (``"IMO 9074729"`` -> ``"9074729"``)."""
    if len(number) == 7 and number.isdigit() and number.isascii():
        digits = number
    else:
        match = _IMO.match(re.sub(r"[\s.\-]", "", number).upper())
        if match is None:
            raise IdentifierInvalid(
                IdentifierKind.IMO, number, "an IMO number is 7 digits, optionally after 'IMO'"
            )
        digits = match.group(1)
    expected = imo_check_digit(digits[:6])
    if int(digits[6]) != expected:
        raise IdentifierInvalid(
            IdentifierKind.IMO, number, f"check digit is {digits[6]}, the IMO scheme gives {expected}"
        )
    return digits


_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")


def _compact(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", value).upper()


def canonical_eori(number: str) -> str:
    """EORI number: ISO 3166 country code and up to 15 letters or digits, upper case."""
    compact = _compact(number)
    if not _EORI.match(compact):
        raise IdentifierInvalid(
            IdentifierKind.EORI, number, "an EORI is a 2-letter country code and 1-15 letters or digits"
        )
    return compact


def canonical_tax_id(number: str, country: str | None = None) -> str:
    """A national tax id as ``CC:VALUE`` (country prefix kept once, separators removed)."""
    compact = _compact(number)
    if not compact:
        raise IdentifierInvalid(IdentifierKind.TAX_ID, number, "no letters or digits")
    if country is None:
        return compact
    code = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise IdentifierInvalid(IdentifierKind.TAX_ID, number, f"{country!r} is not a 2-letter country code")
    return f"{code}:{compact.removeprefix(code)}"


def canonical_flight(number: str) -> str:
    """IATA flight designator: ``"lh 0400"`` -> ``"LH400"`` (airline code, number without zeros)."""
    compact = _compact(number)
    match = re.fullmatch(r"([A-Z0-9]{2}[A-Z]?)([0-9]{1,4})([A-Z]?)", compact)
    if match is None:
        raise IdentifierInvalid(IdentifierKind.FLIGHT, number, "not an airline code followed by 1-4 digits")
    airline, digits, suffix = match.groups()
    return f"{airline}{int(digits)}{suffix}"


def canonical_truck_plate(plate: str, country: str | None = None) -> str:
    """Registration plate, upper case without separators, prefixed ``CC:`` when the country is known."""
    compact = _compact(plate)
    if not 2 <= len(compact) <= 12:
        raise IdentifierInvalid(IdentifierKind.TRUCK_PLATE, plate, "a plate has 2-12 letters or digits")
    return f"{country.strip().upper()}:{compact}" if country else compact


_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "Þ": "th",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
    }
)
_TRAILING_FORMS = frozenset(["and"]) | frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "sae",
        "bv",
        "nv",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "kft",
        "sro",
        "zrt",
        "bhd",
        "sdn",
        "pte",
        "pty",
        "pvt",
        "jsc",
        "ojsc",
        "pjsc",
        "fze",
        "fzco",
        "fzc",
        "dmcc",
        "dwc",
        "est",
        "wll",
        "kk",
        "sp",
        "zoo",
        "cv",
        "tbk",
        "lda",
        "ltda",
        "eirl",
        "sac",
    ]
)
_LEADING_FORMS = frozenset(
    ["the", "ooo", "zao", "oao", "pao", "tov", "pt", "cv", "ооо", "зао", "оао", "пао", "тов"]
)


def fold_text(text: str) -> str:
    """Lower case with diacritics and special letters folded to ASCII (``"Müller"`` -> ``"muller"``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


_INNER_DOT = re.compile(r"(?<=\w)[.'’](?=\w)")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise_party_name(name: str) -> str:
    """Party name for exact matching: folded, punctuation dropped, legal forms removed.

    ``"Müller & Söhne GmbH & Co. KG"`` -> ``"muller and sohne"``. Letters of every script are kept
    (Cyrillic, Arabic, CJK names stay as they are, lower-cased). A name made only of legal forms
    keeps them, so it never normalises to the empty string unless it had no letters at all.
    """
    text = fold_text(name).replace("&", " and ")
    text = _INNER_DOT.sub("", text)  # S.A. -> SA, O'Neil -> ONeil
    tokens = _NOT_WORD.sub(" ", text).split()
    end = len(tokens)
    while end and tokens[end - 1] in _TRAILING_FORMS:
        end -= 1
    start = 0
    while start < end and tokens[start] in _LEADING_FORMS:
        start += 1
    return " ".join(tokens[start:end] or tokens)


def name_match_key(name: str) -> str:
    """Order-free key of a normalised party name (``"smith john"`` == ``"john smith"``)."""
    return " ".join(sorted(normalise_party_name(name).split()))


def canonical_identifier(kind: IdentifierKind, value: str, country: str | None = None) -> str:
    """Dispatch to the canonicaliser of ``kind``; party names get their order-free key."""
    if kind is IdentifierKind.CONTAINER:
        return canonical_container(value)
    if kind is IdentifierKind.IMO:
        return canonical_imo(value)
    if kind is IdentifierKind.EORI:
        return canonical_eori(value)
    if kind is IdentifierKind.TAX_ID:
        return canonical_tax_id(value, country)
    if kind is IdentifierKind.FLIGHT:
        return canonical_flight(value)
    if kind is IdentifierKind.TRUCK_PLATE:
        return canonical_truck_plate(value, country)
    key = name_match_key(value)
    if not key:
        raise IdentifierInvalid(kind, value, "a party name needs at least one letter or digit")
    return key
