"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and Ed25519 cosignatures
(c2sp.org/tlog-cosignature, signature type 0x04).

A note is UTF-8 text ending in a newline, a blank line, then one line per signature::

    — <key name> base64(4-byte key ID || signature)

The key ID is ``SHA-256(key name || 0x0A || signature type || public key)[:4]``; a verifier key is
``<key name>+hex(key ID)+base64(signature type || public key)``. Signatures from keys a verifier
does not know are kept (so the note can be passed on) but never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from supplyguard.errors import VerificationFailed

ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures."""
COSIGNATURE_V1 = 0x04
"""Signature type of timestamped Ed25519 checkpoint cosignatures."""
MAX_SIGNATURES = 64
"""More signature lines than this and a note is refused (the spec asks for at least 16)."""

_DASH = "\u2014 "


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationFailed(f"{what} is not valid base64") from exc


def check_key_name(name: str) -> None:
    """Key names are non-empty and hold no Unicode space and no ``+``."""
    if not name or "+" in name or any(ch.isspace() for ch in name) or not name.isprintable():
        raise ValueError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name, its 4-byte ID, and the signature bytes after the ID."""

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.key_name} {base64.b64encode(self.key_id + self.signature).decode()}\n"

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note's text (with its final newline) and every signature on it, known or not."""

    text: str
    signatures: tuple[NoteSignature, ...] = field(default=())

    def to_text(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    def with_signatures(self, signatures: Iterable[NoteSignature]) -> SignedNote:
        """A copy with more signatures; one with the same key name and ID as an existing one replaces it."""
        merged = {(s.key_name, s.key_id): s for s in self.signatures}
        for sig in signatures:
            merged[(sig.key_name, sig.key_id)] = sig
        return SignedNote(self.text, tuple(merged.values()))


def check_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise VerificationFailed("note text must end with a newline")
    bad = next((ch for ch in text if ch < " " and ch != "\n"), None)
    if bad is not None:
        raise VerificationFailed(f"note text contains the control character U+{ord(bad):04X}")


def parse_note(note: str | bytes) -> SignedNote:
    """Split a signed note into text and signatures, checking its form (not the signatures)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationFailed("signed note is not valid UTF-8") from exc
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationFailed("signed note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    check_note_text(text)
    if not block.endswith("\n"):
        raise VerificationFailed("signed note must end with a newline after its last signature")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationFailed(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    signatures = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_DASH):
            raise VerificationFailed(f"signature line {number} does not start with an em dash and a space")
        parts = line[len(_DASH) :].split(" ")
        if len(parts) != 2:
            raise VerificationFailed(f"signature line {number} is not '— <key name> <base64>'")
        name, encoded = parts
        try:
            check_key_name(name)
        except ValueError as exc:
            raise VerificationFailed(f"signature line {number}: {exc}") from exc
        raw = _b64decode(encoded, f"signature line {number}")
        if len(raw) < 5:
            raise VerificationFailed(f"signature line {number} is too short to hold a key ID and a signature")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return SignedNote(text, tuple(signatures))


class NoteVerifier(Protocol):
    """A public key a note can be checked against: its name, 4-byte ID and signature check."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, text: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Ed25519Verifier:
    """An Ed25519 note verifier (type 0x01), or a cosignature verifier (type 0x04)."""

    name: str
    public_key: bytes
    signature_type: int = ED25519

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        if self.signature_type not in (ED25519, COSIGNATURE_V1):
            raise ValueError(f"unsupported signature type 0x{self.signature_type:02x}")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.signature_type, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hex(id)+base64(type || key)``."""
        material = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        if self.signature_type == COSIGNATURE_V1:
            if len(signature) != 72:
                return False
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp >= 1 << 63:
                return False
            text, signature = cosignature_message(timestamp, text), signature[8:]
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


def cosignature_message(timestamp: int, checkpoint_text: bytes) -> bytes:
    """What a v1 cosignature signs: a header line, a time line, then the checkpoint text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + checkpoint_text


def cosignature_timestamp(signature: NoteSignature) -> int | None:
    """The POSIX time inside a v1 cosignature (72 bytes after the key ID), else ``None``."""
    if len(signature.signature) != 72:
        return None
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    return int(timestamp)


class Ed25519Signer:
    """Signs notes with an Ed25519 private key under a key name (type 0x01, or 0x04 to cosign)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, signature_type: int = ED25519) -> None:
        check_key_name(name)
        self.private_key = private_key
        self._verifier = Ed25519Verifier(name, private_key.public_key().public_bytes_raw(), signature_type)

    @classmethod
    def generate(cls, name: str, signature_type: int = ED25519) -> Ed25519Signer:
        return cls(name, Ed25519PrivateKey.generate(), signature_type)

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        return self._verifier.key_id

    @property
    def signature_type(self) -> int:
        return self._verifier.signature_type

    def verifier(self) -> Ed25519Verifier:
        return self._verifier

    @property
    def vkey(self) -> str:
        return self._verifier.vkey

    def sign(self, text: bytes) -> bytes:
        """Signature bytes (without the key ID) over the note text."""
        if self.signature_type == COSIGNATURE_V1:
            raise ValueError("a cosigner signs with cosign(text, timestamp)")
        return self.private_key.sign(text)

    def cosign(self, text: bytes, timestamp: int) -> bytes:
        """A v1 cosignature: 8-byte big-endian timestamp then the Ed25519 signature."""
        if not 0 <= timestamp < 1 << 63:
            raise ValueError("cosignature timestamp out of range")
        return struct.pack(">Q", timestamp) + self.private_key.sign(cosignature_message(timestamp, text))


def parse_vkey(vkey: str) -> Ed25519Verifier:
    """Parse ``name+hex(id)+base64(type || key)``; the ID must match the one computed from the key."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise VerificationFailed("verifier key is not 'name+hex(key ID)+base64(type||public key)'")
    name, id_hex, material_b64 = parts
    material = _b64decode(material_b64, "verifier key material")
    if len(material) != 33:
        raise VerificationFailed(f"verifier key material is {len(material)} bytes, expected 33 for Ed25519")
    try:
        verifier = Ed25519Verifier(name, material[1:], material[0])
    except ValueError as exc:
        raise VerificationFailed(f"verifier key: {exc}") from exc
    if verifier.key_id.hex() != id_hex.lower() or len(id_hex) != 8:
        raise VerificationFailed(
            f"verifier key ID {id_hex} does not match the key (expected {verifier.key_id.hex()})"
        )
    return verifier


def sign_note(text: str, signers: Sequence[NoteSigner]) -> SignedNote:
    """Sign note text (ending in a newline) with each signer."""
    check_note_text(text)
    raw = text.encode()
    return SignedNote(text, tuple(NoteSignature(s.name, s.key_id, s.sign(raw)) for s in signers))


def verify_note(note: SignedNote, verifiers: Sequence[NoteVerifier]) -> list[NoteVerifier]:
    """The verifiers whose signatures on ``note`` are valid.

    Signatures matching no verifier by both name and key ID are ignored. A signature from a known
    key that fails, or no valid signature from any known key, raises :class:`VerificationFailed`.
    """
    known = {(v.name, v.key_id): v for v in verifiers}
    raw = note.text.encode()
    verified: list[NoteVerifier] = []
    for sig in note.signatures:
        verifier = known.get((sig.key_name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(raw, sig.signature):
            raise VerificationFailed(f"signature by {sig.key_name} (key ID {sig.key_id_hex}) does not verify")
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        names = ", ".join(sorted({v.name + "+" + v.key_id.hex() for v in verifiers})) or "(none)"
        raise VerificationFailed(f"note carries no signature from a known key (known: {names})")
    return verified
