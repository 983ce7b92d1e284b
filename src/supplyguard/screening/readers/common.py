"""Helpers shared by the list readers: decoding, hashing, remark parsing, country names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from supplyguard.errors import ListSourceError
from supplyguard.screening.entries import Alias, Identifier

OFAC_NULL = "-0-"


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ListSourceError(str(path), f"cannot read the file: {exc.strerror or exc}") from exc
    if not data.strip(b" \r\n\t\x1a"):
        raise ListSourceError(str(path), "the file is empty")
    return data


def decode_text(path: Path, data: bytes, *, legacy: str = "latin-1") -> str:
    """UTF-8 (with or without BOM) or the format's legacy encoding; NUL bytes mean a wrong encoding."""
    if b"\x00" in data:
        raise ListSourceError(str(path), "the file holds NUL bytes: wrong encoding (UTF-16?) or binary")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if legacy == "utf-8":
            raise ListSourceError(str(path), "the file is not valid UTF-8") from None
        text = data.decode(legacy)
    return text.rstrip("\x1a\r\n ") + "\n"


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()


def clean(value: str | None) -> str:
    if value is None:
        return ""
    value = value.strip()
    return "" if value in (OFAC_NULL, "-0-") else value


def script_of(text: str) -> str:
    """The dominant Unicode script of ``text`` (``Latin``, ``Cyrillic``, ``Arabic``, ``Han`` ...)."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        word = name.split(" ", 1)[0] if name else "Unknown"
        script = {"CJK": "Han", "HANGUL": "Hangul", "HIRAGANA": "Kana", "KATAKANA": "Kana"}.get(
            word, word.title()
        )
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda key: counts[key]) if counts else "Latin"


_DOB = re.compile(r"(?:^|;\s*)(?:alt\.\s*)?DOB\s+([^;]+)", re.IGNORECASE)
_NATIONALITY = re.compile(r"(?:^|;\s*)(?:alt\.\s*)?(?:nationality|citizen)\s+([^;]+)", re.IGNORECASE)
_AKA = re.compile(r"\b([afn])\.k\.a\.\s*'([^']+)'", re.IGNORECASE)
_IDENT = re.compile(
    r"(?:^|;\s*)(?:alt\.\s*)?(?P<kind>Passport|National ID No\.|Cedula No\.|NIT #|Tax ID No\.|"
    r"Registration Number|Registration ID|Vessel Registration Identification|"
    r"Identification Number|Residency Number|SSN|Business Registration Number|Company Number|"
    r"Legal Entity Number|Public Registration Number|Government Gazette Number|D-U-N-S Number|"
    r"Aircraft Manufacturer's Serial Number \(MSN\)|Aircraft Tail Number|Driver's License No\.|"
    r"C\.U\.R\.P\.|R\.F\.C\.|RFC|CURP|SWIFT/BIC|Trade License No\.|"
    r"Commercial Registry Number|Chinese Commercial Code|Personal ID Card|MMSI)"
    r"\s+(?P<value>[A-Za-z0-9][A-Za-z0-9 ./\-]*?)(?:\s*\((?P<country>[^)]*)\))?"
    r"(?=;|\.?$|\s*issued|\s*expires)",
    re.IGNORECASE,
)


def parse_remarks(remarks: str) -> tuple[list[str], list[str], list[Identifier], list[Alias]]:
    """Dates of birth, nationalities, identifiers and weak aliases written in OFAC-style remarks."""
    dobs = [m.group(1).strip().rstrip(".") for m in _DOB.finditer(remarks)]
    nationalities = [m.group(1).strip().rstrip(".") for m in _NATIONALITY.finditer(remarks)]
    identifiers: list[Identifier] = []
    for m in _IDENT.finditer(remarks):
        kind = m.group("kind").rstrip(".")
        value = m.group("value").strip().rstrip(".")
        if kind.lower().startswith("vessel registration") and value.upper().startswith("IMO"):
            kind, value = "IMO", value[3:].strip()
        identifiers.append(Identifier(kind, value, (m.group("country") or "").strip()))
    aliases = [
        Alias(m.group(2).strip(), {"a": "aka", "f": "fka", "n": "nka"}[m.group(1).lower()], "weak")
        for m in _AKA.finditer(remarks)
    ]
    return dobs, nationalities, identifiers, aliases
