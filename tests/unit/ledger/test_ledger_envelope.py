from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.errors import VerificationFailed
from supplyguard.ledger import LeafEnvelope
from supplyguard.ledger.envelope import leaf_template, leaves_of
from supplyguard.model.canonical import canonical_json, canonical_sha256

BODY = "ab" * 32


def test_leaf_bytes_are_the_canonical_json_of_the_envelope() -> None:
    envelope = LeafEnvelope("declaration", "0190-id", "org-1", "2026-11-23T01:00:00.000000Z", BODY)
    assert envelope.to_bytes() == canonical_json(envelope.as_dict())
    assert envelope.to_bytes().startswith(b'{"body_sha256":"abab')


@given(st.text(min_size=1), st.text(min_size=1), st.text(), st.text())
def test_fast_path_agrees_with_rfc8785_for_any_text(kind: str, record_id: str, org: str, at: str) -> None:
    envelope = LeafEnvelope(kind, record_id, org, at, BODY)
    assert envelope.to_bytes() == canonical_json(envelope.as_dict())


def test_for_record_hashes_the_body_and_writes_utc() -> None:
    moment = datetime(2026, 11, 23, 1, 2, 3, 4, tzinfo=UTC)
    envelope = LeafEnvelope.for_record("outcome", 42, "org", moment, {"b": 1, "a": [1, 2]})
    assert envelope.recorded_at == "2026-11-23T01:02:03.000004Z"
    assert envelope.body_sha256 == canonical_sha256({"a": [1, 2], "b": 1})
    assert envelope.id == "42"


def test_round_trip_and_refusals() -> None:
    envelope = LeafEnvelope("k", "i\u00e9\n", "o", "t", BODY)
    assert LeafEnvelope.from_bytes(envelope.to_bytes()) == envelope
    with pytest.raises(VerificationFailed, match="not the canonical"):
        LeafEnvelope.from_bytes(envelope.to_bytes().replace(b",", b", "))
    with pytest.raises(VerificationFailed, match="exactly the fields"):
        LeafEnvelope.from_bytes(b'{"kind":"k"}')
    with pytest.raises(VerificationFailed, match="not JSON"):
        LeafEnvelope.from_bytes(b"\xff")
    with pytest.raises(ValueError, match="hex"):
        LeafEnvelope("k", "i", "o", "t", "XYZ")


@given(st.lists(st.tuples(st.text(min_size=1), st.text(min_size=1), st.text(), st.text()), max_size=8))
def test_batch_leaves_equal_one_by_one(fields: list[tuple[str, str, str, str]]) -> None:
    envelopes = [LeafEnvelope(kind, record_id, org, at, BODY) for kind, record_id, org, at in fields]
    assert leaves_of(envelopes) == [envelope.to_bytes() for envelope in envelopes]


def test_batch_leaves_of_plain_envelopes_are_canonical() -> None:
    envelopes = [
        LeafEnvelope("declaration", f"id-{n}", "org", "2026-12-06T00:00:00.000000Z", BODY) for n in range(3)
    ]
    assert leaves_of(envelopes) == [canonical_json(e.as_dict()) for e in envelopes]
    assert leaves_of([]) == []


@pytest.mark.parametrize("kind", ["declaration", "outcome", "tracking_event"])
def test_a_leaf_template_writes_the_envelopes_own_bytes(kind: str) -> None:
    org, at = str(uuid.uuid4()), "2026-12-06T16:30:00.123456Z"
    head, middle, tail = leaf_template(kind, org, at)
    for _ in range(20):
        record, body = str(uuid.uuid4()), os.urandom(32).hex()
        made = f"{head}{body}{middle}{record}{tail}".encode()
        assert made == LeafEnvelope(kind, record, org, at, body).to_bytes()
