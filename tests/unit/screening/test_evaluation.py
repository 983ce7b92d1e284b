from __future__ import annotations

import random

import pytest

from supplyguard.screening import (
    EntityKind,
    ListEntry,
    ListSnapshot,
    Outcome,
    Screener,
    evaluate_folder,
    format_table,
    opensanctions_suite,
    run_suite,
    sdn_suite,
    summarise,
)
from supplyguard.screening.evaluation import baseline_scores
from supplyguard.screening.variants import (
    drop_middle,
    initials,
    spacing,
    suffix_swap,
    to_arabic,
    to_cyrillic,
    typo,
)

from .conftest import SCREENING, shared


def test_summarise_counts_recall_and_false_alerts_per_threshold() -> None:
    outcomes = [
        Outcome("typo", True, 0.9, 0.0),
        Outcome("typo", True, 0.7, 0.0),
        Outcome("exact", True, 1.0, 0.0),
        Outcome("negative", False, 0.0, 0.85),
        Outcome("negative", False, 0.0, 0.1),
    ]
    rows = {r.threshold: r for r in summarise(outcomes, (0.75, 0.9))}
    assert rows[0.75].recall == pytest.approx(2 / 3)
    assert rows[0.75].false_alert_rate == pytest.approx(0.5)
    assert rows[0.9].false_alert_rate == 0.0
    assert dict((k, r) for k, r, _ in rows[0.75].recall_by_variant) == {"exact": 1.0, "typo": 0.5}
    assert "0.75" in format_table("t", list(rows.values()))


def test_variants_are_seeded_and_do_what_they_say() -> None:
    assert typo("IVANOV, Sergei", random.Random(1)) == typo("IVANOV, Sergei", random.Random(1))
    assert drop_middle("IVANOV, Victor Petrovich", random.Random(1)) == "Victor IVANOV"
    assert initials("IVANOV, Victor Petrovich", random.Random(0)).count(".") == 1
    assert spacing("IVANOV, Sergei", random.Random(0)) == "SergeiIVANOV"
    assert suffix_swap("STG-EKO LLC", random.Random(0)) == "STG-EKO LTD"
    assert to_cyrillic("IVANOV, Sergei") == "сергеи иванов"
    assert to_arabic("AL-TIKRITI, Saddam") == "سدم التيكريتي"


def test_sdn_suite_is_deterministic_and_labelled(sdn: ListSnapshot) -> None:
    entries = sdn.entries[:2500]
    first = sdn_suite(entries, seed=3, per_variant=5, negatives=20)
    again = sdn_suite(entries, seed=3, per_variant=5, negatives=20)
    assert [c.query.name for c in first] == [c.query.name for c in again]
    assert sum(not c.positive for c in first) == 20
    assert {c.variant for c in first if c.positive} >= {"typo", "cyrillic", "arabic", "reorder", "spacing"}


def test_small_sdn_suite_meets_the_targets(sdn: ListSnapshot) -> None:
    entries = sdn.entries
    screener = Screener.build(entries)
    cases = sdn_suite(entries, seed=11, per_variant=12, negatives=120)
    row = next(r for r in summarise(list(run_suite(screener, cases))) if r.threshold == 0.75)
    assert row.recall >= 0.95
    assert row.false_alert_rate <= 0.03


def test_opensanctions_suite_labels_from_the_un_list(un_entries: tuple[ListEntry, ...]) -> None:
    shared("opensanctions")
    cases, dropped = opensanctions_suite(SCREENING / "opensanctions", un_entries, negatives_per_file=50)
    positives = [c for c in cases if c.positive]
    assert {c.variant for c in positives} == {"un-clean", "un-treated"}
    assert dropped > 1000  # the Congress names are not in the UN list given
    assert sum(not c.positive for c in cases) == 100
    assert all(next(iter(c.expected))[0] == "un-sc" for c in positives)


def test_baseline_finds_exact_names_only() -> None:
    entries = [ListEntry("x", "1", EntityKind.PERSON, "IVANOV, Sergei")]
    from supplyguard.screening import Query
    from supplyguard.screening.evaluation import LabelledQuery

    cases = [
        LabelledQuery(Query("IVANOV, Sergei"), "exact", frozenset({("x", "1")})),
        LabelledQuery(Query("Сергей Иванов"), "cyrillic", frozenset({("x", "1")})),
    ]
    exact, cyrillic = baseline_scores(entries, cases)
    assert exact.expected_score == pytest.approx(1.0)
    assert cyrillic.expected_score < 0.5


@pytest.mark.slow
def test_full_evaluation_meets_the_targets() -> None:
    shared("opensanctions")
    for _title, rows in evaluate_folder(SCREENING):
        row = next(r for r in rows if r.threshold == 0.75)
        assert row.recall >= 0.98
        assert row.false_alert_rate <= 0.01
