from __future__ import annotations

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.resilience import Decision, Drill, Inject, key_actions, score_drill

from .conftest import small_network

DRILL = Drill(
    id="d1",
    title="Plant fire",
    injects=(
        Inject(5, "report", "PL", "smoke reported at the plant"),
        Inject(10, "site-down", "PL", "plant on fire"),
    ),
    target_minutes=10,
    limit_minutes=40,
)


def test_key_actions_come_from_the_optimal_plan() -> None:
    keys = key_actions(small_network(), DRILL)
    assert set(keys) == {"use-alternative:ALT", "draw-stock:DE/KIT"}


def test_fast_and_right_beats_slow_and_partly_wrong() -> None:
    decisions = [
        Decision("ana", 14, "use-alternative", "ALT"),
        Decision("ana", 16, "draw-stock", "DE/KIT"),
        Decision("ben", 45, "use-alternative", "ALT"),
        Decision("ben", 46, "reroute", "A-PL"),
    ]
    scores = {s.participant: s for s in score_drill(small_network(), DRILL, decisions)}
    assert scores["ana"].score == pytest.approx(100.0)
    assert scores["ben"].score < 50
    assert scores["ben"].missed == ("draw-stock:DE/KIT",)
    assert scores["ben"].extra == ("reroute:A-PL",)
    assert any("not part of the optimal plan" in r for r in scores["ben"].reasons)


def test_drill_with_unknown_target_is_rejected() -> None:
    drill = Drill(id="bad", title="x", injects=(Inject(1, "site-down", "NOPE", "?"),))
    with pytest.raises(ValidationFailed):
        score_drill(small_network(), drill, [])


def test_parse_drill_validates_injects() -> None:
    from supplyguard.resilience import parse_drill

    with pytest.raises(ValidationFailed) as caught:
        parse_drill({"id": "x", "injects": [{"at_minute": 1, "kind": "meteor", "target": "PL"}]})
    assert str(caught.value.errors[0]).startswith("injects.0.kind")
