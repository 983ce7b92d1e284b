"""Every transparency-dev probe and the transcribed RFC 6962 vectors, valid and corrupted."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from supplyguard.errors import VerificationFailed
from supplyguard.ledger.hashing import leaf_hash
from supplyguard.ledger.subtree import verify_subtree_consistency, verify_subtree_inclusion
from supplyguard.ledger.tree import MemoryTree
from supplyguard.ledger.verify import verify_consistency, verify_inclusion

# Same folder as conftest.SHARED_DATA; needed at collection time to parametrize.
TESTDATA = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "merkle" / "transparency-dev-testdata"
)


def _cases(kind: str) -> list[Path]:
    folder = TESTDATA / kind
    return sorted(folder.rglob("*.json")) if folder.is_dir() else []


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(item) for item in case["proof"] or []]


def _outcome(check: Any) -> bool:
    try:
        check()
    except VerificationFailed:
        return False
    return True


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: str(p.relative_to(TESTDATA)))
def test_inclusion_probe(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = _outcome(
        lambda: verify_inclusion(
            case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), _b64(case["root"])
        )
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: str(p.relative_to(TESTDATA)))
def test_consistency_probe(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = _outcome(
        lambda: verify_consistency(
            case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"])
        )
    )
    assert ok is not case["wantErr"], case["desc"]


def test_probe_folders_present(merkle_data: Path) -> None:
    assert len(_cases("inclusion")) > 50
    assert len(_cases("consistency")) > 50


@pytest.fixture
def rfc_vectors(merkle_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((merkle_data / "rfc6962_vectors_transcribed.json").read_text())
    return data


def test_roots_of_every_size(rfc_vectors: dict[str, Any]) -> None:
    leaves = [bytes.fromhex(x) for x in rfc_vectors["leaves_hex"]]
    tree = MemoryTree(leaves)
    for size, root_hex in enumerate(rfc_vectors["root_hashes_by_size_hex"]):
        assert tree.root(size).hex() == root_hex


def test_node_hashes_by_level(rfc_vectors: dict[str, Any]) -> None:
    tree = MemoryTree([bytes.fromhex(x) for x in rfc_vectors["leaves_hex"]])
    for level, hashes in enumerate(rfc_vectors["node_hashes_by_level_hex"]):
        assert [h.hex() for h in tree.levels[level][: len(hashes)]] == hashes


def test_transcribed_inclusion_proofs(rfc_vectors: dict[str, Any]) -> None:
    leaves = [bytes.fromhex(x) for x in rfc_vectors["leaves_hex"]]
    tree = MemoryTree(leaves)
    assert rfc_vectors["inclusion"]
    for case in rfc_vectors["inclusion"]:
        index, size = case["leaf_index"], case["tree_size"]
        path = [bytes.fromhex(x) for x in case["audit_path_hex"]]
        assert tree.inclusion_proof(index, size) == path
        verify_inclusion(
            index, size, leaf_hash(bytes.fromhex(case["leaf_hex"])), path, bytes.fromhex(case["root_hex"])
        )


def test_transcribed_consistency_proofs(rfc_vectors: dict[str, Any]) -> None:
    tree = MemoryTree([bytes.fromhex(x) for x in rfc_vectors["leaves_hex"]])
    assert rfc_vectors["consistency"]
    for case in rfc_vectors["consistency"]:
        first, second = case["size1"], case["size2"]
        path = [bytes.fromhex(x) for x in case["proof_hex"]]
        assert tree.consistency_proof(first, second) == path
        verify_consistency(
            first, second, path, bytes.fromhex(case["root1_hex"]), bytes.fromhex(case["root2_hex"])
        )


@pytest.mark.parametrize("path", _cases("subtreeinclusion"), ids=lambda p: str(p.relative_to(TESTDATA)))
def test_subtree_inclusion_probe(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = _outcome(
        lambda: verify_subtree_inclusion(
            case["leafIdx"],
            case["start"],
            case["end"],
            _b64(case["leafHash"]),
            _proof(case),
            _b64(case["root"]),
        )
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", _cases("subtreeconsistency"), ids=lambda p: str(p.relative_to(TESTDATA)))
def test_subtree_consistency_probe(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = _outcome(
        lambda: verify_subtree_consistency(
            case["start"], case["end"], case["size"], _proof(case), _b64(case["root1"]), _b64(case["root2"])
        )
    )
    assert ok is not case["wantErr"], case["desc"]
