"""Party screening against sanctions and denied-party lists (pure engine: data in, data out).

Read lists with :func:`read_list`, build a :class:`Screener` once over all their entries, then
``screener.screen(Query(...))`` or ``screener.screen_many(queries)``. Every :class:`Hit` has a score
in [0, 1], the list's own entity id, the matched alias and the reasons in words.
"""

from supplyguard.screening.entries import (
    Address,
    Alias,
    EntityKind,
    Identifier,
    ListEntry,
    ListMetadata,
    ListSnapshot,
)
from supplyguard.screening.evaluation import (
    LabelledQuery,
    Outcome,
    ThresholdRow,
    baseline_scores,
    evaluate_folder,
    format_table,
    opensanctions_suite,
    run_suite,
    sdn_suite,
    summarise,
)
from supplyguard.screening.normalize import MAX_NAME_CHARS, tokenize
from supplyguard.screening.readers import FORMATS, detect_format, read_list
from supplyguard.screening.screener import DEFAULT_THRESHOLD, Hit, Query, Screener

__all__ = [
    "DEFAULT_THRESHOLD",
    "FORMATS",
    "MAX_NAME_CHARS",
    "Address",
    "Alias",
    "EntityKind",
    "Hit",
    "Identifier",
    "LabelledQuery",
    "ListEntry",
    "ListMetadata",
    "ListSnapshot",
    "Outcome",
    "Query",
    "Screener",
    "ThresholdRow",
    "baseline_scores",
    "detect_format",
    "evaluate_folder",
    "format_table",
    "opensanctions_suite",
    "read_list",
    "run_suite",
    "sdn_suite",
    "summarise",
    "tokenize",
]
