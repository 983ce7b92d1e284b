"""apply_signals: weights add up, lanes only go up, reasons are not repeated."""

from __future__ import annotations

import pytest

from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource, apply_signals, escalate


def test_lanes_only_escalate() -> None:
    assert escalate("green", Lane.YELLOW) == "yellow"
    assert escalate("red", Lane.YELLOW) == "red"
    assert escalate(None, Lane.RED) == "red"
    assert escalate("yellow", None) == "yellow"


def test_applying_the_same_signals_again_adds_no_reason_twice() -> None:
    signal = RiskSignal(
        SignalSource.TRACKING, "a1", "dwell", 0.2, "stopped 5 h outside the port", Lane.YELLOW
    )
    once = apply_signals(0.5, "green", ["model probability 0.50"], [signal])
    assert once.priority == pytest.approx(0.7)
    assert once.lane == "yellow"
    again = apply_signals(0.5, "green", once.reasons, [signal])
    assert again.reasons == once.reasons


def test_a_signal_needs_a_weight_in_range_and_words() -> None:
    with pytest.raises(ValueError, match="outside"):
        RiskSignal(SignalSource.INTEL, "x", "k", 1.5, "why")
    with pytest.raises(ValueError, match="reason"):
        RiskSignal(SignalSource.INTEL, "x", "k", 0.5, "")
