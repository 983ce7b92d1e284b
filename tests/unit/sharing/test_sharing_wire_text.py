"""The stored JSON text of a shared object is what ``json.dumps`` writes (compact, non-ASCII kept)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.adapters.db.sharing_repo import _wire_text

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
    assert json.loads(_wire_text(wire)) == json.loads(_dumps(wire))


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
    assert _wire_text(wire) == _dumps(wire)


def test_a_value_json_cannot_write_still_raises() -> None:
    with pytest.raises(TypeError):
        _wire_text({"a": object()})
