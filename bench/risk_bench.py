"""Risk engine speed: batch scoring throughput, one declaration through intake (p50/p99), training time.

Uses the KCS data in ../shared/data/customs when present, else a seeded synthetic set in the same
layout (figures on the synthetic set only measure speed). Run: ``.venv/bin/python bench/risk_bench.py``.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import lightgbm
import numpy as np

from supplyguard.risk import (
    DeclarationRow,
    FeatureState,
    assess_declaration,
    build_feature_table,
    parse_rules,
    read_kcs_csv,
    train_model,
)

CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"
RULES = """
rules:
  - {id: UV-LOW, version: 1, owner: bench, valid_from: 2020-01-01, weight: 0.2,
     when: [{feature: unit_value_vs_peers_pct, op: "<", value: -70}]}
  - {id: NEW-IMPORTER-CN, version: 1, owner: bench, valid_from: 2020-01-01, weight: 0.1,
     when: [{feature: importer_first_time, op: "==", value: 1},
            {feature: origin_country, op: in, value: [CN, HK]}]}
  - {id: HIGH-DUTY, version: 1, owner: bench, valid_from: 2020-01-01, lane: yellow,
     when: [{feature: duty_at_stake, op: ">", value: 1000000}]}
"""


def synthetic(count: int, start: date, seed: int) -> list[DeclarationRow]:
    """Seeded KCS-like rows: repeated parties and codes, log-normal values, ~20% fraud."""
    rng = random.Random(seed)
    importers = [f"I{i:05d}" for i in range(3000)]
    hs_codes = [f"{rng.randint(10, 97):02d}{rng.randint(0, 9999):04d}" for _ in range(800)]
    rows = []
    for index in range(count):
        fraud = 1 if rng.random() < 0.2 else 0
        mass = round(rng.lognormvariate(4, 2), 1)
        rows.append(
            DeclarationRow(
                f"S{seed}-{index}",
                start + timedelta(days=index * 365 // count),
                rng.choice(["20", "30", "40"]),
                "B",
                "11",
                "21",
                "11",
                rng.choice(["10", "40"]),
                f"D{rng.randint(0, 400)}",
                rng.choice(importers),
                f"S{rng.randint(0, 5000)}",
                "",
                rng.choice(hs_codes),
                rng.choice(["CN", "US", "VN", "DE"]),
                rng.choice(["CN", "US", "VN", "DE"]),
                rng.choice([0.0, 5.2, 8.0]),
                "A",
                "G",
                mass,
                round(mass * rng.lognormvariate(3, 1) * (0.3 if fraud else 1.0), 2),
                fraud,
                fraud,
            )
        )
    return rows


def load() -> tuple[str, list[DeclarationRow], list[DeclarationRow], list[DeclarationRow]]:
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    if all(path.exists() for path in paths):
        train, valid, test = (read_kcs_csv(path) for path in paths)
        return "KCS (train 2020 / valid 2021Q1 / test 2021Q2)", train, valid, test
    return (
        "synthetic (seeded)",
        synthetic(37000, date(2020, 1, 1), 1),
        synthetic(8000, date(2021, 1, 1), 2),
        synthetic(8500, date(2021, 4, 1), 3),
    )


def main() -> None:
    data_name, train_rows, valid_rows, test_rows = load()
    figures: list[tuple[str, str]] = []

    started = time.perf_counter()
    state = FeatureState()
    train = build_feature_table(train_rows, state, learn=True)
    valid = build_feature_table(valid_rows, state, learn=True)
    feature_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = train_model(train, valid)
    fit_seconds = time.perf_counter() - started
    figures.append(
        ("training: features, train+valid", f"{feature_seconds:.1f} s ({len(train) + len(valid):,} rows)")
    )
    figures.append(
        ("training: LightGBM + calibration", f"{fit_seconds:.1f} s ({model.metadata['rounds']} rounds)")
    )
    threads = model.metadata["params"]["num_threads"]
    figures.append(
        ("training: total", f"{feature_seconds + fit_seconds:.1f} s (LightGBM num_threads={threads})")
    )

    started = time.perf_counter()
    test = build_feature_table(test_rows, state, learn=False)
    test_feature_seconds = time.perf_counter() - started
    figures.append(("batch features (test)", f"{len(test) / test_feature_seconds:,.0f} declarations/s"))
    big = np.vstack([test.matrix] * 6)
    for threads in (1, 2):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            model.calibration.apply(np.asarray(model.booster.predict(big, num_threads=threads)))
            runs.append(time.perf_counter() - started)
        figures.append(
            (f"batch model scoring, {threads} thread(s)", f"{len(big) / min(runs):,.0f} declarations/s")
        )
    started = time.perf_counter()
    model.combined(model.probabilities(test.matrix), test.duty_at_stake())
    seconds = time.perf_counter() - started + test_feature_seconds
    figures.append(("batch features + model + ranking (test)", f"{len(test) / seconds:,.0f} declarations/s"))

    rules = parse_rules(RULES)
    timings = []
    intake = state_for(train_rows, valid_rows)
    for row in test_rows[:2000]:
        started = time.perf_counter()
        assess_declaration(model, intake, row.without_labels(), rules=rules)
        intake.observe(row)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    figures.append(
        ("one declaration: features+rules+model+SHAP", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (n=2000)")
    )

    print(f"risk bench · data {data_name}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {sys.version.split()[0]}, LightGBM {lightgbm.__version__}, numpy {np.__version__}"
    )
    width = max(len(name) for name, _ in figures)
    for name, value in figures:
        print(f"{name:<{width}}  {value}")


def state_for(train_rows: list[DeclarationRow], valid_rows: list[DeclarationRow]) -> FeatureState:
    state = FeatureState()
    build_feature_table(train_rows, state, learn=True)
    build_feature_table(valid_rows, state, learn=True)
    return state


if __name__ == "__main__":
    main()
