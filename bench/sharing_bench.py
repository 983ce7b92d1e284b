"""Sharing engine benchmarks: sign + verify throughput, and correlation of 10k indicators vs 1M records.

Run: ``.venv/bin/python bench/sharing_bench.py [--objects 2000] [--records 1000000] [--indicators 10000]``.
Data are generated from a fixed seed; the table ends with the machine it ran on.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from supplyguard.model.containers import container_check_digit
from supplyguard.sharing import (
    SHIPMENT_EXTENSION_ID,
    Authoring,
    Conveyance,
    CorrelationIndex,
    GoodsLine,
    IdentifierKind,
    Keyring,
    LocalRecord,
    RoutePoint,
    ShipmentDetails,
    SignedObject,
    SigningKey,
    SuspectShipment,
    build_suspect_shipment,
    canonical_record,
    disclose,
    imo_check_digit,
    sign_object,
    verify_object,
)

AUTHOR = "identity--0a0a0a0a-0000-4000-8000-00000000000a"
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "to",
    "ve",
    "su",
    "an",
    "del",
    "mar",
    "nor",
    "sol",
    "tek",
    "vin",
    "zu",
    "pe",
]
WORDS = [(a + b + c).capitalize() for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]  # 4,096 words
SUFFIXES = ["Ltd", "GmbH", "S.A.", "LLC", "Co., Ltd.", "B.V.", "", "Trading", "Logistics"]


OWNER_CODES = ["".join(random.Random(n).choices(string.ascii_uppercase, k=3)) + "U" for n in range(2000)]


def container_number(rng: random.Random) -> str:
    first_ten = rng.choice(OWNER_CODES) + f"{rng.randrange(1_000_000):06d}"
    return first_ten + str(container_check_digit(first_ten))


def imo_number(rng: random.Random) -> str:
    six = f"{rng.randrange(100_000, 1_000_000)}"
    return six + str(imo_check_digit(six))


def party_name(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(3)]
    return " ".join(words) + " " + rng.choice(SUFFIXES)


def shipment(rng: random.Random, i: int) -> SuspectShipment:
    return SuspectShipment(
        name=f"Suspect shipment {i}",
        risk_reasons=("consignee linked to a seizure",),
        valid_from=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i),
        shipment=ShipmentDetails(
            goods=(GoodsLine("bananas", "080390", 1200, "boxes", 21_600.0),),
            container_numbers=(container_number(rng),),
            conveyance=Conveyance("sea", vessel_name="Nordic Star", vessel_imo=imo_number(rng)),
            route=(RoutePoint("EC", "loading", "ECGYE"), RoutePoint("NL", "discharge", "NLRTM")),
            consignee_name=party_name(rng),
            consignee_eori="NL812345678",
        ),
    )


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "inf"


def bench_signing(count: int, rows: list[tuple[str, str, str]]) -> None:
    rng = random.Random(7)
    key = SigningKey.from_private_bytes("customs-a", AUTHOR, bytes(range(32)))
    keyring = Keyring([key.trusted()])
    created = datetime(2026, 11, 1, tzinfo=UTC)
    start = time.perf_counter()
    objects = [
        build_suspect_shipment(shipment(rng, i), Authoring(AUTHOR, created + timedelta(seconds=i)))
        for i in range(count)
    ]
    built = time.perf_counter() - start
    rows.append((f"build {count} suspect-shipment objects (stix2)", f"{built:.2f} s", rate(count, built)))
    start = time.perf_counter()
    signed = [sign_object(obj, key) for obj in objects]
    took = time.perf_counter() - start
    fields = len(signed[0].header.commitments)
    rows.append((f"sign ({fields} field commitments each)", f"{took:.2f} s", rate(count, took)))
    start = time.perf_counter()
    for item in signed:
        verify_object(item, keyring)
    took = time.perf_counter() - start
    rows.append(("verify", f"{took:.2f} s", rate(count, took)))
    wire = [item.to_stix() for item in signed]
    start = time.perf_counter()
    for obj in wire:
        verify_object(SignedObject.from_stix(obj), keyring)
    took = time.perf_counter() - start
    rows.append(("parse wire form + verify", f"{took:.2f} s", rate(count, took)))
    keep = [p for p in signed[0].salts if not p.startswith("shipment.consignee")]
    redacted = [disclose(item, keep) for item in signed]
    start = time.perf_counter()
    for item in redacted:
        verify_object(item, keyring)
    took = time.perf_counter() - start
    rows.append(("verify redacted copies", f"{took:.2f} s", rate(count, took)))


def local_records(count: int, rng: random.Random) -> list[LocalRecord]:
    return [
        LocalRecord(
            record_id=f"DECL-{i:07d}",
            kind="declaration",
            identifiers=(
                (IdentifierKind.CONTAINER, container_number(rng)),
                (IdentifierKind.IMO, imo_number(rng)),
            ),
            party_names=(party_name(rng),),
        )
        for i in range(count)
    ]


def incoming_indicator(i: int, container: str, name: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "pattern": f"[x-supplyguard-consignment:container_number = '{container}']",
        "extensions": {
            SHIPMENT_EXTENSION_ID: {
                "extension_type": "property-extension",
                "container_numbers": [container],
                "consignee_name": name,
            }
        },
    }


def bench_correlation(records: int, indicators: int, rows: list[tuple[str, str, str]]) -> None:
    rng = random.Random(11)
    start = time.perf_counter()
    local = local_records(records, rng)
    rows.append((f"generate {records:,} local declarations", f"{time.perf_counter() - start:.2f} s", ""))
    start = time.perf_counter()
    stored = [canonical_record(record) for record in local]  # what intake stores, once per declaration
    took = time.perf_counter() - start
    rows.append((f"canonicalise {records:,} records (intake cost)", f"{took:.2f} s", rate(records, took)))
    del local
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    index = CorrelationIndex()
    start = time.perf_counter()
    index.add_many(stored, canonical=True)
    took = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows.append(
        (
            f"index {records:,} records stored canonical at intake",
            f"{took:.2f} s",
            f"{rate(records, took)}, peak RSS +{(rss_after - rss_before) / 1024:,.0f} MiB",
        )
    )
    incoming: list[dict[str, Any]] = []
    for i in range(indicators):
        if i % 100 == 0:  # 1 % hit a local container, 1 % a local party name
            record = stored[rng.randrange(records)]
            incoming.append(incoming_indicator(i, record.identifiers[0][1], party_name(rng)))
        elif i % 100 == 1:
            record = stored[rng.randrange(records)]
            incoming.append(incoming_indicator(i, container_number(rng), record.party_names[0]))
        else:
            incoming.append(incoming_indicator(i, container_number(rng), party_name(rng)))
    start = time.perf_counter()
    matches = index.match_objects(incoming)
    took = time.perf_counter() - start
    rows.append(
        (
            f"match {indicators:,} indicators -> {len(matches):,} matches",
            f"{took:.2f} s",
            rate(indicators, took),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=10_000)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    bench_signing(args.objects, rows)
    bench_correlation(args.records, args.indicators, rows)
    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  {'time':>9}  rate / memory")
    for step, seconds, extra in rows:
        print(f"{step.ljust(width)}  {seconds:>9}  {extra}")
    print(
        f"\nmachine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
