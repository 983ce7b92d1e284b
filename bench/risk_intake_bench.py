"""One declaration through intake on a node: screening + rules + model, p50 / p99 (target p99 < 20 ms).

Builds a throw-away SQLite node (``--postgres`` for PostgreSQL too), imports ``--history`` labelled KCS
train rows, retrains the node's model on them, loads three rules and the OFAC SDN list (2021-07),
then submits ``--declarations`` KCS valid rows one by one through ``submit_declaration`` (each with a
named importer and seller, so both are screened), timing:

- the risk scoring inside the transaction (signals, features, rules, model, SHAP factors for a
  yellow or red lane, lane within the day's capacity, stored assessment) and the screening of the
  parties;
- the CPU time this process spent on those two (on a loaded machine, wall time is mostly waiting
  for a core; with SQLite the database work runs in this process, with PostgreSQL it does not);
- the whole intake call (validation, store, screening, scoring, ledger leaf, signed checkpoint,
  commit) beside the same intake without risk scoring, measured in the same run (the peer).

The first scored declaration builds the organisation's cache (model, rules, state from history);
its time is printed apart and left out of the percentiles. ``--bulk`` also times reading green
declarations whose factors are worked out on the first read.
Run: ``.venv/bin/python bench/risk_intake_bench.py [--history 20000 --declarations 400 --postgres]``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from supplyguard.bootstrap import build
from supplyguard.config import Settings
from supplyguard.model.kcs import kcs_row_to_mapping
from supplyguard.model.organisations import Principal, Role
from supplyguard.screening import Screener, read_list
from supplyguard.services import accounts, risk_node
from supplyguard.services.declarations import get_declaration, submit_declaration
from supplyguard.services.import_formats import RowInput
from supplyguard.services.imports import import_declarations
from supplyguard.services.risk_intake import IntakeConfig, IntakeRisk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[1]
CUSTOMS = ROOT / ".." / "shared" / "data" / "customs"
SDN = ROOT / ".." / "shared" / "data" / "screening" / "ofac" / "sdn-2021-07"
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
COMPANY_WORDS = ("Golden", "Harbor", "Pacific", "Trading", "Global", "Star", "United", "Metal", "Textile")


def kcs_records(name: str, count: int) -> list[dict[str, str]]:
    path = CUSTOMS / f"df_syn_{name}_eng.csv"
    if not path.exists():
        sys.exit(f"KCS data not found at {path}")
    with open(path, encoding="utf-8", newline="") as stream:
        return list(itertools.islice(csv.DictReader(stream), count))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class TimedScreener:
    """The node's screener, timing every ``screen`` call of the current declaration."""

    def __init__(self, screener: Screener) -> None:
        self.screener = screener
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def screen(self, query: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.screener.screen(query, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu


class TimedRisk(IntakeRisk):
    """The intake scorer, timing each ``score`` call."""

    seconds = 0.0
    cpu_seconds = 0.0

    def score(self, *args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return super().score(*args, **kwargs)
        finally:
            self.seconds = time.perf_counter() - started
            self.cpu_seconds = time.process_time() - cpu


def wire(record: dict[str, str], index: int, suffix: str) -> dict[str, Any]:
    data = dict(kcs_row_to_mapping(record))
    data["reference"] = f"{record['Declaration ID']}-{suffix}"
    words = [COMPANY_WORDS[(index * 7 + k) % len(COMPANY_WORDS)] for k in range(3)]
    data["importer"] = {
        "code": _code(data["importer"]),
        "name": " ".join(words) + " Co., Ltd",
        "country": "KR",
    }
    seller = data.get("seller")
    if seller:
        name = "BANK MELLI IRAN" if index % 50 == 0 else f"{words[1]} {words[2]} Industries"
        data["seller"] = {"code": _code(seller), "name": name}
    return data


def _code(party: Any) -> str:
    return str(party["code"]) if isinstance(party, dict) else str(party)


def bulk_import(container: Any, admin: Principal, risk: IntakeRisk, count: int) -> str:
    """Bulk import of ``count`` unlabelled KCS valid rows (after those submitted), half without
    scoring (the peer), half with; returns declarations per second of each."""
    records = kcs_records("valid", 10_000_000)[-count:]
    half = len(records) // 2
    rates = []
    cpu_rates = []
    for part, scorer in ((records[:half], None), (records[half:], risk)):
        rows = []
        for line, record in enumerate(part, start=2):
            mapping = dict(kcs_row_to_mapping(record))
            mapping["reference"] = f"{record['Declaration ID']}-bulk"
            rows.append(RowInput(line, mapping, None, layout="kcs"))
        started, cpu = time.perf_counter(), time.process_time()
        report = import_declarations(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            admin,
            rows,
            source="bench",
            risk=scorer,
        )
        rates.append(report.stored / (time.perf_counter() - started))
        cpu_rates.append(report.stored / (time.process_time() - cpu))
    return (
        f"bulk import of {half} rows: {rates[0]:,.0f}/s without scoring, {rates[1]:,.0f}/s with scoring "
        f"(per CPU second of this process: {cpu_rates[0]:,.0f} and {cpu_rates[1]:,.0f}); "
        + factors_on_view(container, admin)
    )


def factors_on_view(container: Any, admin: Principal, count: int = 50) -> str:
    """Reading green declarations whose factors wait for a reader: the first read works them out
    (the first of all also loads the model file), the second finds them stored."""
    from sqlalchemy import select

    from supplyguard.adapters.db.risk_factor_tables import risk_pending_factors

    with container.uow(readonly=True) as uow:
        waiting = list(
            uow.connection.execute(select(risk_pending_factors.c.declaration_id).limit(count)).scalars()
        )
    if not waiting:
        return "no declaration waits for its factors"
    reads: dict[str, list[float]] = {"first": [], "second": []}
    for which in reads:
        for declaration_id in waiting:
            started = time.perf_counter()
            get_declaration(container.uow(), container.clock, admin, declaration_id)
            reads[which].append((time.perf_counter() - started) * 1000)
    first, second = reads["first"], reads["second"]
    return (
        f"reading {len(waiting)} green declarations: first read (works out the factors) p50 "
        f"{statistics.median(first[1:] or first):.2f} ms "
        f"(the very first, loading the model: {first[0]:.0f} ms), "
        f"second read p50 {statistics.median(second):.2f} ms"
    )


def run(url: str | None, label: str, args: argparse.Namespace, screener: Screener) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url or f"sqlite:///{tmp}/node.db",
            node_name="bench.node",
            node_country="KR",
            inspection_red_per_day=20,
            inspection_yellow_per_day=20,
            exploration_share=0.1,
        )
        container = build(settings)
        from supplyguard.adapters.db.migrate import upgrade

        upgrade(container.engine)
        org = accounts.create_organisation(container.uow(), container.clock, None, "KCS", "KR", "customs")
        admin = Principal(org.id, org.id, "bench", frozenset({Role.ADMIN}), "bench", "cli")
        history = kcs_records("train", args.history)
        started = time.perf_counter()
        report = import_declarations(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            admin,
            (RowInput(n, kcs_row_to_mapping(r), r, layout="kcs") for n, r in enumerate(history, start=2)),
            source="bench",
        )
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        stored = risk_node.retrain(
            container.uow(), container.clock, container.signer, settings.models_dir, admin
        )
        retrain_s = time.perf_counter() - started
        risk_node.load_rules(container.uow(), container.clock, container.signer, admin, RULES)
        print(
            f"[{label}] history: {report.stored} declarations imported in {import_s:.1f} s; "
            f"model {stored.version} trained in {retrain_s:.1f} s"
        )
        risk = TimedRisk(IntakeConfig.from_settings(settings))
        timed_screener = TimedScreener(screener)
        records = kcs_records("valid", args.declarations * 2 + 1)
        totals: list[float] = []
        scoring: list[float] = []
        screening: list[float] = []
        cpu: list[float] = []
        peers: list[float] = []
        lanes: dict[str, int] = {}
        first_ms = 0.0
        for index, record in enumerate(records[: args.declarations * 2 + 1]):
            with_risk = index % 2 == 0
            timed_screener.seconds = timed_screener.cpu_seconds = 0.0
            started = time.perf_counter()
            declaration = submit_declaration(
                container.uow(),
                container.clock,
                container.refdata,
                container.signer,
                admin,
                wire(record, index, "r" if with_risk else "p"),
                timed_screener,  # type: ignore[arg-type]
                risk if with_risk else None,
            )
            elapsed = time.perf_counter() - started
            if index == 0:
                first_ms = elapsed * 1000
                continue
            if with_risk:
                totals.append(elapsed * 1000)
                scoring.append(risk.seconds * 1000)
                screening.append(timed_screener.seconds * 1000)
                cpu.append((risk.cpu_seconds + timed_screener.cpu_seconds) * 1000)
                with container.uow(readonly=True) as uow:
                    lane = uow.risk.risk_state(declaration.id)[2] or "unscored"
                lanes[lane] = lanes.get(lane, 0) + 1
            else:
                peers.append(elapsed * 1000)
        bulk = bulk_import(container, admin, risk, args.bulk) if args.bulk else ""
        container.close()
    print(
        f"[{label}] first scored declaration (builds the cache from {args.history} rows): {first_ms:.0f} ms"
    )
    print(f"[{label}] lanes of the scored declarations: {lanes}")
    if bulk:
        print(f"[{label}] {bulk}")
    print(f"| {label} | what | n | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    rows = (
        ("risk scoring in the transaction", scoring),
        ("screening the parties (SDN 2021-07)", screening),
        ("screening + risk scoring", [a + b for a, b in zip(scoring, screening, strict=True)]),
        ("screening + risk scoring, CPU time of this process", cpu),
        ("whole intake, with risk scoring", totals),
        ("whole intake, without risk scoring (peer)", peers),
    )
    for name, values in rows:
        print(
            f"| {label} | {name} | {len(values)} | {statistics.median(values):.2f} | "
            f"{percentile(values, 0.99):.2f} | {max(values):.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=20_000, help="labelled KCS train rows on the node")
    parser.add_argument("--declarations", type=int, default=400, help="declarations submitted with scoring")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL (127.0.0.1:5432)")
    parser.add_argument("--bulk", type=int, default=0, help="also bulk-import this many rows (half scored)")
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f} python {platform.python_version()}"
    )
    started = time.perf_counter()
    screener = Screener.build(read_list(SDN).entries)
    print(
        f"screener: SDN 2021-07, {screener.alias_count} names, built in {time.perf_counter() - started:.1f} s"
    )
    run(None, "SQLite", args, screener)
    if args.postgres:
        url = create_pg_database("sg_risk_intake")
        if url is not None:
            try:
                run(url, "PostgreSQL", args, screener)
            finally:
                drop_pg_database(url)


if __name__ == "__main__":
    main()
