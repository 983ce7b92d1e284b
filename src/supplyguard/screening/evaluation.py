"""Evaluation: recall and false-alert rate at each threshold, by variant kind, on labelled suites.

Suite 1 (``opensanctions_suite``): the OpenSanctions yente candidate-generation fixtures. Positives
are UN Security Council names (clean, and "treated" with typos, reordering, odd spaces or a
shifted birth date) and US Congress members; the expected entry is the one whose name equals the
clean name. Negatives are 50,000 + 50,000 synthetic people who are on no list: any alert on them is
a false alert. Suite 2 (``sdn_suite``): variants generated, seeded, from SDN entries, plus
negatives made of first names and surnames of different entries.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from supplyguard.errors import InvalidInput
from supplyguard.screening import variants
from supplyguard.screening.entries import EntityKind, ListEntry
from supplyguard.screening.normalize import skeleton, tokenize
from supplyguard.screening.screener import Query, Screener

THRESHOLDS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    query: Query
    variant: str
    expected: frozenset[tuple[str, str]] = frozenset()  # (list_id, entity_id); empty: a negative

    @property
    def positive(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the screener did with one labelled query: the best score of an expected entry and
    the best score of any other entry (0.0 when none came back)."""

    variant: str
    positive: bool
    expected_score: float
    other_score: float


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    threshold: float
    recall: float
    false_alert_rate: float
    recall_by_variant: tuple[tuple[str, float, int], ...]
    positives: int
    negatives: int


def run_suite(
    screener: Screener, cases: Iterable[LabelledQuery], floor: float = min(THRESHOLDS)
) -> Iterator[Outcome]:
    for case in cases:
        try:
            hits = screener.screen(case.query, threshold=floor, limit=50)
        except InvalidInput:
            hits = []
        expected = max((h.score for h in hits if (h.list_id, h.entity_id) in case.expected), default=0.0)
        other = max((h.score for h in hits if (h.list_id, h.entity_id) not in case.expected), default=0.0)
        yield Outcome(case.variant, case.positive, expected, other)


def summarise(outcomes: Sequence[Outcome], thresholds: Sequence[float] = THRESHOLDS) -> list[ThresholdRow]:
    """Recall (expected entry at or above the threshold) and false-alert rate (a negative with any
    hit at or above it) for each threshold."""
    positives = [o for o in outcomes if o.positive]
    negatives = [o for o in outcomes if not o.positive]
    kinds = sorted({o.variant for o in positives})
    rows = []
    for t in thresholds:
        found = sum(o.expected_score >= t for o in positives)
        alerts = sum(o.other_score >= t for o in negatives)
        by_kind = []
        for kind in kinds:
            group = [o for o in positives if o.variant == kind]
            by_kind.append((kind, sum(o.expected_score >= t for o in group) / len(group), len(group)))
        rows.append(
            ThresholdRow(
                threshold=t,
                recall=found / len(positives) if positives else 0.0,
                false_alert_rate=alerts / len(negatives) if negatives else 0.0,
                recall_by_variant=tuple(by_kind),
                positives=len(positives),
                negatives=len(negatives),
            )
        )
    return rows


def format_table(title: str, rows: Sequence[ThresholdRow]) -> str:
    lines = [title, f"{'threshold':>9} {'recall':>7} {'false-alert':>11}  by variant (recall, n)"]
    for row in rows:
        kinds = ", ".join(f"{k} {r:.3f} ({n})" for k, r, n in row.recall_by_variant)
        lines.append(f"{row.threshold:>9.2f} {row.recall:>7.4f} {row.false_alert_rate:>11.4f}  {kinds}")
    if rows:
        lines.append(f"({rows[0].positives} positives, {rows[0].negatives} negatives)")
    return "\n".join(lines)


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(sorted(t.text for t in tokenize(name)))


def _read_people(path: Path, limit: int | None) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:limit] if limit is not None else rows


def opensanctions_suite(
    folder: Path, entries: Sequence[ListEntry], *, negatives_per_file: int | None = None
) -> tuple[list[LabelledQuery], int]:
    """Suite 1 from the yente fixtures in ``folder``; returns the cases and how many positives
    were left out because their entry is not in ``entries`` (the lists changed since)."""
    by_key: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    for entry in entries:
        if entry.list_id in ("un-sc", "os-us-congress"):
            for alias in entry.all_names():
                by_key.setdefault(_name_key(alias.name), set()).add((entry.list_id, entry.entity_id))
    cases: list[LabelledQuery] = []
    dropped = 0
    prefix = "candidate_generation_benchmark-fixtures-"
    clean = _read_people(folder / f"{prefix}positives_un_untreated.csv", None)
    treated = _read_people(folder / f"{prefix}positives_un_treated.csv", None)
    congress = _read_people(folder / f"{prefix}positives_us_congress_untreated.csv", None)
    for variant, rows, keys in (
        ("un-clean", clean, clean),
        ("un-treated", treated, clean),
        ("us-congress", congress, congress),
    ):
        for row, key_row in zip(rows, keys, strict=True):
            expected = by_key.get(_name_key(key_row["full_name"]))
            if not expected:
                dropped += 1
                continue
            query = Query(
                row["full_name"], dob=row.get("date_of_birth", ""), country=row.get("nationality", "")
            )
            cases.append(LabelledQuery(query, variant, frozenset(expected)))
    for name in ("negatives_global", "negatives_us"):
        for row in _read_people(folder / f"{prefix}{name}.csv", negatives_per_file):
            query = Query(
                row["full_name"], dob=row.get("date_of_birth", ""), country=row.get("nationality", "")
            )
            cases.append(LabelledQuery(query, name.replace("_", "-")))
    return cases, dropped


_CYRILLIC_HINTS = ("UKRAINE", "RUSSIA", "BELARUS", "CYBER", "MAGNIT", "CAATSA", "BALKANS")
_ARABIC_HINTS = (
    "SDGT",
    "IRAQ",
    "SYRIA",
    "IRAN",
    "IRGC",
    "FTO",
    "LIBYA",
    "YEMEN",
    "LEBANON",
    "SDT",
    "HIZBALLAH",
)


def sdn_suite(
    entries: Sequence[ListEntry], *, seed: int = 7, per_variant: int = 300, negatives: int = 3000
) -> list[LabelledQuery]:
    """Suite 2: seeded variants of SDN names, and negatives recombined from different entries."""
    rng = random.Random(seed)
    sdn = [e for e in entries if e.list_id == "ofac-sdn"]
    people = [e for e in sdn if e.kind is EntityKind.PERSON and len(e.name.split()) >= 2]
    orgs = [e for e in sdn if e.kind is EntityKind.ORGANISATION]
    cyrillic = [e for e in people if any(h in p for p in e.programs for h in _CYRILLIC_HINTS)]
    arabic = [e for e in people if any(h in p for p in e.programs for h in _ARABIC_HINTS)]
    three = [e for e in people if len(e.name.replace(",", " ").split()) >= 3]
    makers: list[tuple[str, list[ListEntry], Callable[[str], str]]] = [
        ("exact", people + orgs, lambda n: n),
        ("typo", people + orgs, lambda n: variants.typo(n, rng)),
        ("two-typos", people, lambda n: variants.typo(variants.typo(n, rng), rng)),
        ("reorder", people, lambda n: variants.reorder(n, rng)),
        ("drop-middle", three, lambda n: variants.drop_middle(n, rng)),
        ("initials", three, lambda n: variants.initials(n, rng)),
        ("spacing", people + orgs, lambda n: variants.spacing(n, rng)),
        ("suffix-swap", orgs, lambda n: variants.suffix_swap(n, rng)),
        ("cyrillic", cyrillic, variants.to_cyrillic),
        ("arabic", arabic, variants.to_arabic),
        ("lower-noaccent", people + orgs, lambda n: n.lower().replace(",", "")),
    ]
    cases: list[LabelledQuery] = []
    for variant, pool, make in makers:
        for entry in rng.sample(pool, min(per_variant, len(pool))):
            name = make(entry.name)
            if name.strip():
                cases.append(
                    LabelledQuery(Query(name), variant, frozenset({(entry.list_id, entry.entity_id)}))
                )
    known: set[tuple[str, str]] = set()
    for e in entries:
        for a in e.all_names():
            skels = sorted({skeleton(t.text) for t in tokenize(a.name)})
            known.update((x, y) for x in skels for y in skels)
    firsts = [
        e.name.split(",", 1)[1].split()[0]
        for e in people
        if "," in e.name and e.name.split(",", 1)[1].split()
    ]
    lasts = [e.name.split(",", 1)[0] for e in people if "," in e.name]
    made = 0
    while made < negatives:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        pair = sorted(skeleton(t.text) for t in tokenize(name))
        if len(pair) != 2 or (pair[0], pair[1]) in known:
            continue
        cases.append(LabelledQuery(Query(name), "recombined-negative"))
        made += 1
    return cases


def baseline_scores(
    entries: Sequence[ListEntry], cases: Sequence[LabelledQuery], *, workers: int = 1, batch: int = 256
) -> list[Outcome]:
    """The brute-force baseline: rapidfuzz Jaro-Winkler of the whole upper-cased name against
    every alias of every entry (best alias per entry); no index, no transliteration, no tokens."""
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    names: list[str] = []
    owners: list[tuple[str, str]] = []
    columns: dict[tuple[str, str], list[int]] = {}
    for entry in entries:
        for alias in entry.all_names():
            columns.setdefault((entry.list_id, entry.entity_id), []).append(len(names))
            names.append(alias.name.upper())
            owners.append((entry.list_id, entry.entity_id))
    outcomes: list[Outcome] = []
    for start in range(0, len(cases), batch):
        chunk = cases[start : start + batch]
        matrix = process.cdist(
            [c.query.name.upper() for c in chunk],
            names,
            scorer=JaroWinkler.normalized_similarity,
            dtype=np.float32,
            workers=workers,
        )
        for row, case in enumerate(chunk):
            own = [i for key in case.expected for i in columns.get(key, [])]
            expected = float(matrix[row, own].max()) if own else 0.0
            matrix[row, own] = -1.0
            outcomes.append(Outcome(case.variant, case.positive, expected, float(matrix[row].max())))
    return outcomes


STANDARD_LISTS = (
    "ofac/sdn-2021-07",
    "ofac/consolidated-2025-12",
    "un/UN_consolidated-2026-02-27.xml",
    "csl/csl-sample-2019-12.csv",
    "csl/csl-sample-2025.csv",
    "bis/dpl-2022-09.txt",
    "opensanctions/us_congress_senzing.json",
)


def evaluate_folder(
    folder: Path,
    *,
    lists: Sequence[str] = STANDARD_LISTS,
    negatives_per_file: int | None = None,
    seed: int = 2026,
    per_variant: int = 300,
    thresholds: Sequence[float] = THRESHOLDS,
) -> list[tuple[str, list[ThresholdRow]]]:
    """Both suites against the lists under ``folder`` (a copy of shared/data/screening):
    ``[(title, rows), ...]`` for printing with :func:`format_table`."""
    from supplyguard.screening.readers import read_list

    entries = [e for name in lists for e in read_list(folder / name).entries]
    screener = Screener.build(entries)
    suite1, dropped = opensanctions_suite(
        folder / "opensanctions", entries, negatives_per_file=negatives_per_file
    )
    suite2 = sdn_suite(entries, seed=seed, per_variant=per_variant)
    return [
        (
            f"suite 1: OpenSanctions yente fixtures ({dropped} positives no longer listed, left out)",
            summarise(list(run_suite(screener, suite1)), thresholds),
        ),
        (
            f"suite 2: generated from SDN, seed {seed}",
            summarise(list(run_suite(screener, suite2)), thresholds),
        ),
    ]


if __name__ == "__main__":  # python -m supplyguard.screening.evaluation ../shared/data/screening [N]
    import sys

    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    for title, rows in evaluate_folder(Path(sys.argv[1]), negatives_per_file=limit):
        print(format_table(title, rows), end="\n\n")
