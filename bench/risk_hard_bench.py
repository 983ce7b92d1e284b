"""The hard subset: models meant to generalise to unseen (Net Mass, Item Price) pairs, chosen on valid.

The hard subset of test is the rows whose exact (Net Mass, Item Price) pair never occurs in train or
valid. Its counterpart on valid ("valid-hard": valid rows whose pair never occurs in train) is what
each variant is early-stopped and judged on; the test-hard figure is printed beside it only to
report, never to choose. Variants:

- the feature set: all 73 features, or without the exact-value histories (``item_price_*``,
  ``net_mass_*``, ``mass_price_*``), or with 11 extra past-only rate groups that could generalise
  (office x HS, declarant x HS, seller x HS, importer x seller x HS, HS x origin x tax type,
  HS4 x origin, office x importer, declarant x office, log-price bin, log-mass bin, unit-value bin
  within HS; smoothing m = 10);
- the training rows: all, only rows whose pair had no outcome yet when they were declared ("novel"),
  or all with duplicate pairs down-weighted (1 / (1 + earlier outcomes of the pair));
- LightGBM as in production, or more regularised (15 leaves, 100 rows per leaf, L2 10, 60% features).

Second round (2026-12-06, after the first 13 missed): features about the *pair structure*, 13 of
them, computed from the row and from earlier declarations seen (no label): decimals and trailing
zeros of price and mass, a float-artifact flag, how often the exact pair / price / mass was declared
before, unit value against the importer's and the importer x HS's earlier declarations (difference
and z), log price / (mass x tax rate); "hard-like" training rows (rows whose pair occurs once in
train: what the hard subset is to train + valid); monotone constraints (fraud rates may only raise
the score); five seeds averaged by rank; a refit on train + valid at the rounds valid-hard chose;
a blend of the production model with a hard-like model (weight chosen on valid-hard); and a small
model on the few features whose AUC leans the same way on hard-like train rows and on valid-hard
(by at least 0.04; chosen without test), as a logistic regression and a 7-leaf LightGBM.

Run: ``.venv/bin/python bench/risk_hard_bench.py`` (about 8 minutes wall at load 7 on 2 shared
cores). Needs ../shared/data.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata

from supplyguard.risk import FEATURE_NAMES, FeatureState, FeatureTable, build_feature_table, read_kcs_csv
from supplyguard.risk.evaluation import hard_subset_mask
from supplyguard.risk.features import FEATURE_INDEX
from supplyguard.risk.metrics import at_share, auc
from supplyguard.risk.model import DEFAULT_PARAMS
from supplyguard.risk.records import DeclarationRow

CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"
REGULARISED = {
    **DEFAULT_PARAMS,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "lambda_l2": 10.0,
    "feature_fraction": 0.6,
    "learning_rate": 0.03,
}
EXTRA_GROUPS: dict[str, Callable[[DeclarationRow], object]] = {
    "office_hs": lambda r: (r.office_id, r.hs6_code),
    "declarant_hs": lambda r: (r.declarant_id, r.hs6_code),
    "seller_hs": lambda r: (r.seller_id, r.hs6_code),
    "importer_seller_hs": lambda r: (r.importer_id, r.seller_id, r.hs6_code),
    "hs_origin_tax": lambda r: (r.hs6_code, r.origin_country, r.tax_type),
    "hs4_origin": lambda r: (r.hs6_code[:4], r.origin_country),
    "office_importer": lambda r: (r.office_id, r.importer_id),
    "declarant_office": lambda r: (r.declarant_id, r.office_id),
    "price_bin": lambda r: round(math.log1p(r.item_price), 1),
    "mass_bin": lambda r: round(math.log1p(r.net_mass_kg), 1),
    "unit_value_bin_hs": lambda r: (
        r.hs6_code,
        round(math.log(max(r.item_price, 1e-3) / max(r.net_mass_kg, 1e-3)) * 2),
    ),
}
SMOOTHING = 10.0


def extra_rates(tables: list[tuple[FeatureTable, bool]]) -> list[np.ndarray]:
    """Past-only smoothed fraud rates and log outcome counts of the extra groups (date-buffered,
    like FeatureState: a day's outcomes count from the next day; test outcomes never count)."""
    counts: dict[str, dict[object, list[float]]] = {
        name: defaultdict(lambda: [0.0, 0.0]) for name in EXTRA_GROUPS
    }
    outcomes = frauds = 0.0
    found = []
    for table, learn in tables:
        matrix = np.zeros((len(table.rows), 2 * len(EXTRA_GROUPS)))
        rows = table.rows
        start = 0
        while start < len(rows):
            end = start
            while end < len(rows) and rows[end].declared_on == rows[start].declared_on:
                end += 1
            prior = frauds / outcomes if outcomes else 0.2
            for index in range(start, end):
                for column, (name, key_of) in enumerate(EXTRA_GROUPS.items()):
                    seen, fraud = counts[name].get(key_of(rows[index]), (0.0, 0.0))
                    matrix[index, 2 * column] = (fraud + SMOOTHING * prior) / (seen + SMOOTHING)
                    matrix[index, 2 * column + 1] = math.log1p(seen)
            if learn:
                for row in rows[start:end]:
                    if row.fraud is None:
                        continue
                    outcomes += 1
                    frauds += row.fraud
                    for name, key_of in EXTRA_GROUPS.items():
                        entry = counts[name][key_of(row)]
                        entry[0] += 1
                        entry[1] += row.fraud
            start = end
        found.append(matrix)
    return found


STRUCTURE_NAMES = (
    "price_decimals",
    "price_trailing_zeros",
    "mass_decimals",
    "mass_trailing_zeros",
    "price_float_artifact",
    "pair_declared_log",
    "price_declared_log",
    "mass_declared_log",
    "unit_value_vs_importer_hs",
    "unit_value_z_importer_hs",
    "unit_value_vs_importer",
    "unit_value_z_importer",
    "log_price_per_mass_tax",
)


def _digits(value: float) -> tuple[int, int]:
    """(decimals, trailing zeros of the integer part) of a value as written."""
    text = repr(float(value))
    if "e" in text:
        return 0, 0
    whole, fraction = text.split(".")
    zeros = len(whole) - len(whole.rstrip("0")) if whole != "0" else 0
    return len(fraction.rstrip("0")), zeros


def structure_features(rows: list[DeclarationRow]) -> np.ndarray:
    """Pair-structure features, one row per declaration of ``rows`` (date order): the row's own
    digits and counts of earlier declarations (strictly earlier dates; no label is read)."""
    pairs: dict[object, int] = defaultdict(int)
    prices: dict[float, int] = defaultdict(int)
    masses: dict[float, int] = defaultdict(int)
    peers: dict[object, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # n, mean, m2
    found = np.zeros((len(rows), len(STRUCTURE_NAMES)))
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end].declared_on == rows[start].declared_on:
            end += 1
        for index in range(start, end):
            row = rows[index]
            log_uv = math.log(max(row.item_price, 1e-3) / max(row.net_mass_kg, 1e-3))
            values: list[float] = [*_digits(row.item_price), *_digits(row.net_mass_kg)]
            values += [
                1.0 if len(repr(row.item_price)) > 14 else 0.0,
                math.log1p(pairs[(row.net_mass_kg, row.item_price)]),
                math.log1p(prices[row.item_price]),
                math.log1p(masses[row.net_mass_kg]),
            ]
            for key in ((row.importer_id, row.hs6_code), row.importer_id):
                n, mean, m2 = peers.get(key, (0.0, 0.0, 0.0))
                if n >= 2:
                    spread = math.sqrt(m2 / (n - 1))
                    values += [log_uv - mean, (log_uv - mean) / max(spread, 0.1)]
                else:
                    values += [0.0, 0.0]
            values.append(
                math.log(max(row.item_price, 1e-3) / max(row.net_mass_kg * max(row.tax_rate_pct, 0.1), 1e-3))
            )
            found[index] = values
        for row in rows[start:end]:
            pairs[(row.net_mass_kg, row.item_price)] += 1
            prices[row.item_price] += 1
            masses[row.net_mass_kg] += 1
            log_uv = math.log(max(row.item_price, 1e-3) / max(row.net_mass_kg, 1e-3))
            for key in ((row.importer_id, row.hs6_code), row.importer_id):
                stats = peers[key]
                stats[0] += 1
                delta = log_uv - stats[1]
                stats[1] += delta / stats[0]
                stats[2] += delta * (log_uv - stats[1])
        start = end
    return found


def _monotone(width: int) -> list[int]:
    """+1 for the past fraud rates of parties, goods and routes (not the exact-value ones)."""
    names = [*FEATURE_NAMES, *[""] * (width - len(FEATURE_NAMES))]
    return [
        1
        if name.endswith("_fraud_rate") and not name.startswith(("item_price", "net_mass", "mass_price"))
        else 0
        for name in names
    ]


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """An L2 logistic regression on standardised columns; returns the scorer (log-odds)."""
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / spread

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1.0 / (1.0 + np.exp(-(z @ w[1:] + w[0])))
        value = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        grad = np.concatenate([[np.mean(p - y)], z.T @ (p - y) / len(y) + 2 * l2 * w[1:] / len(y)])
        return float(value + l2 * np.sum(w[1:] ** 2) / len(y)), grad

    w = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B").x
    return lambda other: np.asarray(((other - mean) / spread) @ w[1:] + w[0])


def main() -> None:
    print(
        f"machine: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f} python {platform.python_version()} lightgbm {lgb.__version__}"
    )
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    if not all(path.exists() for path in paths):
        sys.exit("KCS data not found under ../shared/data/customs")
    train_rows, valid_rows, test_rows = (read_kcs_csv(path) for path in paths)
    started = time.perf_counter()
    state = FeatureState()
    train = build_feature_table(train_rows, state, learn=True)
    valid = build_feature_table(valid_rows, state, learn=True)
    test = build_feature_table(test_rows, state, learn=False)
    extra_train, extra_valid, extra_test = extra_rates([(train, True), (valid, True), (test, False)])
    print(f"features: {time.perf_counter() - started:.1f} s")
    y_train, y_valid, y_test = train.labels(), valid.labels(), test.labels()
    valid_hard = hard_subset_mask(valid.rows, train_rows)
    test_hard = hard_subset_mask(test.rows, [*train_rows, *valid_rows])
    novel = train.column("mass_price_outcomes_log") == 0
    weights = 1.0 / (1.0 + np.expm1(train.column("mass_price_outcomes_log")))
    every = np.ones(len(y_train), dtype=bool)
    exact = [
        FEATURE_INDEX[n] for n in FEATURE_NAMES if n.startswith(("item_price_", "net_mass_", "mass_price_"))
    ]
    general = [i for i in range(len(FEATURE_NAMES)) if i not in exact]
    print(
        f"valid-hard {valid_hard.sum()} rows (fraud rate {np.mean(y_valid[valid_hard]):.3f}); "
        f"test-hard {test_hard.sum()} rows (fraud rate {np.mean(y_test[test_hard]):.3f}); "
        f"novel train rows {novel.sum()}"
    )
    structure = structure_features([*train.rows, *valid.rows, *test.rows])
    s_train, s_valid, s_test = np.split(structure, [len(train), len(train) + len(valid)])
    pair_counts = Counter((row.net_mass_kg, row.item_price) for row in train.rows)
    hard_like = np.array([pair_counts[(row.net_mass_kg, row.item_price)] == 1 for row in train.rows])
    print(f"hard-like train rows (pair once in train) {hard_like.sum()}")
    matrices = {
        "all 73": (train.matrix, valid.matrix, test.matrix),
        "no exact-value": (train.matrix[:, general], valid.matrix[:, general], test.matrix[:, general]),
        "73 + extra rates": (
            np.hstack([train.matrix, extra_train]),
            np.hstack([valid.matrix, extra_valid]),
            np.hstack([test.matrix, extra_test]),
        ),
        "73 + pair structure": (
            np.hstack([train.matrix, s_train]),
            np.hstack([valid.matrix, s_valid]),
            np.hstack([test.matrix, s_test]),
        ),
        "73 + structure + extra": (
            np.hstack([train.matrix, s_train, extra_train]),
            np.hstack([valid.matrix, s_valid, extra_valid]),
            np.hstack([test.matrix, s_test, extra_test]),
        ),
    }
    production, regularised = dict(DEFAULT_PARAMS), REGULARISED
    variants: list[tuple[str, str, np.ndarray, np.ndarray | None, dict[str, Any], str]] = [
        ("all 73", "all rows", every, None, production, ""),
        ("all 73", "novel rows", novel, None, production, ""),
        ("all 73", "novel rows", novel, None, regularised, ""),
        ("all 73", "duplicates down-weighted", every, weights, production, ""),
        ("all 73", "duplicates down-weighted", every, weights, regularised, ""),
        ("all 73", "all rows", every, None, regularised, ""),
        ("no exact-value", "all rows", every, None, production, ""),
        ("no exact-value", "novel rows", novel, None, production, ""),
        ("no exact-value", "novel rows", novel, None, regularised, ""),
        ("no exact-value", "duplicates down-weighted", every, weights, production, ""),
        ("73 + extra rates", "all rows", every, None, production, ""),
        ("73 + extra rates", "novel rows", novel, None, production, ""),
        ("73 + extra rates", "novel rows", novel, None, regularised, ""),
        # second round
        ("73 + pair structure", "all rows", every, None, production, ""),
        ("73 + pair structure", "all rows", every, None, production, "5 seeds"),
        ("73 + pair structure", "all rows", every, None, production, "refit"),
        ("73 + structure + extra", "all rows", every, None, production, ""),
        ("all 73", "hard-like", hard_like, None, production, ""),
        ("all 73", "hard-like", hard_like, None, regularised, ""),
        ("73 + pair structure", "hard-like", hard_like, None, production, ""),
        ("73 + pair structure", "hard-like", hard_like, None, regularised, ""),
        ("all 73", "all rows", every, None, production, "monotone"),
        ("all 73", "hard-like", hard_like, None, regularised, "monotone"),
    ]
    print("| features | training rows | LightGBM | rounds | valid-hard P@5% | test-hard P@5% |")
    print("|---|---|---|---|---|---|")
    duty_valid, duty_test = valid.duty_at_stake(), test.duty_at_stake()

    def p5(scores: np.ndarray, on_valid: bool) -> float:
        if on_valid:
            return at_share(scores, y_valid[valid_hard], duty_valid[valid_hard], 0.05).precision
        return at_share(scores, y_test[test_hard], duty_test[test_hard], 0.05).precision

    kept: dict[tuple[str, str, str, str], tuple[np.ndarray, np.ndarray]] = {}
    for features, rows, mask, weight, params, how in variants:
        x_train, x_valid, x_test = matrices[features]
        on_valid, on_test = np.zeros(valid_hard.sum()), np.zeros(test_hard.sum())
        rounds = []
        for seed in (1, 2, 3, 4, 5) if how == "5 seeds" else (int(params["seed"]),):
            chosen = {**params, "seed": seed}
            if how == "monotone":
                chosen["monotone_constraints"] = _monotone(x_train.shape[1])
                chosen["monotone_constraints_method"] = "advanced"
            booster = lgb.train(
                chosen,
                lgb.Dataset(x_train[mask], y_train[mask], weight=None if weight is None else weight[mask]),
                num_boost_round=2000,
                valid_sets=[lgb.Dataset(x_valid[valid_hard], y_valid[valid_hard])],
                callbacks=[lgb.early_stopping(100, verbose=False)],
            )
            rounds.append(booster.best_iteration)
            on_valid += rankdata(booster.predict(x_valid[valid_hard]))
            if how == "refit":  # the rounds valid-hard chose, on train + valid (valid no longer judges)
                booster = lgb.train(
                    chosen,
                    lgb.Dataset(np.vstack([x_train, x_valid]), np.concatenate([y_train, y_valid])),
                    num_boost_round=booster.best_iteration,
                )
            on_test += rankdata(booster.predict(x_test[test_hard]))
        kind = "regularised" if params is REGULARISED else "production"
        kind += f", {how}" if how else ""
        kept[(features, rows, kind, how)] = (on_valid, on_test)
        judged = "n/a (refit on it)" if how == "refit" else f"{p5(on_valid, True):.3f}"
        print(
            f"| {features} | {rows} | {kind} | {'/'.join(map(str, rounds))} | {judged} | "
            f"{p5(on_test, False):.3f} |",
            flush=True,
        )

    # a blend of the production model and a hard-like model, the weight chosen on valid-hard
    first = kept[("all 73", "all rows", "production", "")]
    second = kept[("all 73", "hard-like", "regularised", "")]
    weight_of = max(
        (0.25, 0.5, 0.75),
        key=lambda w: p5(w * first[0] / len(first[0]) + (1 - w) * second[0] / len(second[0]), True),
    )
    blend_valid = weight_of * first[0] / len(first[0]) + (1 - weight_of) * second[0] / len(second[0])
    blend_test = weight_of * first[1] / len(first[1]) + (1 - weight_of) * second[1] / len(second[1])
    print(
        f"| blend: {weight_of} x production + {1 - weight_of} x hard-like regularised (ranks) | | | | "
        f"{p5(blend_valid, True):.3f} | {p5(blend_test, False):.3f} |"
    )

    # a small model on the features whose AUC leans the same way on hard-like train and valid-hard
    x_train, x_valid, x_test = (np.nan_to_num(m) for m in matrices["all 73"])
    small = []
    for index in range(len(FEATURE_NAMES)):
        lean_train = auc(x_train[hard_like, index], y_train[hard_like]) - 0.5
        lean_valid = auc(x_valid[valid_hard, index], y_valid[valid_hard]) - 0.5
        if np.sign(lean_train) == np.sign(lean_valid) and min(abs(lean_train), abs(lean_valid)) >= 0.04:
            small.append(index)
    print(f"small feature set: {', '.join(FEATURE_NAMES[i] for i in small)}")
    scorer = _logistic(x_train[hard_like][:, small], y_train[hard_like])
    print(
        f"| small set ({len(small)}) | hard-like | logistic regression (L2) | | "
        f"{p5(scorer(x_valid[valid_hard][:, small]), True):.3f} | "
        f"{p5(scorer(x_test[test_hard][:, small]), False):.3f} |"
    )
    tiny = {**REGULARISED, "num_leaves": 7, "min_data_in_leaf": 200, "feature_fraction": 1.0}
    booster = lgb.train(
        tiny,
        lgb.Dataset(x_train[hard_like][:, small], y_train[hard_like]),
        num_boost_round=2000,
        valid_sets=[lgb.Dataset(x_valid[valid_hard][:, small], y_valid[valid_hard])],
        callbacks=[lgb.early_stopping(100, verbose=False)],
    )
    print(
        f"| small set ({len(small)}) | hard-like | 7 leaves, 200 rows per leaf | {booster.best_iteration} | "
        f"{p5(booster.predict(x_valid[valid_hard][:, small]), True):.3f} | "
        f"{p5(booster.predict(x_test[test_hard][:, small]), False):.3f} |"
    )


if __name__ == "__main__":
    main()
