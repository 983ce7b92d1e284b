"""Declarations, their items, and inspection outcomes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from supplyguard.model.clock import iso_utc


class Lane(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class OutcomeResult(StrEnum):
    COMPLIANT = "compliant"
    FRAUD = "fraud"
    CRITICAL_FRAUD = "critical_fraud"


@dataclass(frozen=True, slots=True)
class PartyRef:
    """A party as a declaration names it: its code (trader id, EORI, dataset code) and what is known."""

    code: str
    name: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class DeclarationItem:
    line_no: int
    hs_code: str
    origin_country: str
    departure_country: str | None
    net_mass_kg: float
    value: float
    tax_rate_pct: float
    duty: float
    tax_type: str | None = None
    origin_indicator: str | None = None
    description: str | None = None

    @property
    def unit_value_per_kg(self) -> float | None:
        return self.value / self.net_mass_kg if self.net_mass_kg > 0 else None


@dataclass(frozen=True, slots=True)
class Declaration:
    id: uuid.UUID
    org_id: uuid.UUID
    reference: str
    declared_on: date
    office_id: str
    transport_mode: str
    importer: PartyRef
    items: tuple[DeclarationItem, ...]
    received_at: datetime
    declarant: PartyRef | None = None
    seller: PartyRef | None = None
    courier: PartyRef | None = None
    process_type: str | None = None
    import_type: str | None = None
    import_use: str | None = None
    payment_type: str | None = None
    containers: tuple[str, ...] = ()
    source: str = "api"
    lane: Lane | None = None
    score: float | None = None

    @property
    def total_value(self) -> float:
        return sum(item.value for item in self.items)

    @property
    def total_duty(self) -> float:
        return sum(item.duty for item in self.items)

    def parties(self) -> dict[str, PartyRef]:
        named = {
            "declarant": self.declarant,
            "importer": self.importer,
            "seller": self.seller,
            "courier": self.courier,
        }
        return {role: ref for role, ref in named.items() if ref is not None}


@dataclass(frozen=True, slots=True)
class InspectionOutcome:
    declaration_id: uuid.UUID
    inspected: bool
    result: OutcomeResult | None
    duty_recovered: float
    notes: str
    recorded_at: datetime
    recorded_by: uuid.UUID | None = None

    @property
    def is_fraud(self) -> bool:
        return self.result in (OutcomeResult.FRAUD, OutcomeResult.CRITICAL_FRAUD)


def ledger_body(declaration: Declaration) -> dict[str, object]:
    """The declaration as the ledger hashes it: strings and integers only, so RFC 8785 is exact.

    Floats are written with ``repr`` (shortest round-trip form) so the database's copy
    recomputes to the same bytes.
    """

    def party(ref: PartyRef | None) -> dict[str, str] | None:
        if ref is None:
            return None
        body = {"code": ref.code}
        if ref.name is not None:
            body["name"] = ref.name
        if ref.country is not None:
            body["country"] = ref.country
        return body

    return {
        "id": str(declaration.id),
        "org": str(declaration.org_id),
        "reference": declaration.reference,
        "declared_on": declaration.declared_on.isoformat(),
        "office_id": declaration.office_id,
        "transport_mode": declaration.transport_mode,
        "process_type": declaration.process_type,
        "import_type": declaration.import_type,
        "import_use": declaration.import_use,
        "payment_type": declaration.payment_type,
        "declarant": party(declaration.declarant),
        "importer": party(declaration.importer),
        "seller": party(declaration.seller),
        "courier": party(declaration.courier),
        "containers": list(declaration.containers),
        "items": [
            {
                "line_no": item.line_no,
                "hs_code": item.hs_code,
                "origin_country": item.origin_country,
                "departure_country": item.departure_country,
                "origin_indicator": item.origin_indicator,
                "net_mass_kg": repr(item.net_mass_kg),
                "value": repr(item.value),
                "tax_rate_pct": repr(item.tax_rate_pct),
                "tax_type": item.tax_type,
                "duty": repr(item.duty),
                "description": item.description,
            }
            for item in declaration.items
        ],
    }


def outcome_ledger_body(outcome: InspectionOutcome) -> dict[str, object]:
    return {
        "declaration_id": str(outcome.declaration_id),
        "inspected": outcome.inspected,
        "result": outcome.result.value if outcome.result else None,
        "duty_recovered": repr(outcome.duty_recovered),
        "notes": outcome.notes,
        "recorded_at": iso_utc(outcome.recorded_at),
        "recorded_by": str(outcome.recorded_by) if outcome.recorded_by else None,
    }
