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
from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource, apply_signals, escalate, reason_text


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


_MODEL_LANE_WORDS: tuple[tuple[str, Lane], ...] = (
    # the lane decisions the scorers write (risk/selection.py at rescore, risk/intake.py at intake)
    ("red lane forced", Lane.RED),
    ("yellow lane forced", Lane.YELLOW),
    ("green lane forced", Lane.GREEN),
    ("within red capacity", Lane.RED),
    ("exploration pick", Lane.RED),
    ("red slot", Lane.RED),
    ("within document-check capacity", Lane.YELLOW),
    ("yellow slot", Lane.YELLOW),
    ("below today's capacity", Lane.GREEN),
    ("inspection capacity is used up", Lane.GREEN),
    ("below the document-check line", Lane.GREEN),
)
_SIGNAL_PREFIXES = tuple(f"{source.value}: " for source in SignalSource)


def model_lane(reasons: Sequence[str]) -> Lane | None:
    """The lane the scorer itself gave, read from its lane decision among the reasons (signals'
    reasons skipped); None when the declaration carries no model decision (never scored)."""
    for reason in reasons:
        if reason.startswith(_SIGNAL_PREFIXES):
            continue
        for words, lane in _MODEL_LANE_WORDS:
            if words in reason:
                return lane
    return None


def withdraw_signals(uow: SqlUnitOfWork, source: SignalSource, ref: str) -> int:
    """Withdraw the signals ``(source, ref)`` from every open declaration (what raised them was
    deleted or revoked); returns how many declarations changed. Call inside an open unit of work.

    Each declaration's state is recomputed from what remains:

    * priority: the withdrawn weight is subtracted;
    * reasons: the withdrawn signal's reason is removed (unless a remaining signal gives the same);
    * lane: a signal only ever raised the lane to its own floor (``min_lane``). So the lane is
      lowered only when the withdrawn signal had a floor and the lane is exactly that floor, and
      then only down to the highest of the model's own lane decision (kept in the reasons) and the
      floors of the remaining signals; with neither (never scored, no other signal) it goes back
      to unscored. A lane above the withdrawn floor was put there by something else and stays.
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
            floor: str | None = None
            model = model_lane(reasons)
            if model is not None:
                floor = model.value
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
