"""Signals from screening, intel and tracking raise a declaration's risk, once, on both backends."""

from __future__ import annotations

import pytest

from supplyguard.errors import DeclarationNotFound
from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.risk_signals import raise_signal, signals_of
from tests.factories import admin_principal, declaration_data, make_org


def _declare(container, org, reference):  # type: ignore[no-untyped-def]
    return submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        declaration_data(reference),
    )


def test_a_signal_raises_priority_escalates_the_lane_and_is_stored_once(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declaration = _declare(container, org, "SIG-1")
    seal = RiskSignal(
        SignalSource.TRACKING, "alert-1", "seal_opened", 0.4, "seal opened at sea on MSCU1234565", Lane.RED
    )
    uow = container.uow()
    with uow:
        assert raise_signal(uow, org.id, declaration.id, seal, container.clock.now())
        assert not raise_signal(uow, org.id, declaration.id, seal, container.clock.now())  # same ref
        uow.commit()
    intel = RiskSignal(
        SignalSource.INTEL, "indicator--1", "party_match", 0.25, "importer on partner watch list"
    )
    uow = container.uow()
    with uow:
        raise_signal(uow, org.id, declaration.id, intel, container.clock.now())
        uow.commit()
    with container.uow(readonly=True) as uow:
        _org, priority, lane, reasons = uow.risk.risk_state(declaration.id)
        stored = signals_of(uow, [declaration.id])[declaration.id]
    assert priority == pytest.approx(0.65)
    assert lane == "red"  # escalated by the seal, not lowered by the intel signal
    assert reasons[:2] == [
        "intel: importer on partner watch list",
        "tracking: seal opened at sea on MSCU1234565",
    ]
    assert [s.signal for s in stored] == [seal, intel]


def test_a_signal_never_crosses_organisations(container) -> None:  # type: ignore[no-untyped-def]
    mine = make_org(container, name="Customs A")
    theirs = make_org(container, name="Customs B", country="DE")
    declaration = _declare(container, theirs, "SIG-2")
    signal = RiskSignal(SignalSource.INTEL, "x", "party_match", 0.1, "watch list")
    uow = container.uow()
    with uow, pytest.raises(DeclarationNotFound):
        raise_signal(uow, mine.id, declaration.id, signal, container.clock.now())
    with container.uow(readonly=True) as uow:
        assert signals_of(uow, [declaration.id]) == {}
