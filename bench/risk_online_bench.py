"""The online simulation over several seeds: does any exploration policy beat pure exploitation?

Week by week through valid + test (the KCS data), 5 % of each week's declarations inspected, only
their outcomes revealed, the model retrained every 4 weeks (as ``risk evaluate``). Two starts:
``full-labels`` (every 2020 outcome known) and ``inspected-history`` (2020 outcomes only for the
5 % a past policy, ``--past-policy targeted`` or ``random``, inspected each week). Each seed sets
the LightGBM seed (bagging and feature sampling), the exploration draws and the past policy's
sample. The ceiling is what a perfect inspector catches within the same weekly capacity; frauds
caught are split into the valid weeks (2021 Q1) and the test weeks (2021 Q2). ``--valid-only``
runs through the valid weeks alone (for choosing a policy's parameters without touching test).

Each seed runs every policy in turn, so an interrupted run still leaves whole pairs. The summary
pairs every policy with ``--baseline`` (default ``exploit only``) seed by seed: the mean difference
± its standard error, wins / losses / ties, a one-sided exact sign test (ties dropped) and a
one-sided paired t-test, both for "the policy catches more than the baseline". ``--out FILE``
appends one JSON line per run; ``--summarise FILE ...`` prints the summary of saved runs again
without running anything.

Run: ``.venv/bin/python bench/risk_online_bench.py [--start both] [--past-policy targeted random]
[--seeds 7 8 9 | --seeds 15-44] [--policies NAME ...] [--out runs.jsonl]`` (6 to 8 CPU-seconds a
run from the inspected history, 21 to 24 from full labels, on the shared VM). Needs
../shared/data/customs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from scipy import stats

from supplyguard.risk import TrainingOptions, read_kcs_csv
from supplyguard.risk.model import DEFAULT_PARAMS
from supplyguard.risk.online import POLICIES, PastPolicy, Start, simulate_online

CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"
STARTS = {"both": (Start.INSPECTED_HISTORY, Start.FULL_LABELS), **{s.value: (s,) for s in Start}}


def seed_list(text: str) -> list[int]:
    """One seed (``7``) or an inclusive range (``15-44``)."""
    first, dash, last = text.partition("-")
    try:
        low = int(first)
        high = int(last) if dash else low
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a seed or a range of seeds: {text!r}") from None
    if high < low:
        raise argparse.ArgumentTypeError(f"empty range of seeds: {text!r}")
    return list(range(low, high + 1))


def sign_test_greater(wins: int, losses: int) -> float:
    """One-sided exact sign test: P(at least ``wins`` wins of ``wins + losses`` at even odds)."""
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / (1 << n)


def paired_summary(deltas: list[int]) -> str:
    """Mean ± standard error, wins / losses / ties, one-sided sign test and paired t-test."""
    wins = sum(1 for d in deltas if d > 0)
    losses = sum(1 for d in deltas if d < 0)
    ties = len(deltas) - wins - losses
    mean = statistics.mean(deltas)
    if len(deltas) < 2:
        return f"{mean:+.1f} (one seed)"
    se = statistics.stdev(deltas) / math.sqrt(len(deltas))
    if se > 0:
        t = mean / se
        p_t = float(stats.t.sf(t, len(deltas) - 1))
        t_text = f"t = {t:.2f}, p = {p_t:.3f}"
    else:
        t_text = "t undefined (every difference equal)"
    return (
        f"{mean:+.1f} ± {se:.1f} (n = {len(deltas)}; {wins} wins / {losses} losses / {ties} ties; "
        f"sign test p = {sign_test_greater(wins, losses):.3f}; {t_text})"
    )


def print_summary(records: list[dict[str, object]], baseline_name: str) -> None:
    caught: dict[tuple[str, str], dict[int, tuple[int, int]]] = {}
    for record in records:
        key = (str(record["start"]), str(record["policy"]))
        caught.setdefault(key, {})[int(str(record["seed"]))] = (
            int(str(record["frauds_caught"])),
            int(str(record["in_test"])),
        )
    print()
    print(
        f"| start | policy | seeds | mean frauds caught | min | max | minus {baseline_name}, per seed "
        "| paired: mean ± s.e., one-sided tests | in the test weeks, mean ± s.e. |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (label, name), by_seed in caught.items():
        values = [total for total, _ in by_seed.values()]
        baseline = caught.get((label, baseline_name), {})
        paired = sorted(seed for seed in by_seed if seed in baseline)
        if name == baseline_name or not paired:
            per_seed = paired_text = test_text = "-"
        else:
            deltas = [by_seed[seed][0] - baseline[seed][0] for seed in paired]
            test_deltas = [by_seed[seed][1] - baseline[seed][1] for seed in paired]
            per_seed = " / ".join(f"{d:+d}" for d in deltas)
            paired_text = paired_summary(deltas)
            test_mean = statistics.mean(test_deltas)
            test_se = (
                statistics.stdev(test_deltas) / math.sqrt(len(test_deltas)) if len(test_deltas) > 1 else 0.0
            )
            test_text = f"{test_mean:+.1f} ± {test_se:.1f}"
        seeds = f"{min(by_seed)}-{max(by_seed)} ({len(by_seed)})"
        print(
            f"| {label} | {name} | {seeds} | {statistics.mean(values):.1f} | {min(values)} | {max(values)} "
            f"| {per_seed} | {paired_text} | {test_text} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seeds", type=seed_list, nargs="+", default=[[7], [8], [9]], help="seeds or ranges such as 15-44"
    )
    parser.add_argument("--baseline", default="exploit only", help="the policy the others are paired with")
    parser.add_argument("--out", type=Path, help="append one JSON line per run to this file")
    parser.add_argument(
        "--summarise", type=Path, nargs="+", metavar="FILE", help="print the summary of saved runs and stop"
    )
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
    seeds = [seed for group in args.seeds for seed in group]
    if args.summarise:
        try:
            saved = [
                json.loads(line) for path in args.summarise for line in path.read_text().splitlines() if line
            ]
        except (OSError, ValueError) as error:
            print(f"cannot read the saved runs: {error}", file=sys.stderr)
            return 2
        print_summary(saved, args.baseline)
        return 0
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
    records: list[dict[str, object]] = []
    for start, past in setups:
        label = start.value + (f" ({past.value})" if start is Start.INSPECTED_HISTORY else "")
        for seed in seeds:
            for policy in policies.values():
                name = policy.name
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
                record: dict[str, object] = {
                    "start": label,
                    "policy": name,
                    "seed": seed,
                    "capacity": args.capacity,
                    "valid_only": args.valid_only,
                    "frauds_caught": result.frauds_caught,
                    "in_test": in_test,
                    "inspected": result.inspected,
                    "explored": result.explored,
                    "ceiling": result.frauds_possible,
                    "precision": round(result.precision, 4),
                    "duty_caught": round(result.duty_caught, 4),
                    "cpu_s": round(cpu, 1),
                }
                records.append(record)
                if args.out is not None:
                    with args.out.open("a") as handle:
                        handle.write(json.dumps(record) + "\n")
                print(
                    f"| {label} | {name} | {seed} | {result.frauds_caught} "
                    f"({result.frauds_caught - in_test} + {in_test}) | {result.inspected} | "
                    f"{result.explored} | "
                    f"{result.frauds_possible} | {result.precision:.3f} | {result.duty_caught:.3f} | "
                    f"{result.history_labelled} | {cpu:.0f} (wall {time.perf_counter() - started:.0f}) |",
                    flush=True,
                )
    print_summary(records, args.baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
