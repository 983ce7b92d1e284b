"""One call for ``risk evaluate``: the DATE protocol, the hard subset and the online simulation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from supplyguard.risk.evaluation import EvaluationReport, evaluate_run, run_date_protocol
from supplyguard.risk.model import TrainingOptions
from supplyguard.risk.online import (
    EXPLOIT,
    EXPLORE_NOVELTY,
    EXPLORE_UNCERTAIN,
    RANDOM_ONLY,
    OnlinePolicy,
    PastPolicy,
    Start,
    simulate_online,
)
from supplyguard.risk.records import DeclarationRow

#: the novelty explorer is the one that did best on the valid weeks (docs/benchmarks.md)
DEFAULT_POLICIES: tuple[OnlinePolicy, ...] = (EXPLORE_NOVELTY, EXPLORE_UNCERTAIN, EXPLOIT, RANDOM_ONLY)


def evaluate_kcs(
    train_rows: Sequence[DeclarationRow],
    valid_rows: Sequence[DeclarationRow],
    test_rows: Sequence[DeclarationRow],
    *,
    online_policies: Sequence[OnlinePolicy] = DEFAULT_POLICIES,
    capacity_share: float = 0.05,
    options: TrainingOptions | None = None,
    starts: Sequence[Start] = (Start.INSPECTED_HISTORY, Start.FULL_LABELS),
    past_policy: PastPolicy = PastPolicy.TARGETED,
) -> EvaluationReport:
    """Test-set figures for the three rankings (all and hard subset) and, unless no policies are
    given, the online simulation through valid + test at ``capacity_share``, from each of
    ``starts`` (the inspected-history start with ``past_policy``)."""
    run = run_date_protocol(train_rows, valid_rows, test_rows, options)
    report = evaluate_run(run, [*train_rows, *valid_rows])
    if not online_policies:
        return report
    stream = [*valid_rows, *test_rows]
    online = tuple(
        simulate_online(
            train_rows, stream, policy, capacity_share=capacity_share, start=start, past_policy=past_policy
        )
        for start in starts
        for policy in online_policies
    )
    note = (
        f"online: weekly, {capacity_share:.0%} of each week's declarations inspected, outcomes revealed only"
        " for inspected rows, model retrained every 4 weeks; inspected-history: 2020 outcomes only for"
        f" the {capacity_share:.0%} a {past_policy.value} past policy inspected each week"
    )
    return dataclasses.replace(report, online=online, notes=(*report.notes, note))
