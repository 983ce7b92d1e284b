"""The online simulation over several seeds: does any exploration policy beat pure exploitation?

Week by week through valid + test (the KCS data), 5 % of each week's declarations inspected, only
their outcomes revealed, the model retrained every 4 weeks (as ``risk evaluate``). Two starts:
``full-labels`` (every 2020 outcome known) and ``inspected-history`` (2020 outcomes only for the
5 % a past policy, ``--past-policy targeted`` or ``random``, inspected each week). Each seed sets
the LightGBM seed (bagging and feature sampling), the exploration draws and the past policy's
sample. The ceiling is what a perfect inspector catches within the same weekly capacity; frauds
caught are split into the valid weeks (2021 Q1) and the test weeks (2021 Q2). ``--valid-only``
runs through the valid weeks alone (for choosing a policy's parameters without touching test).

Run: ``.venv/bin/python bench/risk_online_bench.py [--start both] [--past-policy targeted random]
[--seeds 7 8 9] [--policies NAME ...]`` (6 to 8 CPU-seconds a run from the inspected history,
21 to 24 from full labels, on the shared VM). Needs ../shared/data/customs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from supplyguard.risk import TrainingOptions, read_kcs_csv
from supplyguard.risk.model import DEFAULT_PARAMS
from supplyguard.risk.online import POLICIES, PastPolicy, Start, simulate_online

CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"
STARTS = {"both": (Start.INSPECTED_HISTORY, Start.FULL_LABELS), **{s.value: (s,) for s in Start}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument("--capacity", type=float, default=0.05)
    parser.add_argument("--start", choices=list(STARTS), default="both")
    parser.add_argument(
        "--past-policy", nargs="+", default=["targeted"], choices=[p.value for p in PastPolicy]
    )
    parser.add_argument("--valid-only", action="store_true", help="run through the valid weeks only")
    parser.add_argument(
        "--share", type=float, help="exploration share for every exploring policy (default: each one's own)"
    )
    args = parser.parse_args()
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    if not all(path.exists() for path in paths):
        print("KCS data not found under ../shared/data/customs", file=sys.stderr)
        return 2
    if not 0.0 < args.capacity <= 1.0:
        print("--capacity must be above 0 and at most 1", file=sys.stderr)
        return 2
    if args.share is not None and not 0.0 <= args.share <= 1.0:
        print("--share must be between 0 and 1", file=sys.stderr)
        return 2
    policies = {name: POLICIES[name] for name in args.policies}
    if args.share is not None:
        policies = {
            name: dataclasses.replace(
                policy, name=f"{policy.name} [share {args.share:.0%}]", exploration_share=args.share
            )
            if 0.0 < policy.exploration_share < 1.0
            else policy
            for name, policy in policies.items()
        }
    train, valid, test = (read_kcs_csv(path) for path in paths)
    stream = list(valid) if args.valid_only else [*valid, *test]
    test_frauds = {row.declaration_id for row in test if row.fraud}
    print(
        f"machine: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f} python {platform.python_version()}; capacity {args.capacity:.0%}; "
        f"stream {'valid only' if args.valid_only else 'valid + test'}; "
        f"exploration share {'each policy its own' if args.share is None else f'{args.share:.0%}'}"
    )
    print(
        "| start | policy | seed | frauds caught (valid + test weeks) | inspected | explored | ceiling "
        "| precision | fraud duty | history labels | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    setups: list[tuple[Start, PastPolicy]] = []
    for start in STARTS[args.start]:
        if start is Start.INSPECTED_HISTORY:
            setups += [(start, PastPolicy(past)) for past in args.past_policy]
        else:
            setups.append((start, PastPolicy.TARGETED))  # the past policy plays no part there
    caught: dict[tuple[str, str], dict[int, int]] = {}
    for start, past in setups:
        label = start.value + (f" ({past.value})" if start is Start.INSPECTED_HISTORY else "")
        for policy in policies.values():
            name = policy.name
            for seed in args.seeds:
                options = TrainingOptions(params={**DEFAULT_PARAMS, "seed": seed})
                before = resource.getrusage(resource.RUSAGE_SELF)
                started = time.perf_counter()
                result = simulate_online(
                    train,
                    stream,
                    policy,
                    capacity_share=args.capacity,
                    seed=seed,
                    options=options,
                    start=start,
                    past_policy=past,
                )
                after = resource.getrusage(resource.RUSAGE_SELF)
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                in_test = sum(1 for ident in result.inspected_ids if ident in test_frauds)
                caught.setdefault((label, name), {})[seed] = result.frauds_caught
                print(
                    f"| {label} | {name} | {seed} | {result.frauds_caught} "
                    f"({result.frauds_caught - in_test} + {in_test}) | {result.inspected} | "
                    f"{result.explored} | "
                    f"{result.frauds_possible} | {result.precision:.3f} | {result.duty_caught:.3f} | "
                    f"{result.history_labelled} | {cpu:.0f} (wall {time.perf_counter() - started:.0f}) |",
                    flush=True,
                )
    print()
    print("| start | policy | mean frauds caught | min | max | minus exploit only, per seed (mean) |")
    print("|---|---|---|---|---|---|")
    for (label, name), by_seed in caught.items():
        values = list(by_seed.values())
        baseline = caught.get((label, "exploit only"), {})
        deltas = [value - baseline[seed] for seed, value in by_seed.items() if seed in baseline]
        delta = f"{' / '.join(f'{d:+d}' for d in deltas)} ({statistics.mean(deltas):+.1f})" if deltas else "-"
        print(
            f"| {label} | {name} | {statistics.mean(values):.1f} | {min(values)} | {max(values)} | {delta} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
