from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from supplyguard.model.canonical import canonical_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_agrees_with_the_rfc8785_reference(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError):
        return
    assert canonical_json(value) == expected


def test_keys_are_sorted_and_whitespace_dropped() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()


names = (
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@given(names, names, st.floats(min_value=0, max_value=1e12, allow_nan=False), st.integers(0, 99))
def test_ledger_bodies_are_simple_so_the_fast_path_is_exact(
    importer: str, seller: str, value: float, n: int
) -> None:
    import uuid
    from datetime import UTC, date, datetime

    from supplyguard.model.canonical import _is_simple
    from supplyguard.model.declarations import (
        Declaration,
        DeclarationItem,
        InspectionOutcome,
        OutcomeResult,
        PartyRef,
        ledger_body,
        outcome_ledger_body,
    )

    now = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    item = DeclarationItem(
        n + 1, "420231", "RO", None, value / 3, value, 8.0, value * 0.08, "A", None, seller
    )
    declaration = Declaration(
        uuid.uuid4(),
        uuid.uuid4(),
        importer,
        date(2021, 1, 1),
        "40",
        "10",
        PartyRef(importer, seller, "NL"),
        (item,),
        now,
        seller=PartyRef(seller),
    )
    outcome = InspectionOutcome(declaration.id, True, OutcomeResult.FRAUD, value, importer, now, uuid.uuid4())
    for body in (ledger_body(declaration), outcome_ledger_body(outcome)):
        assert _is_simple(body)
        assert canonical_json(body, known_simple=True) == rfc8785.dumps(body)
