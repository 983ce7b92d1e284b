"""Node request signatures (RFC 9421 profile): sign, parse, verify, and each refusal named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supplyguard.sharing import SigningKey, stix_id
from supplyguard.sharing.requests import (
    RequestSignatureInvalid,
    content_digest,
    parse_request_signature,
    sign_request,
    signature_base,
    verify_request,
)

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
KEY = SigningKey.generate("customs-b", stix_id("identity", "node/customs-b"))
PATH = "/v1/taxii2/api/collections/c/objects/"


def headers(**overrides: object) -> dict[str, str]:
    args: dict[str, object] = {
        "method": "GET",
        "path": PATH,
        "query": "limit=10",
        "body": b"",
        "created": NOW,
    }
    args.update(overrides)
    signed = sign_request(KEY, **args)  # type: ignore[arg-type]
    return {name.lower(): value for name, value in signed.items()}


def check(received: dict[str, str], **overrides: object) -> None:
    args: dict[str, object] = {
        "method": "GET",
        "path": PATH,
        "query": "limit=10",
        "body": b"",
        "now": NOW,
        "max_skew_s": 300,
    }
    args.update(overrides)
    verify_request(parse_request_signature(received), KEY.public_key_raw, **args)  # type: ignore[arg-type]


def refusal(received: dict[str, str], **overrides: object) -> str:
    with pytest.raises(RequestSignatureInvalid) as error:
        check(received, **overrides)
    return error.value.check


def test_a_signed_request_verifies_and_names_its_signer_and_nonce() -> None:
    received = headers()
    check(received)
    parsed = parse_request_signature(received)
    assert parsed.keyid == "customs-b" and parsed.created == int(NOW.timestamp()) and len(parsed.nonce) >= 16
    assert received["content-digest"] == content_digest(b"")
    assert parse_request_signature(headers()).nonce != parsed.nonce  # a fresh nonce each time


def test_the_signature_base_follows_rfc_9421() -> None:
    base = signature_base("get", "/p", "a=1", "sha-256=:x:", '("@method");created=1')
    assert base.decode().splitlines() == [
        '"@method": GET',
        '"@path": /p',
        '"@query": ?a=1',
        '"content-digest": sha-256=:x:',
        '"@signature-params": ("@method");created=1',
    ]


def test_any_change_to_method_path_query_or_body_breaks_the_signature() -> None:
    received = headers()
    assert refusal(received, method="POST") == "signature"
    assert refusal(received, path=PATH + "x/") == "signature"
    assert refusal(received, query="limit=1000") == "signature"
    assert refusal(received, body=b"{}") == "digest"
    del received["content-digest"]
    assert refusal(received, body=b"{}") == "signature"


def test_forged_and_wrong_key_signatures_are_refused() -> None:
    other = SigningKey.generate("customs-b", KEY.author_ref)
    signed = {
        k.lower(): v
        for k, v in sign_request(
            other, method="GET", path=PATH, query="limit=10", body=b"", created=NOW
        ).items()
    }
    assert refusal(signed) == "signature"
    forged = headers()
    forged["signature"] = "sg=:" + "A" * 86 + "==:"
    assert refusal(forged) == "signature"


def test_stale_and_future_times_are_refused() -> None:
    assert refusal(headers(created=NOW - timedelta(seconds=301))) == "stale"
    assert refusal(headers(created=NOW + timedelta(seconds=301))) == "stale"
    check(headers(created=NOW - timedelta(seconds=299)))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.pop("signature"),
        lambda h: h.update({"signature-input": h["signature-input"].replace('"@query" ', "")}),
        lambda h: h.update({"signature-input": h["signature-input"].replace("sg=", "other=")}),
        lambda h: h.update({"signature-input": h["signature-input"].replace('alg="ed25519"', 'alg="hmac"')}),
        lambda h: h.update(
            {"signature-input": h["signature-input"].replace('keyid="customs-b"', 'keyid=""')}
        ),
        lambda h: h.update({"signature": "sg=:not base64!:"}),
    ],
)
def test_malformed_headers_are_refused_before_any_crypto(mutate: object) -> None:
    received = headers()
    mutate(received)  # type: ignore[operator]
    with pytest.raises(RequestSignatureInvalid) as error:
        parse_request_signature(received)
    assert error.value.check in {"missing", "format"}
