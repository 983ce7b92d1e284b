"""Proof bundles: self-contained JSON that anyone can verify offline with only the log's public key.

An inclusion bundle proves that a leaf is in the log at a signed checkpoint; a consistency bundle
proves that the log at one size is a prefix of the log at a larger, signed size. The JSON format is
documented in docs/ledger.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from supplyguard.errors import VerificationFailed
from supplyguard.ledger.checkpoint import VerifiedCheckpoint, open_checkpoint
from supplyguard.ledger.envelope import LeafEnvelope
from supplyguard.ledger.hashing import HASH_SIZE, leaf_hash
from supplyguard.ledger.note import NoteVerifier, parse_vkey
from supplyguard.ledger.verify import verify_consistency, verify_inclusion

INCLUSION_FORMAT = "supplyguard/ledger-inclusion-proof@v1"
CONSISTENCY_FORMAT = "supplyguard/ledger-consistency-proof@v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True, slots=True)
class InclusionBundle:
    """Leaf ``leaf_index`` (bytes ``leaf``) is in the tree of ``tree_size`` signed by ``checkpoint``."""

    leaf_index: int
    tree_size: int
    leaf: bytes
    inclusion_path: tuple[bytes, ...]
    checkpoint: str

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": INCLUSION_FORMAT,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf": _b64(self.leaf),
            "leaf_hash": _b64(self.leaf_hash),
            "inclusion_path": [_b64(h) for h in self.inclusion_path],
            "checkpoint": self.checkpoint,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ConsistencyBundle:
    """The tree of ``first`` leaves with ``first_root`` is a prefix of the tree signed at ``second``.

    ``second_checkpoint`` is the signed checkpoint at ``second``; ``first_checkpoint`` is the one
    signed at ``first`` where the log signed one at exactly that size, else ``None``.
    """

    first: int
    second: int
    consistency_path: tuple[bytes, ...]
    first_root: bytes
    second_checkpoint: str
    first_checkpoint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": CONSISTENCY_FORMAT,
            "first": self.first,
            "second": self.second,
            "consistency_path": [_b64(h) for h in self.consistency_path],
            "first_root": _b64(self.first_root),
            "checkpoints": {"first": self.first_checkpoint, "second": self.second_checkpoint},
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class InclusionVerified:
    """What a verified inclusion bundle proves, and by whose signatures."""

    leaf_index: int
    tree_size: int
    root_hash: bytes
    origin: str
    leaf: bytes
    envelope: LeafEnvelope | None
    signed_by: tuple[str, ...]

    def describe(self) -> str:
        what = f"{self.envelope.kind} {self.envelope.id}" if self.envelope else "leaf"
        return (
            f"{what} is leaf {self.leaf_index} of {self.origin} at size {self.tree_size} "
            f"(root {_b64(self.root_hash)}), checkpoint signed by {', '.join(self.signed_by)}"
        )


@dataclass(frozen=True, slots=True)
class ConsistencyVerified:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    origin: str
    signed_by: tuple[str, ...]
    first_checkpoint_checked: bool

    def describe(self) -> str:
        first = "signed checkpoint" if self.first_checkpoint_checked else "root"
        return (
            f"{self.origin}: the tree at size {self.first} ({first} {_b64(self.first_root)}) is a prefix "
            f"of the tree at size {self.second} (root {_b64(self.second_root)}), "
            f"signed by {', '.join(self.signed_by)}"
        )


# --- parsing -------------------------------------------------------------------------------------


def _load(bundle: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(bundle, str | bytes):
        try:
            bundle = json.loads(bundle)
        except ValueError as exc:
            raise VerificationFailed(f"bundle is not JSON: {exc}") from exc
    if not isinstance(bundle, Mapping):
        raise VerificationFailed("bundle is not a JSON object")
    return bundle


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if type(value) is not int or value < 0:
        raise VerificationFailed(f"bundle field {key!r} must be a non-negative integer")
    return value


def _bytes(value: Any, key: str, *, hash_sized: bool = False) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailed(f"bundle field {key!r} must be a base64 string")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationFailed(f"bundle field {key!r} is not valid base64") from exc
    if hash_sized and len(raw) != HASH_SIZE:
        raise VerificationFailed(f"bundle field {key!r} is {len(raw)} bytes, not a {HASH_SIZE}-byte hash")
    return raw


def _hashes(data: Mapping[str, Any], key: str) -> tuple[bytes, ...]:
    value = data.get(key)
    if not isinstance(value, list):
        raise VerificationFailed(f"bundle field {key!r} must be a list of base64 hashes")
    return tuple(_bytes(item, f"{key}[{i}]", hash_sized=True) for i, item in enumerate(value))


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise VerificationFailed(f"bundle field {key!r} must be the signed checkpoint text")
    return value


def _format(data: Mapping[str, Any], expected: str) -> None:
    found = data.get("format", expected)
    if found != expected:
        raise VerificationFailed(f"bundle format {found!r} is not {expected!r}")


def parse_inclusion_bundle(bundle: Mapping[str, Any] | str | bytes) -> InclusionBundle:
    data = _load(bundle)
    _format(data, INCLUSION_FORMAT)
    parsed = InclusionBundle(
        leaf_index=_int(data, "leaf_index"),
        tree_size=_int(data, "tree_size"),
        leaf=_bytes(data.get("leaf"), "leaf"),
        inclusion_path=_hashes(data, "inclusion_path"),
        checkpoint=_text(data.get("checkpoint"), "checkpoint"),
    )
    if "leaf_hash" in data and _bytes(data["leaf_hash"], "leaf_hash", hash_sized=True) != parsed.leaf_hash:
        raise VerificationFailed("leaf_hash is not SHA-256(0x00 || leaf): the leaf bytes were changed")
    return parsed


def parse_consistency_bundle(bundle: Mapping[str, Any] | str | bytes) -> ConsistencyBundle:
    data = _load(bundle)
    _format(data, CONSISTENCY_FORMAT)
    checkpoints = data.get("checkpoints")
    if not isinstance(checkpoints, Mapping):
        raise VerificationFailed("bundle field 'checkpoints' must be an object with 'first' and 'second'")
    first_checkpoint = checkpoints.get("first")
    return ConsistencyBundle(
        first=_int(data, "first"),
        second=_int(data, "second"),
        consistency_path=_hashes(data, "consistency_path"),
        first_root=_bytes(data.get("first_root"), "first_root", hash_sized=True),
        second_checkpoint=_text(checkpoints.get("second"), "checkpoints.second"),
        first_checkpoint=None if first_checkpoint is None else _text(first_checkpoint, "checkpoints.first"),
    )


# --- verification --------------------------------------------------------------------------------

VerifierKeys = str | NoteVerifier | Sequence[str | NoteVerifier]


def _verifiers(keys: VerifierKeys) -> list[NoteVerifier]:
    items: Sequence[str | NoteVerifier] = (
        [keys] if isinstance(keys, str) or not isinstance(keys, Sequence) else keys
    )
    return [parse_vkey(item) if isinstance(item, str) else item for item in items]


def _open(text: str, keys: list[NoteVerifier], which: str) -> VerifiedCheckpoint:
    try:
        return open_checkpoint(text, keys)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{which}: {exc.message}") from exc


def verify_inclusion_bundle(
    bundle: InclusionBundle | Mapping[str, Any] | str | bytes, verifier_key: VerifierKeys
) -> InclusionVerified:
    """Verify an inclusion bundle offline: checkpoint signature, sizes, leaf hash and path.

    ``verifier_key`` is the log's verifier key string (or several, e.g. log key and witnesses).
    Raises :class:`VerificationFailed` naming the first check that fails.
    """
    parsed = bundle if isinstance(bundle, InclusionBundle) else parse_inclusion_bundle(bundle)
    opened = _open(parsed.checkpoint, _verifiers(verifier_key), "checkpoint")
    head = opened.checkpoint
    if head.size != parsed.tree_size:
        raise VerificationFailed(
            f"checkpoint is for tree size {head.size} but the proof is for tree size {parsed.tree_size}"
        )
    verify_inclusion(
        parsed.leaf_index, parsed.tree_size, parsed.leaf_hash, parsed.inclusion_path, head.root_hash
    )
    try:
        envelope: LeafEnvelope | None = LeafEnvelope.from_bytes(parsed.leaf)
    except VerificationFailed:
        envelope = None
    return InclusionVerified(
        parsed.leaf_index,
        parsed.tree_size,
        head.root_hash,
        head.origin,
        parsed.leaf,
        envelope,
        opened.verified_by,
    )


def verify_consistency_bundle(
    bundle: ConsistencyBundle | Mapping[str, Any] | str | bytes, verifier_key: VerifierKeys
) -> ConsistencyVerified:
    """Verify a consistency bundle offline: both checkpoints' signatures and sizes, then the proof.

    Raises :class:`VerificationFailed` naming the first check that fails.
    """
    parsed = bundle if isinstance(bundle, ConsistencyBundle) else parse_consistency_bundle(bundle)
    keys = _verifiers(verifier_key)
    second = _open(parsed.second_checkpoint, keys, "second checkpoint")
    if second.checkpoint.size != parsed.second:
        raise VerificationFailed(
            f"second checkpoint is for tree size {second.checkpoint.size}, not {parsed.second}"
        )
    checked_first = False
    if parsed.first_checkpoint is not None:
        first = _open(parsed.first_checkpoint, keys, "first checkpoint")
        if first.checkpoint.size != parsed.first:
            raise VerificationFailed(
                f"first checkpoint is for tree size {first.checkpoint.size}, not {parsed.first}"
            )
        if first.checkpoint.origin != second.checkpoint.origin:
            raise VerificationFailed("the two checkpoints come from different logs (origins differ)")
        if first.checkpoint.root_hash != parsed.first_root:
            raise VerificationFailed("first_root is not the root hash in the first checkpoint")
        checked_first = True
    verify_consistency(
        parsed.first, parsed.second, parsed.consistency_path, parsed.first_root, second.checkpoint.root_hash
    )
    return ConsistencyVerified(
        parsed.first,
        parsed.second,
        parsed.first_root,
        second.checkpoint.root_hash,
        second.checkpoint.origin,
        second.verified_by,
        checked_first,
    )
