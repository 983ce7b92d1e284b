"""Raise a declaration's risk from outside the model: screening hits, partner intel, tracking alerts.

Other services call :func:`raise_signal` inside their own unit of work, in the same transaction as
what caused it (the alert, the ingested object), so a signal is never lost or left half-applied.
The signal is stored (one per declaration, source and ref: raising it again changes nothing), and
the declaration's priority, lane and reasons are updated at once; a later rescore applies the stored
signals again (:func:`supplyguard.risk.signals.apply_signals`), so it never forgets them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from supplyguard.adapters.db.risk_repo import StoredSignal
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import DeclarationNotFound
from supplyguard.risk.signals import RiskSignal, apply_signals


def raise_signal(
    uow: SqlUnitOfWork, org_id: uuid.UUID, declaration_id: uuid.UUID, signal: RiskSignal, now: datetime
) -> bool:
    """Store ``signal`` on the declaration and apply it; False when it was already there.

    Call inside an open unit of work (``with uow:``); the caller commits. The declaration must
    belong to ``org_id``: a signal never crosses organisations.
    """
    state = uow.risk.risk_state(declaration_id)
    if state is None or state[0] != org_id:
        raise DeclarationNotFound(declaration_id)
    if uow.risk.has_signal(declaration_id, signal.source, signal.ref):
        return False
    uow.risk.add_signal(org_id, declaration_id, signal, now)
    _org, priority, lane, reasons = state
    updated = apply_signals(priority, lane, reasons, [signal])
    uow.risk.set_risk_state(declaration_id, updated.priority, updated.lane, updated.reasons)
    return True


def signals_of(
    uow: SqlUnitOfWork, declaration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StoredSignal]]:
    """Stored signals per declaration (inside an open unit of work)."""
    return uow.risk.signals_for(declaration_ids)
