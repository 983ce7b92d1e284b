"""Trusted traders: AEO / C-TPAT status, mutual recognition, and what trust does to a risk score.

A party's status counts on a date when it is valid then and was granted either by this
administration or by a partner administration with which a mutual recognition arrangement (MRA)
covering that programme is in force. Trust lowers the score by a configurable share per tier
(:class:`TrustPolicy`), never below ``floor``, and never when a party matches a sanctions list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from supplyguard.errors import FieldError, ValidationFailed


class Programme(StrEnum):
    AEO = "AEO"  # WCO SAFE Framework Authorised Economic Operator (EU AEO-S/AEO-F, Korea AEO, ...)
    CTPAT = "C-TPAT"  # US Customs-Trade Partnership Against Terrorism


@dataclass(frozen=True, slots=True)
class TrustedStatus:
    """One certificate: ``tier`` 1 (entry) to 3 (highest), granted by ``issuing_country``."""

    party_id: str
    programme: Programme
    tier: int
    issuing_country: str
    valid_from: date
    valid_to: date | None = None
    certificate: str = ""

    def __post_init__(self) -> None:
        errors = []
        if not 1 <= self.tier <= 3:
            errors.append(FieldError(("tier",), "must be 1, 2 or 3"))
        if self.valid_to is not None and self.valid_to < self.valid_from:
            errors.append(FieldError(("valid_to",), "is before valid_from"))
        if len(self.issuing_country) != 2:
            errors.append(FieldError(("issuing_country",), "must be an ISO 3166 alpha-2 code"))
        if errors:
            raise ValidationFailed(errors)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class MutualRecognition:
    """An MRA between two administrations, for the listed programmes, in force over a period."""

    country_a: str
    country_b: str
    programmes: frozenset[Programme]
    valid_from: date
    valid_to: date | None = None

    def covers(self, home: str, partner: str, programme: Programme, day: date) -> bool:
        pair = {self.country_a, self.country_b}
        return (
            pair == {home, partner}
            and programme in self.programmes
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """Score reduction per tier (share of the score removed) and the lowest score trust can reach."""

    reduction_by_tier: tuple[float, float, float] = (0.2, 0.35, 0.5)
    floor: float = 0.01
    recognised_programmes: frozenset[Programme] = field(
        default_factory=lambda: frozenset({Programme.AEO, Programme.CTPAT})
    )

    def __post_init__(self) -> None:
        if any(not 0.0 <= share <= 1.0 for share in self.reduction_by_tier) or not 0.0 <= self.floor <= 1.0:
            raise ValidationFailed(
                [FieldError(("reduction_by_tier",), "shares and floor must be within 0..1")]
            )


@dataclass(frozen=True, slots=True)
class TrustDecision:
    """The tier that counts for a party on a date (0 = none), and why."""

    party_id: str
    tier: int
    reason: str
    status: TrustedStatus | None = None


def trust_for_party(
    party_id: str,
    statuses: Iterable[TrustedStatus],
    *,
    home_country: str,
    on_date: date,
    arrangements: Sequence[MutualRecognition] = (),
    policy: TrustPolicy | None = None,
) -> TrustDecision:
    """The highest tier among the party's statuses that count here on ``on_date``."""
    policy = policy or TrustPolicy()
    best: TrustedStatus | None = None
    best_how = ""
    skipped: list[str] = []
    for status in statuses:
        if status.party_id != party_id:
            continue
        label = f"{status.programme.value} tier {status.tier} from {status.issuing_country}"
        if status.programme not in policy.recognised_programmes:
            skipped.append(f"{label}: programme not recognised")
            continue
        if not status.is_valid_on(on_date):
            skipped.append(f"{label}: not valid on {on_date.isoformat()}")
            continue
        if status.issuing_country == home_country:
            how = f"{label} (granted here)"
        elif any(
            mra.covers(home_country, status.issuing_country, status.programme, on_date)
            for mra in arrangements
        ):
            how = f"{label} (mutual recognition {home_country}-{status.issuing_country})"
        else:
            skipped.append(f"{label}: no mutual recognition with {status.issuing_country}")
            continue
        if best is None or status.tier > best.tier:
            best, best_how = status, how
    if best is None:
        reason = "no trusted-trader status counts here" + (f" ({'; '.join(skipped)})" if skipped else "")
        return TrustDecision(party_id, 0, reason)
    return TrustDecision(party_id, best.tier, f"trusted trader: {best_how}", best)


@dataclass(frozen=True, slots=True)
class TrustAdjustment:
    score: float
    reduced_by: float
    reason: str


def apply_trust(
    score: float, decision: TrustDecision, *, sanctions_hit: bool, policy: TrustPolicy | None = None
) -> TrustAdjustment:
    """Lower ``score`` by the tier's share, down to ``floor`` at most; a sanctions hit cancels trust."""
    policy = policy or TrustPolicy()
    if decision.tier == 0:
        return TrustAdjustment(score, 0.0, decision.reason)
    if sanctions_hit:
        return TrustAdjustment(
            score, 0.0, f"trusted status ignored because of a sanctions hit ({decision.reason})"
        )
    share = policy.reduction_by_tier[decision.tier - 1]
    adjusted = max(min(score, policy.floor), score * (1.0 - share))
    return TrustAdjustment(
        adjusted,
        score - adjusted,
        f"{decision.reason}: score lowered by {share:.0%} ({score:.2f} to {adjusted:.2f})",
    )
