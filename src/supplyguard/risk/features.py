"""Features of one declaration, computed the same way for training, evaluation and intake.

Every history feature comes from a :class:`FeatureState` that only knows what happened on strictly
earlier dates: declarations seen (no label needed) and outcomes recorded. Same-day observations
and outcomes wait in a buffer until the date moves on, so a training row never sees its own label
nor the label of anything declared the same day, and intake computes exactly what training computed.

Rates are smoothed towards the running overall fraud rate: ``(frauds + m * prior) / (outcomes + m)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np

from supplyguard.risk.records import NO_SIGNALS, DeclarationRow, IntakeSignals

KeyOf = Callable[[DeclarationRow], object]


def _pair(a: str, b: str) -> KeyOf:
    getter: KeyOf = attrgetter(a, b)
    return getter


def _field(a: str) -> KeyOf:
    getter: KeyOf = attrgetter(a)
    return getter


# (name, words for explanations, key of the row in that history)
HISTORY_GROUPS: tuple[tuple[str, str, KeyOf], ...] = (
    ("importer", "importer", _field("importer_id")),
    ("declarant", "declarant", _field("declarant_id")),
    ("seller", "seller", _field("seller_id")),
    ("courier", "courier", _field("courier_id")),
    ("office", "office", _field("office_id")),
    ("hs6", "HS code", _field("hs6_code")),
    ("hs4", "HS heading", lambda row: row.hs6_code[:4]),
    ("origin", "origin country", _field("origin_country")),
    ("departure", "departure country", _field("departure_country")),
    ("tax_type", "tax type", _field("tax_type")),
    ("origin_indicator", "origin indicator", _field("origin_indicator")),
    (
        "profile",
        "procedure profile",
        lambda row: (row.process_type, row.import_type, row.import_use, row.payment_type, row.transport_mode),
    ),
    ("importer_hs", "importer with this HS code", _pair("importer_id", "hs6_code")),
    ("importer_origin", "importer with this origin", _pair("importer_id", "origin_country")),
    ("seller_importer", "seller-importer pair", _pair("seller_id", "importer_id")),
    ("declarant_importer", "declarant-importer pair", _pair("declarant_id", "importer_id")),
    ("hs_origin", "HS code from this origin", _pair("hs6_code", "origin_country")),
    ("item_price", "exact declared price", _field("item_price")),
    ("net_mass", "exact declared mass", _field("net_mass_kg")),
    ("mass_price", "exact mass and price pair", _pair("net_mass_kg", "item_price")),
)

ROW_FEATURES: tuple[str, ...] = (
    "tax_rate_pct",
    "log_item_price",
    "log_net_mass",
    "log_unit_value",
    "log_duty_at_stake",
    "unit_value_vs_peers_log",
    "unit_value_peer_z",
    "unit_value_peer_level",
    "unit_value_peer_count_log",
    "office_code",
    "import_type_code",
    "import_use_code",
    "payment_type_code",
    "transport_mode_code",
    "hs_chapter",
    "has_courier",
    "origin_differs_from_departure",
)
NOVELTY_FEATURES: tuple[str, ...] = (
    "importer_first_time",
    "seller_first_time",
    "new_hs_for_importer",
    "new_route_for_importer",
    "new_seller_for_importer",
    "importer_days_known",
    "seller_days_known",
    "importer_declarations_log",
    "importer_critical_rate",
)
SIGNAL_FEATURES: tuple[str, ...] = (
    "screening_hits",
    "sanctions_hit",
    "trusted_tier",
    "intel_signals",
    "tracking_alerts",
    "screening_hit_score",
)
HISTORY_FEATURES: tuple[str, ...] = tuple(
    name for group, _, _ in HISTORY_GROUPS for name in (f"{group}_fraud_rate", f"{group}_outcomes_log")
)
FEATURE_NAMES: tuple[str, ...] = (
    ROW_FEATURES + NOVELTY_FEATURES + HISTORY_FEATURES + ("overall_fraud_rate",) + SIGNAL_FEATURES
)
FEATURE_INDEX: dict[str, int] = {name: index for index, name in enumerate(FEATURE_NAMES)}

SMOOTHING = 3.0
DEFAULT_PRIOR = 0.2
MIN_PEERS = 3
_MASS_FLOOR_KG = 0.001


def _code(text: str) -> float:
    return float(text) if text.isdigit() else -1.0


def _days_known(first_day: float, today: int) -> float:
    return float(today - first_day) if first_day >= 0 else -1.0


class FeatureState:
    """Everything learnt so far, updatable one declaration or one outcome at a time.

    Call :meth:`features` to score, :meth:`observe` when a declaration arrives (no label needed),
    :meth:`record_outcome` when an inspection result is known. Both updates take effect from the
    next date on.
    """

    __slots__ = ("_counts", "_current_day", "_frauds", "_outcomes", "_peers", "_pending")

    def __init__(self) -> None:
        # per group: key -> [declarations seen, outcomes, frauds, critical frauds, first day ordinal]
        self._counts: dict[str, dict[object, list[float]]] = {name: {} for name, _, _ in HISTORY_GROUPS}
        # unit value peers: key -> [n, mean, m2] of log price per kg
        self._peers: dict[object, list[float]] = {}
        self._outcomes = 0.0
        self._frauds = 0.0
        self._current_day = -1
        self._pending: list[tuple[DeclarationRow, int | None, int]] = []

    @property
    def prior(self) -> float:
        if self._outcomes < 1:
            return DEFAULT_PRIOR
        return self._frauds / self._outcomes

    @property
    def outcomes_known(self) -> int:
        return int(self._outcomes)

    def advance_to(self, day: date) -> None:
        """Apply everything buffered from earlier dates; a date in the past changes nothing."""
        ordinal = day.toordinal()
        if ordinal > self._current_day:
            self._flush()
            self._current_day = ordinal

    def observe(self, row: DeclarationRow) -> None:
        """A declaration arrived (counts, first-seen dates and price peers; no label used)."""
        self.advance_to(row.declared_on)
        self._pending.append((row, None, 0))

    def record_outcome(self, row: DeclarationRow, fraud: int, critical_fraud: int = 0) -> None:
        """An inspection outcome for ``row``; the row must have been observed (or is observed now)."""
        self._pending.append((row, 1 if fraud else 0, 1 if critical_fraud == 2 else 0))

    def learn_late(self, row: DeclarationRow, fraud: int | None = None, critical_fraud: int = 0) -> None:
        """Intake's update: observe ``row`` (and learn its outcome when ``fraud`` is given).

        A row dated before the state's current date (a late arrival, or an outcome recorded days
        after the declaration) takes effect at once, as it would have in a date-ordered batch run
        that reached today; a row of the current date or later waits for the next date, as always.
        """
        if row.declared_on.toordinal() < self._current_day:
            self._apply_observation(row)
            if fraud is not None:
                self._apply_outcome(row, 1 if fraud else 0, 1 if critical_fraud == 2 else 0)
            return
        self.observe(row)
        if fraud is not None:
            self.record_outcome(row, fraud, critical_fraud)

    def learn_outcome_late(self, row: DeclarationRow, fraud: int, critical_fraud: int = 0) -> None:
        """An outcome for a row this state has already observed (see :meth:`learn_late`)."""
        if row.declared_on.toordinal() < self._current_day:
            self._apply_outcome(row, 1 if fraud else 0, 1 if critical_fraud == 2 else 0)
        else:
            self.record_outcome(row, fraud, critical_fraud)

    def _flush(self) -> None:
        for row, fraud, critical in self._pending:
            if fraud is None:
                self._apply_observation(row)
            else:
                self._apply_outcome(row, fraud, critical)
        self._pending.clear()

    def _apply_observation(self, row: DeclarationRow) -> None:
        day = float(row.declared_on.toordinal())
        for name, _, key_of in HISTORY_GROUPS:
            table = self._counts[name]
            key = key_of(row)
            entry = table.get(key)
            if entry is None:
                table[key] = [1.0, 0.0, 0.0, 0.0, day]
            else:
                entry[0] += 1.0
        log_uv = math.log(max(row.item_price, 1e-3) / max(row.net_mass_kg, _MASS_FLOOR_KG))
        for key in ((row.hs6_code, row.origin_country), row.hs6_code):
            stats = self._peers.get(key)
            if stats is None:
                self._peers[key] = [1.0, log_uv, 0.0]
            else:
                stats[0] += 1.0
                delta = log_uv - stats[1]
                stats[1] += delta / stats[0]
                stats[2] += delta * (log_uv - stats[1])

    def _apply_outcome(self, row: DeclarationRow, fraud: int, critical: int) -> None:
        self._outcomes += 1.0
        self._frauds += fraud
        day = float(row.declared_on.toordinal())
        for name, _, key_of in HISTORY_GROUPS:
            table = self._counts[name]
            key = key_of(row)
            entry = table.get(key)
            if entry is None:
                entry = table[key] = [0.0, 0.0, 0.0, 0.0, day]
            entry[1] += 1.0
            entry[2] += fraud
            entry[3] += critical

    def features(self, row: DeclarationRow, signals: IntakeSignals = NO_SIGNALS) -> list[float]:
        """The feature vector of ``row`` in :data:`FEATURE_NAMES` order, from strictly earlier dates."""
        self.advance_to(row.declared_on)
        today = self._current_day
        prior = self.prior
        price = row.item_price
        mass = max(row.net_mass_kg, _MASS_FLOOR_KG)
        log_uv = math.log(max(price, 1e-3) / mass)
        peer_level, peer_delta, peer_z, peer_n = 0.0, 0.0, 0.0, 0.0
        for level, key in ((2.0, (row.hs6_code, row.origin_country)), (1.0, row.hs6_code)):
            stats = self._peers.get(key)
            if stats is not None and stats[0] >= MIN_PEERS:
                peer_level, peer_n = level, stats[0]
                peer_delta = log_uv - stats[1]
                spread = math.sqrt(stats[2] / (stats[0] - 1.0)) if stats[0] > 1 else 0.0
                peer_z = peer_delta / max(spread, 0.1)
                break
        duty = price * row.tax_rate_pct / 100.0
        values: list[float] = [
            row.tax_rate_pct,
            math.log1p(price),
            math.log1p(row.net_mass_kg),
            log_uv,
            math.log1p(duty),
            peer_delta,
            peer_z,
            peer_level,
            math.log1p(peer_n),
            _code(row.office_id),
            _code(row.import_type),
            _code(row.import_use),
            _code(row.payment_type),
            _code(row.transport_mode),
            _code(row.hs6_code[:2]),
            1.0 if row.courier_id else 0.0,
            1.0 if row.origin_country != row.departure_country else 0.0,
        ]
        counts = self._counts
        empty = (0.0, 0.0, 0.0, 0.0, -1.0)
        importer = counts["importer"].get(row.importer_id, empty)
        seller = counts["seller"].get(row.seller_id, empty)
        importer_hs = counts["importer_hs"].get((row.importer_id, row.hs6_code), empty)
        importer_origin = counts["importer_origin"].get((row.importer_id, row.origin_country), empty)
        seller_importer = counts["seller_importer"].get((row.seller_id, row.importer_id), empty)
        importer_known = importer[0] > 0
        values += [
            0.0 if importer_known else 1.0,
            0.0 if seller[0] > 0 else 1.0,
            1.0 if importer_known and importer_hs[0] == 0 else 0.0,
            1.0 if importer_known and importer_origin[0] == 0 else 0.0,
            1.0 if importer_known and seller_importer[0] == 0 else 0.0,
            _days_known(importer[4], today),
            _days_known(seller[4], today),
            math.log1p(importer[0]),
            (importer[3] + SMOOTHING * prior * 0.05) / (importer[1] + SMOOTHING),
        ]
        for name, _, key_of in HISTORY_GROUPS:
            entry = counts[name].get(key_of(row), empty)
            values.append((entry[2] + SMOOTHING * prior) / (entry[1] + SMOOTHING))
            values.append(math.log1p(entry[1]))
        values += [
            prior,
            float(signals.screening_hits),
            1.0 if signals.sanctions_hit else 0.0,
            float(signals.trusted_tier),
            float(signals.intel_signals),
            float(signals.tracking_alerts),
            float(signals.screening_hit_score),
        ]
        return values


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """Rows (in date order) and their feature matrix, one row per declaration."""

    rows: tuple[DeclarationRow, ...]
    matrix: np.ndarray
    names: tuple[str, ...] = FEATURE_NAMES

    def __len__(self) -> int:
        return len(self.rows)

    def labels(self) -> np.ndarray:
        """Fraud labels as 0/1 floats, NaN where unknown."""
        return np.array([np.nan if row.fraud is None else float(row.fraud) for row in self.rows])

    def duty_at_stake(self) -> np.ndarray:
        return np.array([row.duty_at_stake for row in self.rows])

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.matrix[:, FEATURE_INDEX[name]])

    def mapping(self, index: int) -> dict[str, float | str]:
        """One row's features and raw fields by name, as rules read them."""
        return feature_mapping(self.rows[index], self.matrix[index])

    def subset(self, indices: Sequence[int] | np.ndarray) -> FeatureTable:
        picked = np.asarray(indices, dtype=np.int64)
        return FeatureTable(tuple(self.rows[i] for i in picked), self.matrix[picked], self.names)


RAW_FIELDS: tuple[str, ...] = (
    "declaration_id",
    "office_id",
    "process_type",
    "import_type",
    "import_use",
    "payment_type",
    "transport_mode",
    "declarant_id",
    "importer_id",
    "seller_id",
    "courier_id",
    "hs6_code",
    "departure_country",
    "origin_country",
    "tax_type",
    "origin_indicator",
    "net_mass_kg",
    "item_price",
)


def feature_mapping(row: DeclarationRow, vector: Sequence[float] | np.ndarray) -> dict[str, float | str]:
    """Features by name, plus the raw declaration fields and ``duty_at_stake`` (for rules)."""
    mapping: dict[str, float | str] = {name: float(vector[i]) for i, name in enumerate(FEATURE_NAMES)}
    for name in RAW_FIELDS:
        mapping[name] = getattr(row, name)
    mapping["duty_at_stake"] = row.duty_at_stake
    mapping["unit_value_vs_peers_pct"] = (
        math.exp(float(vector[FEATURE_INDEX["unit_value_vs_peers_log"]])) - 1
    ) * 100
    return mapping


def build_feature_table(
    rows: Sequence[DeclarationRow],
    state: FeatureState,
    *,
    learn: bool,
    signals: Mapping[str, IntakeSignals] | None = None,
) -> FeatureTable:
    """The batch path: walk ``rows`` in date order through ``state`` exactly as intake would.

    Each row is scored, then observed; with ``learn`` its label (when present) is recorded as an
    outcome, which takes effect from the next date. ``state`` is left knowing all of ``rows``.
    """
    ordered = sorted(rows, key=lambda row: row.declared_on)
    matrix = np.empty((len(ordered), len(FEATURE_NAMES)), dtype=np.float64)
    lookup = signals or {}
    for index, row in enumerate(ordered):
        matrix[index] = state.features(row, lookup.get(row.declaration_id, NO_SIGNALS))
        state.observe(row)
        if learn and row.fraud is not None:
            state.record_outcome(row, row.fraud, row.critical_fraud or 0)
    return FeatureTable(tuple(ordered), matrix)


def state_from_history(rows: Sequence[DeclarationRow]) -> FeatureState:
    """A state that has seen ``rows`` and learnt their outcomes (intake start-up, from the database)."""
    state = FeatureState()
    build_feature_table(rows, state, learn=True)
    return state
