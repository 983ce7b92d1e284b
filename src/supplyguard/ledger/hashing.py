"""RFC 9162 §2.1.1 hashing: SHA-256 with a 0x00 prefix for leaves and 0x01 for interior nodes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
"""Bytes in every tree hash (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}): the root of the empty tree, the hash of the empty string."""

_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


_LEAF_PREFIX = _sha256(b"\x00")


def leaf_hashes(leaves: Sequence[bytes]) -> list[bytes]:
    """:func:`leaf_hash` of many leaves, for batch appends: each from a copy of the hashed 0x00
    prefix, with no concatenation (about a quarter cheaper than ``sha256(b"\\x00" + leaf)``)."""
    out: list[bytes] = []
    add = out.append
    copy = _LEAF_PREFIX.copy
    for leaf in leaves:
        hasher = copy()
        hasher.update(leaf)
        add(hasher.digest())
    return out


_NODE_PREFIX = _sha256(b"\x01")


def parent_hashes(nodes: list[bytes]) -> list[bytes]:
    """Hash consecutive pairs ``(nodes[0], nodes[1]), (nodes[2], nodes[3])...``; drop an odd last one.

    Each hash starts from a copy of the hashed 0x01 prefix: cheaper than a new hasher per node.
    """
    out: list[bytes] = []
    add = out.append
    copy = _NODE_PREFIX.copy
    it = iter(nodes)
    for left, right in zip(it, it, strict=False):
        hasher = copy()
        hasher.update(left + right)
        add(hasher.digest())
    return out


def fold_right(hashes: list[bytes]) -> bytes:
    """Hash of a range given as its complete subtrees, largest (leftmost) first.

    RFC 9162 splits a range at the largest power of two below its length, so its hash is
    ``node(first, node(second, ... node(last_but_one, last)))``.
    """
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = _sha256(b"\x01" + left + result).digest()
    return result
