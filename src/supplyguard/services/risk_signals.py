"""Raise a declaration's risk from outside the model: screening hits, partner intel, tracking alerts.

Other services call :func:`raise_signal` inside their own unit of work, in the same transaction as
what caused it (the alert, the ingested object), so a signal is never lost or left half-applied.
The signal is stored (one per declaration, source and ref: raising it again changes nothing), and
the declaration's priority, lane and reasons are updated at once; a later rescore applies the stored
signals again (:func:`supplyguard.risk.signals.apply_signals`), so it never forgets them.
:func:`withdraw_signals` takes signals back from open declarations when what raised them is
withdrawn (a partner's signed deletion or revocation of the intelligence).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from supplyguard.adapters.db.risk_repo import StoredSignal
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import DeclarationNotFound
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import ALLOWED_ROLES, Action
from supplyguard.risk.signals import (
    RiskSignal,
    SignalSource,
    apply_signals,
    escalate,
    is_intel_reason,
    reason_text,
)


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


def withdraw_signals(uow: SqlUnitOfWork, source: SignalSource, ref: str) -> int:
    """Withdraw the signals ``(source, ref)`` from every open declaration (what raised them was
    deleted or revoked); returns how many declarations changed. Call inside an open unit of work.

    Each declaration's state is recomputed from what remains:

    * priority: the withdrawn weight is subtracted;
    * reasons: the withdrawn signal's reason is removed (unless a remaining signal gives the same);
    * lane: a signal only ever raised the lane to its own floor (``min_lane``). So the lane is
      lowered only when the withdrawn signal had a floor and the lane is exactly that floor, and
      then only down to the highest of the model's own lane decision (``declarations.model_lane``,
      saved with each assessment) and the floors of the remaining signals; with neither (never
      scored, no other signal) it goes back to unscored. A lane above the withdrawn floor was put
      there by something else and stays.
      The model's decision ranked the priority with the withdrawn weight included; the next
      rescore ranks it without (lanes within capacity are only re-ranked by a rescore).

    Declarations with an inspection outcome keep their signals: they record what was known when
    the declaration was decided.
    """
    changed = 0
    for signal_id, declaration_id, withdrawn in uow.risk.open_signals_with_ref(source, ref):
        state = uow.risk.risk_state(declaration_id)
        uow.risk.delete_signal(signal_id)
        if state is None:
            continue
        _org, priority, lane, reasons = state
        remaining = [s.signal for s in uow.risk.signals_for([declaration_id]).get(declaration_id, [])]
        # a signal on an unscored declaration gave it a priority of its weight (apply_signals)
        left = round((priority or 0.0) - withdrawn.weight, 12)
        kept = {reason_text(s) for s in remaining}
        gone = reason_text(withdrawn)
        reasons = [r for r in reasons if r != gone or r in kept]
        if withdrawn.min_lane is not None and lane == withdrawn.min_lane.value:
            model = uow.risk.model_lane(declaration_id)
            floor: str | None = model.value if model is not None else None
            for other in remaining:
                floor = escalate(floor, other.min_lane)
            lane = floor
        uow.risk.set_risk_state(declaration_id, left, lane, reasons)
        changed += 1
    return changed


def signals_of(
    uow: SqlUnitOfWork, declaration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StoredSignal]]:
    """Stored signals per declaration (inside an open unit of work)."""
    return uow.risk.signals_for(declaration_ids)


def reasons_for_reader(reader: Principal, reasons: Sequence[str]) -> tuple[str, ...]:
    """The reasons ``reader`` may see: intelligence received under sharing agreements is for those
    who may read shared intelligence (customs and risk staff, auditors); for anyone else (logistics,
    partners) reasons that show it are left out, without a trace that something was left out."""
    if reader.roles & ALLOWED_ROLES[Action.SHARING_READ]:
        return tuple(reasons)
    return tuple(reason for reason in reasons if not is_intel_reason(reason))
