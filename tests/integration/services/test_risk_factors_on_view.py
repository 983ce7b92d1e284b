"""Model factors at intake: worked out at once for the queue's lanes, on demand for green ones.

A green declaration keeps the feature vector the model saw; the page and the API work its factors
out from that vector with the model version that scored it, and store them.
"""

from __future__ import annotations

import html
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from supplyguard.adapters.db.declarations_repo import DeclarationFilter
from supplyguard.adapters.db.risk_factors_repo import PendingFactorsRepository
from supplyguard.api.app import create_app
from supplyguard.risk.explain import FACTORS_PENDING, FEATURE_LIST_SHA256, place_factors, unpack_features
from supplyguard.risk.features import FEATURE_NAMES
from supplyguard.risk.model import load_model
from supplyguard.risk.records import row_from_declaration
from supplyguard.risk.scoring import assess_vectors
from supplyguard.services.accounts import create_token
from supplyguard.services.declarations import get_declaration, list_declarations, record_outcome
from supplyguard.services.imports import import_declarations
from supplyguard.services.risk_intake import IntakeConfig, IntakeRisk
from tests.factories import make_user
from tests.integration.services.test_risk_intake import _kcs_rows, _node_with_model
from tests.integration.services.test_risk_intel_reasons import PASSWORD, _web_reasons


def _bulk_scored(container, rows: int = 60):  # type: ignore[no-untyped-def]
    """A node with a model, then ``rows`` unlabelled declarations bulk-imported and scored."""
    org, admin = _node_with_model(container, rows=600)
    risk = IntakeRisk(IntakeConfig(red_per_day=2, yellow_per_day=2, exploration_share=0.0))
    report = import_declarations(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        _kcs_rows(rows, skip=600, labels=False),
        source="test",
        risk=risk,
    )
    assert report.stored == rows
    with container.uow(readonly=True) as uow:
        scored = {
            d.id: uow.risk.risk_state(d.id)
            for d in uow.declarations.iter_all(org_id=org.id)
            if uow.declarations.get_outcome(d.id) is None
        }
    return org, admin, scored


def _pending(container, declaration_id: uuid.UUID):  # type: ignore[no-untyped-def]
    with container.uow(readonly=True) as uow:
        return PendingFactorsRepository(uow.connection).get(declaration_id)


def test_the_queue_lanes_get_factors_at_intake_and_green_ones_keep_their_vector(container) -> None:  # type: ignore[no-untyped-def]
    _org, _admin, scored = _bulk_scored(container)
    lanes = {state[2] for state in scored.values()}
    assert "green" in lanes and lanes & {"red", "yellow"}
    for declaration_id, (_o, _priority, lane, reasons) in scored.items():
        pending = _pending(container, declaration_id)
        if lane in ("red", "yellow"):
            assert FACTORS_PENDING not in reasons and pending is None
        else:
            assert FACTORS_PENDING in reasons and pending is not None
            assert pending.feature_list_sha256 == FEATURE_LIST_SHA256
            assert len(unpack_features(pending.features)) == len(FEATURE_NAMES)


def test_green_factors_on_view_equal_the_eager_ones_and_are_stored(container) -> None:  # type: ignore[no-untyped-def]
    org, admin, scored = _bulk_scored(container)
    greens = [i for i, state in scored.items() if state[2] == "green"]
    assert greens
    with container.uow(readonly=True) as uow:
        stored_model = uow.risk.active_model(org.id)
    model = load_model(stored_model.path)
    explained = 0
    for declaration_id in greens[:8]:
        pending = _pending(container, declaration_id)
        assert pending is not None and pending.model_version == model.version
        with container.uow(readonly=True) as uow:
            declaration = uow.declarations.get(org.id, declaration_id)
        row = row_from_declaration(declaration).without_labels()
        vector = unpack_features(pending.features).reshape(1, -1)
        eager = assess_vectors(model, [row], vector)[0]  # the eager route: SHAP in the same call
        explained += bool(eager.factors)
        before = scored[declaration_id][3]
        view = get_declaration(container.uow(), container.clock, admin, declaration_id)
        assert list(view.risk_reasons) == place_factors(before, [f.words for f in eager.factors])
        # stored: the next reader gets the same reasons from the row, and the vector is gone
        assert _pending(container, declaration_id) is None
        with container.uow(readonly=True) as uow:
            assert uow.risk.risk_state(declaration_id)[3] == list(view.risk_reasons)
        again = get_declaration(container.uow(), container.clock, admin, declaration_id)
        assert again.risk_reasons == view.risk_reasons
    assert explained  # not only declarations without a raising factor


def test_a_model_file_gone_from_disk_is_said_on_the_page_and_its_factors_come_back_with_it(
    container, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    org, admin, scored = _bulk_scored(container, rows=30)
    green = next(i for i, state in scored.items() if state[2] == "green")
    with container.uow(readonly=True) as uow:
        path = Path(uow.risk.active_model(org.id).path)
    make_user(container, org, "officer_p", ("officer",), PASSWORD)
    moved = tmp_path / "away.json"
    path.rename(moved)
    try:
        view = get_declaration(container.uow(), container.clock, admin, green)
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            page = _web_reasons(client, "officer_p", green)  # the declaration page, 200
    finally:
        moved.rename(path)
    missing = [r for r in view.risk_reasons if r.startswith("top model factors unavailable")]
    assert len(missing) == 1 and "is no longer on disk" in missing[0]
    assert html.escape(missing[0]) in page
    assert any(r.startswith("model probability") for r in view.risk_reasons)  # the score still explains
    assert _pending(container, green) is not None  # kept for a later try
    back = get_declaration(container.uow(), container.clock, admin, green)
    assert FACTORS_PENDING not in back.risk_reasons
    assert not any(r.startswith("top model factors unavailable") for r in back.risk_reasons)


def test_queue_outcome_and_api_work_with_factors_on_demand(container) -> None:  # type: ignore[no-untyped-def]
    org, admin, scored = _bulk_scored(container, rows=40)
    page = list_declarations(
        container.uow(), container.clock, admin, DeclarationFilter(has_outcome=False), limit=100
    )
    ranking = [row["score_key"] for row in page.items]
    assert len(page.items) == 40 and ranking == sorted(ranking, reverse=True)
    green = next(i for i, state in scored.items() if state[2] == "green")
    queued = next(i for i, state in scored.items() if state[2] in ("red", "yellow"))
    make_user(container, org, "officer_f", ("officer",))
    token = create_token(container.uow(), container.clock, None, "officer_f", "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        for declaration_id in (green, queued):
            got = client.get(
                f"/v1/declarations/{declaration_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert got.status_code == 200, got.text
            reasons = got.json()["risk_reasons"]
            assert FACTORS_PENDING not in reasons and any(r.startswith("model probability") for r in reasons)
            with container.uow(readonly=True) as uow:
                assert uow.risk.risk_state(declaration_id)[3] == reasons  # what the API showed is stored
    outcome = record_outcome(
        container.uow(), container.clock, container.signer, admin, green, inspected=True, result="compliant"
    )
    assert outcome.declaration_id == green
    view = get_declaration(container.uow(), container.clock, admin, green)
    assert view.outcome is not None and FACTORS_PENDING not in view.risk_reasons


def test_one_declaration_through_submit_follows_the_same_rule(container) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.services.test_risk_intake import _submit

    _org, admin = _node_with_model(container, rows=600)
    risk = IntakeRisk(IntakeConfig(red_per_day=0, yellow_per_day=0, exploration_share=0.0))
    declaration = _submit(container, admin, risk, "ONE-GREEN")  # no capacity: green
    with container.uow(readonly=True) as uow:
        _o, _p, lane, reasons = uow.risk.risk_state(declaration.id)
    assert lane == "green" and FACTORS_PENDING in reasons
    view = get_declaration(container.uow(), container.clock, admin, declaration.id)
    assert FACTORS_PENDING not in view.risk_reasons
    assert _pending(container, declaration.id) is None


def test_a_rescore_replaces_the_kept_vectors_and_its_green_factors_match_the_eager_ones(container) -> None:  # type: ignore[no-untyped-def]
    from supplyguard.services import risk_node

    org, admin, scored = _bulk_scored(container, rows=40)
    before = {i for i in scored if _pending(container, i) is not None}
    assert before
    summary = risk_node.score_open(
        container.uow(), container.clock, admin, red_per_day=1, yellow_per_day=0, exploration_share=0.0
    )
    assert summary.scored == len(scored)
    with container.uow(readonly=True) as uow:
        model = load_model(uow.risk.active_model(org.id).path)
        after = {i: uow.risk.risk_state(i) for i in scored}
    greens = [i for i, state in after.items() if state[2] == "green"]
    assert len(greens) > len(before) // 2  # one red a day now: most are green
    for declaration_id, state in after.items():
        pending = _pending(container, declaration_id)
        if state[2] == "green":
            # the rescore's own vector, not the intake's: the factors it gives are those of the rescore
            assert FACTORS_PENDING in state[3] and pending is not None
        else:
            assert FACTORS_PENDING not in state[3] and pending is None
    for declaration_id in greens[:5]:
        pending = _pending(container, declaration_id)
        assert pending is not None
        with container.uow(readonly=True) as uow:
            declaration = uow.declarations.get(org.id, declaration_id)
        row = row_from_declaration(declaration).without_labels()
        eager = assess_vectors(model, [row], unpack_features(pending.features).reshape(1, -1))[0]
        view = get_declaration(container.uow(), container.clock, admin, declaration_id)
        assert list(view.risk_reasons) == place_factors(
            after[declaration_id][3], [f.words for f in eager.factors]
        )
