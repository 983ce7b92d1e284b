"""Resilience benchmarks: scenario LPs, Monte Carlo, sea routes (with the searoute package beside us).

    .venv/bin/python bench/resilience_bench.py            # full sizes from the issue
    .venv/bin/python bench/resilience_bench.py --quick    # small sizes, a smoke run

Data are generated from fixed seeds (supplyguard.resilience.synthetic_network); sea-route queries
are drawn from the searoute package's own port list.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np

from supplyguard.resilience import (
    ContingencyModel,
    RiskProfile,
    ScenarioResult,
    SeaRouter,
    analyse_network,
    simulate,
    single_point_scenarios,
    synthetic_network,
)

MAJOR_PORTS = [
    "NLRTM",
    "CNSHA",
    "SGSIN",
    "USNYC",
    "USLAX",
    "DEHAM",
    "BEANR",
    "JPTYO",
    "KRPUS",
    "AEJEA",
    "EGPSD",
    "INNSA",
    "BRSSZ",
    "ZADUR",
    "AUSYD",
    "GBFXT",
    "FRLEH",
    "ESALG",
    "ITGOA",
    "TRIST",
    "HKHKG",
    "TWKHH",
    "MYPKG",
    "LKCMB",
    "OMSLL",
    "SAJED",
    "PAONX",
    "MXZLO",
    "CLSAI",
    "NGLOS",
]


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"{platform.platform()} | python {platform.python_version()} | {os.cpu_count()} CPUs | "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def bench_scenarios(n_sites: int, workers: int, cold_sample: int) -> list[tuple[str, str]]:
    """All single-site scenarios on the fast path (blocks, warm starts, exact shortcuts), then
    the peer: cold solves (a fresh HiGHS model per LP, no shortcut) of an evenly spaced sample,
    timed and compared with the fast answers."""
    network = synthetic_network(n_sites, seed=7)
    specs = [s for s in single_point_scenarios(network) if s.id.startswith("site:")]
    rows: list[tuple[str, str]] = []
    fast: list[ScenarioResult] = []
    for n_workers in dict.fromkeys((1, workers)):
        t0 = time.perf_counter()
        model = ContingencyModel(network)
        blocks = model.blocks()
        build = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        fast = analyse_network(network, specs, model=model, with_plan=False, workers=n_workers)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append(
            (
                f"single-site scenarios, {len(network.sites):,} sites, workers={n_workers}",
                f"{len(specs):,} scenarios in {total:.1f} s ({1000 * total / len(specs):.1f} ms each; "
                f"CPU of this process {cpu:.1f} s); "
                f"LP {model.n_cols:,} cols x {model.n_rows:,} rows in "
                f"{len(blocks.cols) if blocks else 1} blocks, set up in {build:.2f} s; "
                f"{sum(r.loss > 0 for r in fast)} with loss, {sum(r.exposed for r in fast)} exposed",
            )
        )
    if cold_sample:
        step = max(1, len(specs) // cold_sample)
        sample = specs[::step][:cold_sample]
        cold_model = ContingencyModel(network, warm=False)
        t0 = time.perf_counter()
        cold = analyse_network(network, sample, model=cold_model, with_plan=False)
        elapsed = time.perf_counter() - t0
        by_id = {r.scenario: r for r in fast}
        agree = sum(
            abs(r.loss - by_id[r.scenario].loss) <= 1e-6 * max(1.0, r.loss)
            and (r.tts is None) == (by_id[r.scenario].tts is None)
            and (r.tts is None or abs(r.tts - (by_id[r.scenario].tts or 0.0)) <= 1e-6 * max(1.0, r.tts))
            for r in cold
        )
        each = elapsed / len(sample)
        rows.append(
            (
                "peer: cold solves (fresh HiGHS model per LP)",
                f"{len(sample)} sampled scenarios in {elapsed:.1f} s ({1000 * each:.0f} ms each, "
                f"= {each * len(specs):.0f} s for all {len(specs):,}); same loss and TTS as the fast "
                f"path: {agree}/{len(sample)}",
            )
        )
    return rows


def bench_montecarlo(n_sites: int, samples: int) -> list[tuple[str, str]]:
    network = synthetic_network(n_sites, seed=11)
    risks = {
        s.id: RiskProfile(0.004, "triangular", (0.5, 1.0, 3.0)) for s in network.sites if s.kind != "demand"
    }
    risks.update({a.id: RiskProfile(0.01, "exponential", (1.0,)) for a in network.assets})
    t0, c0 = time.perf_counter(), time.process_time()
    result = simulate(network, risks, samples=samples, seed=2026, horizon=4)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    summary = result.summary()
    loss = summary["loss"]
    assert isinstance(loss, dict)
    return [
        (
            f"Monte Carlo, {len(network.sites):,} sites",
            f"{samples:,} samples in {total:.1f} s (CPU {cpu:.1f} s; {result.lp_solves:,} distinct); "
            f"mean loss {loss['mean']:,.0f}, p99 {loss['p99']:,.0f}, "
            f"P(loss) {loss['probability_of_loss']:.3f}",
        )
    ]


def bench_routes(queries: int, searoute_random: int) -> list[tuple[str, str]]:
    import searoute

    rows: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    router = SeaRouter()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    core = router._core(router._closed_labels(()))
    rows.append(
        (
            "sea graph build (searoute package data)",
            f"{build:.2f} s, {router.n:,} nodes; contracting it (once per router, by the first batch "
            f"with many distinct ends): {time.perf_counter() - t0:.2f} s, {len(core.knodes):,} nodes",
        )
    )
    rng = np.random.default_rng(42)
    majors = [router.ports[c][0] for c in MAJOR_PORTS if c in router.ports]
    codes = sorted(router.ports)
    sets = {
        f"{len(majors)} major ports": [
            (majors[i], majors[j]) for i, j in rng.integers(0, len(majors), (queries, 2))
        ],
        "random port pairs": [
            (router.ports[codes[i]][0], router.ports[codes[j]][0])
            for i, j in rng.integers(0, len(codes), (queries, 2))
        ],
    }
    for name, pairs in sets.items():
        ours = []
        variants = (
            ("ours", {}),
            ("ours, 1 thread", {"threads": 1}),
            ("ours, plain graph (as before), 1 thread", {"threads": 1, "contract": False}),
        )
        for label, options in variants:
            fresh = SeaRouter(**options)  # type: ignore[arg-type]
            t0, c0 = time.perf_counter(), time.process_time()  # includes contracting the graph
            routes = fresh.routes(pairs, with_path=True)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            fresh.routes(pairs, closed=["suez"], with_path=False)
            elapsed_closed, cpu_closed = time.perf_counter() - t0, time.process_time() - c0
            ours = ours or routes
            rows.append(
                (
                    f"{label}: {queries:,} sea routes, {name}",
                    f"{elapsed:.2f} s with paths (CPU {cpu:.2f} s); {elapsed_closed:.2f} s more with "
                    f"Suez closed (CPU {cpu_closed:.2f} s)",
                )
            )
        n_ref = queries if name.endswith("major ports") else min(searoute_random, queries)
        diffs: list[float] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            searoute.searoute(list(pairs[0][0]), list(pairs[0][1]))  # load its graph outside the timing
            t0 = time.perf_counter()
            for (a, b), mine in zip(pairs[:n_ref], ours[:n_ref], strict=True):
                feature = searoute.searoute(list(a), list(b))
                ref = float(feature.properties["length"])
                if ref > 0 and mine.found:
                    diffs.append(abs(mine.distance_km - ref) / ref)
            ref_time = time.perf_counter() - t0
        rows.append(
            (
                f"searoute.searoute() (networkx backend), {name}",
                f"{n_ref:,} queries in {ref_time:.2f} s "
                f"(= {ref_time / n_ref * queries:.1f} s per {queries:,}); "
                f"distance agreement: median {100 * statistics.median(diffs):.2f} %, "
                f"p95 {100 * float(np.percentile(diffs, 95)):.2f} %",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold", type=int, default=30, help="scenarios solved cold as the peer")
    parser.add_argument("--part", choices=["all", "scenarios", "montecarlo", "routes"], default="all")
    args = parser.parse_args()
    n_lp, n_mc, samples, queries, ref = (
        (5000, 1000, 10_000, 1000, 200) if not args.quick else (500, 200, 500, 100, 20)
    )
    print(f"# resilience benchmarks\nmachine: {machine()}\n")
    width = 58
    steps = []
    if args.part in ("all", "scenarios"):
        steps.append(lambda: bench_scenarios(n_lp, args.workers, args.cold))
    if args.part in ("all", "montecarlo"):
        steps.append(lambda: bench_montecarlo(n_mc, samples))
    if args.part in ("all", "routes"):
        steps.append(lambda: bench_routes(queries, ref))
    for step in steps:
        for name, value in step():
            print(f"{name.ljust(width)} | {value}", flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "")


if __name__ == "__main__":
    main()
