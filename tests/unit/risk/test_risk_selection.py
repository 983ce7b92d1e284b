from __future__ import annotations

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.declarations import Lane
from supplyguard.risk import Candidate, Capacity, ExplorationMode, select_lanes


def candidates(count: int) -> list[Candidate]:
    return [Candidate(f"D{i}", score=1.0 - i / count, probability=1.0 - i / count) for i in range(count)]


def lanes(decisions: tuple) -> dict[str, Lane]:  # type: ignore[type-arg]
    return {d.declaration_id: d.lane for d in decisions}


def test_fills_red_then_yellow_by_rank() -> None:
    decisions = select_lanes(candidates(10), Capacity(red=2, yellow=3))
    by_id = lanes(decisions)
    assert [d for d, lane in by_id.items() if lane is Lane.RED] == ["D0", "D1"]
    assert sorted(d for d, lane in by_id.items() if lane is Lane.YELLOW) == ["D2", "D3", "D4"]
    assert sum(lane is Lane.GREEN for lane in by_id.values()) == 5
    assert "rank 1 of 10" in decisions[0].reason


def test_forced_lanes_win_and_use_capacity() -> None:
    pool = candidates(10)
    pool[9] = Candidate("D9", 0.0, 0.0, Lane.RED, "sanctions hit")
    pool[0] = Candidate("D0", 1.0, 1.0, Lane.GREEN, "rule GREEN-1")
    by_id = lanes(select_lanes(pool, Capacity(red=2)))
    assert by_id["D9"] is Lane.RED
    assert by_id["D0"] is Lane.GREEN
    assert sum(lane is Lane.RED for lane in by_id.values()) == 2


def test_forced_red_is_kept_past_capacity() -> None:
    pool = [Candidate(f"S{i}", 0.1, 0.1, Lane.RED, "sanctions") for i in range(3)]
    by_id = lanes(select_lanes(pool + candidates(5), Capacity(red=1)))
    assert sum(lane is Lane.RED for lane in by_id.values()) == 3


def test_random_exploration_takes_its_share_reproducibly() -> None:
    first = select_lanes(candidates(100), Capacity(red=10), exploration_share=0.3, seed=4)
    again = select_lanes(candidates(100), Capacity(red=10), exploration_share=0.3, seed=4)
    explored = [d for d in first if d.exploration]
    assert len(explored) == 3
    assert all(d.lane is Lane.RED and d.rank > 7 for d in explored)
    assert first == again
    assert sum(d.lane is Lane.RED for d in first) == 10


def test_uncertainty_exploration_picks_probabilities_near_half() -> None:
    decisions = select_lanes(
        candidates(100), Capacity(red=10), exploration_share=0.2, exploration_mode=ExplorationMode.UNCERTAINTY
    )
    explored = sorted(d.declaration_id for d in decisions if d.exploration)
    assert explored == ["D49", "D50"] or explored == ["D50", "D51"]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        select_lanes(candidates(3), Capacity(red=-1))
    with pytest.raises(ValidationFailed):
        select_lanes(candidates(3), Capacity(red=1), exploration_share=1.5)
