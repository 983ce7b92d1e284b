"""Fill the day's lanes by rank within capacity, keeping a share of red slots for exploration.

Outcomes only exist for what is inspected; a queue that only ever takes the top of the ranking stops
learning about everything else. ``exploration_share`` of the red slots left after forced picks go to
random declarations (``random``) or to those the model is least sure about (``uncertainty``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.declarations import Lane


class ExplorationMode(StrEnum):
    RANDOM = "random"
    UNCERTAINTY = "uncertainty"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One declaration waiting for a lane: its ranking score and calibrated probability."""

    declaration_id: str
    score: float
    probability: float
    forced_lane: Lane | None = None
    forced_reason: str = ""


@dataclass(frozen=True, slots=True)
class Capacity:
    """Physical inspections (red) and document checks (yellow) the office can do in the period."""

    red: int
    yellow: int = 0


@dataclass(frozen=True, slots=True)
class LaneDecision:
    declaration_id: str
    lane: Lane
    rank: int
    exploration: bool
    reason: str


def _check(capacity: Capacity, share: float) -> None:
    errors = []
    if capacity.red < 0:
        errors.append(FieldError(("capacity", "red"), "must be >= 0"))
    if capacity.yellow < 0:
        errors.append(FieldError(("capacity", "yellow"), "must be >= 0"))
    if not 0.0 <= share <= 1.0:
        errors.append(FieldError(("exploration_share",), "must be between 0 and 1"))
    if errors:
        raise ValidationFailed(errors)


def select_lanes(
    candidates: Sequence[Candidate],
    capacity: Capacity,
    *,
    exploration_share: float = 0.0,
    exploration_mode: ExplorationMode = ExplorationMode.RANDOM,
    seed: int = 0,
) -> tuple[LaneDecision, ...]:
    """Lanes for all candidates, red first then yellow then green, each by rank.

    Forced lanes (rules, sanctions) are always honoured, even past capacity, and use up slots first.
    """
    _check(capacity, exploration_share)
    total = len(candidates)
    order = sorted(range(total), key=lambda i: -candidates[i].score)
    rank = {index: position + 1 for position, index in enumerate(order)}
    decided: dict[int, LaneDecision] = {}

    def decide(index: int, lane: Lane, exploration: bool, reason: str) -> None:
        candidate = candidates[index]
        decided[index] = LaneDecision(candidate.declaration_id, lane, rank[index], exploration, reason)

    for index in order:
        candidate = candidates[index]
        if candidate.forced_lane is not None:
            why = candidate.forced_reason or "forced"
            decide(index, candidate.forced_lane, False, f"{candidate.forced_lane.value} lane forced: {why}")
    forced_red = sum(1 for d in decided.values() if d.lane is Lane.RED)
    forced_yellow = sum(1 for d in decided.values() if d.lane is Lane.YELLOW)
    red_left = max(0, capacity.red - forced_red)
    explore = min(red_left, round(red_left * exploration_share))
    exploit = red_left - explore
    free = [index for index in order if index not in decided]
    for index in free[:exploit]:
        decide(index, Lane.RED, False, f"rank {rank[index]} of {total}, within red capacity {capacity.red}")
    pool = free[exploit:]
    if explore and pool:
        if exploration_mode is ExplorationMode.RANDOM:
            picks = random.Random(seed).sample(pool, min(explore, len(pool)))
            how = "random exploration pick"
        else:
            picks = sorted(pool, key=lambda i: abs(candidates[i].probability - 0.5))[:explore]
            how = "exploration pick: model least certain"
        for index in picks:
            probability = candidates[index].probability
            decide(
                index, Lane.RED, True, f"{how} (rank {rank[index]} of {total}, probability {probability:.2f})"
            )
    yellow_left = max(0, capacity.yellow - forced_yellow)
    rest = [index for index in order if index not in decided]
    for index in rest[:yellow_left]:
        decide(index, Lane.YELLOW, False, f"rank {rank[index]} of {total}, within document-check capacity")
    for index in rest[yellow_left:]:
        decide(index, Lane.GREEN, False, f"rank {rank[index]} of {total}, below today's capacity")
    lane_order = {Lane.RED: 0, Lane.YELLOW: 1, Lane.GREEN: 2}
    return tuple(sorted(decided.values(), key=lambda d: (lane_order[d.lane], d.rank)))
