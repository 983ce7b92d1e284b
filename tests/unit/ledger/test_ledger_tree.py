"""Tree math against a direct transcription of the RFC 9162 §2.1 recursive definitions."""

from __future__ import annotations

import hashlib

import pytest

from supplyguard.errors import ProofRequestInvalid, VerificationFailed
from supplyguard.ledger import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    leaf_hash,
    node_hash,
    range_nodes,
    root_from_inclusion_proof,
    subtree_consistency_proof,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

LEAVES = [f"leaf {i}".encode() for i in range(70)]


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    return MemoryTree(LEAVES)


def test_roots_match_the_definition(tree: MemoryTree) -> None:
    for size in range(len(LEAVES) + 1):
        assert tree.root(size) == mth(LEAVES[:size])
    assert tree.root(0) == EMPTY_ROOT


def test_inclusion_proofs_match_the_definition_and_verify(tree: MemoryTree) -> None:
    for size in range(1, 40):
        root = mth(LEAVES[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == path(index, LEAVES[:size])
            verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, root)


def test_consistency_proofs_match_the_definition_and_verify(tree: MemoryTree) -> None:
    for second in range(1, 40):
        for first in range(1, second + 1):
            proof = tree.consistency_proof(first, second)
            assert proof == subproof(first, LEAVES[:second], True)
            verify_consistency(first, second, proof, mth(LEAVES[:first]), mth(LEAVES[:second]))


def test_every_single_bit_flip_in_a_proof_is_caught(tree: MemoryTree) -> None:
    size, index = 37, 21
    root = tree.root(size)
    proof = tree.inclusion_proof(index, size)
    for at in range(len(proof)):
        for bit in (0, 77, 255):
            bad = list(proof)
            flipped = bytearray(bad[at])
            flipped[bit // 8] ^= 1 << (bit % 8)
            bad[at] = bytes(flipped)
            with pytest.raises(VerificationFailed, match="does not match"):
                verify_inclusion(index, size, leaf_hash(LEAVES[index]), bad, root)


def test_truncated_and_padded_proofs_say_so(tree: MemoryTree) -> None:
    proof = tree.inclusion_proof(5, 20)
    with pytest.raises(VerificationFailed, match="too short"):
        root_from_inclusion_proof(5, 20, leaf_hash(LEAVES[5]), proof[:-1])
    with pytest.raises(VerificationFailed, match="too long"):
        root_from_inclusion_proof(5, 20, leaf_hash(LEAVES[5]), [*proof, proof[0]])
    cproof = tree.consistency_proof(6, 20)
    with pytest.raises(VerificationFailed, match="too short"):
        verify_consistency(6, 20, cproof[:-1], tree.root(6), tree.root(20))


def test_requests_outside_the_tree_are_refused(tree: MemoryTree) -> None:
    with pytest.raises(ProofRequestInvalid, match="not below tree size"):
        tree.inclusion_proof(10, 10)
    with pytest.raises(ProofRequestInvalid, match="current size"):
        tree.inclusion_proof(0, len(LEAVES) + 1)
    with pytest.raises(ProofRequestInvalid, match="beyond the current size"):
        tree.consistency_proof(3, len(LEAVES) + 1)
    with pytest.raises(ProofRequestInvalid, match="old size"):
        tree.consistency_proof(0, 5)
    with pytest.raises(ProofRequestInvalid, match="old size"):
        tree.consistency_proof(6, 5)


def test_frontier_grows_like_the_tree_in_any_batch_shape() -> None:
    frontier = Frontier()
    hashes = [leaf_hash(leaf) for leaf in LEAVES]
    at = 0
    for step in (1, 2, 3, 1, 8, 5, 16, 17, 1, 16):
        frontier.extend(hashes[at : at + step])
        at += step
        assert frontier.size == at
        assert frontier.root() == mth(LEAVES[:at])
        assert set(frontier.edge) == {level for level in range(at.bit_length()) if at >> level & 1}


def test_frontier_runs_are_exactly_the_new_complete_nodes() -> None:
    tree = MemoryTree(LEAVES[:13])
    frontier = Frontier(13, {level: tree.levels[level][(13 >> level) - 1] for level in (0, 2, 3)})
    runs = frontier.extend([leaf_hash(leaf) for leaf in LEAVES[13:30]])
    full = MemoryTree(LEAVES[:30])
    for run in runs:
        expected = full.levels[run.level][run.first : (30 >> run.level)]
        assert run.hashes == expected
        assert run.first == 13 >> run.level


def test_frontier_refuses_a_missing_edge() -> None:
    with pytest.raises(ValueError, match="lacks levels"):
        Frontier(5, {0: EMPTY_ROOT})


def test_range_nodes_tile_any_range() -> None:
    assert range_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert range_nodes(3, 9) == [(0, 3), (2, 1), (0, 8)]
    assert range_nodes(5, 5) == []


def test_node_and_leaf_hash_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_subtree_proofs_round_trip_for_every_aligned_subtree(tree: MemoryTree) -> None:
    checked = 0
    for size in range(1, 24):
        root = tree.root(size)
        for start in range(size):
            for end in range(start + 1, size + 1):
                width = 1 << (end - start - 1).bit_length()
                if start % width:
                    with pytest.raises(VerificationFailed, match="not aligned"):
                        verify_subtree_consistency(start, end, size, [], root, root)
                    continue
                subtree_root = mth(LEAVES[start:end])
                proof = subtree_consistency_proof(tree, start, end, size)
                verify_subtree_consistency(start, end, size, proof, subtree_root, root)
                if proof:
                    with pytest.raises(VerificationFailed):
                        verify_subtree_consistency(start, end, size, proof[:-1], subtree_root, root)
                    with pytest.raises(VerificationFailed, match="does not match"):
                        verify_subtree_consistency(
                            start, end, size, [proof[0][::-1], *proof[1:]], subtree_root, root
                        )
                with pytest.raises(VerificationFailed, match="does not match"):
                    verify_subtree_consistency(start, end, size, proof, mth(LEAVES[start : end + 1]), root)
                index = (start + end) // 2
                local = MemoryTree(LEAVES[start:end])
                path_ = local.inclusion_proof(index - start)
                verify_subtree_inclusion(index, start, end, leaf_hash(LEAVES[index]), path_, subtree_root)
                checked += 1
    assert checked > 150
