"""Author signatures with selective disclosure, and the keys that make them.

Scheme (``supplyguard-sd-v1``):

* every disclosable field (see :mod:`supplyguard.sharing.fields`) gets a fresh 16-byte salt and a
  commitment ``sha256(salt || RFC8785([path, value]))``;
* the author signs, with Ed25519, ``DOMAIN || RFC8785(header)`` where the header holds the object
  id, type, spec_version, version (``modified``), the author identity, the key id and the *sorted*
  list of all commitments;
* the object travels with its header, the signature (base64url) and the salts (hex) of the fields
  it discloses.

A forwarder that withholds fields drops them and their salts: the header and signature stay the
author's, and the receiver checks every field it got against a commitment. Withheld values cannot
be guessed from their commitments because of the salts.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from json.encoder import encode_basestring
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from supplyguard.errors import FieldError, SignedObjectInvalid, ValidationFailed
from supplyguard.model.canonical import canonical_json, sha256_hex
from supplyguard.sharing.extensions import PROVENANCE_EXTENSION_ID
from supplyguard.sharing.fields import assemble_object, object_fields, object_version

SCHEME = "supplyguard-sd-v1"
DOMAIN = b"supplyguard/sharing/object/v1\n"
SALT_BYTES = 16


def key_id_of(public_key_raw: bytes) -> str:
    """Key id: the first 16 bytes of SHA-256 of the raw 32-byte Ed25519 public key, in hex."""
    return hashlib.sha256(public_key_raw).hexdigest()[:32]


def encode_b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A node's private signing key and the STIX identity it signs as."""

    node_id: str
    author_ref: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, node_id: str, author_ref: str) -> SigningKey:
        return cls(node_id, author_ref, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, node_id: str, author_ref: str, raw: bytes) -> SigningKey:
        return cls(node_id, author_ref, Ed25519PrivateKey.from_private_bytes(raw))

    @property
    def public_key_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key_raw)

    def trusted(self) -> TrustedKey:
        """The public half, as a partner registers it."""
        return TrustedKey.from_public_bytes(self.node_id, self.author_ref, self.public_key_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A partner's public key, exchanged out of band and pinned to its node and STIX identity."""

    node_id: str
    author_ref: str
    public_key: Ed25519PublicKey
    key_id: str
    #: The raw 32 bytes of ``public_key`` (checked by ``cryptography`` when the key was made).
    public_key_raw: bytes = b""

    @classmethod
    def from_public_bytes(cls, node_id: str, author_ref: str, raw: bytes) -> TrustedKey:
        _sodium()  # a key to verify with: load the verifier now (a forked worker inherits it)
        return cls(node_id, author_ref, Ed25519PublicKey.from_public_bytes(raw), key_id_of(raw), bytes(raw))

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``, by libsodium
        (PyNaCl): about half the time of OpenSSL's verification through ``cryptography`` per call
        (libsodium's field arithmetic works on 64-bit limbs; the OpenSSL in ``cryptography``'s
        wheel spends ~1.5 M instructions a call in 32-bit ``fe_mul``/``fe_sq``). A key made
        without its raw bytes, or a signature that is not 64 bytes, goes to ``cryptography``
        (which refuses the latter). libsodium is the stricter of the two (it also
        refuses small-order keys and ``R`` points and non-canonical encodings, which no honest
        signer produces): what it accepts, OpenSSL accepts too (tests check both on the same
        signatures)."""
        if len(self.public_key_raw) == 32 and len(signature) == 64:
            sodium_open, bad_signature = _sodium()
            try:
                sodium_open(signature + message, self.public_key_raw)
            except bad_signature:
                return False
            return True
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@cache
def _sodium() -> tuple[Callable[[bytes, bytes], bytes], type[Exception]]:
    """libsodium's ``crypto_sign_open`` and its error, loaded when the first trusted key is made
    (loading PyNaCl takes ~13 ms, which commands that verify nothing do not pay)."""
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    return crypto_sign_open, BadSignatureError


class Keyring:
    """The keys a node trusts, by key id. Only keys registered out of band are ever used."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys = {key.key_id: key for key in keys}

    def add(self, key: TrustedKey) -> None:
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True, slots=True)
class SignedHeader:
    """What the author signs: the object's identity, version, author and field commitments."""

    object_id: str
    object_type: str
    spec_version: str
    version: str
    author_ref: str
    key_id: str
    commitments: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME,
            "id": self.object_id,
            "type": self.object_type,
            "spec_version": self.spec_version,
            "version": self.version,
            "author": self.author_ref,
            "key_id": self.key_id,
            "commitments": list(self.commitments),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedHeader:
        object_id = str(data.get("id", "?"))
        try:
            if data["scheme"] != SCHEME:
                raise SignedObjectInvalid(object_id, "format", f"unknown signature scheme {data['scheme']!r}")
            commitments = tuple(map(str, data["commitments"]))
            return cls(
                object_id=str(data["id"]),
                object_type=str(data["type"]),
                spec_version=str(data["spec_version"]),
                version=str(data["version"]),
                author_ref=str(data["author"]),
                key_id=str(data["key_id"]),
                commitments=commitments,
            )
        except (KeyError, TypeError) as error:
            raise SignedObjectInvalid(object_id, "format", f"signed header lacks {error}") from error

    def message(self) -> bytes:
        return DOMAIN + _header_bytes(self)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the signed header: equal for every redacted copy of one signed version."""
        return sha256_hex(_header_bytes(self))


@lru_cache(maxsize=4096)
def _header_bytes(header: SignedHeader) -> bytes:
    """RFC 8785 of a header, once per header (verification and storage both need it).

    Every member is a ``str`` (``from_dict`` and ``sign_object`` convert them) under a fixed ASCII
    key, so the canonical form is written directly, members in RFC 8785 (sorted) order, each
    string as ``json.dumps(ensure_ascii=False)`` writes it: byte-identical to
    ``canonical_json(header.as_dict())`` (a property test checks it), without building the dict
    and walking it in the encoder."""
    e = encode_basestring
    return (
        f'{{"author":{e(header.author_ref)},"commitments":[{",".join(map(e, header.commitments))}],'
        f'"id":{e(header.object_id)},"key_id":{e(header.key_id)},"scheme":{_SCHEME_TEXT},'
        f'"spec_version":{e(header.spec_version)},"type":{e(header.object_type)},'
        f'"version":{e(header.version)}}}'
    ).encode()


_SCHEME_TEXT = encode_basestring(SCHEME)


@dataclass(frozen=True, slots=True)
class SignedObject:
    """A STIX object (possibly redacted), its author's signed header, signature and disclosed salts."""

    stix: Mapping[str, Any]
    header: SignedHeader
    salts: Mapping[str, str]
    signature: str

    @property
    def object_id(self) -> str:
        return self.header.object_id

    @property
    def disclosed_fields(self) -> frozenset[str]:
        return frozenset(self.salts)

    @property
    def withheld_count(self) -> int:
        return len(self.header.commitments) - len(self.salts)

    def to_stix(self) -> dict[str, Any]:
        """The STIX object with its provenance as a property extension (ready for a bundle)."""
        result = dict(self.stix)
        extensions = dict(result.get("extensions", {}))
        extensions[PROVENANCE_EXTENSION_ID] = {
            "extension_type": "property-extension",
            "header": self.header.as_dict(),
            "salts": dict(sorted(self.salts.items())),
            "signature": self.signature,
        }
        result["extensions"] = extensions
        return result

    @classmethod
    def from_stix(cls, stix_object: Mapping[str, Any]) -> SignedObject:
        """Split a received STIX object into the object and its provenance; refuses unsigned ones."""
        object_id = str(stix_object.get("id", "?"))
        extensions = stix_object.get("extensions")
        if not isinstance(extensions, Mapping):
            extensions = {}
        provenance = extensions.get(PROVENANCE_EXTENSION_ID)
        if not isinstance(provenance, Mapping):
            raise SignedObjectInvalid(object_id, "format", "the object carries no author signature")
        header_data, salts, signature = (
            provenance.get("header"),
            provenance.get("salts"),
            provenance.get("signature"),
        )
        if not isinstance(header_data, Mapping) or not isinstance(salts, Mapping):
            raise SignedObjectInvalid(object_id, "format", "provenance lacks its header or salts")
        if not isinstance(signature, str):
            raise SignedObjectInvalid(object_id, "format", "provenance lacks its signature")
        stix = dict(stix_object)
        rest = {k: v for k, v in extensions.items() if k != PROVENANCE_EXTENSION_ID}
        if rest:
            stix["extensions"] = rest
        else:
            stix.pop("extensions", None)
        return cls(
            stix, SignedHeader.from_dict(header_data), {str(k): str(v) for k, v in salts.items()}, signature
        )


_SAFE_INT = 2**53 - 1


def _canonical_pair(path: str, value: Any) -> bytes:
    """``RFC8785([path, value])``: strings, safe integers, booleans, null, lists of strings and flat
    objects of strings under ASCII names written directly (byte-identical to :func:`canonical_json`,
    which property tests check), anything else through it."""
    kind = type(value)
    if kind is str:
        encoded = encode_basestring(value)
    elif kind is bool:
        encoded = "true" if value else "false"
    elif value is None:
        encoded = "null"
    elif kind is int and -_SAFE_INT <= value <= _SAFE_INT:
        encoded = str(value)
    elif kind is list and all(type(item) is str for item in value):
        encoded = "[" + ",".join(map(encode_basestring, value)) + "]"  # lists of strings: most lists
    elif kind is dict and all(type(k) is str and k.isascii() and type(v) is str for k, v in value.items()):
        # Flat objects of strings under ASCII names (a conveyance, an address): members in code
        # point order, which for ASCII names is RFC 8785's UTF-16 order.
        encoded = (
            "{"
            + ",".join(f"{encode_basestring(k)}:{encode_basestring(v)}" for k, v in sorted(value.items()))
            + "}"
        )
    else:
        return canonical_json([path, value])
    return f"[{encode_basestring(path)},{encoded}]".encode()


def commitment(salt: bytes, path: str, value: Any) -> str:
    """``sha256(salt || RFC8785([path, value]))`` in hex."""
    return hashlib.sha256(salt + _canonical_pair(path, value)).hexdigest()


def sign_object(
    stix_object: Mapping[str, Any],
    key: SigningKey,
    *,
    salt_source: Callable[[int], bytes] = os.urandom,
) -> SignedObject:
    """Sign ``stix_object`` as its author. ``created_by_ref``, when present, must be the key's identity."""
    object_id = str(stix_object.get("id", ""))
    author = stix_object.get("created_by_ref")
    if author is not None and author != key.author_ref:
        raise ValidationFailed(
            [FieldError(("created_by_ref",), f"{author} is not the signer's identity {key.author_ref}")]
        )
    if not object_id or "type" not in stix_object:
        raise ValidationFailed([FieldError(("id",), "a signed object needs an id and a type")])
    fields = object_fields(stix_object)
    salts = {path: salt_source(SALT_BYTES) for path in fields}
    header = SignedHeader(
        object_id=object_id,
        object_type=str(stix_object["type"]),
        spec_version=str(stix_object.get("spec_version", "2.1")),
        version=object_version(stix_object),
        author_ref=key.author_ref,
        key_id=key.key_id,
        commitments=tuple(sorted(commitment(salts[path], path, value) for path, value in fields.items())),
    )
    return SignedObject(
        stix=assemble_object(stix_object, fields),
        header=header,
        salts={path: salt.hex() for path, salt in salts.items()},
        signature=encode_b64url(key.sign(header.message())),
    )


def disclose(signed: SignedObject, keep: Iterable[str]) -> SignedObject:
    """The same signed object with only the fields in ``keep``; the author's signature stays valid."""
    redacted = assemble_object(signed.stix, keep)
    paths = object_fields(redacted)
    return SignedObject(
        stix=redacted,
        header=signed.header,
        salts={path: signed.salts[path] for path in paths if path in signed.salts},
        signature=signed.signature,
    )


def verify_object(signed: SignedObject, keyring: Keyring) -> dict[str, Any]:
    """Check key, author, signature and every disclosed field; raise :class:`SignedObjectInvalid`.

    Returns the object's disclosed fields (path -> value, :func:`object_fields`), every one of them
    checked against its commitment, so a caller that needs them does not walk the object again.
    A value that has no canonical form (a lone surrogate, an integer beyond 2^53, NaN) cannot
    match a commitment: the object is refused (``format``), never an error of the caller's."""
    header, stix = signed.header, signed.stix
    object_id = header.object_id
    expected = {
        "id": header.object_id,
        "type": header.object_type,
        "spec_version": header.spec_version,
    }
    for prop, value in expected.items():
        if stix.get(prop) != value:
            raise SignedObjectInvalid(
                object_id, "header", f"{prop} {stix.get(prop)!r} differs from the signed {value!r}"
            )
    if object_version(stix) != header.version:
        raise SignedObjectInvalid(
            object_id,
            "header",
            f"version {object_version(stix)!r} differs from the signed {header.version!r}",
        )
    key = keyring.get(header.key_id)
    if key is None:
        raise SignedObjectInvalid(
            object_id, "unknown-key", f"key {header.key_id} is not registered for any partner"
        )
    if key.author_ref != header.author_ref:
        raise SignedObjectInvalid(
            object_id, "author", f"key {header.key_id} belongs to {key.author_ref}, not {header.author_ref}"
        )
    created_by = stix.get("created_by_ref")
    if created_by is not None and created_by != header.author_ref:
        raise SignedObjectInvalid(object_id, "author", f"created_by_ref {created_by} is not the signer")
    try:
        signature = decode_b64url(signed.signature)
    except ValueError as error:
        raise SignedObjectInvalid(object_id, "signature", "signature is not base64url") from error
    try:
        message = header.message()
    except ValueError as error:  # a lone surrogate in the header cannot be UTF-8 encoded
        raise SignedObjectInvalid(object_id, "format", "the signed header has no canonical form") from error
    if not key.verifies(signature, message):
        raise SignedObjectInvalid(
            object_id, "signature", f"Ed25519 signature does not verify under key {key.key_id}"
        )
    committed = frozenset(header.commitments)
    fields = object_fields(stix)
    salts = signed.salts
    for path in salts:
        if path not in fields:
            raise SignedObjectInvalid(
                object_id, "field", f"a salt is given for {path!r}, which is not disclosed"
            )
    sha256, from_hex, encode = hashlib.sha256, bytes.fromhex, encode_basestring
    for path, value in fields.items():
        salt_text = salts.get(path)
        if salt_text is None:
            raise SignedObjectInvalid(
                object_id, "field", f"field {path!r} is not covered by the author's signature"
            )
        try:
            salt = from_hex(salt_text)
        except ValueError as error:
            raise SignedObjectInvalid(object_id, "field", f"salt of {path!r} is not hex") from error
        try:
            # A string (most fields) written here as _canonical_pair writes it, without the call.
            pair = (
                ("[" + encode(path) + "," + encode(value) + "]").encode()
                if type(value) is str
                else _canonical_pair(path, value)
            )
        except ValueError as error:  # rfc8785's errors and UnicodeEncodeError are ValueErrors
            raise SignedObjectInvalid(
                object_id, "format", f"field {path!r} has no canonical JSON form: {error}"
            ) from error
        if sha256(salt + pair).hexdigest() not in committed:
            raise SignedObjectInvalid(
                object_id, "field", f"field {path!r} was altered after the author signed it"
            )
    return fields
