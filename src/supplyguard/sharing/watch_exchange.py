"""Keyed watch lists as they travel between nodes: one signed list per agreement and recipient.

A node keys its watch list (:func:`~supplyguard.sharing.keyed.key_watch_list`) under the
agreement's **list key**, signs the sorted digests with its node key, and serves the result to one
partner. What crosses is digests, a key fingerprint and a signature; never a clear identifier.

The list key is derived from the agreement's shared secret (exchanged out of band between the
parties, like node keys)::

    list_key = HMAC-SHA256(secret, "supplyguard/watchlist/list-key/v1\\n" + agreement_id)

so even a secret reused by mistake for two agreements keys them apart: a digest under one
agreement says nothing under another. The key fingerprint (``key_id``) travels with the list so
a receiver holding another secret (one side rotated, the other not yet) refuses to match instead
of silently finding nothing.

The signed bytes are the RFC 8785 canonical JSON of the envelope without its ``signature``; the
envelope names owner, recipient, agreement, key id, publication time and the digests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.canonical import canonical_json
from supplyguard.model.clock import as_utc, iso_utc
from supplyguard.sharing.identifiers import KEYED_DIGEST, IdentifierKind
from supplyguard.sharing.keyed import MIN_KEY_BYTES, KeyedWatchList, watch_list_key_id
from supplyguard.sharing.signing import SigningKey, TrustedKey

ENVELOPE_TYPE = "supplyguard-keyed-watch-list/v1"
MAX_DIGESTS = 200_000
_LIST_KEY_LABEL = b"supplyguard/watchlist/list-key/v1\n"

# What a recipient that may not receive personal data does not get, even keyed: keyed names and
# personal identifiers can still be tested by a key holder who guesses.
PERSONAL_KINDS: frozenset[IdentifierKind] = frozenset(
    {IdentifierKind.PARTY_NAME, IdentifierKind.EORI, IdentifierKind.TAX_ID}
)


class WatchListInvalid(ValidationFailed):
    """A partner's keyed list that fails a check: form, signature, parties, key or age."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__([FieldError(("watch_list",), f"{check}: {detail}")])
        self.check = check
        self.detail = detail


def list_key(secret: bytes, agreement_id: str) -> bytes:
    """The key lists are hashed with under ``agreement_id``, derived from the agreement's secret."""
    if len(secret) < MIN_KEY_BYTES:
        raise ValidationFailed(
            [FieldError(("key",), f"an agreement secret needs at least {MIN_KEY_BYTES} bytes")]
        )
    return hmac.new(secret, _LIST_KEY_LABEL + agreement_id.encode("utf-8"), hashlib.sha256).digest()


def list_sha256(digests: Iterable[str]) -> str:
    """SHA-256 over the sorted digests (one per line): names a list's content in the ledger."""
    return hashlib.sha256("\n".join(sorted(digests)).encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedWatchList:
    """One node's keyed list for one recipient under one agreement, signed by its node key."""

    owner: str
    recipient: str
    agreement_id: str
    key_id: str
    published_at: datetime
    digests: tuple[str, ...]
    signature: bytes = b""

    def _unsigned(self) -> dict[str, Any]:
        return {
            "type": ENVELOPE_TYPE,
            "owner": self.owner,
            "recipient": self.recipient,
            "agreement": self.agreement_id,
            "key_id": self.key_id,
            "published_at": iso_utc(self.published_at),
            "digests": list(self.digests),
        }

    def message(self) -> bytes:
        return canonical_json(self._unsigned())

    def as_dict(self) -> dict[str, Any]:
        return {**self._unsigned(), "signature": base64.b64encode(self.signature).decode("ascii")}

    @property
    def keyed(self) -> KeyedWatchList:
        return KeyedWatchList(self.agreement_id, self.key_id, frozenset(self.digests))

    @property
    def content_sha256(self) -> str:
        return list_sha256(self.digests)


def sign_watch_list(key: SigningKey, keyed: KeyedWatchList, recipient: str, at: datetime) -> SignedWatchList:
    unsigned = SignedWatchList(
        key.node_id, recipient, keyed.agreement_id, keyed.key_id, as_utc(at), tuple(sorted(keyed.digests))
    )
    return replace(unsigned, signature=key.sign(unsigned.message()))


def parse_watch_list(data: Any) -> SignedWatchList:
    """Read an envelope strictly (form only; :func:`verify_watch_list` checks who signed it)."""
    if not isinstance(data, Mapping) or data.get("type") != ENVELOPE_TYPE:
        raise WatchListInvalid("format", f"not a {ENVELOPE_TYPE} envelope")
    texts = {name: data.get(name) for name in ("owner", "recipient", "agreement", "key_id", "published_at")}
    if not all(isinstance(value, str) and 0 < len(value) <= 200 for value in texts.values()):
        raise WatchListInvalid("format", "owner, recipient, agreement, key_id and published_at are required")
    digests = data.get("digests")
    if not isinstance(digests, list):
        raise WatchListInvalid("format", "digests must be a list")
    if len(digests) > MAX_DIGESTS:
        raise WatchListInvalid("size", f"{len(digests)} digests, over the {MAX_DIGESTS} accepted")
    if not all(isinstance(d, str) and KEYED_DIGEST.match(d) for d in digests):
        raise WatchListInvalid("format", "every digest is 64 lower-case hex characters")
    if digests != sorted(set(digests)):
        raise WatchListInvalid("format", "digests must be sorted and distinct")
    try:
        published_at = as_utc(datetime.fromisoformat(str(texts["published_at"]).replace("Z", "+00:00")))
        signature = base64.b64decode(str(data.get("signature", "")), validate=True)
    except ValueError as error:
        raise WatchListInvalid(
            "format", "published_at (RFC 3339) or signature (base64) unreadable"
        ) from error
    return SignedWatchList(
        str(texts["owner"]),
        str(texts["recipient"]),
        str(texts["agreement"]),
        str(texts["key_id"]),
        published_at,
        tuple(digests),
        signature,
    )


def verify_watch_list(
    signed: SignedWatchList,
    owner_key: TrustedKey,
    *,
    recipient: str,
    agreement_id: str,
    our_list_key: bytes,
) -> None:
    """Refuse a list not signed by its owner's pinned key, not for us, or keyed with another key."""
    if signed.owner != owner_key.node_id:
        raise WatchListInvalid("owner", f"the list names {signed.owner} as owner, not {owner_key.node_id}")
    if len(signed.signature) != 64 or not owner_key.verifies(signed.signature, signed.message()):
        raise WatchListInvalid(
            "signature", f"does not verify with the key registered for {owner_key.node_id}"
        )
    if signed.recipient != recipient:
        raise WatchListInvalid("recipient", f"keyed for {signed.recipient}, not for {recipient}")
    if signed.agreement_id != agreement_id:
        raise WatchListInvalid("agreement", f"keyed under {signed.agreement_id}, not {agreement_id}")
    ours = watch_list_key_id(our_list_key)
    if signed.key_id != ours:
        raise WatchListInvalid(
            "key",
            f"{signed.owner} keyed its list with key {signed.key_id}, ours is {ours}: one side rotated "
            "the agreement secret; install the same secret on both nodes",
        )
