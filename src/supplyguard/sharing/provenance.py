"""Versions, replays and deletions of signed objects, decided by content, never by arrival time.

* **Versions.** Of two signed versions of one object, the later ``modified`` wins; on equal
  ``modified`` the larger signed content hash wins, so every node picks the same winner whatever
  order the copies arrived in (MISP keeps whichever came last by wall clock).
* **Replays.** A version older than the one held, a copy of an object by another author, or any
  version at or before a deletion is refused with :class:`SignedObjectInvalid` (``replay`` or
  ``deleted``). A second copy of the held version is a harmless duplicate.
* **Deletions** travel as signed tombstones from the object's author; they cover every version up
  to ``deleted_at`` and propagate like any object.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from supplyguard.errors import SignedObjectInvalid
from supplyguard.model.canonical import canonical_json
from supplyguard.sharing.builders import stix_timestamp
from supplyguard.sharing.signing import (
    Keyring,
    SignedHeader,
    SignedObject,
    SigningKey,
    decode_b64url,
    encode_b64url,
    verify_object,
)

TOMBSTONE_DOMAIN = b"supplyguard/sharing/tombstone/v1\n"


def parse_version(version: str) -> datetime:
    """A STIX timestamp as an aware datetime (sub-microsecond digits are cut)."""
    text = version.removesuffix("Z")
    head, dot, fraction = text.partition(".")
    if dot:
        text = f"{head}.{fraction[:6].ljust(6, '0')}"
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def version_key(header: SignedHeader) -> tuple[datetime, str]:
    return parse_version(header.version), header.content_hash


def winning_version(first: SignedHeader, second: SignedHeader) -> SignedHeader:
    """The version every node keeps: later ``modified``, then the larger signed content hash."""
    return max(first, second, key=version_key)


class Freshness(enum.Enum):
    NEW = "new"  # no version held: store it
    NEWER = "newer"  # replaces the held version
    DUPLICATE = "duplicate"  # the held version again (same signed content)
    KEPT_HELD = "kept-held"  # same modified time, the held version wins the tie


@dataclass(frozen=True, slots=True)
class FreshnessDecision:
    outcome: Freshness
    reason: str


@dataclass(frozen=True, slots=True)
class Tombstone:
    """The author's signed statement that an object, up to ``deleted_at``, is withdrawn."""

    object_id: str
    object_type: str
    author_ref: str
    key_id: str
    deleted_at: str
    reason: str
    signature: str

    def signed_payload(self) -> dict[str, Any]:
        return {
            "kind": "tombstone",
            "id": self.object_id,
            "type": self.object_type,
            "author": self.author_ref,
            "key_id": self.key_id,
            "deleted_at": self.deleted_at,
            "reason": self.reason,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.signed_payload(), "signature": self.signature}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tombstone:
        try:
            if data["kind"] != "tombstone":
                raise SignedObjectInvalid(str(data.get("id", "?")), "format", "not a tombstone")
            return cls(
                object_id=str(data["id"]),
                object_type=str(data["type"]),
                author_ref=str(data["author"]),
                key_id=str(data["key_id"]),
                deleted_at=str(data["deleted_at"]),
                reason=str(data["reason"]),
                signature=str(data["signature"]),
            )
        except KeyError as error:
            raise SignedObjectInvalid(
                str(data.get("id", "?")), "format", f"tombstone lacks {error}"
            ) from error


def sign_tombstone(
    object_id: str, object_type: str, deleted_at: datetime, reason: str, key: SigningKey
) -> Tombstone:
    unsigned = Tombstone(
        object_id, object_type, key.author_ref, key.key_id, stix_timestamp(deleted_at), reason, ""
    )
    signature = key.sign(TOMBSTONE_DOMAIN + canonical_json(unsigned.signed_payload()))
    return replace(unsigned, signature=encode_b64url(signature))


def verify_tombstone(tombstone: Tombstone, keyring: Keyring, held: SignedHeader | None = None) -> None:
    """Check the tombstone's signature, and that it comes from the held object's author."""
    key = keyring.get(tombstone.key_id)
    object_id = tombstone.object_id
    if key is None:
        raise SignedObjectInvalid(
            object_id, "unknown-key", f"tombstone key {tombstone.key_id} is not registered"
        )
    if key.author_ref != tombstone.author_ref:
        raise SignedObjectInvalid(object_id, "author", f"tombstone key belongs to {key.author_ref}")
    if held is not None and held.author_ref != tombstone.author_ref:
        raise SignedObjectInvalid(
            object_id,
            "author",
            f"only the author {held.author_ref} may delete this object, not {tombstone.author_ref}",
        )
    try:
        signature = decode_b64url(tombstone.signature)
    except ValueError as error:
        raise SignedObjectInvalid(object_id, "signature", "tombstone signature is not base64url") from error
    if not key.verifies(signature, TOMBSTONE_DOMAIN + canonical_json(tombstone.signed_payload())):
        raise SignedObjectInvalid(object_id, "signature", "tombstone signature does not verify")


def check_freshness(
    incoming: SignedHeader, held: SignedHeader | None, tombstone: Tombstone | None = None
) -> FreshnessDecision:
    """Decide what a verified incoming version means against what is held; refuse replays."""
    object_id = incoming.object_id
    if tombstone is not None and parse_version(incoming.version) <= parse_version(tombstone.deleted_at):
        raise SignedObjectInvalid(
            object_id,
            "deleted",
            f"the author deleted this object at {tombstone.deleted_at} ({tombstone.reason})",
        )
    if held is None:
        return FreshnessDecision(Freshness.NEW, "first version received")
    if held.author_ref != incoming.author_ref:
        raise SignedObjectInvalid(
            object_id,
            "replay",
            f"object is held from author {held.author_ref}, this copy claims {incoming.author_ref}",
        )
    if incoming.content_hash == held.content_hash:
        return FreshnessDecision(Freshness.DUPLICATE, "the held version again")
    incoming_time, held_time = parse_version(incoming.version), parse_version(held.version)
    if incoming_time < held_time:
        raise SignedObjectInvalid(
            object_id, "replay", f"version {incoming.version} is older than the held {held.version}"
        )
    if incoming_time > held_time:
        return FreshnessDecision(Freshness.NEWER, f"version {incoming.version} replaces {held.version}")
    if winning_version(incoming, held) is incoming:
        return FreshnessDecision(
            Freshness.NEWER, f"two versions at {incoming.version}: this one has the larger content hash"
        )
    return FreshnessDecision(
        Freshness.KEPT_HELD, f"two versions at {incoming.version}: the held one has the larger content hash"
    )


def accept_object(
    signed: SignedObject,
    keyring: Keyring,
    held: SignedHeader | None = None,
    tombstone: Tombstone | None = None,
) -> FreshnessDecision:
    """Verify a received signed object and decide what to do with it, or raise SignedObjectInvalid."""
    verify_object(signed, keyring)
    return check_freshness(signed.header, held, tombstone)
