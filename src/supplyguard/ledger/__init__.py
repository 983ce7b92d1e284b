"""The tamper-evident ledger: an RFC 9162 Merkle log with C2SP signed checkpoints (pure, no I/O).

- :mod:`hashing` — leaf and node hashes (SHA-256, 0x00 / 0x01 prefixes).
- :mod:`tree` — roots, inclusion and consistency proofs from a :class:`HashReader` of complete
  subtrees; :class:`Frontier` (compact range) for appends; :class:`MemoryTree` for small trees.
- :mod:`verify` — RFC 9162 §2.1.3.2 and §2.1.4.2 verification.
- :mod:`envelope` — :class:`LeafEnvelope`, the canonical JSON a leaf holds.
- :mod:`note`, :mod:`checkpoint` — C2SP signed notes, Ed25519 keys, checkpoints, cosignatures.
- :mod:`subtree` — proofs about aligned subtrees (transparency-dev subtree probes).
- :mod:`bundles` — JSON proof bundles and their offline verification.
"""

from supplyguard.ledger.bundles import (
    ConsistencyBundle,
    ConsistencyVerified,
    InclusionBundle,
    InclusionVerified,
    parse_consistency_bundle,
    parse_inclusion_bundle,
    verify_consistency_bundle,
    verify_inclusion_bundle,
)
from supplyguard.ledger.checkpoint import (
    Checkpoint,
    VerifiedCheckpoint,
    add_signatures,
    cosign_checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from supplyguard.ledger.envelope import LeafEnvelope
from supplyguard.ledger.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from supplyguard.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    Ed25519Signer,
    Ed25519Verifier,
    NoteSignature,
    NoteVerifier,
    SignedNote,
    parse_note,
    parse_vkey,
    sign_note,
    verify_note,
)
from supplyguard.ledger.subtree import (
    check_subtree,
    subtree_consistency_proof,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)
from supplyguard.ledger.tree import (
    Frontier,
    HashReader,
    LevelRun,
    MemoryTree,
    Node,
    check_index,
    check_sizes,
    consistency_proof,
    inclusion_proof,
    range_nodes,
    tree_root,
)
from supplyguard.ledger.verify import root_from_inclusion_proof, verify_consistency, verify_inclusion

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "ConsistencyBundle",
    "ConsistencyVerified",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Frontier",
    "HashReader",
    "InclusionBundle",
    "InclusionVerified",
    "LeafEnvelope",
    "LevelRun",
    "MemoryTree",
    "Node",
    "NoteSignature",
    "NoteVerifier",
    "SignedNote",
    "VerifiedCheckpoint",
    "add_signatures",
    "check_index",
    "check_sizes",
    "check_subtree",
    "consistency_proof",
    "cosign_checkpoint",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_consistency_bundle",
    "parse_inclusion_bundle",
    "parse_note",
    "parse_vkey",
    "range_nodes",
    "root_from_inclusion_proof",
    "sign_checkpoint",
    "sign_note",
    "subtree_consistency_proof",
    "tree_root",
    "verify_consistency",
    "verify_consistency_bundle",
    "verify_inclusion",
    "verify_inclusion_bundle",
    "verify_note",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]
