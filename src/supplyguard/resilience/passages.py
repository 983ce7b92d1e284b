"""Sea passages (straits, canals, capes) that a scenario can close.

Canonical names are ours; ``SEAROUTE_CODES`` maps them to the ``passage`` attribute on the edges
of the maritime network shipped in the ``searoute`` package.
"""

from __future__ import annotations

SEAROUTE_CODES: dict[str, str] = {
    "suez": "suez",
    "panama": "panama",
    "malacca": "malacca",
    "hormuz": "ormuz",
    "bab-el-mandeb": "babalmandab",
    "gibraltar": "gibraltar",
    "bosporus": "bosporus",
    "dardanelles": "dardanelles",
    "sunda": "sunda",
    "northwest": "northwest",
    "bering": "bering",
    "magellan": "chili",
    "cape-of-good-hope": "south_africa",
}

ALIASES: dict[str, str] = {
    "ormuz": "hormuz",
    "babalmandab": "bab-el-mandeb",
    "bab-al-mandab": "bab-el-mandeb",
    "bab_el_mandeb": "bab-el-mandeb",
    "chili": "magellan",
    "cape-horn": "magellan",
    "south_africa": "cape-of-good-hope",
    "good-hope": "cape-of-good-hope",
    "northwest-passage": "northwest",
    "bosphorus": "bosporus",
    "suez-canal": "suez",
    "panama-canal": "panama",
}

PASSAGE_NAMES: tuple[str, ...] = tuple(SEAROUTE_CODES)


def canonical_passage(name: str) -> str | None:
    """The canonical passage name for ``name`` (case and separators ignored), or ``None``."""
    key = name.strip().lower().replace(" ", "-")
    if key in SEAROUTE_CODES:
        return key
    if key in ALIASES:
        return ALIASES[key]
    key = key.replace("_", "-")
    if key in SEAROUTE_CODES:
        return key
    return ALIASES.get(key)
