"""The online simulation over several seeds: does any exploration policy beat pure exploitation?

Week by week through valid + test (the KCS data), 5 % of each week's declarations inspected, only
their outcomes revealed, the model retrained every 4 weeks (as ``risk evaluate``). Each policy runs
with LightGBM seeds 7, 8 and 9 (bagging and feature sampling differ) and the same seed for the
exploration draws; the ceiling is what a perfect inspector catches within the same capacity.

Run: ``.venv/bin/python bench/risk_online_bench.py [--seeds 7 8 9] [--policies NAME ...]``
(about a CPU-minute per policy and seed). Needs ../shared/data/customs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from supplyguard.risk import (
    EXPLOIT,
    EXPLORE_FADING,
    EXPLORE_GATED,
    EXPLORE_RANDOM,
    EXPLORE_UNCERTAIN,
    RANDOM_ONLY,
    TrainingOptions,
    read_kcs_csv,
    simulate_online,
)
from supplyguard.risk.model import DEFAULT_PARAMS

CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"
POLICIES = {
    policy.name: policy
    for policy in (EXPLOIT, EXPLORE_UNCERTAIN, EXPLORE_FADING, EXPLORE_GATED, EXPLORE_RANDOM, RANDOM_ONLY)
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument("--capacity", type=float, default=0.05)
    args = parser.parse_args()
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    if not all(path.exists() for path in paths):
        print("KCS data not found under ../shared/data/customs", file=sys.stderr)
        return 2
    train, valid, test = (read_kcs_csv(path) for path in paths)
    stream = [*valid, *test]
    print(
        f"machine: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f} python {platform.python_version()}; capacity {args.capacity:.0%}"
    )
    print(
        "| policy | seed | frauds caught | inspected | explored | ceiling | precision | fraud duty | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    caught: dict[str, list[int]] = {}
    for name in args.policies:
        for seed in args.seeds:
            options = TrainingOptions(params={**DEFAULT_PARAMS, "seed": seed})
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            result = simulate_online(
                train, stream, POLICIES[name], capacity_share=args.capacity, seed=seed, options=options
            )
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            caught.setdefault(name, []).append(result.frauds_caught)
            print(
                f"| {name} | {seed} | {result.frauds_caught} | {result.inspected} | {result.explored} | "
                f"{result.frauds_possible} | {result.precision:.3f} | {result.duty_caught:.3f} | {cpu:.0f} "
                f"(wall {time.perf_counter() - started:.0f}) |",
                flush=True,
            )
    print("| policy | mean frauds caught | min | max |")
    print("|---|---|---|---|")
    for name, values in caught.items():
        print(f"| {name} | {statistics.mean(values):.1f} | {min(values)} | {max(values)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
