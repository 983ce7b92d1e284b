"""Top factors of a score in words, from LightGBM's feature contributions (SHAP, log-odds).

Factors can be worked out later than the score: intake stores the exact feature vector the model
saw (:func:`pack_features`, with :data:`FEATURE_LIST_SHA256` and the model version) and leaves
:data:`FACTORS_PENDING` where the factors' words go (:func:`place_factors` puts them there).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from supplyguard.risk.features import FEATURE_INDEX, FEATURE_NAMES, HISTORY_GROUPS, SMOOTHING
from supplyguard.risk.records import DeclarationRow

_GROUP_WORDS = {name: words for name, words, _ in HISTORY_GROUPS}
_GROUP_KEY = {name: key_of for name, _, key_of in HISTORY_GROUPS}


def _factor_of(feature: str) -> str:
    """Features that tell one story share one factor (e.g. a group's rate and its outcome count)."""
    if feature == "overall_fraud_rate":  # the smoothing's prior, not a history group
        return feature
    for suffix in ("_fraud_rate", "_outcomes_log"):
        if feature.endswith(suffix):
            return feature[: -len(suffix)]
    if feature.startswith("unit_value") or feature == "log_unit_value":
        return "unit_value"
    if feature in ("importer_first_time", "importer_days_known", "importer_declarations_log"):
        return "importer_age"
    if feature in ("seller_first_time", "seller_days_known"):
        return "seller_age"
    return feature


FACTOR_OF_FEATURE: tuple[str, ...] = tuple(_factor_of(name) for name in FEATURE_NAMES)

#: what stands in a declaration's reasons where its model factors go until someone looks at them
FACTORS_PENDING = "top model factors: worked out when the declaration is opened"
#: the feature list a stored vector follows (SHA-256 of the names, one per line, in order)
FEATURE_LIST_SHA256 = hashlib.sha256("\n".join(FEATURE_NAMES).encode("utf-8")).hexdigest()
_VECTOR_DTYPE = np.dtype("<f8")  # exact: float32 would move values across the trees' thresholds


def pack_features(vector: Sequence[float] | np.ndarray) -> bytes:
    """One feature vector as bytes (little-endian float64, :data:`FEATURE_NAMES` order)."""
    return np.ascontiguousarray(vector, dtype=_VECTOR_DTYPE).tobytes()


def unpack_features(data: bytes) -> np.ndarray:
    """The vector :func:`pack_features` wrote; ValueError when its length is not the feature list's."""
    if len(data) != len(FEATURE_NAMES) * _VECTOR_DTYPE.itemsize:
        raise ValueError(
            f"a stored feature vector of {len(data)} bytes does not fit {len(FEATURE_NAMES)} features"
        )
    return np.frombuffer(data, dtype=_VECTOR_DTYPE).astype(np.float64)


def place_factors(reasons: Sequence[str], words: Sequence[str]) -> list[str]:
    """``reasons`` with :data:`FACTORS_PENDING` replaced by ``words`` (unchanged when it is absent)."""
    placed: list[str] = []
    for reason in reasons:
        if reason == FACTORS_PENDING:
            placed.extend(words)
        else:
            placed.append(reason)
    return placed


@dataclass(frozen=True, slots=True)
class Factor:
    """One reason: ``contribution`` is in log-odds (positive raises the risk)."""

    factor: str
    contribution: float
    words: str


def _value(vector: Sequence[float] | np.ndarray, name: str) -> float:
    return float(vector[FEATURE_INDEX[name]])


def _days(days: float) -> str:
    whole = int(days)
    return "today" if whole == 0 else f"{whole} day{'s' if whole != 1 else ''} ago"


def _key_text(key: object) -> str:
    if isinstance(key, tuple):
        return " / ".join(_key_text(part) for part in key)
    if isinstance(key, float):
        return f"{key:,.6f}".rstrip("0").rstrip(".")
    return str(key) if key != "" else "(none)"


def describe_factor(factor: str, row: DeclarationRow, vector: Sequence[float] | np.ndarray) -> str:
    """The words for one factor of one declaration."""
    hs, origin = row.hs6_code, row.origin_country
    if factor == "unit_value":
        level = _value(vector, "unit_value_peer_level")
        unit_value = row.item_price / max(row.net_mass_kg, 0.001)
        if level == 0:
            return f"unit value {unit_value:,.2f} per kg with no peers yet for HS {hs}"
        pct = (math.exp(_value(vector, "unit_value_vs_peers_log")) - 1.0) * 100.0
        peers = f"HS {hs} from {origin}" if level == 2 else f"HS {hs}"
        side = "below" if pct < 0 else "above"
        return f"unit value {abs(pct):.0f}% {side} {peers}"
    if factor == "importer_age":
        if _value(vector, "importer_first_time"):
            return f"first-time importer {row.importer_id}"
        return f"importer first seen {_days(_value(vector, 'importer_days_known'))}"
    if factor == "seller_age":
        if _value(vector, "seller_first_time"):
            return f"first-time seller {row.seller_id}"
        return f"seller first seen {_days(_value(vector, 'seller_days_known'))}"
    if factor == "new_hs_for_importer":
        return (
            f"HS {hs} new for this importer"
            if _value(vector, factor)
            else f"importer has declared HS {hs} before"
        )
    if factor == "new_route_for_importer":
        return (
            f"importer's first goods from {origin}"
            if _value(vector, factor)
            else f"importer has imported from {origin} before"
        )
    if factor == "new_seller_for_importer":
        return "seller new for this importer" if _value(vector, factor) else "known seller for this importer"
    if factor in _GROUP_WORDS:
        outcomes = round(math.expm1(_value(vector, f"{factor}_outcomes_log")))
        key = _key_text(_GROUP_KEY[factor](row))
        if outcomes == 0:
            return f"no past outcomes for {_GROUP_WORDS[factor]} {key}"
        # undo the smoothing: rate = (frauds + m * prior) / (outcomes + m)
        smoothed = _value(vector, f"{factor}_fraud_rate")
        frauds = max(
            0, round(smoothed * (outcomes + SMOOTHING) - SMOOTHING * _value(vector, "overall_fraud_rate"))
        )
        plural = "s" if outcomes != 1 else ""
        return (
            f"{_GROUP_WORDS[factor]} {key}: {frauds} fraud{'s' if frauds != 1 else ''} in {outcomes} "
            f"past outcome{plural} ({frauds / outcomes:.0%})"
        )
    value = _value(vector, factor) if factor in FEATURE_INDEX else 0.0
    simple = {
        "tax_rate_pct": f"tax rate {row.tax_rate_pct:g}%",
        "log_duty_at_stake": f"duty at stake {row.duty_at_stake:,.0f}",
        "log_item_price": f"declared price {row.item_price:,.2f}",
        "log_net_mass": f"net mass {row.net_mass_kg:,.1f} kg",
        "office_code": f"office {row.office_id}",
        "import_type_code": f"import type {row.import_type}",
        "import_use_code": f"import use {row.import_use}",
        "payment_type_code": f"payment type {row.payment_type}",
        "transport_mode_code": f"transport mode {row.transport_mode}",
        "hs_chapter": f"HS chapter {hs[:2]}",
        "has_courier": "sent by courier" if row.courier_id else "no courier",
        "origin_differs_from_departure": f"departed {row.departure_country}, origin {origin}",
        "importer_critical_rate": f"importer critical-fraud rate {value:.0%}",
        "overall_fraud_rate": f"overall fraud rate so far {value:.0%}",
        "screening_hits": f"{value:.0f} party-screening hits",
        "sanctions_hit": "a party matches a sanctions list",
        "trusted_tier": f"trusted trader tier {value:.0f}",
        "intel_signals": f"{value:.0f} partner intelligence reports",
        "tracking_alerts": f"{value:.0f} tracking alerts",
        "screening_hit_score": f"best party-screening match {value:.2f}",
    }
    return simple.get(factor, factor.replace("_", " "))


def top_factors(
    row: DeclarationRow,
    vector: Sequence[float] | np.ndarray,
    contributions: Sequence[float] | np.ndarray,
    count: int = 3,
    *,
    raising_only: bool = True,
) -> tuple[Factor, ...]:
    """The ``count`` factors that moved the score most (raising it, unless ``raising_only`` is False)."""
    totals: dict[str, float] = {}
    for index, factor in enumerate(FACTOR_OF_FEATURE):
        totals[factor] = totals.get(factor, 0.0) + float(contributions[index])
    ranked = sorted(totals.items(), key=lambda item: -item[1] if raising_only else -abs(item[1]))
    picked = [(factor, value) for factor, value in ranked if value > 0 or not raising_only][:count]
    return tuple(Factor(factor, value, describe_factor(factor, row, vector)) for factor, value in picked)
