"""Use cases around declarations: submit one, list, read, record an outcome."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from supplyguard.adapters.db.declarations_repo import SORTS, DeclarationFilter
from supplyguard.adapters.db.screening_repo import ScreeningRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import Conflict, DeclarationNotFound, FieldError, ValidationFailed
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import (
    Declaration,
    InspectionOutcome,
    Lane,
    OutcomeResult,
    ledger_body,
    outcome_ledger_body,
)
from supplyguard.model.intake import parse_declaration
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.model.refdata import ReferenceData
from supplyguard.screening import Query, Screener
from supplyguard.services.audit import audit
from supplyguard.services.cursors import decode_cursor, encode_cursor
from supplyguard.services.ledger_records import LedgerRecord, append_records, sign_tree_head
from supplyguard.services.risk_intake import IntakeRisk, factors_on_view
from supplyguard.services.risk_signals import reasons_for_reader
from supplyguard.services.sharing_risk import forget_closed_declaration, raise_intake_signals
from supplyguard.services.watch_intake import WatchIntake


def submit_declaration(
    uow: SqlUnitOfWork,
    clock: Clock,
    refdata: ReferenceData,
    signer: Ed25519Signer,
    actor: Principal,
    data: Mapping[str, Any],
    screener: Screener | None = None,
    risk: IntakeRisk | None = None,
    watch: WatchIntake | None = None,
) -> Declaration:
    """Validate, store, prove in the ledger and audit one declaration, all in one transaction; with a
    screener, every named party is screened and its hits stored in the same transaction; with the
    node's intake risk, the declaration is then scored and given a lane in that transaction too
    (left unscored while the organisation has no active model); with ``watch``, its identifiers are
    matched against the keyed watch lists partners sent us, and a new hit opens a disclosure
    request once the declaration is committed."""
    require(actor, Action.DECLARATION_CREATE)
    declaration = parse_declaration(data, org_id=actor.org_id, received_at=clock.now(), refdata=refdata)
    with uow:
        if uow.declarations.existing_references(actor.org_id, [declaration.reference]):
            raise Conflict(f"a declaration with reference {declaration.reference!r} already exists")
        party_ids = uow.parties.resolve(actor.org_id, declaration.parties().values(), clock.now())
        uow.declarations.add_many([declaration])
        hit_count = 0
        if screener is not None:
            screening = ScreeningRepository(uow.connection)
            for ref in declaration.parties().values():
                if ref.name:
                    hits = screener.screen(Query(name=ref.name, country=ref.country or ""))
                    screening.replace_hits(actor.org_id, party_ids[ref.code], ref.name, hits, clock.now())
                    hit_count += len(hits)
        raise_intake_signals(uow, [declaration], clock.now())  # partner intel, same transaction
        watch_requests: list[Any] = []
        if watch is not None:  # partners' keyed watch lists: no query while no secret is installed
            from supplyguard.services.sharing_watch import match_at_intake, received_for_intake

            lists = received_for_intake(uow, watch.keys_dir)
            watch_requests = match_at_intake(uow, [declaration], lists, clock.now()) if lists else []
        # scored after the intel match, so its signals are features and count in the lane
        scored = risk.score(uow, actor.org_id, [declaration], clock.now()) if risk is not None else None
        append_records(uow, [declaration_record(declaration)])
        audit(
            uow,
            actor,
            clock,
            "declaration.create",
            "declaration",
            str(declaration.id),
            {"reference": declaration.reference, "screening_hits": hit_count},
        )
        sign_tree_head(uow, signer, clock)
        uow.commit()
    if watch_requests and watch is not None:  # after the commit, as a pull
        from supplyguard.services.sharing_watch import open_intake_requests

        open_intake_requests(
            uow,
            actor,
            watch_requests,
            keys_dir=watch.keys_dir,
            node_name=watch.node_name,
            signer=signer,
            clock=clock,
        )
    if risk is not None and scored is not None:
        risk.learn(scored)
        if scored.assessments:
            stored = scored.assessments[0]
            declaration = dataclasses.replace(declaration, score=stored.score, lane=Lane(stored.lane))
    return declaration


def declaration_record(declaration: Declaration) -> LedgerRecord:
    return LedgerRecord(
        kind="declaration",
        record_id=str(declaration.id),
        org=str(declaration.org_id),
        recorded_at=declaration.received_at,
        body=ledger_body(declaration),
        known_simple=True,
    )


def outcome_record(org_id: uuid.UUID, outcome: InspectionOutcome) -> LedgerRecord:
    return LedgerRecord(
        kind="outcome",
        record_id=str(outcome.declaration_id),
        org=str(org_id),
        recorded_at=outcome.recorded_at,
        body=outcome_ledger_body(outcome),
        known_simple=True,
    )


@dataclass(frozen=True, slots=True)
class DeclarationView:
    declaration: Declaration
    outcome: InspectionOutcome | None
    risk_reasons: tuple[str, ...] = ()
    model_version: str | None = None
    #: screening hits of the declaration's parties: role, party code, list, entity, score, why, status
    screening_hits: tuple[dict[str, Any], ...] = ()


def get_declaration(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, declaration_id: uuid.UUID
) -> DeclarationView:
    """One declaration of the caller's organisation (404 for anyone else's); the read is audited."""
    require(actor, Action.DECLARATION_READ)
    with uow:
        declaration = uow.declarations.get(actor.org_id, declaration_id)
        if declaration is None:
            raise DeclarationNotFound(declaration_id)
        outcome = uow.declarations.get_outcome(declaration_id)
        reasons, model_version = uow.risk.reasons_for(declaration_id)
        reasons = factors_on_view(uow, declaration, reasons)  # a green lane's factors, worked out now
        hits = _screening_hits(uow, declaration)
        audit(uow, actor, clock, "declaration.read", "declaration", str(declaration_id), {})
        uow.commit()
    return DeclarationView(declaration, outcome, reasons_for_reader(actor, reasons), model_version, hits)


def _screening_hits(uow: SqlUnitOfWork, declaration: Declaration) -> tuple[dict[str, Any], ...]:
    roles = declaration.parties()
    ids = uow.parties.ids_for_codes(declaration.org_id, [ref.code for ref in roles.values()])
    by_party = {
        party_id: (role, code)
        for role, ref in roles.items()
        for code, party_id in ids.items()
        if code == ref.code
    }
    found = []
    for hit in ScreeningRepository(uow.connection).hits_for(declaration.org_id, list(by_party)):
        role, code = by_party[hit["party_id"]]
        found.append(
            {
                "id": hit["id"],
                "role": role,
                "party": code,
                "list": hit["list_id"],
                "entity_id": hit["entity_id"],
                "entity_name": hit["entity_name"],
                "matched_name": hit["matched_name"],
                "score": hit["score"],
                "why": hit["why"],
                "status": hit["status"],
            }
        )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def list_declarations(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    filters: DeclarationFilter,
    *,
    sort: str = "risk",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    require(actor, Action.DECLARATION_READ)
    if sort not in SORTS:
        raise ValidationFailed([FieldError(("sort",), f"must be one of {', '.join(SORTS)}")])
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationFailed([FieldError(("date_from",), "is after date_to")])
    after: tuple[Any, ...] | None = None
    if cursor:
        values = decode_cursor(cursor, f"declarations:{sort}")
        try:
            first = date.fromisoformat(values[0]) if sort in ("date", "-date") else float(values[0])
            after = (first, uuid.UUID(values[1]))
        except (ValueError, IndexError, TypeError) as exc:
            raise ValidationFailed([FieldError(("cursor",), "is damaged")]) from exc
    with uow:
        rows = uow.declarations.list_page(actor.org_id, filters, sort, after, limit + 1)
        audit(
            uow,
            actor,
            clock,
            "declaration.list",
            "declaration",
            None,
            {
                "filters": {k: str(v) for k, v in vars_of(filters).items() if v is not None},
                "returned": min(len(rows), limit),
            },
        )
        uow.commit()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if sort in ("date", "-date"):
            key: Any = last["declared_on"].isoformat()
        elif sort == "value":
            key = last["total_value"]
        else:
            key = last["score_key"]
        next_cursor = encode_cursor(f"declarations:{sort}", [key, str(last["id"])])
    return Page(rows, next_cursor)


def vars_of(filters: DeclarationFilter) -> dict[str, Any]:
    return {name: getattr(filters, name) for name in DeclarationFilter.__dataclass_fields__}


def record_outcome(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    declaration_id: uuid.UUID,
    *,
    inspected: bool,
    result: str | None,
    duty_recovered: float = 0.0,
    notes: str = "",
) -> InspectionOutcome:
    require(actor, Action.OUTCOME_RECORD)
    errors: list[FieldError] = []
    parsed: OutcomeResult | None = None
    if result is not None:
        try:
            parsed = OutcomeResult(result)
        except ValueError:
            errors.append(
                FieldError(("result",), f"must be one of {', '.join(r.value for r in OutcomeResult)}")
            )
    if inspected and result is None:
        errors.append(FieldError(("result",), "is required when the declaration was inspected"))
    if not inspected and result is not None:
        errors.append(FieldError(("result",), "must be empty when the declaration was not inspected"))
    if duty_recovered < 0 or duty_recovered != duty_recovered:
        errors.append(FieldError(("duty_recovered",), "must be a non-negative number"))
    if len(notes) > 5000:
        errors.append(FieldError(("notes",), "is longer than 5000 characters"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        declaration = uow.declarations.get(actor.org_id, declaration_id)
        if declaration is None:
            raise DeclarationNotFound(declaration_id)
        if uow.declarations.get_outcome(declaration_id) is not None:
            raise Conflict(f"declaration {declaration_id} already has an outcome")
        outcome = InspectionOutcome(
            declaration_id=declaration_id,
            inspected=inspected,
            result=parsed,
            duty_recovered=float(duty_recovered),
            notes=notes,
            recorded_at=clock.now(),
            recorded_by=actor.user_id,
        )
        uow.declarations.save_outcome(outcome)
        forget_closed_declaration(uow, declaration)  # partner intel matches open declarations only
        append_records(uow, [outcome_record(actor.org_id, outcome)])
        audit(
            uow,
            actor,
            clock,
            "outcome.record",
            "declaration",
            str(declaration_id),
            {"inspected": inspected, "result": result},
        )
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return outcome
