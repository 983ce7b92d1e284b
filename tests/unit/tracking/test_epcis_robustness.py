"""Arbitrary input never crashes capture: it is accepted or refused with ValidationFailed."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import parse_epcis_document

from .factories import document, object_event

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "eventTime", "epcList", "quantityList", "bizTransactionList", "sourceList", "readPoint",
    "sensorElementList", "persistentDisposition", "ilmd", "ex:ext", "parentID", "action", "bizStep",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=4))
def test_arbitrary_field_values_are_accepted_or_refused(fields: dict[str, Any]) -> None:
    data = json.dumps(document(object_event(**fields))).encode()
    try:
        parsed = parse_epcis_document(data)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        assert parsed.events[0].event_hash.startswith("ni:///sha-256;")
        return
    assert errors


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with contextlib.suppress(ValidationFailed):
        parse_epcis_document(data)
