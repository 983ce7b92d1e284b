"""Re-screening when the lists change: open declarations' parties screened again, hits added and
removed stored as a run, false positives remembered, a new hit raises the declaration's risk."""

from __future__ import annotations

from typing import Any

from supplyguard.adapters.db.screening_repo import ScreeningRepository
from supplyguard.screening import EntityKind, ListEntry, Screener
from supplyguard.services.declarations import record_outcome, submit_declaration
from supplyguard.services.screening import mark_false_positive, rescreen_org, runs_of
from tests.factories import admin_principal, declaration_data, make_org

MELLI = ListEntry("test-sdn", "101", EntityKind.ORGANISATION, "BANK MELLI IRAN", countries=("IR",))
OTHER = ListEntry("test-sdn", "202", EntityKind.PERSON, "IVANOV, Sergei Borisovich")
LISTS = {"test-sdn": {"sha256": "x", "list_date": "2026-12-01", "source": "test"}}


def _declare(container, org, reference: str, seller: dict[str, str]):  # type: ignore[no-untyped-def]
    return submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        declaration_data(reference, seller=seller),
    )


def _hits(container, org, party_code: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with container.uow(readonly=True) as uow:
        repo = ScreeningRepository(uow.connection)
        party_ids = {p.code: p.party_id for p in repo.open_parties(org.id)}
        return repo.hits_for(org.id, [party_ids[party_code]])


def test_a_list_change_rescreens_open_declarations_and_stores_what_changed(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    admin = admin_principal(org)
    declared = _declare(container, org, "RS-1", {"code": "S-1", "name": "Bank Meli Iran", "country": "IR"})
    closed = _declare(container, org, "RS-2", {"code": "S-2", "name": "Sergei Ivanov"})
    record_outcome(
        container.uow(), container.clock, container.signer, admin, closed.id, inspected=False, result=None
    )
    first = Screener.build([OTHER])  # the list in force at first: Bank Melli is not on it
    report = rescreen_org(
        container.uow(), container.clock, first, org.id, trigger="lists import", actor=admin, lists=LISTS
    )
    # the closed declaration's seller is not screened; the importer and the open seller are
    assert report.parties == 2 and report.added == [] and report.removed == []

    second = Screener.build([OTHER, MELLI])  # a new version lists the bank
    report = rescreen_org(
        container.uow(), container.clock, second, org.id, trigger="lists update", actor=admin, lists=LISTS
    )
    assert [(h["party"], h["list"], h["entity_id"]) for h in report.added] == [("S-1", "test-sdn", "101")]
    assert "BANK MELLI IRAN" in report.added[0]["why"]
    hits = _hits(container, org, "S-1")
    assert [(h["entity_id"], h["status"]) for h in hits] == [("101", "open")]
    with container.uow(readonly=True) as uow:
        _org, priority, lane, reasons = uow.risk.risk_state(declared.id)
        assert uow.risk.risk_state(closed.id)[3] in (None, [])
    assert lane in ("yellow", "red") and priority is not None and priority > 0
    assert any("now matches test-sdn 101" in r for r in reasons)

    mark_false_positive(
        container.uow(), container.clock, container.signer, admin, hits[0]["id"], "bank branch"
    )
    again = rescreen_org(
        container.uow(), container.clock, second, org.id, trigger="manual", actor=admin, lists=LISTS
    )
    assert again.added == [] and again.removed == []
    assert [h["status"] for h in _hits(container, org, "S-1")] == ["false_positive"]

    third = Screener.build([OTHER])  # delisted
    gone = rescreen_org(
        container.uow(), container.clock, third, org.id, trigger="lists update", actor=admin, lists=LISTS
    )
    assert [(h["party"], h["entity_id"]) for h in gone.removed] == [("S-1", "101")]
    assert _hits(container, org, "S-1") == []

    runs = runs_of(container.uow(readonly=True), admin)
    assert [r["trigger"] for r in runs] == ["lists update", "manual", "lists update", "lists import"]
    assert [(r["hits_added"], r["hits_removed"]) for r in runs] == [(0, 1), (0, 0), (1, 0), (0, 0)]
    detail = runs_of(container.uow(readonly=True), admin, runs[2]["id"])[0]
    assert [(c["change"], c["entity_id"], c["query_name"]) for c in detail["changes"]] == [
        ("added", "101", "Bank Meli Iran")
    ]


def test_runs_and_hits_stay_within_the_organisation(container) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from supplyguard.errors import ScreeningRunNotFound

    mine = make_org(container, name="Customs A")
    theirs = make_org(container, name="Customs B", country="DE")
    _declare(container, theirs, "RS-9", {"code": "S-9", "name": "Bank Melli Iran"})
    screener = Screener.build([MELLI])
    report = rescreen_org(
        container.uow(),
        container.clock,
        screener,
        mine.id,
        trigger="manual",
        actor=admin_principal(mine),
        lists=LISTS,
    )
    assert report.parties == 0 and report.added == []
    theirs_report = rescreen_org(
        container.uow(),
        container.clock,
        screener,
        theirs.id,
        trigger="manual",
        actor=admin_principal(theirs),
        lists=LISTS,
    )
    assert len(theirs_report.added) == 1
    with pytest.raises(ScreeningRunNotFound):
        runs_of(container.uow(readonly=True), admin_principal(mine), theirs_report.run_id)
