"""The stored JSON text of a shared object is what ``json.dumps`` writes (compact, non-ASCII kept),
and a sync page is read as ``json.loads`` reads it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.adapters.db.sharing_repo import wire_text
from supplyguard.services.sharing_sync import parse_page

_SCALARS = st.none() | st.booleans() | st.integers() | st.text()
_VALUES = st.recursive(
    _SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=6))
def test_wire_text_reads_back_as_the_same_object(wire: dict[str, Any]) -> None:
    assert json.loads(wire_text(wire)) == json.loads(_dumps(wire))


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            _SCALARS,
            lambda inner: (
                st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=20,
        ),
        max_size=6,
    )
)
def test_wire_text_without_floats_is_the_text_json_dumps_writes(wire: dict[str, Any]) -> None:
    assert wire_text(wire) == _dumps(wire)


def test_a_value_json_cannot_write_still_raises() -> None:
    with pytest.raises(TypeError):
        wire_text({"a": object()})


@given(_VALUES, st.booleans())
def test_a_page_is_read_as_json_loads_reads_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps({"more": False, "objects": [value]}, ensure_ascii=ascii_only).encode()
    assert parse_page(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        b'{"objects":[{"name":"signed","name":"last wins"}]}',
        b'{"objects":[{"name":"\\ud800 lone surrogate"}]}',
        b'{"objects":[{"n":123456789012345678901234567890,"x":1e400,"y":-0.0}]}',
    ],
    ids=["duplicate keys", "lone surrogate escape", "numbers"],
)
def test_a_page_reads_the_odd_cases_as_json_loads_does(text: bytes) -> None:
    assert parse_page(text) == json.loads(text)


def test_a_page_that_is_not_json_raises_as_json_loads_does() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_page(b'{"objects":[1,2,]}')
