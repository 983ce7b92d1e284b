"""/v1/declarations: create, bulk import, list, read, record an outcome."""

from __future__ import annotations

import io
import tempfile
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from supplyguard.adapters.db.declarations_repo import DeclarationFilter
from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.api.schemas import (
    DeclarationIn,
    DeclarationOut,
    DeclarationPage,
    ImportReportOut,
    OutcomeIn,
    OutcomeOut,
    declaration_out,
    outcome_out,
    summary_out,
)
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.services import declarations as service
from supplyguard.services.idempotency import request_fingerprint, run_idempotent
from supplyguard.services.import_formats import detect_format, read_csv, read_ndjson
from supplyguard.services.imports import import_declarations
from supplyguard.services.risk_intake import intake_risk_for
from supplyguard.services.screening import screener_for
from supplyguard.services.watch_intake import WatchIntake

router = APIRouter(prefix="/v1/declarations", tags=["declarations"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Retry-safe POST key.")]


@router.post(
    "",
    status_code=201,
    response_model=DeclarationOut,
    response_description="Created; or, for an Idempotency-Key sent before with the same body, the same "
    "answer again, marked `Idempotent-Replayed: true`",
)
def create_declaration(
    body: DeclarationIn,
    container: ContainerDep,
    principal: PrincipalDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    payload = body.model_dump(mode="json")

    def run() -> tuple[int, bytes]:
        screener = screener_for(container.extras, container.settings.lists_dir)
        created = service.submit_declaration(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            principal,
            payload,
            screener,
            intake_risk_for(container.extras, container.settings),
            WatchIntake.from_settings(container.settings),
        )
        return 201, declaration_out(created).model_dump_json().encode()

    fingerprint = request_fingerprint("POST", request.url.path, body.model_dump_json().encode())
    status, content, replayed = run_idempotent(
        container.uow, container.clock, principal, idempotency_key, fingerprint, run
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(content, status_code=status, media_type="application/json", headers=headers)


@router.post("/import", response_model=ImportReportOut)
async def import_file(
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    format: Annotated[str | None, Query(pattern="^(csv|ndjson)$", description="csv or ndjson")] = None,
    with_outcomes: bool = True,
) -> ImportReportOut:
    """Bulk import: the body is a CSV (KCS or supplyguard layout) or NDJSON file."""
    limit = container.settings.max_body_bytes
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed below
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(size, limit)
            spool.write(chunk)
        if size == 0:
            raise ValidationFailed([FieldError(("body",), "the file is empty")])
        spool.seek(0)
        head = spool.read(64)
        spool.seek(0)
        fmt = format or detect_format(None, request.headers.get("content-type"), head)
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", errors="strict", newline="")
        rows = read_csv(text) if fmt == "csv" else read_ndjson(text)

        def run() -> ImportReportOut:
            try:
                report = import_declarations(
                    container.uow(),
                    container.clock,
                    container.refdata,
                    container.signer,
                    principal,
                    rows,
                    source=f"api-{fmt}",
                    batch_rows=container.settings.import_batch_rows,
                    with_outcomes=with_outcomes,
                    screener=screener_for(container.extras, container.settings.lists_dir),
                    risk=intake_risk_for(container.extras, container.settings),
                    watch=WatchIntake.from_settings(container.settings),
                )
            except UnicodeDecodeError as exc:
                raise ValidationFailed(
                    [FieldError(("body",), f"the file is not UTF-8 text: {exc.reason}")]
                ) from exc
            return ImportReportOut(**report.as_dict())

        return await run_in_threadpool(run)
    finally:
        spool.close()


@router.get("", response_model=DeclarationPage)
def list_declarations(
    container: ContainerDep,
    principal: PrincipalDep,
    date_from: date | None = None,
    date_to: date | None = None,
    office_id: str | None = None,
    importer: str | None = None,
    hs_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    lane: Annotated[str | None, Query(pattern="^(green|yellow|red)$")] = None,
    has_outcome: bool | None = None,
    sort: Annotated[str, Query(pattern=r"^(risk|date|-date|value)$")] = "risk",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeclarationPage:
    filters = DeclarationFilter(date_from, date_to, office_id, importer, hs_code, lane, has_outcome)
    page = service.list_declarations(
        container.uow(),
        container.clock,
        principal,
        filters,
        sort=sort,
        cursor=cursor,
        limit=min(limit, container.settings.page_size_max),
    )
    return DeclarationPage(items=[summary_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{declaration_id}", response_model=DeclarationOut)
def get_declaration(
    declaration_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep
) -> DeclarationOut:
    view = service.get_declaration(container.uow(), container.clock, principal, declaration_id)
    out = declaration_out(view.declaration, view.outcome, view.risk_reasons, view.model_version)
    out.screening_hits = list(view.screening_hits)
    return out


@router.post("/{declaration_id}/outcome", status_code=201, response_model=OutcomeOut)
def record_outcome(
    declaration_id: uuid.UUID,
    body: OutcomeIn,
    container: ContainerDep,
    principal: PrincipalDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def run() -> tuple[int, bytes]:
        outcome = service.record_outcome(
            container.uow(),
            container.clock,
            container.signer,
            principal,
            declaration_id,
            inspected=body.inspected,
            result=body.result,
            duty_recovered=body.duty_recovered,
            notes=body.notes,
        )
        out = outcome_out(outcome)
        assert out is not None
        return 201, out.model_dump_json().encode()

    fingerprint = request_fingerprint("POST", request.url.path, body.model_dump_json().encode())
    status, content, replayed = run_idempotent(
        container.uow, container.clock, principal, idempotency_key, fingerprint, run
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(content, status_code=status, media_type="application/json", headers=headers)
