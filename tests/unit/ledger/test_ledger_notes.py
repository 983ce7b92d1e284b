"""Signed notes, verifier keys, checkpoints and cosignatures (c2sp.org)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from supplyguard.errors import VerificationFailed
from supplyguard.ledger import (
    COSIGNATURE_V1,
    Checkpoint,
    Ed25519Signer,
    add_signatures,
    cosign_checkpoint,
    open_checkpoint,
    parse_note,
    parse_vkey,
    sign_checkpoint,
    sign_note,
    verify_note,
)

ROOT = bytes(range(32))


def test_c2sp_signed_note_vector(merkle_data: Path) -> None:
    vector = json.loads((merkle_data / "signed_note_vector.json").read_text())
    verifier = parse_vkey(vector["vkey"])
    assert verifier.vkey == vector["vkey"]
    assert verifier.key_id.hex() == vector["expected_key_id_hex"]
    note = parse_note(vector["signed_note"])
    assert note.text == vector["note_text"]
    assert note.to_text() == vector["signed_note"]
    assert [v.name for v in verify_note(note, [verifier])] == [c["key_name"] for c in vector["checked"]]


def test_sign_and_verify_round_trip_and_stranger_keys_are_ignored() -> None:
    log = Ed25519Signer.generate("example.com/log")
    stranger = Ed25519Signer.generate("example.com/other")
    note = sign_note("hello\n\nworld\n", [stranger, log])
    parsed = parse_note(note.to_text())
    assert parsed.text == "hello\n\nworld\n"
    assert len(parsed.signatures) == 2
    assert [v.name for v in verify_note(parsed, [log.verifier()])] == ["example.com/log"]


def test_same_name_other_key_is_ignored_but_known_bad_signature_fails() -> None:
    log = Ed25519Signer.generate("example.com/log")
    impostor = Ed25519Signer.generate("example.com/log")
    note = sign_note("text\n", [impostor])
    with pytest.raises(VerificationFailed, match="no signature from a known key"):
        verify_note(note, [log.verifier()])
    good = sign_note("text\n", [log])
    forged = parse_note(good.to_text().replace("text\n", "texT\n", 1))
    with pytest.raises(VerificationFailed, match=r"signature by example.com/log .* does not verify"):
        verify_note(forged, [log.verifier()])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no blank line\n", "no blank line"),
        ("text\n\n— name c2ln\n", "too short"),
        ("text\n\n- name AAAAAAAA\n", "em dash"),
        ("text\n\n— name !!!!\n", "base64"),
        ("text\n\n— na+me AAAAAAAA\n", "key name"),
        ("te\txt\n\n— name AAAAAAAA\n", "control character"),
        ("text\n\n— name AAAAAAAA", "must end with a newline"),
        ("text\n\n— name AAAAAAAA extra\n", "not '—"),
        (b"\xff\n\n", "UTF-8"),
    ],
)
def test_malformed_notes_are_refused(note: str | bytes, message: str) -> None:
    with pytest.raises(VerificationFailed, match=message):
        parse_note(note)


def test_vkey_errors() -> None:
    signer = Ed25519Signer.generate("example.com/log")
    name, key_id, material = signer.vkey.split("+", 2)
    with pytest.raises(VerificationFailed, match="does not match the key"):
        parse_vkey(f"{name}+00000000+{material}")
    with pytest.raises(VerificationFailed, match="not 'name"):
        parse_vkey("just-a-name")
    with pytest.raises(VerificationFailed, match="33 for Ed25519"):
        parse_vkey(f"{name}+{key_id}+" + base64.b64encode(b"\x01abc").decode())
    with pytest.raises(VerificationFailed, match="unsupported signature type"):
        parse_vkey(f"{name}+{key_id}+" + base64.b64encode(b"\x09" + bytes(32)).decode())


def test_checkpoint_body_format_and_parse() -> None:
    checkpoint = Checkpoint("example.com/log", 20852163, ROOT, ("ext one",))
    body = checkpoint.body()
    assert body == f"example.com/log\n20852163\n{base64.b64encode(ROOT).decode()}\next one\n"
    assert Checkpoint.parse_body(body) == checkpoint


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("origin\n012\nAAAA\n", "leading zeroes"),
        ("origin\n12\n", "needs an origin"),
        ("origin\n12\nAAAA\n", "not 32"),
        (f"origin\n12\n{base64.b64encode(ROOT).decode()}\n\n", "empty extension"),
        (f"\n12\n{base64.b64encode(ROOT).decode()}\n", "origin line is empty"),
        ("origin\n-1\nAAAA\n", "decimal"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body: str, message: str) -> None:
    with pytest.raises(VerificationFailed, match=message):
        Checkpoint.parse_body(body)


def test_signed_checkpoint_opens_only_with_the_right_key_and_origin() -> None:
    log = Ed25519Signer.generate("example.com/log")
    other = Ed25519Signer.generate("example.com/log")
    note = sign_checkpoint(Checkpoint("example.com/log", 5, ROOT), log)
    opened = open_checkpoint(note, [log.verifier()])
    assert opened.checkpoint.size == 5
    assert opened.verified_by == ("example.com/log",)
    with pytest.raises(VerificationFailed, match="no signature from a known key"):
        open_checkpoint(note, [other.verifier()])
    with pytest.raises(VerificationFailed, match="origin"):
        open_checkpoint(note, [log.verifier()], origin="example.com/elsewhere")


def test_cosignatures_attach_verify_and_are_ignored_by_others() -> None:
    log = Ed25519Signer.generate("example.com/log")
    witness = Ed25519Signer.generate("witness.example/w1", COSIGNATURE_V1)
    note = sign_checkpoint(Checkpoint("example.com/log", 9, ROOT), log)
    line = cosign_checkpoint(note, witness, 1679315147)
    cosigned = add_signatures(note, [line])
    assert cosigned.startswith(note)
    assert len(parse_note(cosigned).signatures) == 2
    # A client that only knows the log still accepts it; the witness's key verifies its line.
    assert open_checkpoint(cosigned, [log.verifier()]).verified_by == ("example.com/log",)
    both = open_checkpoint(cosigned, [log.verifier(), parse_vkey(witness.vkey)])
    assert set(both.verified_by) == {"example.com/log", "witness.example/w1"}
    # The cosignature covers the timestamp: changing it breaks the signature.
    raw = bytearray(line.signature)
    raw[7] ^= 1
    tampered = add_signatures(note, [type(line)(line.key_name, line.key_id, bytes(raw))])
    with pytest.raises(VerificationFailed, match=r"witness\.example/w1"):
        open_checkpoint(tampered, [log.verifier(), witness.verifier()])
    # Re-adding a line from the same key replaces it rather than duplicating.
    assert len(parse_note(add_signatures(cosigned, [line])).signatures) == 2
