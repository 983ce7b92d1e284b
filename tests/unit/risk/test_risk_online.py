from __future__ import annotations

from supplyguard.risk import EXPLOIT, RANDOM_ONLY, DeclarationRow, TrainingOptions, simulate_online
from supplyguard.risk.records import iter_weeks

QUICK = TrainingOptions(max_rounds=30, early_stopping_rounds=10)


def test_online_simulation_inspects_within_weekly_capacity(
    train_slice: list[DeclarationRow], valid_slice: list[DeclarationRow]
) -> None:
    stream = valid_slice[:1500]
    expected = sum(max(1, round(len(week) * 0.05)) for week in iter_weeks(stream))
    exploit = simulate_online(train_slice, stream, EXPLOIT, retrain_every_weeks=2, options=QUICK)
    random_only = simulate_online(train_slice, stream, RANDOM_ONLY, retrain_every_weeks=2, options=QUICK)
    assert exploit.inspected == random_only.inspected == expected
    assert exploit.frauds_total == sum(row.fraud or 0 for row in stream)
    assert exploit.declarations == len(stream)
    assert exploit.frauds_caught > random_only.frauds_caught
    assert 0.0 <= exploit.duty_caught <= 1.0
