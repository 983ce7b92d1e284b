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

Run: ``.venv/bin/python bench/risk_hard_bench.py`` (a few minutes on 2 cores). Needs ../shared/data.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from supplyguard.risk import FEATURE_NAMES, FeatureState, FeatureTable, build_feature_table, read_kcs_csv
from supplyguard.risk.evaluation import hard_subset_mask
from supplyguard.risk.features import FEATURE_INDEX
from supplyguard.risk.metrics import at_share
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
    matrices = {
        "all 73": (train.matrix, valid.matrix, test.matrix),
        "no exact-value": (train.matrix[:, general], valid.matrix[:, general], test.matrix[:, general]),
        "73 + extra rates": (
            np.hstack([train.matrix, extra_train]),
            np.hstack([valid.matrix, extra_valid]),
            np.hstack([test.matrix, extra_test]),
        ),
    }
    variants: list[tuple[str, str, np.ndarray, np.ndarray | None, dict[str, Any]]] = [
        ("all 73", "all rows", every, None, dict(DEFAULT_PARAMS)),
        ("all 73", "novel rows", novel, None, dict(DEFAULT_PARAMS)),
        ("all 73", "novel rows", novel, None, REGULARISED),
        ("all 73", "duplicates down-weighted", every, weights, dict(DEFAULT_PARAMS)),
        ("all 73", "duplicates down-weighted", every, weights, REGULARISED),
        ("all 73", "all rows", every, None, REGULARISED),
        ("no exact-value", "all rows", every, None, dict(DEFAULT_PARAMS)),
        ("no exact-value", "novel rows", novel, None, dict(DEFAULT_PARAMS)),
        ("no exact-value", "novel rows", novel, None, REGULARISED),
        ("no exact-value", "duplicates down-weighted", every, weights, dict(DEFAULT_PARAMS)),
        ("73 + extra rates", "all rows", every, None, dict(DEFAULT_PARAMS)),
        ("73 + extra rates", "novel rows", novel, None, dict(DEFAULT_PARAMS)),
        ("73 + extra rates", "novel rows", novel, None, REGULARISED),
    ]
    print("| features | training rows | LightGBM | rounds | valid-hard P@5% | test-hard P@5% |")
    print("|---|---|---|---|---|---|")
    duty_valid, duty_test = valid.duty_at_stake(), test.duty_at_stake()
    for features, rows, mask, weight, params in variants:
        x_train, x_valid, x_test = matrices[features]
        booster = lgb.train(
            params,
            lgb.Dataset(x_train[mask], y_train[mask], weight=None if weight is None else weight[mask]),
            num_boost_round=2000,
            valid_sets=[lgb.Dataset(x_valid[valid_hard], y_valid[valid_hard])],
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        on_valid = at_share(
            booster.predict(x_valid[valid_hard]), y_valid[valid_hard], duty_valid[valid_hard], 0.05
        ).precision
        on_test = at_share(
            booster.predict(x_test[test_hard]), y_test[test_hard], duty_test[test_hard], 0.05
        ).precision
        kind = "regularised" if params is REGULARISED else "production"
        print(f"| {features} | {rows} | {kind} | {booster.best_iteration} | {on_valid:.3f} | {on_test:.3f} |")


if __name__ == "__main__":
    main()
