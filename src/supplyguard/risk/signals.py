"""Signals from outside the model that raise a declaration's risk: screening, partner intel, tracking.

A signal arrives after a declaration was scored (an alert on its container at sea, a partner's
seizure report naming its importer) or at intake. It adds its weight to the ranking priority, can
escalate the lane (applying a signal never lowers it), and puts its reason in words in front of the
officer. The same function applies stored signals when the queue is rescored, so a rescore never
forgets them. Only withdrawing a signal (its intelligence deleted or revoked by the author:
``services.risk_signals.withdraw_signals``) can bring a lane back down, no lower than the model's own
decision and the remaining signals allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from supplyguard.model.declarations import Lane


class SignalSource(StrEnum):
    SCREENING = "screening"
    INTEL = "intel"
    TRACKING = "tracking"


_LANE_RANK = {Lane.GREEN.value: 0, Lane.YELLOW.value: 1, Lane.RED.value: 2}


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """One reason from outside the model to look harder at a declaration.

    ``ref`` names what raised it (an alert id, an intelligence object id, a screening hit id); a
    declaration holds at most one signal per (source, ref). ``weight`` (0..1) is added to the
    ranking priority; ``min_lane``, when set, is the lowest lane the declaration may stay in.
    """

    source: SignalSource
    ref: str
    kind: str
    weight: float
    reason: str
    min_lane: Lane | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"signal weight {self.weight} is outside [0, 1]")
        if not self.ref or not self.kind or not self.reason:
            raise ValueError("a signal needs a ref, a kind and a reason")


@dataclass(frozen=True, slots=True)
class SignalledRisk:
    priority: float
    lane: str | None
    reasons: list[str]


def escalate(lane: str | None, floor: Lane | None) -> str | None:
    """The higher of ``lane`` and ``floor`` (an unscored declaration takes the floor)."""
    if floor is None:
        return lane
    if lane is None or _LANE_RANK.get(lane, -1) < _LANE_RANK[floor.value]:
        return floor.value
    return lane


def reason_text(signal: RiskSignal) -> str:
    return f"{signal.source.value}: {signal.reason}"


#: Words that show partner intelligence in a declaration's reasons: an intel signal's own reason,
#: the model factor that counts intel reports (risk/explain.py) and a rule that tested them.
_INTEL_WORDS = (f"{SignalSource.INTEL.value}: ", "partner intelligence report", "intel_signals")


def is_intel_reason(reason: str) -> bool:
    """Whether ``reason`` shows partner intelligence (held under sharing agreements, for readers
    who may read shared intelligence only)."""
    return reason.startswith(_INTEL_WORDS[0]) or any(words in reason for words in _INTEL_WORDS[1:])


def apply_signals(
    priority: float | None, lane: str | None, reasons: Iterable[str], signals: Iterable[RiskSignal]
) -> SignalledRisk:
    """The declaration's priority, lane and reasons once ``signals`` are taken into account.

    Signals' reasons come first (they are why the lane changed) and are not repeated when a reason
    with the same text is already there, so applying the same signals twice changes nothing more
    than applying them once to the model's own priority.
    """
    existing = list(reasons)
    total = priority if priority is not None else 0.0
    current = lane
    added: list[str] = []
    for signal in signals:
        total += signal.weight
        current = escalate(current, signal.min_lane)
        text = reason_text(signal)
        if text not in existing and text not in added:
            added.append(text)
    return SignalledRisk(total, current, [*added, *existing])
