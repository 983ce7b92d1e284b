from __future__ import annotations

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.sharing import (
    IdentifierKind,
    KeyedWatchList,
    WatchEntry,
    key_watch_list,
    keyed_digest,
    match_watch_lists,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

A_LIST = [
    WatchEntry(IdentifierKind.CONTAINER, "MSKU 907032-3", "case A-17"),
    WatchEntry(IdentifierKind.IMO, "IMO 9074729", "case A-18"),
    WatchEntry(IdentifierKind.PARTY_NAME, "Frutas del Pacífico S.A.", "case A-19"),
    WatchEntry(IdentifierKind.EORI, "NL812345678", "case A-20"),
]
B_LIST = [
    WatchEntry(IdentifierKind.CONTAINER, "msku9070323", "B watch 1"),
    WatchEntry(IdentifierKind.PARTY_NAME, "FRUTAS DEL PACIFICO SA", "B watch 2"),
    WatchEntry(IdentifierKind.CONTAINER, "CSQU3054383", "B watch 3"),
    WatchEntry(IdentifierKind.CONTAINER, "CSQU3054384", "B watch 4 (typo)"),
]


def test_only_the_overlap_is_revealed() -> None:
    ours = key_watch_list(A_LIST, KEY, "cmaa-a-b-2026")
    theirs = key_watch_list(B_LIST, KEY, "cmaa-a-b-2026")
    wire = KeyedWatchList.from_dict(theirs.keyed.as_dict())
    matches = match_watch_lists(ours, wire)
    assert sorted(m.entry.reference for m in matches) == ["case A-17", "case A-19"]
    assert all("cmaa-a-b-2026" in m.reason for m in matches)
    sent = theirs.keyed.as_dict()
    assert sent["digests"] == sorted(sent["digests"])
    assert not any("CSQU" in digest for digest in sent["digests"])


def test_invalid_identifiers_are_set_aside_with_reasons() -> None:
    theirs = key_watch_list(B_LIST, KEY, "cmaa-a-b-2026")
    assert [(entry.reference, "check digit" in why) for entry, why in theirs.rejected] == [
        ("B watch 4 (typo)", True)
    ]
    assert len(theirs.keyed.digests) == 3


def test_lists_under_different_keys_do_not_match() -> None:
    ours = key_watch_list(A_LIST, KEY, "cmaa-a-b-2026")
    theirs = key_watch_list(B_LIST, OTHER_KEY, "cmaa-a-b-2026")
    with pytest.raises(ValidationFailed, match="another key"):
        match_watch_lists(ours, theirs.keyed)
    assert keyed_digest(KEY, IdentifierKind.CONTAINER, "MSKU9070323") != keyed_digest(
        OTHER_KEY, IdentifierKind.CONTAINER, "MSKU9070323"
    )


def test_kinds_are_separate_domains() -> None:
    assert keyed_digest(KEY, IdentifierKind.IMO, "9074729") != keyed_digest(
        KEY, IdentifierKind.TAX_ID, "9074729"
    )


def test_short_keys_and_other_agreements_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="32 bytes"):
        key_watch_list(A_LIST, b"short", "cmaa-a-b-2026")
    ours = key_watch_list(A_LIST, KEY, "cmaa-a-b-2026")
    other = key_watch_list(B_LIST, KEY, "another-agreement")
    with pytest.raises(ValidationFailed, match="another-agreement"):
        match_watch_lists(ours, other.keyed)
