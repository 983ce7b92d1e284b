"""Node-to-node request signatures (a profile of RFC 9421 HTTP Message Signatures).

The calling node signs, with its Ed25519 node key (the one that signs its objects), the request
method, path, query and the SHA-256 of the body (``Content-Digest``, RFC 9530), a creation time and
a fresh nonce. Three headers travel with the request::

    Content-Digest: sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:
    Signature-Input: sg=("@method" "@path" "@query" "content-digest");created=1795248000;
                     nonce="7Gv...";keyid="customs-b";alg="ed25519"      (one line)
    Signature: sg=:base64 Ed25519 signature:

The signed bytes are the RFC 9421 signature base of exactly those components, in that order::

    "@method": GET
    "@path": /v1/taxii2/api/collections/.../objects/
    "@query": ?limit=500&next=MjA
    "content-digest": sha-256=:...:
    "@signature-params": ("@method" "@path" "@query" "content-digest");created=...;nonce="...";
                         keyid="...";alg="ed25519"                       (one line)

``keyid`` is the signer's node id; the receiver looks up that partner's pinned key (never a key
sent with the request). The receiver refuses a ``created`` time further than the allowed skew from
its own clock and a nonce it has already seen within that window (the nonce store is the
caller's: this module is pure). Every refusal is a :class:`RequestSignatureInvalid` naming the
check that failed:

========== ==============================================================
check      fails when
========== ==============================================================
missing    no Signature / Signature-Input headers where they are required
format     the headers do not parse, or cover other components than ours
digest     Content-Digest does not match the body received
stale      ``created`` is outside the allowed skew (old, or in the future)
unknown    ``keyid`` names no registered (active) partner
signature  the signature does not verify with the partner's key (forged,
           wrong key, or method, path, query or body changed)
signer     the signature is valid but from another partner than the token's
replay     the nonce was already used within the window
========== ==============================================================
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from supplyguard.errors import NotAuthenticated
from supplyguard.sharing.signing import SigningKey, encode_b64url

LABEL = "sg"
COMPONENTS = ("@method", "@path", "@query", "content-digest")
_COMPONENT_LIST = "(" + " ".join(f'"{c}"' for c in COMPONENTS) + ")"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_KEYID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_INPUT = re.compile(
    r"^(?P<label>[a-z][a-z0-9_-]{0,15})=(?P<params>\((?P<components>[^)]*)\)(?P<rest>(;[^;]+)*))$"
)
_PARAM = re.compile(r'^(?P<key>[a-z]+)=(?P<value>"[^"\\]*"|-?[0-9]{1,15})$')
_SIGNATURE = re.compile(r"^(?P<label>[a-z][a-z0-9_-]{0,15})=:(?P<value>[A-Za-z0-9+/=]{1,200}):$")


class RequestSignatureInvalid(NotAuthenticated):
    """A node-to-node request is unsigned, badly signed, stale or replayed (401); ``check`` says which."""

    title = "Request signature invalid"

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"node request signature refused ({check}): {detail}")
        self.check = check
        self.detail = detail


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value of a body: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def new_nonce() -> str:
    return encode_b64url(os.urandom(16))


def signature_params(keyid: str, created: int, nonce: str) -> str:
    return f'{_COMPONENT_LIST};created={created};nonce="{nonce}";keyid="{keyid}";alg="ed25519"'


def signature_base(method: str, path: str, query: str, digest: str, params: str) -> bytes:
    """The RFC 9421 signature base of our four components (``query`` without its leading ``?``)."""
    lines = (
        f'"@method": {method.upper()}',
        f'"@path": {path or "/"}',
        f'"@query": ?{query}',
        f'"content-digest": {digest}',
        f'"@signature-params": {params}',
    )
    return "\n".join(lines).encode("utf-8")


def sign_request(
    key: SigningKey,
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    created: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The three headers that sign one request as ``key.node_id``."""
    digest = content_digest(body)
    params = signature_params(key.node_id, int(created.timestamp()), nonce or new_nonce())
    signature = key.sign(signature_base(method, path, query, digest, params))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(signature).decode('ascii')}:",
    }


@dataclass(frozen=True, slots=True)
class RequestSignature:
    """A parsed request signature: who claims to sign, when, with which nonce, over which params."""

    keyid: str
    created: int
    nonce: str
    params: str
    signature: bytes
    digest_header: str | None


def has_signature(headers: Mapping[str, str]) -> bool:
    return "signature" in headers or "signature-input" in headers


def parse_request_signature(headers: Mapping[str, str]) -> RequestSignature:
    """Read the signature headers (case-insensitive ``headers``); strict about their form."""
    signature_input = headers.get("signature-input")
    signature_header = headers.get("signature")
    if not signature_input or not signature_header:
        raise RequestSignatureInvalid("missing", "send Signature-Input and Signature headers")
    found = _INPUT.match(signature_input.strip())
    sig = _SIGNATURE.match(signature_header.strip())
    if found is None or sig is None:
        raise RequestSignatureInvalid("format", "Signature-Input or Signature is not of the documented form")
    if found["label"] != sig["label"]:
        raise RequestSignatureInvalid("format", "Signature and Signature-Input labels differ")
    if "(" + found["components"] + ")" != _COMPONENT_LIST:
        raise RequestSignatureInvalid("format", f"the signature must cover exactly {_COMPONENT_LIST}")
    params: dict[str, str] = {}
    for part in found["rest"].split(";")[1:]:
        param = _PARAM.match(part)
        if param is None or param["key"] in params:
            raise RequestSignatureInvalid("format", f"bad or repeated signature parameter {part[:40]!r}")
        params[param["key"]] = param["value"].strip('"')
    if params.get("alg", "ed25519") != "ed25519":
        raise RequestSignatureInvalid("format", "alg must be ed25519")
    keyid, nonce, created = params.get("keyid", ""), params.get("nonce", ""), params.get("created", "")
    if not _KEYID.match(keyid) or not _NONCE.match(nonce) or not re.fullmatch(r"[0-9]{1,15}", created):
        raise RequestSignatureInvalid("format", "keyid (a node id), nonce (16-64 url-safe chars) and created")
    try:
        raw = base64.b64decode(sig["value"], validate=True)
    except ValueError as error:
        raise RequestSignatureInvalid("format", "the signature is not base64") from error
    return RequestSignature(keyid, int(created), nonce, found["params"], raw, headers.get("content-digest"))


def verify_request(
    parsed: RequestSignature,
    public_key_raw: bytes,
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    now: datetime,
    max_skew_s: int,
) -> None:
    """Check digest, time window and signature; the nonce is left to the caller's store."""
    digest = content_digest(body)
    if parsed.digest_header is not None and parsed.digest_header.strip() != digest:
        raise RequestSignatureInvalid("digest", "Content-Digest does not match the body received")
    skew = abs(int(now.timestamp()) - parsed.created)
    if skew > max_skew_s:
        raise RequestSignatureInvalid(
            "stale", f"created {skew} s away from this node's clock (at most {max_skew_s} s allowed)"
        )
    if len(parsed.signature) != 64:
        raise RequestSignatureInvalid("signature", "not a 64-byte Ed25519 signature")
    message = signature_base(method, path, query, digest, parsed.params)
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(parsed.signature, message)
    except InvalidSignature as error:
        raise RequestSignatureInvalid(
            "signature", f"does not verify with the key registered for {parsed.keyid}"
        ) from error
