"""The DATE protocol on the KCS data, the hard subset and the online simulation, beside the paper.

Run: ``.venv/bin/python bench/risk_evaluate.py [--json] [--no-online]`` (about 5 minutes on 2 cores
with the online simulation). Needs ../shared/data/customs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

from supplyguard.risk import (
    EXPLOIT,
    EXPLORE_RANDOM,
    EXPLORE_UNCERTAIN,
    RANDOM_ONLY,
    evaluate_kcs,
    read_kcs_csv,
)

POLICIES = (EXPLORE_UNCERTAIN, EXPLORE_RANDOM, EXPLOIT, RANDOM_ONLY)
CUSTOMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "customs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-online", action="store_true", help="skip the online simulation")
    args = parser.parse_args()
    paths = [CUSTOMS / f"df_syn_{name}_eng.csv" for name in ("train", "valid", "test")]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"KCS data not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    train, valid, test = (read_kcs_csv(path) for path in paths)
    report = evaluate_kcs(train, valid, test, online_policies=() if args.no_online else POLICIES)
    if args.json:
        print(report.to_json())
    else:
        print(f"risk evaluate · KCS synthetic · {platform.machine()}, {os.cpu_count()} cpus")
        print(report.to_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
