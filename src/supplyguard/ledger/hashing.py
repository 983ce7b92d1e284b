"""RFC 9162 §2.1.1 hashing: SHA-256 with a 0x00 prefix for leaves and 0x01 for interior nodes."""

from __future__ import annotations

import hashlib

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


def leaf_hashes(leaves: list[bytes]) -> list[bytes]:
    """Leaf hashes of many leaves (a tight loop for batch appends)."""
    sha = _sha256
    return [sha(b"\x00" + leaf).digest() for leaf in leaves]


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
