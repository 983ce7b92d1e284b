"""Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

Each function returns ``None`` when the proof holds and raises :class:`VerificationFailed` with the
step that failed otherwise. Inputs are never trusted: sizes, lengths and hashes are all checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from supplyguard.errors import VerificationFailed
from supplyguard.ledger.hashing import HASH_SIZE

_sha256 = hashlib.sha256


def _short(digest: bytes) -> str:
    return digest.hex()[:16] or "(empty)"


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
) -> bytes:
    """The root that ``path`` implies for ``leaf_hash`` at ``leaf_index`` (RFC 9162 §2.1.3.2 steps 1-5)."""
    if leaf_index < 0 or leaf_index >= tree_size:
        raise VerificationFailed(
            f"inclusion proof: leaf index {leaf_index} is not below tree size {tree_size}"
        )
    if len(leaf_hash) != HASH_SIZE:
        raise VerificationFailed(f"inclusion proof: leaf hash is {len(leaf_hash)} bytes, not {HASH_SIZE}")
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for position, p in enumerate(path):
        if sn == 0:
            raise VerificationFailed(
                f"inclusion proof: {len(path)} hashes is too long for index {leaf_index} "
                f"in a tree of {tree_size} (hash {position} is extra)"
            )
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationFailed(
            f"inclusion proof: {len(path)} hashes is too short for index {leaf_index} "
            f"in a tree of size {tree_size}"
        )
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``leaf_index`` of the tree of ``tree_size`` with ``root``."""
    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, path)
    if computed != root:
        raise VerificationFailed(
            f"inclusion proof: computed root {_short(computed)}… does not match the expected root "
            f"{_short(root)}… for leaf {leaf_index} in a tree of {tree_size}"
        )


def verify_consistency(
    first: int, second: int, path: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Check that the tree of ``first`` leaves with ``first_root`` is a prefix of ``second``."""
    if second < first:
        raise VerificationFailed(f"consistency proof: first size {first} is larger than second size {second}")
    if first == 0:
        raise VerificationFailed("consistency proof: a proof from the empty tree (size 0) proves nothing")
    if first == second:
        if path:
            raise VerificationFailed(
                f"consistency proof: sizes are equal ({first}) but the proof is not empty"
            )
        if first_root != second_root:
            raise VerificationFailed(f"consistency proof: sizes are equal ({first}) but the roots differ")
        return
    # Step 1: an empty path cannot prove anything when the sizes differ.
    if not path:
        raise VerificationFailed(f"consistency proof: empty proof between sizes {first} and {second}")
    # Step 2: when first is a power of two its root is the first node of the walk.
    nodes = [first_root, *path] if first & (first - 1) == 0 else list(path)
    # Steps 3-4.
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = nodes[0]
    # Step 6.
    for position, c in enumerate(nodes[1:], start=1):
        if sn == 0:
            raise VerificationFailed(
                f"consistency proof: too long for sizes {first} and {second} (hash {position} is extra)"
            )
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise VerificationFailed(f"consistency proof: too short for sizes {first} and {second}")
    if fr != first_root:
        raise VerificationFailed(
            f"consistency proof: computed first root {_short(fr)}… does not match the expected "
            f"root {_short(first_root)}… of size {first}"
        )
    if sr != second_root:
        raise VerificationFailed(
            f"consistency proof: computed second root {_short(sr)}… does not match the expected "
            f"root {_short(second_root)}… of size {second}"
        )
