"""Checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of the log.

The note text is the origin line, the tree size in decimal, the base64 root hash, then optional
extension lines::

    supplyguard.example/customs-ke
    1048576
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — supplyguard.example/customs-ke Az3grlgt...
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from supplyguard.errors import VerificationFailed
from supplyguard.ledger.hashing import HASH_SIZE
from supplyguard.ledger.note import (
    Ed25519Signer,
    NoteSignature,
    NoteVerifier,
    SignedNote,
    parse_note,
    sign_note,
    verify_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's ``origin``, its ``size`` and its ``root_hash`` at that size."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValueError("checkpoint origin must be one non-empty line")
        if self.size < 0:
            raise ValueError("checkpoint size must not be negative")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise ValueError("checkpoint extension lines must be non-empty single lines")

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root_hash).decode()

    def body(self) -> str:
        """The note text: origin, size, root and extension lines, each ending in a newline."""
        return "".join(line + "\n" for line in (self.origin, str(self.size), self.root_b64, *self.extensions))

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse note text into a checkpoint, refusing any deviation from the format."""
        if not text.endswith("\n"):
            raise VerificationFailed("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationFailed("checkpoint needs an origin, a size and a root hash line")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise VerificationFailed("checkpoint origin line is empty")
        if not _SIZE.fullmatch(size_text):
            raise VerificationFailed(f"checkpoint size {size_text!r} is not a decimal without leading zeroes")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as exc:
            raise VerificationFailed("checkpoint root hash is not valid base64") from exc
        if len(root) != HASH_SIZE:
            raise VerificationFailed(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
        if any(not line for line in extensions):
            raise VerificationFailed("checkpoint has an empty extension line")
        return cls(origin, int(size_text), root, tuple(extensions))


@dataclass(frozen=True, slots=True)
class VerifiedCheckpoint:
    """A checkpoint whose signature by a trusted key was checked, with the note it came in."""

    checkpoint: Checkpoint
    note: SignedNote
    verified_by: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return self.note.to_text()


def sign_checkpoint(checkpoint: Checkpoint, signer: Ed25519Signer) -> str:
    """The signed note text of ``checkpoint`` signed by the log's key."""
    return sign_note(checkpoint.body(), [signer]).to_text()


def cosign_checkpoint(note_text: str, cosigner: Ed25519Signer, timestamp: int) -> NoteSignature:
    """A witness's v1 cosignature line for a checkpoint (the cosigner has checked consistency)."""
    note = parse_note(note_text)
    Checkpoint.parse_body(note.text)
    return NoteSignature(cosigner.name, cosigner.key_id, cosigner.cosign(note.text.encode(), timestamp))


def add_signatures(note_text: str, signatures: Sequence[NoteSignature]) -> str:
    """The note with the signature lines added (an existing line for the same key is replaced)."""
    return parse_note(note_text).with_signatures(signatures).to_text()


def open_checkpoint(
    note_text: str | bytes, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> VerifiedCheckpoint:
    """Parse a signed checkpoint and verify it against trusted keys.

    Raises :class:`VerificationFailed` if it is malformed, if no trusted key signed it, if a
    trusted key's signature is wrong, or if ``origin`` is given and differs.
    """
    note = parse_note(note_text)
    checkpoint = Checkpoint.parse_body(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationFailed(f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}")
    verified = verify_note(note, verifiers)
    return VerifiedCheckpoint(checkpoint, note, tuple(v.name for v in verified))
