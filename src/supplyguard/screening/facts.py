"""Comparison of the facts other than the name: date of birth, country, identifiers, address."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from supplyguard.screening.normalize import fold

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ISO = re.compile(r"\b(1[89]\d\d|20\d\d)-(\d\d)-(\d\d)\b")
_DMY = re.compile(r"\b(\d{1,2})[ /.-]([A-Za-z]{3}|\d{1,2})[ /.-](1[89]\d\d|20\d\d)\b")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_NATIONALITY_WORDS = {
    "russian": "RU", "russia": "RU", "iranian": "IR", "iran": "IR", "iraqi": "IQ", "syrian": "SY",
    "afghan": "AF", "pakistani": "PK", "chinese": "CN", "china": "CN", "korean": "KP",
    "north korea": "KP", "korea, north": "KP", "south korea": "KR", "korea, south": "KR",
    "ukrainian": "UA", "belarusian": "BY", "lebanese": "LB", "yemeni": "YE", "saudi": "SA",
    "egyptian": "EG", "libyan": "LY", "sudanese": "SD", "somali": "SO", "turkish": "TR",
    "turkey": "TR", "venezuelan": "VE", "venezuela": "VE", "cuban": "CU", "mexican": "MX",
    "colombian": "CO", "british": "GB", "united kingdom": "GB", "american": "US",
    "united states": "US", "palestinian": "PS", "kuwaiti": "KW", "jordanian": "JO",
    "tunisian": "TN", "algerian": "DZ", "moroccan": "MA", "indonesian": "ID", "filipino": "PH",
    "philippines": "PH", "bolivia": "BO", "moldova": "MD", "tanzania": "TZ", "vietnam": "VN",
    "viet nam": "VN", "laos": "LA", "syria": "SY", "democratic republic of the congo": "CD",
    "congo, democratic republic of the": "CD", "burma": "MM", "czech republic": "CZ",
    "macau": "MO", "taiwan": "TW", "kosovo": "XK", "west bank": "PS", "gaza": "PS",
    "region: crimea": "UA", "crimea": "UA", "germany": "DE", "german": "DE", "french": "FR",
}  # fmt: skip


class CountryResolver:
    """Maps country names, nationality adjectives and ISO alpha-2 codes to ISO alpha-2."""

    def __init__(self, iso_names: Mapping[str, str]) -> None:
        self._by_name: dict[str, str] = dict(_NATIONALITY_WORDS)
        self._cache: dict[str, str | None] = {}
        for code, name in iso_names.items():
            self._by_name[fold(code)] = code.upper()
            full = fold(name)
            self._by_name[full] = code.upper()
            short = re.sub(r"\s*\(.*?\)", "", full).strip()
            self._by_name[short] = code.upper()
            self._by_name[short.split(",")[0].strip()] = code.upper()

    def resolve(self, text: str) -> str | None:
        if text in self._cache:
            return self._cache[text]
        code = self._resolve(text)
        if len(self._cache) < 10_000:
            self._cache[text] = code
        return code

    def _resolve(self, text: str) -> str | None:
        key = fold(text).strip().rstrip(".")
        if key in self._by_name:
            return self._by_name[key]
        key = re.sub(r"\s*\(.*?\)", "", key).strip()
        return self._by_name.get(key)

    def resolve_all(self, texts: Iterable[str]) -> frozenset[str]:
        return frozenset(code for code in (self.resolve(t) for t in texts) if code)


@dataclass(frozen=True, slots=True)
class BirthDate:
    year: int
    month: int = 0
    day: int = 0


def parse_dates(values: Iterable[str]) -> tuple[BirthDate, ...]:
    """Dates as published (``1961``, ``1961-05-07``, ``07 May 1961``, ``05/06/1950``, ranges)."""
    return _parse_dates(tuple(values))


@lru_cache(maxsize=65536)
def _parse_dates(values: tuple[str, ...]) -> tuple[BirthDate, ...]:
    out: list[BirthDate] = []
    for value in values:
        iso = _ISO.search(value)
        if iso:
            out.append(BirthDate(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))))
            continue
        dmy = _DMY.search(value)
        if dmy:
            month_text = dmy.group(2).lower()
            month = _MONTHS.get(month_text[:3], 0) if month_text.isalpha() else int(month_text)
            out.append(BirthDate(int(dmy.group(3)), month if 0 < month <= 12 else 0, int(dmy.group(1))))
            continue
        years = [int(y) for y in _YEAR.findall(value)]
        if len(years) == 2 and (".." in value or " to " in value):
            out.extend(BirthDate(y) for y in range(min(years), max(years) + 1))
        else:
            out.extend(BirthDate(y) for y in years)
    return tuple(dict.fromkeys(out))


def compare_dates(query: tuple[BirthDate, ...], listed: tuple[BirthDate, ...]) -> tuple[float, str]:
    """A score adjustment and the words for it: exact +0.05, year +0.03, off by one 0, else -0.15."""
    if not query or not listed:
        return 0.0, ""
    best = (-0.15, "date of birth differs")
    for q in query:
        for d in listed:
            if q.year == d.year:
                if q.month and d.month and q.day and d.day:
                    if (q.month, q.day) == (d.month, d.day):
                        return 0.05, f"date of birth {q.year}-{q.month:02d}-{q.day:02d} matches"
                    best = max(best, (0.0, f"year of birth {q.year} matches, day differs"))
                else:
                    best = max(best, (0.03, f"year of birth {q.year} matches"))
            elif abs(q.year - d.year) == 1:
                best = max(best, (-0.02, f"year of birth {q.year} is one year off {d.year}"))
    if best[0] == -0.15:
        shown = ", ".join(str(d.year) for d in listed[:3])
        return best[0], f"date of birth differs: {query[0].year} vs {shown}"
    return best


def compare_countries(query: frozenset[str], listed: frozenset[str]) -> tuple[float, str]:
    if not query or not listed:
        return 0.0, ""
    common = query & listed
    if common:
        return 0.03, f"country {', '.join(sorted(common))} matches"
    return -0.08, f"country differs: {', '.join(sorted(query))} vs {', '.join(sorted(listed)[:3])}"


_ID_PREFIX = re.compile(r"^(?:imo|mmsi|passport|pass|no|nr|number|id)+(?=\d)")


def normalise_identifier(value: str) -> str:
    """Letters and digits only, without a leading ``IMO``/``No.``-style label."""
    return _ID_PREFIX.sub("", re.sub(r"[^0-9a-z]", "", fold(value)))


def compare_identifiers(query: frozenset[str], listed: frozenset[str]) -> tuple[float, str]:
    if not query or not listed:
        return 0.0, ""
    common = query & listed
    if common:
        return 0.25, f"identifier {sorted(common)[0].upper()} matches"
    return -0.05, "identifiers given do not match the listed ones"


def compare_addresses(query: str, listed: tuple[str, ...]) -> tuple[float, str]:
    if not query or not listed:
        return 0.0, ""
    q_tokens = set(re.findall(r"\w{3,}", fold(query)))
    if not q_tokens:
        return 0.0, ""
    best = max(len(q_tokens & set(re.findall(r"\w{3,}", fold(a)))) / len(q_tokens) for a in listed)
    if best >= 0.6:
        return 0.03, f"address overlaps a listed address ({best:.0%} of its words)"
    return 0.0, ""
