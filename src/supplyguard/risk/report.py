"""One call for ``risk evaluate``: the DATE protocol, the hard subset and the online simulation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from supplyguard.risk.evaluation import EvaluationReport, evaluate_run, run_date_protocol
from supplyguard.risk.model import TrainingOptions
from supplyguard.risk.online import EXPLOIT, EXPLORE_UNCERTAIN, RANDOM_ONLY, OnlinePolicy, simulate_online
from supplyguard.risk.records import DeclarationRow

DEFAULT_POLICIES: tuple[OnlinePolicy, ...] = (EXPLORE_UNCERTAIN, EXPLOIT, RANDOM_ONLY)


def evaluate_kcs(
    train_rows: Sequence[DeclarationRow],
    valid_rows: Sequence[DeclarationRow],
    test_rows: Sequence[DeclarationRow],
    *,
    online_policies: Sequence[OnlinePolicy] = DEFAULT_POLICIES,
    capacity_share: float = 0.05,
    options: TrainingOptions | None = None,
) -> EvaluationReport:
    """Test-set figures for the three rankings (all and hard subset) and, unless no policies are
    given, the online simulation through valid + test at ``capacity_share``."""
    run = run_date_protocol(train_rows, valid_rows, test_rows, options)
    report = evaluate_run(run, [*train_rows, *valid_rows])
    if not online_policies:
        return report
    stream = [*valid_rows, *test_rows]
    online = tuple(
        simulate_online(train_rows, stream, policy, capacity_share=capacity_share)
        for policy in online_policies
    )
    note = (
        f"online: weekly, {capacity_share:.0%} of each week's declarations inspected, outcomes revealed only"
        " for inspected rows, model retrained every 4 weeks"
    )
    return dataclasses.replace(report, online=online, notes=(*report.notes, note))
