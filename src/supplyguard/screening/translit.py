"""Transliteration of non-Latin scripts to lower-case ASCII Latin.

Hand-written tables (no third-party data): Cyrillic (Russian, Ukrainian, Belarusian letters, close
to BGN/PCGN), Greek (ELOT-like), Arabic and Persian (consonants, long vowels, ``ال`` split off as
``al``), Hebrew (consonants), Armenian, Georgian, Hangul (computed from the syllable blocks, in the
style the DPRK and ROK names are written on the lists) and a small Han table (pinyin of the
characters common in names). Abjad scripts write no short vowels; the scorer compares their tokens
by consonant skeleton (:func:`supplyguard.screening.normalize.skeleton`).
"""

from __future__ import annotations

from supplyguard.screening.han import HAN

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi",
    "є": "ye", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
    "ѓ": "g", "ќ": "k", "ѕ": "dz", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u",
    "ү": "u", "һ": "h",
}  # fmt: skip

GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
GREEK_DIGRAPHS = {
    "ου": "ou",
    "αι": "ai",
    "ει": "ei",
    "οι": "oi",
    "μπ": "b",
    "ντ": "nt",
    "γκ": "gk",
    "αυ": "av",
    "ευ": "ev",
}

ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "u", "ئ": "i", "ب": "b",
    "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z",
    "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a", "و": "u", "ى": "a",
    "ي": "i", "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g", "ک": "k", "ی": "i", "ۀ": "a", "ے": "e",
    "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ھ": "h", "ہ": "h",
}  # fmt: skip

HEBREW = {
    "א": "", "ב": "b", "ג": "g", "ד": "d", "ה": "h", "ו": "v", "ז": "z", "ח": "ch", "ט": "t",
    "י": "y", "כ": "k", "ך": "k", "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s",
    "ע": "", "פ": "p", "ף": "f", "צ": "ts", "ץ": "ts", "ק": "k", "ר": "r", "ש": "sh", "ת": "t",
}  # fmt: skip

ARMENIAN = dict(
    zip(
        "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
        [
            "a",
            "b",
            "g",
            "d",
            "e",
            "z",
            "e",
            "y",
            "t",
            "zh",
            "i",
            "l",
            "kh",
            "ts",
            "k",
            "h",
            "dz",
            "gh",
            "ch",
            "m",
            "y",
            "n",
            "sh",
            "o",
            "ch",
            "p",
            "j",
            "r",
            "s",
            "v",
            "t",
            "r",
            "ts",
            "v",
            "p",
            "k",
            "o",
            "f",
        ],
        strict=True,
    )
)
GEORGIAN = dict(
    zip(
        "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
        [
            "a",
            "b",
            "g",
            "d",
            "e",
            "v",
            "z",
            "t",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "zh",
            "r",
            "s",
            "t",
            "u",
            "p",
            "k",
            "gh",
            "q",
            "sh",
            "ch",
            "ts",
            "dz",
            "ts",
            "ch",
            "kh",
            "j",
            "h",
        ],
        strict=True,
    )
)

_HANGUL_INITIAL = [
    "k",
    "kk",
    "n",
    "t",
    "tt",
    "r",
    "m",
    "p",
    "pp",
    "s",
    "ss",
    "-",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
]
_HANGUL_VOWEL = [
    "a",
    "ae",
    "ya",
    "yae",
    "o",
    "e",
    "yo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "u",
    "ui",
    "i",
]
_HANGUL_FINAL = [
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]
_KOREAN_SURNAMES = {
    "김": "kim", "이": "ri", "리": "ri", "박": "pak", "최": "choe", "정": "jong", "강": "kang",
    "조": "jo", "윤": "yun", "장": "jang", "임": "rim", "림": "rim", "오": "o", "한": "han",
    "신": "sin", "서": "so", "권": "kwon", "황": "hwang", "안": "an", "송": "song", "류": "ryu",
    "홍": "hong", "전": "jon", "고": "ko", "문": "mun", "손": "son", "양": "yang", "배": "pae",
    "백": "paek", "허": "ho", "남": "nam", "심": "sim", "노": "no", "로": "ro", "하": "ha",
    "곽": "kwak", "성": "song", "차": "cha", "주": "ju", "우": "u", "구": "ku", "민": "min",
    "현": "hyon", "방": "pang", "변": "pyon", "염": "yom", "여": "yo", "추": "chu", "도": "to",
}  # fmt: skip

# Consonant classes of abjad letters, matching :func:`supplyguard.screening.normalize.skeleton`
# of their Latin spellings (vowel letters, alif, hamza, ayn and ta marbuta vanish).
ABJAD_SKELETON = {
    **{c: "" for c in "اأإآٱءؤئعةىويۀےیאעוי"},
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ٹ": "t", "ج": "j", "چ": "s", "ح": "h",
    "خ": "h", "ه": "h", "ھ": "h", "ہ": "h", "د": "d", "ذ": "d", "ض": "d", "ڈ": "d", "ر": "r",
    "ڑ": "r", "ز": "z", "ظ": "z", "ژ": "j", "س": "s", "ص": "s", "ش": "s", "غ": "j", "ف": "f",
    "ق": "k", "ك": "k", "ک": "k", "گ": "j", "ل": "l", "م": "m", "ن": "n", "ں": "n",
    "ב": "b", "ג": "j", "ד": "d", "ה": "h", "ז": "z", "ח": "h", "ט": "t", "כ": "k", "ך": "k",
    "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s", "פ": "b", "ף": "f", "צ": "s",
    "ץ": "s", "ק": "k", "ר": "r", "ש": "s", "ת": "t",
}  # fmt: skip


def abjad_skeleton(word: str) -> str:
    """The consonant skeleton of an Arabic, Persian or Hebrew word, read from its own letters."""
    text = "".join(ABJAD_SKELETON.get(c, "") for c in word)
    if len(word) > 2 and text.endswith("h") and word[-1] in "هھہ":
        text = text[:-1]  # Arabic final h, as the Latin skeleton drops it (tuah, توه)
    return "".join(c for i, c in enumerate(text) if i == 0 or text[i - 1] != c)


def _hangul(char: str, first: bool) -> str:
    index = ord(char) - 0xAC00
    if first and char in _KOREAN_SURNAMES:
        return _KOREAN_SURNAMES[char]
    initial, rest = divmod(index, 588)
    vowel, final = divmod(rest, 28)
    lead = _HANGUL_INITIAL[initial].replace("-", "")
    return lead + _HANGUL_VOWEL[vowel] + _HANGUL_FINAL[final]


def transliterate_word(word: str) -> tuple[str, bool]:
    """Latin letters for one word (already lower-cased) and whether it came from an abjad script."""
    if word.isascii():
        return word, False
    out: list[str] = []
    abjad = False
    i = 0
    hangul_first = True
    while i < len(word):
        char = word[i]
        pair = word[i : i + 2]
        if pair in GREEK_DIGRAPHS:
            out.append(GREEK_DIGRAPHS[pair])
            i += 2
            continue
        if char in CYRILLIC:
            out.append(CYRILLIC[char])
        elif char in ARABIC:
            out.append(ARABIC[char])
            abjad = True
        elif char in HEBREW:
            out.append(HEBREW[char])
            abjad = True
        elif char in GREEK:
            out.append(GREEK[char])
        elif char in ARMENIAN:
            out.append(ARMENIAN[char])
        elif char in GEORGIAN:
            out.append(GEORGIAN[char])
        elif "\uac00" <= char <= "\ud7a3":
            out.append(_hangul(char, hangul_first) + " ")
            hangul_first = False
        elif char in HAN:
            out.append(HAN[char] + " ")
        else:
            out.append(char)
        i += 1
    return "".join(out), abjad
