"""Seeded name variants for the generated evaluation suite: typos, reorders, dropped middle names,
initials, legal-form swaps, spacing, and writing a Latin name back in Cyrillic or Arabic script."""

from __future__ import annotations

import random

_TO_CYRILLIC = (
    ("shch", "щ"), ("kh", "х"), ("zh", "ж"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
    ("ya", "я"), ("ye", "е"), ("yo", "ё"), ("iy", "ий"), ("ey", "ей"), ("ai", "ай"), ("oi", "ой"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"),
    ("y", "ы"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "к"), ("w", "в"), ("x", "кс"),
    ("j", "дж"), ("q", "к"),
)  # fmt: skip
_TO_ARABIC = (
    ("kh", "خ"), ("zh", "ژ"), ("sh", "ش"), ("th", "ث"), ("dh", "ذ"), ("gh", "غ"), ("ch", "ش"), ("ph", "ف"),
    ("ou", "و"), ("oo", "و"), ("ee", "ي"), ("b", "ب"), ("t", "ت"), ("j", "ج"), ("h", "ه"),
    ("d", "د"), ("r", "ر"), ("z", "ز"), ("s", "س"), ("f", "ف"), ("q", "ق"), ("k", "ك"), ("l", "ل"),
    ("m", "م"), ("n", "ن"), ("w", "و"), ("y", "ي"), ("p", "پ"), ("v", "ف"), ("g", "ج"), ("c", "ك"),
    ("x", "كس"), ("i", "ي"), ("o", "و"), ("u", "و"),
)  # fmt: skip
LEGAL_SWAPS = {
    "llc": "ltd", "ltd": "llc", "limited": "llc", "co": "company", "company": "co", "inc": "corp",
    "corp": "inc", "sa": "s.a.", "ooo": "llc", "jsc": "ao", "oao": "pjsc", "gmbh": "ag",
}  # fmt: skip


def _words(name: str) -> list[str]:
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    return [w for w in name.replace("-", " ").split() if w]


def _replace(word: str, table: tuple[tuple[str, str], ...], drop_short_vowels: bool) -> str:
    word = word.lower()
    out: list[str] = []
    i = 0
    while i < len(word):
        if drop_short_vowels and word[i] in "ae":
            out.append("ا" if i == 0 else ("ا" if word[i : i + 2] == "aa" else ""))
            i += 2 if word[i : i + 2] == "aa" else 1
            continue
        for latin, other in table:
            if word.startswith(latin, i):
                out.append(other)
                i += len(latin)
                break
        else:
            i += 1
    text = "".join(out)
    return "".join(c for k, c in enumerate(text) if k == 0 or text[k - 1] != c) if drop_short_vowels else text


def to_cyrillic(name: str) -> str:
    return " ".join(_replace(w, _TO_CYRILLIC, False) for w in _words(name))


def to_arabic(name: str) -> str:
    words = []
    for w in _words(name):
        low = w.lower()
        if low in ("al", "el"):
            words.append("ال")
            continue
        words.append(_replace(low, _TO_ARABIC, True))
    merged: list[str] = []
    for w in words:
        if merged and merged[-1] == "ال":
            merged[-1] = "ال" + w
        else:
            merged.append(w)
    return " ".join(merged)


def typo(name: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:])
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1 :]
    if op == 1:
        return name[:i] + name[i] + name[i:]
    if op == 2 and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    vowels = "aeiou" if name[i].islower() else "AEIOU"
    return name[:i] + rng.choice(vowels) + name[i + 1 :]


def reorder(name: str, rng: random.Random) -> str:
    words = _words(name)
    rng.shuffle(words)
    return " ".join(words)


def drop_middle(name: str, rng: random.Random) -> str:
    words = _words(name)
    if len(words) < 3:
        return " ".join(words)
    del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


def initials(name: str, rng: random.Random) -> str:
    words = _words(name)
    if len(words) < 2:
        return " ".join(words)
    k = rng.randrange(0, len(words) - 1)
    words[k] = words[k][0] + "."
    return " ".join(words)


def spacing(name: str, rng: random.Random) -> str:
    words = _words(name)
    if len(words) < 2:
        return name
    k = rng.randrange(0, len(words) - 1)
    return " ".join([*words[:k], words[k] + words[k + 1], *words[k + 2 :]])


def suffix_swap(name: str, rng: random.Random) -> str:
    words = [w.strip(",") for w in name.split()]
    for k, w in enumerate(words):
        swap = LEGAL_SWAPS.get(w.lower().replace(".", ""))
        if swap:
            words[k] = swap.upper()
            return " ".join(words)
    return " ".join(words) + rng.choice([" LLC", " LTD", " CO.", " GMBH", " S.A."])
