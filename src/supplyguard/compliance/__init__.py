"""Compliance engine: trusted traders (AEO / C-TPAT) and mutual recognition."""

from supplyguard.compliance.trusted import (
    MutualRecognition,
    Programme,
    TrustAdjustment,
    TrustDecision,
    TrustedStatus,
    TrustPolicy,
    apply_trust,
    trust_for_party,
)

__all__ = [
    "MutualRecognition",
    "Programme",
    "TrustAdjustment",
    "TrustDecision",
    "TrustPolicy",
    "TrustedStatus",
    "apply_trust",
    "trust_for_party",
]
