"""Subtree proofs: inclusion in, and consistency of, an aligned subtree ``[start, end)`` of a log.

A subtree is valid when ``start < end`` and ``start`` is a multiple of the smallest power of two
that is at least ``end - start``; its hash is the RFC 9162 MTH of leaves ``D[start:end]``. Such
hashes are what Merkle Tree Certificates and C2SP tlog-cosignature subtree signatures commit to.
These functions check the shared transparency-dev probes; the ledger itself uses whole-tree proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from supplyguard.errors import VerificationFailed
from supplyguard.ledger.hashing import EMPTY_ROOT
from supplyguard.ledger.tree import HashReader, range_hashes
from supplyguard.ledger.verify import verify_inclusion

_sha256 = hashlib.sha256


def _bit_ceil(n: int) -> int:
    return 1 << (n - 1).bit_length()


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def check_subtree(start: int, end: int) -> None:
    """Refuse a range that is not an aligned subtree."""
    if start < 0 or end <= start:
        raise VerificationFailed(f"subtree [{start}, {end}) is empty or reversed")
    if start % _bit_ceil(end - start):
        raise VerificationFailed(
            f"subtree [{start}, {end}) is not aligned: {start} is not a multiple of its width"
        )


def verify_subtree_inclusion(
    leaf_index: int, start: int, end: int, leaf_hash: bytes, path: Sequence[bytes], subtree_root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``leaf_index`` of subtree ``[start, end)`` with ``subtree_root``."""
    check_subtree(start, end)
    if not start <= leaf_index < end:
        raise VerificationFailed(f"leaf index {leaf_index} is outside subtree [{start}, {end})")
    verify_inclusion(leaf_index - start, end - start, leaf_hash, path, subtree_root)


def subtree_consistency_ranges(start: int, end: int, size: int) -> tuple[list[tuple[int, int]], bool]:
    """The ranges whose hashes prove subtree ``[start, end)`` consistent with the tree of ``size``,
    in proof order, and whether the verifier's subtree hash is itself a node of the walk."""
    ranges: list[tuple[int, int]] = []
    lo, hi, known = 0, size, True
    target = (start, end)
    while (lo, hi) != target:
        k = _largest_power_of_two_below(hi - lo)
        if target[1] <= lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        elif target[0] >= lo + k:
            ranges.append((lo, lo + k))
            lo += k
        else:  # the subtree starts here and straddles the split: RFC 9162 SUBPROOF's right turn
            ranges.append((lo, lo + k))
            lo += k
            target = (lo, target[1])
            known = False
    if not known:
        ranges.append(target)
    ranges.reverse()
    return ranges, known


def subtree_consistency_proof(reader: HashReader, start: int, end: int, size: int) -> list[bytes]:
    """The proof that valid subtree ``[start, end)`` (``end <= size``) is part of the tree of ``size``."""
    check_subtree(start, end)
    if end > size:
        raise VerificationFailed(f"subtree [{start}, {end}) is beyond tree size {size}")
    return range_hashes(reader, subtree_consistency_ranges(start, end, size)[0])


def verify_subtree_consistency(
    start: int, end: int, size: int, path: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Check that subtree ``[start, end)`` hashing to ``subtree_root`` is part of the tree of ``size``
    with ``root``."""
    if start == end:
        if start > size or path or subtree_root != EMPTY_ROOT:
            raise VerificationFailed("an empty subtree needs the empty root and an empty proof")
        return
    check_subtree(start, end)
    if end > size:
        raise VerificationFailed(f"subtree [{start}, {end}) is beyond tree size {size}")
    ranges, known = subtree_consistency_ranges(start, end, size)
    if len(path) != len(ranges):
        raise VerificationFailed(f"subtree consistency proof has {len(path)} hashes, expected {len(ranges)}")
    given = dict(zip(ranges, path, strict=True))

    def hash_of(lo: int, hi: int, subtree: bytes | None) -> bytes:
        if subtree is not None and (lo, hi) == (start, end):
            return subtree
        if (lo, hi) in given:
            return given[(lo, hi)]
        if hi - lo == 1:
            raise VerificationFailed(f"subtree consistency proof lacks the hash of [{lo}, {hi})")
        k = _largest_power_of_two_below(hi - lo)
        return _sha256(b"\x01" + hash_of(lo, lo + k, subtree) + hash_of(lo + k, hi, subtree)).digest()

    if not known and hash_of(start, end, None) != subtree_root:
        raise VerificationFailed("subtree consistency proof: computed subtree root does not match")
    if hash_of(0, size, subtree_root if known else None) != root:
        raise VerificationFailed("subtree consistency proof: computed tree root does not match")
