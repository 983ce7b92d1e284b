from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.errors import SignedObjectInvalid, ValidationFailed, VerificationFailed
from supplyguard.model.canonical import canonical_json
from supplyguard.sharing import (
    SHIPMENT_EXTENSION_ID,
    Agreement,
    Freshness,
    Keyring,
    SignedObject,
    SigningKey,
    StixSchemaValidator,
    Tlp,
    accept_object,
    check_freshness,
    compile_share,
    disclose,
    sign_object,
    sign_tombstone,
    verify_object,
    verify_tombstone,
    winning_version,
)
from supplyguard.sharing.signing import SignedHeader, TrustedKey, _canonical_pair, _header_bytes
from tests.unit.sharing.sharing_factories import AUTHOR_A, TODAY, authoring, suspect_shipment_object


def counting_salts() -> Callable[[int], bytes]:
    state = {"n": 0}

    def salt(size: int) -> bytes:
        state["n"] += 1
        return state["n"].to_bytes(size, "big")

    return salt


def signed_shipment(key: SigningKey) -> SignedObject:
    return sign_object(suspect_shipment_object(), key)


def test_author_signature_verifies(key_a: SigningKey, keyring: Keyring) -> None:
    signed = signed_shipment(key_a)
    verify_object(signed, keyring)
    assert signed.withheld_count == 0
    assert signed.header.author_ref == AUTHOR_A


def test_redacted_copy_keeps_the_author_signature_verifiable(
    key_a: SigningKey, keyring: Keyring, agreement: Agreement
) -> None:
    signed = signed_shipment(key_a)
    decision = compile_share(signed.stix, agreement, "carrier-oceanic", sender="customs-a", on=TODAY)
    redacted = disclose(signed, decision.kept_fields)
    verify_object(redacted, keyring)
    assert redacted.withheld_count == 4
    assert "consignee_name" not in redacted.stix["extensions"][SHIPMENT_EXTENSION_ID]
    assert redacted.header == signed.header
    assert redacted.header.content_hash == signed.header.content_hash


def test_wire_form_round_trips_and_validates(
    key_a: SigningKey, keyring: Keyring, validator: StixSchemaValidator
) -> None:
    signed = signed_shipment(key_a)
    wire = signed.to_stix()
    assert validator.problems(wire) == []
    received = SignedObject.from_stix(copy.deepcopy(wire))
    verify_object(received, keyring)
    assert received.stix == signed.stix


def test_tampered_field_is_rejected(key_a: SigningKey, keyring: Keyring) -> None:
    wire = signed_shipment(key_a).to_stix()
    wire["extensions"][SHIPMENT_EXTENSION_ID]["container_numbers"] = ["CSQU3054383"]
    with pytest.raises(SignedObjectInvalid) as caught:
        verify_object(SignedObject.from_stix(wire), keyring)
    assert caught.value.check == "field"
    assert "shipment.container_numbers" in caught.value.message


def test_added_field_is_rejected(key_a: SigningKey, keyring: Keyring) -> None:
    signed = signed_shipment(key_a)
    padded = replace(signed, stix={**signed.stix, "description": "added by a relay"})
    with pytest.raises(SignedObjectInvalid, match="not covered"):
        verify_object(padded, keyring)


def test_changed_version_is_rejected(key_a: SigningKey, keyring: Keyring) -> None:
    signed = signed_shipment(key_a)
    bumped = replace(signed, stix={**signed.stix, "modified": "2030-01-01T00:00:00.000Z"})
    with pytest.raises(SignedObjectInvalid) as caught:
        verify_object(bumped, keyring)
    assert caught.value.check == "header"


def test_forged_signature_is_rejected(key_a: SigningKey, key_b: SigningKey, keyring: Keyring) -> None:
    genuine = signed_shipment(key_a)
    forger = SigningKey.generate("mallory", AUTHOR_A)
    forged = sign_object(suspect_shipment_object(), forger)
    with pytest.raises(SignedObjectInvalid) as unknown:
        verify_object(forged, keyring)
    assert unknown.value.check == "unknown-key"
    resigned = replace(forged, header=replace(forged.header, key_id=genuine.header.key_id))
    with pytest.raises(SignedObjectInvalid) as bad_signature:
        verify_object(resigned, keyring)
    assert bad_signature.value.check == "signature"
    assert isinstance(bad_signature.value, VerificationFailed)


def test_a_partner_cannot_sign_as_another_author(key_b: SigningKey, keyring: Keyring) -> None:
    with pytest.raises(ValidationFailed, match="not the signer"):
        sign_object(suspect_shipment_object(), key_b)
    posing = SigningKey(key_b.node_id, AUTHOR_A, key_b.private_key)
    with pytest.raises(SignedObjectInvalid) as caught:
        verify_object(sign_object(suspect_shipment_object(), posing), keyring)
    assert caught.value.check == "author"


def test_unsigned_object_is_refused() -> None:
    with pytest.raises(SignedObjectInvalid, match="no author signature"):
        SignedObject.from_stix(suspect_shipment_object())


def test_salts_make_commitments_unlinkable_across_signatures(key_a: SigningKey) -> None:
    first = sign_object(suspect_shipment_object(), key_a)
    second = sign_object(first.stix, key_a)
    assert set(first.header.commitments).isdisjoint(second.header.commitments)
    fixed = sign_object(first.stix, key_a, salt_source=counting_salts())
    again = sign_object(first.stix, key_a, salt_source=counting_salts())
    assert fixed.header == again.header


def _version(key: SigningKey, minute: int, name: str = "Suspect reefer") -> SignedObject:
    obj = suspect_shipment_object()
    obj["modified"] = datetime(2026, 11, 21, 9, minute, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    obj["name"] = name
    return sign_object(obj, key)


def test_replayed_older_version_is_rejected(key_a: SigningKey, keyring: Keyring) -> None:
    old, new = _version(key_a, 0), _version(key_a, 5)
    assert accept_object(old, keyring).outcome is Freshness.NEW
    assert accept_object(new, keyring, held=old.header).outcome is Freshness.NEWER
    assert accept_object(new, keyring, held=new.header).outcome is Freshness.DUPLICATE
    with pytest.raises(SignedObjectInvalid) as caught:
        accept_object(old, keyring, held=new.header)
    assert caught.value.check == "replay"


def test_same_modified_conflict_is_resolved_by_content_hash_on_every_node(key_a: SigningKey) -> None:
    one, two = _version(key_a, 0, "first edit"), _version(key_a, 0, "second edit")
    winner = winning_version(one.header, two.header)
    assert winner == winning_version(two.header, one.header)
    loser = two.header if winner == one.header else one.header
    assert check_freshness(winner, held=loser).outcome is Freshness.NEWER
    assert check_freshness(loser, held=winner).outcome is Freshness.KEPT_HELD


def test_tombstone_blocks_the_deleted_versions(
    key_a: SigningKey, key_b: SigningKey, keyring: Keyring
) -> None:
    live = _version(key_a, 0)
    stone = sign_tombstone(
        live.object_id, "indicator", datetime(2026, 11, 22, tzinfo=UTC), "false alarm", key_a
    )
    verify_tombstone(stone, keyring, held=live.header)
    with pytest.raises(SignedObjectInvalid) as caught:
        accept_object(live, keyring, held=None, tombstone=stone)
    assert caught.value.check == "deleted"
    later = sign_object({**live.stix, "modified": "2026-11-23T00:00:00.000Z"}, key_a)
    assert accept_object(later, keyring, tombstone=stone).outcome is Freshness.NEW


def test_tombstone_from_another_author_or_tampered_is_rejected(
    key_a: SigningKey, key_b: SigningKey, keyring: Keyring
) -> None:
    live = _version(key_a, 0)
    foreign = sign_tombstone(
        live.object_id, "indicator", datetime(2026, 11, 22, tzinfo=UTC), "mine now", key_b
    )
    with pytest.raises(SignedObjectInvalid, match="only the author"):
        verify_tombstone(foreign, keyring, held=live.header)
    genuine = sign_tombstone(live.object_id, "indicator", datetime(2026, 11, 22, tzinfo=UTC), "x", key_a)
    with pytest.raises(SignedObjectInvalid, match="does not verify"):
        verify_tombstone(replace(genuine, deleted_at="2099-01-01T00:00:00.000Z"), keyring)


def test_red_object_signs_and_verifies_like_any_other(key_a: SigningKey, keyring: Keyring) -> None:
    signed = sign_object(suspect_shipment_object(Tlp.RED), key_a)
    verify_object(signed, keyring)
    assert authoring().author_ref == signed.header.author_ref


json_scalars = st.one_of(
    st.text(),
    st.booleans(),
    st.none(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
)


@given(st.text(), st.one_of(json_scalars, st.lists(json_scalars, max_size=3)))
def test_commitment_input_is_exactly_rfc8785(path: str, value: object) -> None:
    try:
        expected = canonical_json([path, value])
    except (UnicodeEncodeError, ValueError):
        return  # lone surrogates are not JSON text
    assert _canonical_pair(path, value) == expected


@given(st.text(), st.lists(st.text(), max_size=5))
def test_commitment_input_of_string_lists_is_exactly_rfc8785(path: str, value: list[str]) -> None:
    try:
        expected = canonical_json([path, value])
    except (UnicodeEncodeError, ValueError):
        return  # lone surrogates are not JSON text
    assert _canonical_pair(path, value) == expected


@given(
    st.text(),
    st.dictionaries(
        st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text()),
        st.one_of(st.text(), json_scalars),
        max_size=5,
    ),
)
def test_commitment_input_of_flat_objects_is_exactly_rfc8785(path: str, value: dict[str, object]) -> None:
    try:
        expected = canonical_json([path, value])
    except (UnicodeEncodeError, ValueError):
        return  # lone surrogates are not JSON text
    assert _canonical_pair(path, value) == expected


@given(st.text(), st.text(), st.lists(st.text(), max_size=4), st.text(), st.text())
def test_signed_header_bytes_are_exactly_rfc8785(
    object_id: str, author: str, commitments: list[str], version: str, key_id: str
) -> None:
    header = SignedHeader(object_id, "indicator", "2.1", version, author, key_id, tuple(commitments))
    try:
        expected = rfc8785.dumps(header.as_dict())
    except (UnicodeEncodeError, ValueError, rfc8785.CanonicalizationError):
        return  # lone surrogates are not JSON text
    assert _header_bytes(header) == expected == canonical_json(header.as_dict())


# --- Ed25519 verification: libsodium (PyNaCl) beside OpenSSL (cryptography) ---------------------

_ORDER = 2**252 + 27742317777372353535851937790883648493  # L, the order of the base point


def _both(key: TrustedKey, signature: bytes, message: bytes) -> tuple[bool, bool]:
    """(TrustedKey.verifies, OpenSSL's verdict through cryptography) on the same signature."""
    try:
        key.public_key.verify(signature, message)
        openssl = True
    except InvalidSignature:
        openssl = False
    return key.verifies(signature, message), openssl


@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=511))
def test_libsodium_and_openssl_agree_on_honest_and_altered_signatures(message: bytes, bit: int) -> None:
    signer = SigningKey.generate("node-x", "identity--x")
    key = signer.trusted()
    signature = signer.sign(message)
    assert _both(key, signature, message) == (True, True)
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert _both(key, bytes(flipped), message) == (False, False)
    assert _both(key, signature, message + b"\x00") == (False, False)
    other = SigningKey.generate("node-y", "identity--y").trusted()
    assert _both(other, signature, message) == (False, False)


def test_a_signature_of_the_wrong_length_or_a_key_without_its_bytes_is_checked_by_openssl() -> None:
    signer = SigningKey.generate("node-x", "identity--x")
    key = signer.trusted()
    signature = signer.sign(b"m")
    assert not key.verifies(signature[:63], b"m") and not key.verifies(signature + b"\x00", b"m")
    bare = TrustedKey(key.node_id, key.author_ref, key.public_key, key.key_id)  # no raw bytes
    assert bare.verifies(signature, b"m") and not bare.verifies(signature, b"n")


def test_libsodium_refuses_what_openssl_lets_a_small_order_key_sign() -> None:
    identity_point = b"\x01" + bytes(31)  # the neutral element: a small-order "public key"
    key = TrustedKey.from_public_bytes("node-x", "identity--x", identity_point)
    forged = identity_point + bytes(32)  # R = neutral element, S = 0: "verifies" any message
    assert _both(key, forged, b"any message") == (False, True)


def test_a_non_canonical_s_is_refused_by_both() -> None:
    signer = SigningKey.generate("node-x", "identity--x")
    key = signer.trusted()
    signature = signer.sign(b"m")
    s = int.from_bytes(signature[32:], "little") + _ORDER
    assert s < 2**256
    assert _both(key, signature[:32] + s.to_bytes(32, "little"), b"m") == (False, False)
