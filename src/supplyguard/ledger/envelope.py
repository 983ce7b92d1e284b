"""The leaf of the log: the RFC 8785 canonical JSON of a small envelope that names a record.

The record's body stays in its own table; the log holds only ``body_sha256``, the hex SHA-256 of the
body's canonical JSON, so private data never enters the log but any change to it is detectable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from supplyguard.errors import VerificationFailed
from supplyguard.model.canonical import canonical_json, canonical_sha256
from supplyguard.model.clock import iso_utc

_FIELDS = ("body_sha256", "id", "kind", "org", "recorded_at")
_HEX64 = re.compile(r"[0-9a-f]{64}").fullmatch
# ASCII that canonical JSON writes as itself: printable, no quote, no backslash.
_PLAIN_ASCII = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")


def _plain(text: str) -> bool:
    """Whether ``text`` is all plain ASCII (needs no JSON escaping). ``isascii`` is O(1) and
    ``translate`` one table look-up per byte: several times cheaper than ``isprintable``."""
    return text.isascii() and not text.encode().translate(None, _PLAIN_ASCII)


@dataclass(frozen=True, slots=True)
class LeafEnvelope:
    """What one leaf says: record ``id`` of ``kind`` (owned by ``org``) had body hash ``body_sha256``
    when it was recorded at ``recorded_at`` (ISO 8601 UTC text, as :func:`iso_utc` writes it)."""

    kind: str
    id: str
    org: str
    recorded_at: str
    body_sha256: str

    def __post_init__(self) -> None:
        if not self.kind or not self.id:
            raise ValueError("a leaf envelope needs a kind and an id")
        if _HEX64(self.body_sha256) is None:
            raise ValueError(f"body_sha256 must be 64 lowercase hex digits, got {self.body_sha256!r}")

    @classmethod
    def for_record(
        cls, kind: str, record_id: object, org: object, recorded_at: datetime, body: Any
    ) -> LeafEnvelope:
        """The envelope of a record whose body is ``body`` (a JSON-compatible value)."""
        return cls(kind, str(record_id), str(org), iso_utc(recorded_at), canonical_sha256(body))

    def as_dict(self) -> dict[str, str]:
        return {
            "body_sha256": self.body_sha256,
            "id": self.id,
            "kind": self.kind,
            "org": self.org,
            "recorded_at": self.recorded_at,
        }

    def to_bytes(self) -> bytes:
        """The leaf bytes: RFC 8785 canonical JSON of :meth:`as_dict` (keys in code-point order)."""
        joined = self.kind + self.id + self.org + self.recorded_at
        if joined.isprintable() and '"' not in joined and "\\" not in joined:
            # Plain strings need no escaping: this is byte for byte what canonical_json writes.
            return (
                f'{{"body_sha256":"{self.body_sha256}","id":"{self.id}","kind":"{self.kind}",'
                f'"org":"{self.org}","recorded_at":"{self.recorded_at}"}}'
            ).encode()
        return canonical_json(self.as_dict())

    @classmethod
    def from_bytes(cls, leaf: bytes) -> LeafEnvelope:
        """Parse leaf bytes, refusing anything that is not exactly a canonical envelope."""
        try:
            data = json.loads(leaf.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise VerificationFailed(f"leaf is not JSON: {exc}") from exc
        if not isinstance(data, dict) or tuple(sorted(data)) != _FIELDS:
            raise VerificationFailed(f"leaf is not an envelope with exactly the fields {', '.join(_FIELDS)}")
        if not all(isinstance(value, str) for value in data.values()):
            raise VerificationFailed("leaf envelope fields must all be strings")
        try:
            envelope = cls(data["kind"], data["id"], data["org"], data["recorded_at"], data["body_sha256"])
        except ValueError as exc:
            raise VerificationFailed(f"leaf envelope is invalid: {exc}") from exc
        if envelope.to_bytes() != leaf:
            raise VerificationFailed("leaf bytes are not the canonical JSON of their envelope")
        return envelope


LEAF_FIELDS = attrgetter("body_sha256", "id", "kind", "org", "recorded_at")


def leaves_of(envelopes: Sequence[LeafEnvelope]) -> list[bytes]:
    """``[e.to_bytes() for e in envelopes]``, for a batch: one check over all the text at once.

    When no field of the batch needs escaping (plain ASCII: the platform's kinds, UUIDs and
    timestamps never need it),
    every leaf is written by one format string with no call per envelope; otherwise each envelope
    goes through :meth:`LeafEnvelope.to_bytes`.
    """
    fields = list(map(LEAF_FIELDS, envelopes))
    if not fields:
        return []
    return leaves_from_fields(envelopes, fields, list(zip(*fields, strict=True)))


def leaves_from_fields(
    envelopes: Sequence[LeafEnvelope],
    fields: Sequence[tuple[str, str, str, str, str]],
    columns: Sequence[Sequence[str]],
) -> list[bytes]:
    """:func:`leaves_of` for a caller that already has ``fields`` (``body_sha256, id, kind, org,
    recorded_at`` of each envelope) and their ``columns`` (the same, transposed; the first column,
    the body hashes, is not read and may be empty)."""
    _, ids, kinds, orgs, times = columns
    # Kinds and orgs repeat across a batch: each distinct one is checked once.
    if not _plain("".join(ids) + "".join(set(kinds)) + "".join(set(orgs)) + "".join(times)):
        return [envelope.to_bytes() for envelope in envelopes]
    return [
        f'{{"body_sha256":"{body}","id":"{id_}","kind":"{kind}","org":"{org}","recorded_at":"{at}"}}'.encode()
        for body, id_, kind, org, at in fields
    ]


def leaf_template(kind: str, org: str, recorded_at: str) -> tuple[str, str, str]:
    """The canonical leaf text of an envelope of ``kind``, ``org`` and ``recorded_at`` around its body
    hash and record id, for bulk writers that make leaves without envelope objects:
    ``f"{head}{body_sha256}{middle}{record_id}{tail}".encode()`` is
    ``LeafEnvelope(kind, record_id, org, recorded_at, body_sha256).to_bytes()`` for any hex body
    hash and any record id that needs no escaping in JSON (a UUID's text)."""
    body, record = "f" * 64, "00000000-0000-7000-8000-000000000000"
    text = LeafEnvelope(kind, record, org, recorded_at, body).to_bytes().decode()
    head, _, rest = text.partition(body)
    middle, _, tail = rest.partition(record)
    if body in head or body in rest or record in head or record in tail:
        raise ValueError("a leaf's other fields hold the marker of its body hash or record id")
    return head, middle, tail
