"""Privacy-preserving matching of watch lists: keyed hashes, so a match reveals only the overlap.

Each side canonicalises its identifiers (:mod:`supplyguard.sharing.identifiers`), hashes them with
HMAC-SHA256 under the agreement's secret key, and sends the sorted digests. Intersecting two keyed
lists tells each side which of *its own* entries the other also holds, and nothing about the rest.
Unlike MISP's unsalted hashes, an outsider or relay holding a list cannot brute-force container or
IMO numbers (their spaces are small) without the key. The parties holding the key can still test
guesses against each other's list; the agreement key must therefore stay with the parties, lists
should be exchanged only under the agreement, and keys rotated (the key id detects mismatches).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.canonical import canonical_json
from supplyguard.sharing.identifiers import IdentifierInvalid, IdentifierKind, canonical_identifier

MIN_KEY_BYTES = 32
_KEY_ID_LABEL = b"supplyguard/watchlist/key-id/v1"


def watch_list_key_id(key: bytes) -> str:
    """A public fingerprint of the agreement key, so both sides can tell they hash with the same key."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def keyed_digest(key: bytes, kind: IdentifierKind, canonical_value: str) -> str:
    """``HMAC-SHA256(key, RFC8785([kind, canonical value]))`` in hex; the kind separates domains."""
    return hmac.new(key, canonical_json([kind.value, canonical_value]), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One identifier on a local watch list; ``reference`` points back to the local record."""

    kind: IdentifierKind
    value: str
    reference: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class KeyedWatchList:
    """What is sent to the partner: digests only, sorted so their order reveals nothing."""

    agreement_id: str
    key_id: str
    digests: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        return {"agreement": self.agreement_id, "key_id": self.key_id, "digests": sorted(self.digests)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyedWatchList:
        digests = data.get("digests")
        if not isinstance(digests, list) or not all(isinstance(d, str) and len(d) == 64 for d in digests):
            raise ValidationFailed([FieldError(("digests",), "a list of 64-character hex digests")])
        return cls(str(data.get("agreement", "")), str(data.get("key_id", "")), frozenset(digests))


@dataclass(frozen=True, slots=True)
class LocalKeyedList:
    """The local side: the list to send, the way back from digest to entries, and refused entries."""

    keyed: KeyedWatchList
    entries_by_digest: Mapping[str, tuple[WatchEntry, ...]]
    rejected: tuple[tuple[WatchEntry, str], ...]


@dataclass(frozen=True, slots=True)
class WatchListMatch:
    entry: WatchEntry
    canonical_value: str
    digest: str
    reason: str


def key_watch_list(entries: Iterable[WatchEntry], key: bytes, agreement_id: str) -> LocalKeyedList:
    """Canonicalise and key every entry; entries that fail canonicalisation are kept aside with why."""
    if len(key) < MIN_KEY_BYTES:
        raise ValidationFailed(
            [FieldError(("key",), f"an agreement key needs at least {MIN_KEY_BYTES} bytes")]
        )
    by_digest: dict[str, list[WatchEntry]] = {}
    rejected: list[tuple[WatchEntry, str]] = []
    for entry in entries:
        try:
            canonical = canonical_identifier(entry.kind, entry.value, entry.country)
        except IdentifierInvalid as error:
            rejected.append((entry, error.reason))
            continue
        by_digest.setdefault(keyed_digest(key, entry.kind, canonical), []).append(entry)
    keyed = KeyedWatchList(agreement_id, watch_list_key_id(key), frozenset(by_digest))
    return LocalKeyedList(keyed, {d: tuple(e) for d, e in by_digest.items()}, tuple(rejected))


def match_watch_lists(local: LocalKeyedList, remote: KeyedWatchList) -> tuple[WatchListMatch, ...]:
    """Our entries that the partner also holds; refuses lists keyed for another agreement or key."""
    if remote.agreement_id != local.keyed.agreement_id:
        raise ValidationFailed(
            [FieldError(("agreement",), f"list is for {remote.agreement_id}, not {local.keyed.agreement_id}")]
        )
    if remote.key_id != local.keyed.key_id:
        raise ValidationFailed(
            [FieldError(("key_id",), "the partner hashed with another key (rotate or re-key)")]
        )
    matches: list[WatchListMatch] = []
    for digest in sorted(local.keyed.digests & remote.digests):
        for entry in local.entries_by_digest[digest]:
            canonical = canonical_identifier(entry.kind, entry.value, entry.country)
            matches.append(
                WatchListMatch(
                    entry=entry,
                    canonical_value=canonical,
                    digest=digest,
                    reason=f"the partner's keyed list under {remote.agreement_id} also holds "
                    f"{entry.kind.value.replace('_', ' ')} {canonical} (our {entry.reference})",
                )
            )
    return tuple(matches)
