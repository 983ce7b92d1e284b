"""Name normalisation: folding, transliteration, tokens with weights, consonant skeletons.

A name becomes a tuple of :class:`Token`. Each token is lower-case ASCII (when its script is known),
carries a weight (legal-form words such as ``llc``, ``ooo``, ``gmbh`` and particles such as ``al``,
``bin``, ``de`` weigh little; honorifics are dropped) and remembers whether it came from an abjad
script (Arabic, Persian, Hebrew: no short vowels written) so the scorer compares it by skeleton.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from supplyguard.errors import InvalidInput
from supplyguard.screening.translit import abjad_skeleton, transliterate_word

MAX_NAME_CHARS = 1000

HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mister",
        "dr",
        "prof",
        "professor",
        "sir",
        "madam",
        "madame",
        "mme",
        "mlle",
        "herr",
        "frau",
        "hon",
        "rev",
        "gospodin",
        "gospozha",
    ]
)
TITLES = frozenset(
    [
        "sheikh",
        "shaykh",
        "shaikh",
        "sheik",
        "haji",
        "hajji",
        "hajj",
        "mullah",
        "mulla",
        "mufti",
        "maulana",
        "maulvi",
        "mawlawi",
        "qari",
        "general",
        "colonel",
        "col",
        "gen",
        "major",
        "captain",
        "lt",
        "brigadier",
        "admiral",
        "commander",
        "imam",
        "ustadz",
        "emir",
        "amir",
        "president",
        "minister",
        "sayyid",
        "sayed",
        "seyed",
        "seyyed",
        "seied",
        "syed",
    ]
)
PARTICLES = frozenset(
    [
        "al",
        "el",
        "ul",
        "bin",
        "ben",
        "ibn",
        "bint",
        "binti",
        "de",
        "da",
        "del",
        "della",
        "der",
        "den",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "y",
        "e",
        "the",
        "of",
        "and",
    ]
)
LEGAL_FORMS = frozenset(
    [
        "llc",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "companies",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "sau",
        "bv",
        "nv",
        "plc",
        "llp",
        "lp",
        "pte",
        "pty",
        "pvt",
        "private",
        "public",
        "jsc",
        "pjsc",
        "ojsc",
        "cjsc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "tov",
        "pat",
        "prat",
        "dp",
        "fze",
        "fzco",
        "fzc",
        "fzllc",
        "est",
        "establishment",
        "cv",
        "sde",
        "sapi",
        "ltda",
        "eireli",
        "cia",
        "ead",
        "ad",
        "eood",
        "ood",
        "kft",
        "zrt",
        "sro",
        "as",
        "asa",
        "ab",
        "oy",
        "oyj",
        "kk",
        "kabushiki",
        "kaisha",
        "yk",
        "tbk",
        "bhd",
        "sdn",
        "obshchestvo",
        "obshestvo",
        "ogranichennoi",
        "ogranichennoy",
        "otvetstvennostyu",
        "otvetstvennostiu",
        "aktsionernoe",
        "aktsionernoye",
        "otkrytoe",
        "otkrytoye",
        "zakrytoe",
        "zakrytoye",
        "publichnoe",
        "publichnoye",
        "tovarystvo",
        "obmezhenoiu",
        "vidpovidalnistiu",
        "joint",
        "stock",
        "sirketi",
        "anonim",
        "ticaret",
        "sanayi",
        "holding",
        "holdings",
        "group",
    ]
)
_WEIGHT_LEGAL = 0.15
_WEIGHT_PARTICLE = 0.3
_WEIGHT_TITLE = 0.3
_WEIGHT_INITIAL = 0.3

_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}(?![^\W\d_])")
_SPLIT = re.compile(r"[^\w]+|_")
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    weight: float = 1.0
    abjad: bool = False
    role: str = "name"  # name | legal | particle | title | initial
    skel: str = ""
    translit: bool = False


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    if "\uac00" <= char <= "\ud7a3":
        return char
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPECIAL)


_ASCII_CONTROLS = {i: " " for i in (*range(32), 127)}


def fold(text: str) -> str:
    """Case-fold, drop accents and control characters; scripts other than Latin are kept."""
    if text.isascii():
        return text.lower().translate(_ASCII_CONTROLS)
    return "".join(_fold_char(c) for c in text.casefold())


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[tuple[str, bool, bool, str], ...]:
    """(latin text, from an abjad script, transliterated, skeleton) for each part of ``word``."""
    if len(word) > 3 and word[:2] == "ال":
        return (("al", True, True, "l"), *_word_tokens(word[2:]))
    latin, abjad = transliterate_word(word)
    translit = latin != word
    parts = [part for part in _SPLIT.split(latin) if part]
    if abjad and len(parts) == 1:
        return ((parts[0], True, True, abjad_skeleton(word)),)
    return tuple((part, abjad, translit, skeleton(part)) for part in parts)


def _role(text: str) -> tuple[str, float]:
    if text in LEGAL_FORMS:
        return "legal", _WEIGHT_LEGAL
    if text in PARTICLES:
        return "particle", _WEIGHT_PARTICLE
    if text in TITLES:
        return "title", _WEIGHT_TITLE
    return "name", 1.0


def check_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidInput(f"a name must be text, not {type(name).__name__}")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"name of {len(name)} characters is longer than the limit of {MAX_NAME_CHARS}")
    if not name.strip():
        raise InvalidInput("the name is empty")
    return name


@lru_cache(maxsize=100_000)
def tokenize(name: str) -> tuple[Token, ...]:
    """Tokens of ``name`` (no validation; see :func:`normalize_query_name`)."""
    folded = fold(name)
    folded = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", folded)
    folded = folded.replace("'", "").replace("’", "").replace("`", "").replace("ʻ", "").replace("‘", "")
    tokens: list[Token] = []
    for word in _SPLIT.split(folded):
        if not word:
            continue
        for text, abjad, translit, skel in _word_tokens(word):
            if text in HONORIFICS:
                continue
            role, weight = _role(text)
            if len(text) == 1 and role == "name" and not abjad:
                role, weight = "initial", _WEIGHT_INITIAL
            tokens.append(Token(text, weight, abjad, role, skel, translit))
    if tokens and all(t.role == "legal" for t in tokens):
        tokens = [Token(t.text, 1.0, t.abjad, "name", t.skel, t.translit) for t in tokens]
    return tuple(tokens)


def normalize_query_name(name: object) -> tuple[Token, ...]:
    """Validate and tokenize a query name; :class:`InvalidInput` when nothing readable is left."""
    tokens = tokenize(check_name(name))
    if not tokens:
        raise InvalidInput("the name holds no letters or digits")
    return tokens


_SKELETON_DIGRAPHS = (
    ("x", "ks"), ("shch", "s"), ("dzh", "j"), ("kh", "h"), ("sh", "s"), ("ch", "s"), ("zh", "j"),
    ("th", "t"), ("dh", "d"), ("gh", "j"), ("ph", "f"), ("ck", "k"), ("ts", "s"), ("ou", "u"), ("ee", "i"),
)  # fmt: skip
_SKELETON_MAP = str.maketrans({"q": "k", "c": "k", "g": "j", "p": "b", "v": "f", "z": "z", "x": "x"})
_VOWELS = re.compile(r"[aeiouyw']")


@lru_cache(maxsize=200_000)
def skeleton(text: str) -> str:
    """Consonant skeleton: comparable across Latin spellings and abjad transliterations.

    ``mohammed``, ``muhammad`` and Arabic ``محمد`` (``mhmd``) all give ``mhmd``.
    """
    for digraph, single in _SKELETON_DIGRAPHS:
        text = text.replace(digraph, single)
    text = text.translate(_SKELETON_MAP)
    if len(text) > 2 and text.endswith("h"):
        text = text[:-1]
    if len(text) > 3 and text.endswith("ow"):
        text = text[:-1] + "f"

    text = _VOWELS.sub("", text)
    out = [c for i, c in enumerate(text) if i == 0 or text[i - 1] != c]
    return "".join(out)
