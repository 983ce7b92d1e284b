"""Lanes at intake: one declaration (or one import batch) at a time, within what is left of the day.

The rescore (:func:`supplyguard.risk.selection.select_lanes`) sees a whole day at once and fills it
by rank. Intake does not know what else will arrive today, so it compares each declaration's
priority with *lane lines* learnt from history: the priority above which, on an average day, about
``red_per_day`` declarations lie (the red line) and about ``red_per_day + yellow_per_day`` (the
yellow line). A declaration goes red when it reaches the red line and the day still has red slots,
yellow when it reaches the yellow line (or the red line with red full) and yellow slots remain,
green otherwise. Forced lanes (rules, sanctions) are honoured past capacity. An exploration share
of red slots goes to random picks (a stable draw from the declaration's id), so the model keeps
learning about what it would never select.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from supplyguard.model.declarations import Lane
from supplyguard.risk.selection import Candidate, Capacity


@dataclass(frozen=True, slots=True)
class LaneLines:
    """Priority lines for intake and the share of declarations drawn for exploration."""

    red: float
    yellow: float
    explore_rate: float = 0.0
    daily_volume: float = 0.0

    @classmethod
    def from_history(
        cls,
        priorities: Sequence[float] | np.ndarray,
        days: Sequence[date],
        capacity: Capacity,
        exploration_share: float = 0.0,
    ) -> LaneLines:
        """Lines from past priorities (one per declaration) and their dates.

        With no history every declaration reaches both lines (the day's capacity decides alone).
        """
        values = np.asarray(priorities, dtype=np.float64)
        distinct = len(set(days))
        if not len(values) or not distinct:
            return cls(float("-inf"), float("-inf"), 0.0, 0.0)
        volume = len(values) / distinct
        explore_slots = round(capacity.red * exploration_share)
        exploit_red = max(0, capacity.red - explore_slots)

        def line(slots: int) -> float:
            share = slots / volume
            if share >= 1.0:
                return float("-inf")
            if share <= 0.0:
                return float("inf")
            return float(np.quantile(values, 1.0 - share))

        return cls(
            red=line(exploit_red),
            yellow=line(exploit_red + capacity.yellow),
            explore_rate=min(1.0, explore_slots / volume),
            daily_volume=volume,
        )


@dataclass(frozen=True, slots=True)
class IntakeLane:
    declaration_id: str
    lane: Lane
    exploration: bool
    reason: str


def exploration_draw(declaration_id: str) -> float:
    """A stable number in [0, 1) from the declaration's id (the same on every node and run)."""
    digest = hashlib.sha256(declaration_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def intake_lanes(
    candidates: Sequence[Candidate], lines: LaneLines, capacity: Capacity, used: Capacity
) -> tuple[IntakeLane, ...]:
    """Lanes for declarations arriving now, highest priority first, within the day's slots left.

    ``used`` counts the red and yellow lanes already given on the declarations' date. Results come
    in the order of ``candidates``.
    """
    red_left = max(0, capacity.red - used.red)
    yellow_left = max(0, capacity.yellow - used.yellow)
    decided: dict[int, IntakeLane] = {}
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    for index in order:
        candidate = candidates[index]
        name = candidate.declaration_id
        if candidate.forced_lane is not None:
            why = candidate.forced_reason or "forced"
            decided[index] = IntakeLane(
                name, candidate.forced_lane, False, f"{candidate.forced_lane.value} lane forced: {why}"
            )
            if candidate.forced_lane is Lane.RED:
                red_left = max(0, red_left - 1)
            elif candidate.forced_lane is Lane.YELLOW:
                yellow_left = max(0, yellow_left - 1)
            continue
        priority = candidate.score
        if red_left and priority >= lines.red:
            red_left -= 1
            decided[index] = IntakeLane(
                name,
                Lane.RED,
                False,
                f"priority {priority:.3g} reaches the red line {lines.red:.3g}; "
                f"red slot {capacity.red - red_left} of {capacity.red} today",
            )
        elif red_left and lines.explore_rate and exploration_draw(name) < lines.explore_rate:
            red_left -= 1
            decided[index] = IntakeLane(
                name,
                Lane.RED,
                True,
                f"random exploration pick (probability {candidate.probability:.2f}); "
                f"red slot {capacity.red - red_left} of {capacity.red} today",
            )
        elif yellow_left and priority >= lines.yellow:
            yellow_left -= 1
            decided[index] = IntakeLane(
                name,
                Lane.YELLOW,
                False,
                f"priority {priority:.3g} reaches the document-check line {lines.yellow:.3g}; "
                f"yellow slot {capacity.yellow - yellow_left} of {capacity.yellow} today",
            )
        else:
            if priority >= lines.yellow:
                why = "today's inspection capacity is used up"
            else:
                why = f"priority {priority:.3g} below the document-check line {lines.yellow:.3g}"
            decided[index] = IntakeLane(name, Lane.GREEN, False, why)
    return tuple(decided[index] for index in range(len(candidates)))
