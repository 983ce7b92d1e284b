"""Signed keyed watch lists: per-agreement keys, signatures, recipients, key rotation, strict form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.sharing import IdentifierKind, SigningKey, WatchEntry, key_watch_list, keyed_digest
from supplyguard.sharing.watch_exchange import (
    MAX_DIGESTS,
    WatchListInvalid,
    list_key,
    parse_watch_list,
    sign_watch_list,
    verify_watch_list,
)

SECRET = bytes(range(32))
AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ENTRIES = [
    WatchEntry(IdentifierKind.CONTAINER, "CSQU3054383", "case 1"),
    WatchEntry(IdentifierKind.IMO, "IMO 9074729", "case 2"),
]


@pytest.fixture
def owner() -> SigningKey:
    return SigningKey.from_private_bytes("customs-a", "identity--a", bytes(range(1, 33)))


def signed_list(owner: SigningKey, agreement: str = "cmaa-1", recipient: str = "customs-b") -> Any:
    keyed = key_watch_list(ENTRIES, list_key(SECRET, agreement), agreement).keyed
    return sign_watch_list(owner, keyed, recipient, AT)


def test_the_same_identifier_hashes_apart_under_each_agreement_even_with_one_secret() -> None:
    first, second = list_key(SECRET, "cmaa-1"), list_key(SECRET, "cmaa-2")
    assert first != second
    assert keyed_digest(first, IdentifierKind.CONTAINER, "CSQU3054383") != keyed_digest(
        second, IdentifierKind.CONTAINER, "CSQU3054383"
    )
    other_secret = list_key(bytes(reversed(range(32))), "cmaa-1")
    assert keyed_digest(first, IdentifierKind.IMO, "9074729") != keyed_digest(
        other_secret, IdentifierKind.IMO, "9074729"
    )
    with pytest.raises(ValidationFailed):
        list_key(b"short", "cmaa-1")


def test_a_signed_list_round_trips_and_verifies(owner: SigningKey) -> None:
    signed = signed_list(owner)
    parsed = parse_watch_list(signed.as_dict())
    assert parsed == signed
    verify_watch_list(
        parsed,
        owner.trusted(),
        recipient="customs-b",
        agreement_id="cmaa-1",
        our_list_key=list_key(SECRET, "cmaa-1"),
    )
    assert "CSQU3054383" not in str(signed.as_dict()) and "9074729" not in str(signed.as_dict())


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"digests": ("0" * 64,)}, "signature"),
        ({"recipient": "carrier-x"}, "signature"),
        ({"owner": "customs-z"}, "owner"),
    ],
)
def test_tampered_lists_are_refused(owner: SigningKey, change: dict[str, Any], check: str) -> None:
    tampered = replace(signed_list(owner), **change)
    with pytest.raises(WatchListInvalid) as refused:
        verify_watch_list(
            tampered,
            owner.trusted(),
            recipient="customs-b",
            agreement_id="cmaa-1",
            our_list_key=list_key(SECRET, "cmaa-1"),
        )
    assert refused.value.check == check


def test_lists_for_someone_else_another_agreement_or_another_key_are_refused(owner: SigningKey) -> None:
    key = list_key(SECRET, "cmaa-1")
    cases = [
        (signed_list(owner, recipient="carrier-x"), "customs-b", "cmaa-1", key, "recipient"),
        (signed_list(owner, agreement="cmaa-2"), "customs-b", "cmaa-1", key, "agreement"),
        (signed_list(owner), "customs-b", "cmaa-1", list_key(bytes(32), "cmaa-1"), "key"),
    ]
    for signed, recipient, agreement, our_key, check in cases:
        with pytest.raises(WatchListInvalid) as refused:
            verify_watch_list(
                signed, owner.trusted(), recipient=recipient, agreement_id=agreement, our_list_key=our_key
            )
        assert refused.value.check == check, refused.value.detail
    with pytest.raises(WatchListInvalid, match="rotated"):
        verify_watch_list(
            signed_list(owner), owner.trusted(), recipient="customs-b", agreement_id="cmaa-1",
            our_list_key=list_key(bytes(32), "cmaa-1"),
        )  # fmt: skip


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(type="something-else"),
        lambda d: d.update(digests="abc"),
        lambda d: d.update(digests=["XYZ"]),
        lambda d: d.update(digests=list(reversed(d["digests"]))),
        lambda d: d.update(digests=d["digests"] + d["digests"][:1]),
        lambda d: d.update(published_at="yesterday"),
        lambda d: d.update(signature="***"),
        lambda d: d.pop("owner"),
        lambda d: d.update(digests=["0" * 64] * (MAX_DIGESTS + 1)),
    ],
)
def test_malformed_envelopes_are_refused_with_a_reason(owner: SigningKey, mutate: Any) -> None:
    data = signed_list(owner).as_dict()
    mutate(data)
    with pytest.raises(WatchListInvalid) as refused:
        parse_watch_list(data)
    assert refused.value.check in ("format", "size")
    with pytest.raises(WatchListInvalid):
        parse_watch_list(["not", "a", "mapping"])
