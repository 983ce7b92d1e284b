"""Wire schemas: what crosses the HTTP boundary (pydantic), and conversions from domain values."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from supplyguard.model.declarations import Declaration, InspectionOutcome, PartyRef
from supplyguard.model.parties import Party


class PartyRefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="The party's identifier as declared (trader id, EORI, TIN...).")
    name: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hs_code: str = Field(description="Six-digit HS code of the edition in force on declared_on.")
    origin_country: str
    departure_country: str | None = None
    origin_indicator: str | None = None
    net_mass_kg: float
    value: float = Field(description="Declared item price.")
    tax_rate_pct: float | None = None
    tax_type: str | None = None
    duty: float | None = Field(default=None, description="Defaults to value × tax_rate_pct / 100.")
    description: str | None = None


class DeclarationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(description="The declaration's own number; unique within the organisation.")
    declared_on: date
    office_id: str
    transport_mode: str
    importer: PartyRefIn | str
    declarant: PartyRefIn | str | None = None
    seller: PartyRefIn | str | None = None
    courier: PartyRefIn | str | None = None
    process_type: str | None = None
    import_type: str | None = None
    import_use: str | None = None
    payment_type: str | None = None
    containers: list[str] = Field(default_factory=list, description="ISO 6346 container numbers.")
    items: list[ItemIn]


class ItemOut(BaseModel):
    line_no: int
    hs_code: str
    origin_country: str
    departure_country: str | None
    origin_indicator: str | None
    net_mass_kg: float
    value: float
    tax_rate_pct: float
    tax_type: str | None
    duty: float
    description: str | None


class PartyRefOut(BaseModel):
    code: str
    name: str | None
    country: str | None


class OutcomeOut(BaseModel):
    inspected: bool
    result: str | None
    duty_recovered: float
    notes: str
    recorded_at: datetime
    recorded_by: uuid.UUID | None


class DeclarationOut(BaseModel):
    id: uuid.UUID
    reference: str
    declared_on: date
    office_id: str
    transport_mode: str
    process_type: str | None
    import_type: str | None
    import_use: str | None
    payment_type: str | None
    importer: PartyRefOut
    declarant: PartyRefOut | None
    seller: PartyRefOut | None
    courier: PartyRefOut | None
    containers: list[str]
    items: list[ItemOut]
    total_value: float
    total_duty: float
    received_at: datetime
    source: str
    lane: str | None
    score: float | None
    risk_reasons: list[str] = Field(default_factory=list, description="Why the score and lane, in words.")
    model_version: str | None = None
    screening_hits: list[dict[str, Any]] = Field(
        default_factory=list, description="Sanctions-list hits of the declaration's parties, with reasons."
    )
    outcome: OutcomeOut | None = None


class DeclarationSummary(BaseModel):
    id: uuid.UUID
    reference: str
    declared_on: date
    office_id: str
    importer: str
    hs_code: str | None
    total_value: float
    total_duty: float
    lane: str | None
    score: float | None
    outcome: str | None
    inspected: bool | None


class DeclarationPage(BaseModel):
    items: list[DeclarationSummary]
    next_cursor: str | None


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inspected: bool
    result: str | None = Field(default=None, description="compliant, fraud or critical_fraud")
    duty_recovered: float = 0.0
    notes: str = ""


class ImportReportOut(BaseModel):
    batch_id: str
    rows_read: int
    stored: int
    outcomes_stored: int
    rejected: int
    screening_hits: int = 0
    errors: list[dict[str, Any]]
    errors_truncated: bool


class PartyIdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheme: str = Field(description="eori, tin, lei, vat, duns, imo, registration, kcs or other")
    value: str


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="The party's code in this organisation (the key of the upsert).")
    name: str
    country: str | None = None
    aliases: list[str] = Field(default_factory=list)
    identifiers: list[PartyIdentifierIn] = Field(default_factory=list)
    address: str | None = None


class PartyOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    country: str | None
    aliases: list[str]
    identifiers: list[dict[str, str]]
    address: str | None


class AuditEntryOut(BaseModel):
    id: int | None
    at: datetime
    actor: str
    action: str
    target_kind: str | None
    target_id: str | None
    source: str | None
    via: str
    details: dict[str, Any]


class HealthOut(BaseModel):
    status: str
    node: str
    country: str
    database: str
    ledger_size: int


def party_out(ref: PartyRef | None) -> PartyRefOut | None:
    return PartyRefOut(code=ref.code, name=ref.name, country=ref.country) if ref else None


def declaration_out(
    declaration: Declaration,
    outcome: InspectionOutcome | None = None,
    risk_reasons: tuple[str, ...] = (),
    model_version: str | None = None,
) -> DeclarationOut:
    importer = party_out(declaration.importer)
    assert importer is not None
    return DeclarationOut(
        id=declaration.id,
        reference=declaration.reference,
        declared_on=declaration.declared_on,
        office_id=declaration.office_id,
        transport_mode=declaration.transport_mode,
        process_type=declaration.process_type,
        import_type=declaration.import_type,
        import_use=declaration.import_use,
        payment_type=declaration.payment_type,
        importer=importer,
        declarant=party_out(declaration.declarant),
        seller=party_out(declaration.seller),
        courier=party_out(declaration.courier),
        containers=list(declaration.containers),
        items=[ItemOut.model_validate(item, from_attributes=True) for item in declaration.items],
        total_value=declaration.total_value,
        total_duty=declaration.total_duty,
        received_at=declaration.received_at,
        source=declaration.source,
        lane=declaration.lane.value if declaration.lane else None,
        score=declaration.score,
        risk_reasons=list(risk_reasons),
        model_version=model_version,
        outcome=outcome_out(outcome),
    )


def outcome_out(outcome: InspectionOutcome | None) -> OutcomeOut | None:
    if outcome is None:
        return None
    return OutcomeOut(
        inspected=outcome.inspected,
        result=outcome.result.value if outcome.result else None,
        duty_recovered=outcome.duty_recovered,
        notes=outcome.notes,
        recorded_at=outcome.recorded_at,
        recorded_by=outcome.recorded_by,
    )


def summary_out(row: dict[str, Any]) -> DeclarationSummary:
    return DeclarationSummary(
        id=row["id"],
        reference=row["reference"],
        declared_on=row["declared_on"],
        office_id=row["office_id"],
        importer=row["importer_code"],
        hs_code=row["hs_code"],
        total_value=row["total_value"],
        total_duty=row["total_duty"],
        lane=row["lane"],
        score=row["score"],
        outcome=row["outcome"],
        inspected=row["inspected"],
    )


def party_full_out(party: Party) -> PartyOut:
    return PartyOut(
        id=party.id,
        code=party.code,
        name=party.name,
        country=party.country,
        aliases=list(party.aliases),
        identifiers=[{"scheme": i.scheme, "value": i.value} for i in party.identifiers],
        address=party.address,
    )
