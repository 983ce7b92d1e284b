"""The demo installs real lists from the shared data and its planted sellers show screening hits."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.demo import screening as demo_screening
from supplyguard.demo.world import generate_world
from supplyguard.services.declarations import get_declaration
from supplyguard.services.import_formats import RowInput
from supplyguard.services.imports import import_declarations
from tests.conftest import require_shared
from tests.factories import admin_principal, make_org

ORG = "Netherlands Customs (demo)"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_planted_sellers_hit_their_sdn_entries(container) -> None:  # type: ignore[no-untyped-def]
    require_shared("screening", "ofac", "sdn-2021-07")
    world = generate_world(declarations_total=40)
    org = make_org(container, name=ORG)
    operator = admin_principal(org)
    rows = [RowInput(n, d) for n, d in enumerate(world.declarations[ORG], start=1)]
    import_declarations(
        container.uow(), container.clock, container.refdata, container.signer, operator, rows, source="demo"
    )
    steps: list[str] = []
    demo_screening.load_screening(container, operator, world, ORG, steps.append)
    assert any("installed ofac-sdn" in s for s in steps) and any("installed un-sc" in s for s in steps)
    with container.uow(readonly=True) as uow:
        ids = uow.declarations.ids_for_references(org.id, ["NLSCREEN01", "NLSCREEN02", "NLSCREEN03"])
    expected = {
        "NLSCREEN01": "DANDONG HONGXIANG INDUSTRIAL DEVELOPMENT CO LTD",
        "NLSCREEN02": "ROSOBORONEKSPORT OAO",
        "NLSCREEN03": "ISLAMIC REPUBLIC OF IRAN SHIPPING LINES",
    }
    for reference, entity in expected.items():
        view = get_declaration(container.uow(), container.clock, operator, ids[reference])
        seller_hits = [h for h in view.screening_hits if h["role"] == "seller"]
        assert seller_hits and seller_hits[0]["entity_name"] == entity, (reference, seller_hits)
        assert "ofac-sdn" in {h["list"] for h in seller_hits} and seller_hits[0]["why"]
        assert any(r.startswith("screening:") for r in view.risk_reasons)

    # a second organisation reuses the installed lists
    again: list[str] = []
    demo_screening.load_screening(container, operator, world, ORG, again.append)
    assert not any("installed" in s for s in again)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_shared_data_the_demo_says_so(container, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo_screening, "shared_screening_data", lambda: None)
    org = make_org(container, name=ORG)
    steps: list[str] = []
    demo_screening.load_screening(
        container, admin_principal(org), generate_world(declarations_total=10), ORG, steps.append
    )
    assert steps == [f"{ORG}: no ../shared/data/screening here: sanctions lists not installed, not screened"]
    assert not Path(container.settings.lists_dir).exists() or not any(
        Path(container.settings.lists_dir).iterdir()
    )
