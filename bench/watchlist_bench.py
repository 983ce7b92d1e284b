"""Keyed watch-list exchange: matching a partner's keyed list against local declarations, and signing.

Run: ``.venv/bin/python bench/watchlist_bench.py [--declarations 200000] [--partner-digests 10000]``.

Each generated declaration has two containers, two party names and an EORI-like importer code (five
items, as ``services.sharing_watch.declaration_items`` yields them). The partner's list holds
``--partner-digests`` keyed digests, 1 % of them of local containers. Measured in the same run:

* keyed matching (canonicalise + HMAC-SHA256 under the agreement key + set lookup), as the pull does;
* the peer: MISP-style unkeyed SHA-256 of the same canonical values (what keying costs over it);
* the floor: canonicalisation alone.

CPU seconds (``time.process_time``) are reported beside wall seconds: the development machine is shared.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import platform
import random
import resource
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from supplyguard.model.canonical import canonical_json
from supplyguard.model.containers import container_check_digit
from supplyguard.services.sharing_watch import LocalItem, match_local_items
from supplyguard.sharing import IdentifierKind, KeyedWatchList, SigningKey, keyed_digest, watch_list_key_id
from supplyguard.sharing.identifiers import IdentifierInvalid, canonical_identifier
from supplyguard.sharing.watch_exchange import list_key, parse_watch_list, sign_watch_list, verify_watch_list

WORDS = [
    "golden",
    "harbor",
    "pacific",
    "trading",
    "frutas",
    "global",
    "ocean",
    "star",
    "delta",
    "nova",
    "orient",
]
SUFFIXES = ["Ltd", "GmbH", "S.A.", "B.V.", "Co., Ltd", "LLC"]
ORG = uuid.UUID(int=1)


def container(rng: random.Random) -> str:
    first_ten = (
        "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=3)) + "U" + f"{rng.randrange(1_000_000):06d}"
    )
    return first_ten + str(container_check_digit(first_ten))


def items(count: int, seed: int = 7) -> Iterator[LocalItem]:
    rng = random.Random(seed)
    for n in range(count):
        ref = f"declaration D-{n}"
        for _ in range(2):
            yield LocalItem(IdentifierKind.CONTAINER, container(rng), f"{ref} (container)", ORG)
        for role in ("importer", "seller"):
            name = " ".join(rng.choices(WORDS, k=3)) + " " + rng.choice(SUFFIXES)
            yield LocalItem(IdentifierKind.PARTY_NAME, name, f"{ref} ({role} name)", ORG)
        yield LocalItem(
            IdentifierKind.EORI, f"NL{rng.randrange(10**8, 10**9)}", f"{ref} (importer code)", ORG
        )


def timed(label: str, fn: object) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()  # type: ignore[operator]
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declarations", type=int, default=200_000)
    parser.add_argument("--partner-digests", type=int, default=10_000)
    args = parser.parse_args()
    key = list_key(bytes(range(32)), "cmaa-bench")
    rng = random.Random(11)
    overlap = [
        keyed_digest(
            key, IdentifierKind.CONTAINER, canonical_identifier(IdentifierKind.CONTAINER, item.value)
        )
        for item in items(args.declarations)
        if item.kind is IdentifierKind.CONTAINER
        and rng.random() < 0.01 * args.partner_digests / args.declarations
    ][: args.partner_digests // 100]
    noise = [
        hashlib.sha256(f"noise-{n}".encode()).hexdigest() for n in range(args.partner_digests - len(overlap))
    ]
    partner = frozenset(overlap + noise)
    n_items = args.declarations * 5
    rows: list[tuple[str, str, str, str]] = []

    (keyed, hits), wall, cpu = timed(
        "keyed", lambda: match_local_items(items(args.declarations), key, partner)
    )  # type: ignore[misc]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(
        (
            "keyed match (canonicalise + HMAC + lookup)",
            f"{wall:.1f}",
            f"{cpu:.1f}",
            f"{n_items / cpu:,.0f} items/s, {len(hits)} hits",
        )
    )

    def unkeyed() -> int:
        @functools.lru_cache(maxsize=65536)  # the same cache the keyed match has
        def digest_of(kind: IdentifierKind, value: str) -> str | None:
            try:
                return hashlib.sha256(
                    canonical_json([kind.value, canonical_identifier(kind, value)])
                ).hexdigest()
            except IdentifierInvalid:
                return None

        return sum(digest_of(item.kind, item.value) in partner for item in items(args.declarations))

    _, wall, cpu = timed("unkeyed", unkeyed)
    rows.append(
        ("peer: unkeyed SHA-256 (MISP-style)", f"{wall:.1f}", f"{cpu:.1f}", f"{n_items / cpu:,.0f} items/s")
    )

    def canonical_only() -> int:
        done = 0
        for item in items(args.declarations):
            try:
                canonical_identifier(item.kind, item.value)
                done += 1
            except IdentifierInvalid:
                pass
        return done

    _, wall, cpu = timed("floor", canonical_only)
    rows.append(
        ("floor: generate + canonicalise only", f"{wall:.1f}", f"{cpu:.1f}", f"{n_items / cpu:,.0f} items/s")
    )

    signer = SigningKey.from_private_bytes("customs-a", "identity--a", bytes(range(1, 33)))
    for size in (10_000, 200_000):
        digests = frozenset(hashlib.sha256(f"d{n}".encode()).hexdigest() for n in range(size))
        keyed_list = KeyedWatchList("cmaa-bench", watch_list_key_id(key), digests)

        def sign(keyed_list: KeyedWatchList = keyed_list) -> object:
            return sign_watch_list(signer, keyed_list, "customs-b", datetime.now(UTC))

        signed, wall_s, cpu_s = timed("sign", sign)
        wire = signed.as_dict()  # type: ignore[attr-defined]

        def check(wire: dict[str, object] = wire) -> None:
            verify_watch_list(
                parse_watch_list(wire),
                signer.trusted(),
                recipient="customs-b",
                agreement_id="cmaa-bench",
                our_list_key=key,
            )

        _, wall_v, cpu_v = timed("verify", check)
        rows.append((f"sign a {size:,}-digest list", f"{wall_s:.2f}", f"{cpu_s:.2f}", ""))
        rows.append((f"parse + verify a {size:,}-digest list", f"{wall_v:.2f}", f"{cpu_v:.2f}", ""))

    print(
        f"{args.declarations:,} declarations ({n_items:,} items, {keyed:,} keyed), "
        f"partner list {len(partner):,} digests"
    )
    print(f"{'step':48} {'wall s':>7} {'CPU s':>7}  rate")
    for label, wall_text, cpu_text, note in rows:
        print(f"{label:48} {wall_text:>7} {cpu_text:>7}  {note}")
    print(f"peak RSS {rss_mb:.0f} MiB after the keyed match")
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
