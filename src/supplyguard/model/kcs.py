"""The KCS import-declaration layout (Jeong et al., arXiv 2208.02484) and its mapping onto the model.

Every KCS column maps to one field, and :func:`declaration_to_kcs_row` maps back, so a round trip
loses nothing. ``Fraud`` / ``Critical Fraud`` (0/0, 1/1, 1/2) become an inspection outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.declarations import Declaration, InspectionOutcome, OutcomeResult

KCS_COLUMNS: tuple[str, ...] = (
    "Declaration ID",
    "Date",
    "Office ID",
    "Process Type",
    "Import Type",
    "Import Use",
    "Payment Type",
    "Mode of Transport",
    "Declarant ID",
    "Importer ID",
    "Seller ID",
    "Courier ID",
    "HS6 Code",
    "Country of Departure",
    "Country of Origin",
    "Tax Rate",
    "Tax Type",
    "Country of Origin Indicator",
    "Net Mass",
    "Item Price",
)
KCS_LABEL_COLUMNS: tuple[str, ...] = ("Fraud", "Critical Fraud")

_LABELS_TO_RESULT: dict[tuple[str, str], OutcomeResult] = {
    ("0", "0"): OutcomeResult.COMPLIANT,
    ("1", "1"): OutcomeResult.FRAUD,
    ("1", "2"): OutcomeResult.CRITICAL_FRAUD,
}
_RESULT_TO_LABELS = {result: labels for labels, result in _LABELS_TO_RESULT.items()}


def is_kcs_header(header: list[str]) -> bool:
    return all(column in header for column in KCS_COLUMNS)


def kcs_row_to_mapping(row: Mapping[str, str]) -> dict[str, Any]:
    """A KCS CSV row as wire field names, ready for :func:`parse_declaration`."""

    def party(column: str) -> str | None:
        value = (row.get(column) or "").strip()
        return value or None

    return {
        "reference": row.get("Declaration ID"),
        "declared_on": row.get("Date"),
        "office_id": row.get("Office ID"),
        "process_type": row.get("Process Type"),
        "import_type": row.get("Import Type"),
        "import_use": row.get("Import Use"),
        "payment_type": row.get("Payment Type"),
        "transport_mode": row.get("Mode of Transport"),
        "declarant": party("Declarant ID"),
        "importer": party("Importer ID"),
        "seller": party("Seller ID"),
        "courier": party("Courier ID"),
        "items": [
            {
                "hs_code": row.get("HS6 Code"),
                "departure_country": row.get("Country of Departure"),
                "origin_country": row.get("Country of Origin"),
                "tax_rate_pct": row.get("Tax Rate"),
                "tax_type": row.get("Tax Type"),
                "origin_indicator": row.get("Country of Origin Indicator"),
                "net_mass_kg": row.get("Net Mass"),
                "value": row.get("Item Price"),
            }
        ],
    }


_COLUMN_BY_FIELD = {
    "reference": "Declaration ID",
    "declared_on": "Date",
    "office_id": "Office ID",
    "process_type": "Process Type",
    "import_type": "Import Type",
    "import_use": "Import Use",
    "payment_type": "Payment Type",
    "transport_mode": "Mode of Transport",
    "declarant": "Declarant ID",
    "importer": "Importer ID",
    "seller": "Seller ID",
    "courier": "Courier ID",
    "hs_code": "HS6 Code",
    "departure_country": "Country of Departure",
    "origin_country": "Country of Origin",
    "tax_rate_pct": "Tax Rate",
    "tax_type": "Tax Type",
    "origin_indicator": "Country of Origin Indicator",
    "net_mass_kg": "Net Mass",
    "value": "Item Price",
}


def kcs_column_for(location: tuple[str | int, ...]) -> str | None:
    """The KCS column a field error points at: ``("items", 0, "value")`` -> ``"Item Price"``."""
    for part in reversed(location):
        if isinstance(part, str) and part in _COLUMN_BY_FIELD:
            return _COLUMN_BY_FIELD[part]
    return None


def kcs_labels_to_result(row: Mapping[str, str]) -> OutcomeResult | None:
    """The outcome the labels record, None when the row has no labels; ValidationFailed when odd."""
    fraud = (row.get("Fraud") or "").strip()
    critical = (row.get("Critical Fraud") or "").strip()
    if not fraud and not critical:
        return None
    result = _LABELS_TO_RESULT.get((fraud, critical))
    if result is None:
        raise ValidationFailed(
            [
                FieldError(
                    ("Fraud",), f"labels Fraud={fraud!r}, Critical Fraud={critical!r} are not 0/0, 1/1 or 1/2"
                )
            ]
        )
    return result


def _number_text(value: float) -> str:
    return repr(float(value))


def declaration_to_kcs_row(
    declaration: Declaration, outcome: InspectionOutcome | None = None
) -> dict[str, str]:
    """Back to the KCS layout (first item), with labels when an outcome is given."""
    item = declaration.items[0]

    def code(ref: object) -> str:
        return getattr(ref, "code", "") if ref is not None else ""

    row = {
        "Declaration ID": declaration.reference,
        "Date": declaration.declared_on.isoformat(),
        "Office ID": declaration.office_id,
        "Process Type": declaration.process_type or "",
        "Import Type": declaration.import_type or "",
        "Import Use": declaration.import_use or "",
        "Payment Type": declaration.payment_type or "",
        "Mode of Transport": declaration.transport_mode,
        "Declarant ID": code(declaration.declarant),
        "Importer ID": code(declaration.importer),
        "Seller ID": code(declaration.seller),
        "Courier ID": code(declaration.courier),
        "HS6 Code": item.hs_code,
        "Country of Departure": item.departure_country or "",
        "Country of Origin": item.origin_country,
        "Tax Rate": _number_text(item.tax_rate_pct),
        "Tax Type": item.tax_type or "",
        "Country of Origin Indicator": item.origin_indicator or "",
        "Net Mass": _number_text(item.net_mass_kg),
        "Item Price": _number_text(item.value),
    }
    if outcome is not None and outcome.result is not None:
        fraud, critical = _RESULT_TO_LABELS[outcome.result]
        row["Fraud"], row["Critical Fraud"] = fraud, critical
    return row
