from __future__ import annotations

from datetime import date

import pytest

from supplyguard.compliance import (
    MutualRecognition,
    Programme,
    TrustDecision,
    TrustedStatus,
    TrustPolicy,
    apply_trust,
    trust_for_party,
)
from supplyguard.errors import ValidationFailed

DAY = date(2021, 5, 1)
KR_AEO = TrustedStatus("IMP1", Programme.AEO, 2, "KR", date(2020, 1, 1), date(2022, 12, 31), "KR-AEO-0001")
US_CTPAT = TrustedStatus("IMP1", Programme.CTPAT, 3, "US", date(2020, 1, 1), None, "CTPAT-77")
KR_US = MutualRecognition("KR", "US", frozenset({Programme.AEO, Programme.CTPAT}), date(2010, 6, 1))


def test_status_granted_here_counts() -> None:
    decision = trust_for_party("IMP1", [KR_AEO], home_country="KR", on_date=DAY)
    assert decision.tier == 2
    assert "granted here" in decision.reason


def test_partner_status_counts_only_under_a_mutual_recognition() -> None:
    without = trust_for_party("IMP1", [US_CTPAT], home_country="KR", on_date=DAY)
    assert without.tier == 0
    assert "no mutual recognition with US" in without.reason
    with_mra = trust_for_party(
        "IMP1", [KR_AEO, US_CTPAT], home_country="KR", on_date=DAY, arrangements=[KR_US]
    )
    assert with_mra.tier == 3
    assert "mutual recognition KR-US" in with_mra.reason


def test_expired_status_and_expired_arrangement_do_not_count() -> None:
    assert trust_for_party("IMP1", [KR_AEO], home_country="KR", on_date=date(2023, 1, 1)).tier == 0
    old_mra = MutualRecognition(
        "KR", "US", frozenset({Programme.CTPAT}), date(2010, 1, 1), date(2020, 12, 31)
    )
    decision = trust_for_party("IMP1", [US_CTPAT], home_country="KR", on_date=DAY, arrangements=[old_mra])
    assert decision.tier == 0


def test_trust_lowers_the_score_by_tier() -> None:
    decision = TrustDecision("IMP1", 2, "trusted trader")
    adjusted = apply_trust(
        0.8, decision, sanctions_hit=False, policy=TrustPolicy((0.1, 0.25, 0.5), floor=0.05)
    )
    assert adjusted.score == pytest.approx(0.6)
    assert "lowered by 25%" in adjusted.reason


def test_trust_never_goes_below_the_floor_and_never_overrides_sanctions() -> None:
    decision = TrustDecision("IMP1", 3, "trusted trader")
    assert apply_trust(
        0.1, decision, sanctions_hit=False, policy=TrustPolicy(floor=0.08)
    ).score == pytest.approx(0.08)
    sanctioned = apply_trust(0.9, decision, sanctions_hit=True)
    assert sanctioned.score == 0.9
    assert "sanctions hit" in sanctioned.reason


def test_no_status_changes_nothing() -> None:
    assert apply_trust(0.7, TrustDecision("X", 0, "none"), sanctions_hit=False).score == 0.7


def test_bad_statuses_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        TrustedStatus("P", Programme.AEO, 4, "KR", date(2021, 1, 1))
    with pytest.raises(ValidationFailed):
        TrustedStatus("P", Programme.AEO, 1, "KR", date(2021, 1, 1), date(2020, 1, 1))
    with pytest.raises(ValidationFailed):
        TrustPolicy((0.1, 0.2, 1.5))
