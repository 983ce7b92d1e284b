"""/epcis: EPCIS 2.0 capture and query, on the paths of the GS1 REST binding.

- ``POST /epcis/capture``: an EPCIS document (JSON / JSON-LD or XML) captured all or nothing; 202 with
  the capture job's ``Location``. A malformed document is a 422 problem naming each offending field
  (``errors[].loc``), events already captured a 409 naming theirs.
- ``GET /epcis/capture`` and ``GET /epcis/capture/{captureID}``: capture jobs and their status.
- ``GET /epcis/events``: the query parameters of :class:`supplyguard.tracking.EventQuery`, ``perPage``
  and ``nextPageToken``; an ``EPCISQueryDocument`` (JSON-LD), the next page in the ``Link`` header.
- ``GET /epcis/events/{eventID or event hash}``: one event (with any error declaration of it).

Errors are problem+json like everywhere under ``/v1`` (see ``API_PREFIXES`` in api/problems.py).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from supplyguard.api.deps import ContainerDep, PrincipalDep
from supplyguard.errors import (
    FieldError,
    PayloadTooLarge,
    ValidationFailed,
)
from supplyguard.services import tracking as service
from supplyguard.tracking.epcis_query import PARAMETERS

JSON_LD = "application/ld+json"


class JsonLdResponse(JSONResponse):
    """An EPCIS query answer: JSON-LD (``@context`` GS1's), declared so in the OpenAPI document."""

    media_type = JSON_LD


#: ``container.extras`` key under which an entrypoint may put a compiled GS1 EPCIS JSON schema.
SCHEMA_EXTRA = "epcis_schema"


router = APIRouter(prefix="/epcis", tags=["epcis"])


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    if size == 0:
        raise ValidationFailed([FieldError(("body",), "the document is empty")])
    return b"".join(chunks)


@router.post("/capture", status_code=202, responses={202: {"description": "captured; see Location"}})
async def capture(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Capture an EPCIS document (JSON / JSON-LD or XML), all or nothing."""
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback")
    if behaviour.strip().lower() != "rollback":
        raise ValidationFailed([FieldError(("GS1-Capture-Error-Behaviour",), "only rollback is supported")])
    limit = min(container.settings.max_body_bytes, service.MAX_DOCUMENT_BYTES)
    data = await _read_body(request, limit)
    job = await run_in_threadpool(
        service.capture_events,
        container.uow(),
        container.clock,
        container.signer,
        principal,
        data,
        media_type=request.headers.get("content-type"),
        schema=container.extras.get(SCHEMA_EXTRA),
        source="api",
        max_bytes=limit,
    )
    location = f"/epcis/capture/{job.id}"
    return JSONResponse(service.capture_job_json(job), status_code=202, headers={"Location": location})


@router.get("/capture")
def capture_jobs(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The organisation's latest capture jobs, newest first."""
    jobs = service.list_capture_jobs(container.uow(readonly=True), principal)
    return [service.capture_job_json(job) for job in jobs]


@router.get("/capture/{capture_id}")
def capture_job(capture_id: uuid.UUID, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    """The status of one capture job."""
    return service.capture_job_json(
        service.get_capture_job(container.uow(readonly=True), principal, capture_id)
    )


#: The query parameters of ``GET /epcis/events`` as the OpenAPI document declares them (the route
#: reads them from the request itself: several values of one name, repeated or comma-separated).
EVENT_QUERY = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": kind},
        }
        for name, (kind, description) in PARAMETERS.items()
    ]
}


@router.get("/events", response_class=JsonLdResponse, openapi_extra=EVENT_QUERY)
def events(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Events matching the EPCIS query parameters, ``perPage`` at a time (``nextPageToken`` for more)."""
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    page = service.query_events(
        container.uow(readonly=True),
        container.clock,
        principal,
        params,
        max_per_page=container.settings.page_size_max,
    )
    headers = {}
    if page.next_page_token:
        following = {k: v for k, v in params.items() if k != "nextPageToken"}
        following["nextPageToken"] = [page.next_page_token]
        headers["Link"] = f'<{request.url.path}?{urlencode(following, doseq=True)}>; rel="next"'
    return JsonLdResponse(page.document, headers=headers)


@router.get("/events/{reference:path}", response_class=JsonLdResponse)
def event(reference: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    """One event by its eventID or CBV event hash (URL-encoded)."""
    document = service.get_event(container.uow(readonly=True), container.clock, principal, reference)
    return JsonLdResponse(document)
