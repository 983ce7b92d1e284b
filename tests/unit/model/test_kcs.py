from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.declarations import InspectionOutcome, OutcomeResult
from supplyguard.model.intake import parse_declaration
from supplyguard.model.kcs import (
    KCS_COLUMNS,
    declaration_to_kcs_row,
    kcs_labels_to_result,
    kcs_row_to_mapping,
)
from supplyguard.model.refdata import load_reference_data
from tests.conftest import require_shared

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _same_number(a: str, b: str) -> bool:
    return float(a) == float(b)


def test_every_kcs_test_row_maps_onto_the_model_and_back_without_loss() -> None:
    path = require_shared("customs", "df_syn_test_eng.csv")
    refdata = load_reference_data()
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 8481
    for row in rows:
        declaration = parse_declaration(
            kcs_row_to_mapping(row), org_id=uuid.UUID(int=1), received_at=NOW, refdata=refdata
        )
        result = kcs_labels_to_result(row)
        assert result is not None
        outcome = InspectionOutcome(declaration.id, True, result, 0.0, "", NOW)
        back = declaration_to_kcs_row(declaration, outcome)
        for column in (*KCS_COLUMNS, "Fraud", "Critical Fraud"):
            original, mapped = row[column], back[column]
            if column in ("Tax Rate", "Net Mass", "Item Price"):
                assert _same_number(original, mapped), (column, original, mapped)
            elif column == "HS6 Code":
                assert mapped == original.zfill(6)
            else:
                assert mapped == original, (column, original, mapped)


@pytest.mark.parametrize(
    ("fraud", "critical", "expected"),
    [
        ("0", "0", OutcomeResult.COMPLIANT),
        ("1", "1", OutcomeResult.FRAUD),
        ("1", "2", OutcomeResult.CRITICAL_FRAUD),
    ],
)
def test_labels_map_to_outcomes(fraud: str, critical: str, expected: OutcomeResult) -> None:
    assert kcs_labels_to_result({"Fraud": fraud, "Critical Fraud": critical}) is expected


def test_inconsistent_labels_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        kcs_labels_to_result({"Fraud": "0", "Critical Fraud": "2"})
