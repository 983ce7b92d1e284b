"""Proof bundles: produced from a tree, verified with only the public key."""

from __future__ import annotations

import base64
import json

import pytest

from supplyguard.errors import VerificationFailed
from supplyguard.ledger import (
    Checkpoint,
    ConsistencyBundle,
    Ed25519Signer,
    InclusionBundle,
    LeafEnvelope,
    MemoryTree,
    sign_checkpoint,
    verify_consistency_bundle,
    verify_inclusion_bundle,
)

ORIGIN = "customs.example/ledger"
LEAVES = [
    LeafEnvelope("declaration", f"id-{i}", "org", "2026-11-23T00:00:00.000000Z", f"{i:064x}").to_bytes()
    for i in range(21)
]


@pytest.fixture(scope="module")
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate(ORIGIN)


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    return MemoryTree(LEAVES)


def _note(tree: MemoryTree, size: int, signer: Ed25519Signer) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), signer)


def _inclusion(tree: MemoryTree, signer: Ed25519Signer, index: int = 7, size: int = 21) -> dict[str, object]:
    bundle = InclusionBundle(
        index, size, LEAVES[index], tuple(tree.inclusion_proof(index, size)), _note(tree, size, signer)
    )
    data: dict[str, object] = json.loads(bundle.to_json())
    return data


def test_inclusion_bundle_verifies_with_the_vkey_only(tree: MemoryTree, signer: Ed25519Signer) -> None:
    data = _inclusion(tree, signer)
    assert {"leaf_index", "tree_size", "leaf", "leaf_hash", "inclusion_path", "checkpoint"} <= set(data)
    result = verify_inclusion_bundle(json.dumps(data), signer.vkey)
    assert result.leaf_index == 7
    assert result.envelope is not None
    assert result.envelope.id == "id-7"
    assert "leaf 7 of customs.example/ledger at size 21" in result.describe()


def test_inclusion_bundle_failures_name_the_check(tree: MemoryTree, signer: Ed25519Signer) -> None:
    other = Ed25519Signer.generate(ORIGIN)
    good = _inclusion(tree, signer)

    def fails(change: dict[str, object], message: str, key: str | None = None) -> None:
        with pytest.raises(VerificationFailed, match=message):
            verify_inclusion_bundle({**good, **change}, key or signer.vkey)

    fails({}, "checkpoint: note carries no signature from a known key", other.vkey)
    fails({"leaf": base64.b64encode(LEAVES[8]).decode()}, "leaf_hash is not SHA-256")
    changed = {
        "leaf": base64.b64encode(LEAVES[8]).decode(),
        "leaf_hash": _inclusion(tree, signer, 8)["leaf_hash"],
    }
    fails(changed, "computed root .* does not match")
    fails({"inclusion_path": good["inclusion_path"][:-1]}, "too short")  # type: ignore[index]
    fails({"tree_size": 20}, "checkpoint is for tree size 21 but the proof is for tree size 20")
    fails({"leaf_index": 21}, "not below tree size")
    fails({"leaf_index": -1}, "non-negative integer")
    fails({"inclusion_path": ["AAAA"]}, "not a 32-byte hash")
    fails({"checkpoint": "garbage"}, "checkpoint: signed note has no blank line")
    fails({"checkpoint": str(good["checkpoint"]).replace("\n21\n", "\n22\n")}, "does not verify")
    fails({"format": "something/else"}, "bundle format")
    with pytest.raises(VerificationFailed, match="not JSON"):
        verify_inclusion_bundle("{", signer.vkey)
    with pytest.raises(VerificationFailed, match="verifier key"):
        verify_inclusion_bundle(good, "not-a-key")


def test_consistency_bundle_round_trip_and_failures(tree: MemoryTree, signer: Ed25519Signer) -> None:
    bundle = ConsistencyBundle(
        6,
        21,
        tuple(tree.consistency_proof(6, 21)),
        tree.root(6),
        _note(tree, 21, signer),
        _note(tree, 6, signer),
    )
    data = json.loads(bundle.to_json())
    assert {"first", "second", "consistency_path", "first_root", "checkpoints"} <= set(data)
    result = verify_consistency_bundle(data, signer.vkey)
    assert result.first_checkpoint_checked
    assert result.second_root == tree.root(21)

    without_first = {**data, "checkpoints": {"first": None, "second": data["checkpoints"]["second"]}}
    assert not verify_consistency_bundle(without_first, signer.vkey).first_checkpoint_checked

    forked = MemoryTree([*LEAVES[:5], b"rewritten", *LEAVES[6:]])
    bad_first = {**without_first, "first_root": base64.b64encode(forked.root(6)).decode()}
    with pytest.raises(VerificationFailed, match="computed first root"):
        verify_consistency_bundle(bad_first, signer.vkey)
    with pytest.raises(VerificationFailed, match="first_root is not the root hash in the first checkpoint"):
        verify_consistency_bundle({**data, "first_root": bad_first["first_root"]}, signer.vkey)
    with pytest.raises(VerificationFailed, match="second checkpoint is for tree size 21, not 20"):
        verify_consistency_bundle({**data, "second": 20}, signer.vkey)
    with pytest.raises(VerificationFailed, match="too short"):
        verify_consistency_bundle({**data, "consistency_path": data["consistency_path"][:-1]}, signer.vkey)
    with pytest.raises(VerificationFailed, match="'checkpoints' must be an object"):
        verify_consistency_bundle({**data, "checkpoints": []}, signer.vkey)
