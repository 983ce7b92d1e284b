"""The resilience pages: networks, exposure ranking, Monte Carlo, stockpiles, drills, reports.

- ``GET /resilience``: the organisation's networks (upload form), drills, link to the training record.
- ``GET /resilience/{id}``: one network: map (Leaflet when installed, else server-drawn SVG), exposure
  ranking, loss histogram, stockpile plan, Suez-closure reroute; start a drill.
- ``GET /resilience/{id}/report`` and ``/report.pdf``: the report a manager can forward.
- ``GET /resilience/drills/{id}``: a drill: injects so far, decision form, decisions, scores.
- ``GET /resilience/training``: a user's drill scores.
"""

from __future__ import annotations

import json
import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.model.permissions import ALLOWED_ROLES, Action
from supplyguard.services import resilience as service
from supplyguard.services import resilience_report
from supplyguard.services.resilience_svg import exceedance_svg, histogram_svg, land_rings, network_svg
from supplyguard.web.common import HERE, SessionDep, check_csrf, container_of, render

router = APIRouter(include_in_schema=False)

LEAFLET_JS = HERE / "static" / "vendor" / "leaflet" / "leaflet.js"
LAND_FILE = HERE / "static" / "vendor" / "world-atlas" / "land-110m.json"


def _land() -> tuple[tuple[tuple[float, float], ...], ...]:
    return land_rings(str(LAND_FILE)) if LAND_FILE.is_file() else ()


def _may(session: Any, action: Action) -> bool:
    return bool(session.principal.roles.intersection(ALLOWED_ROLES[action]))


@router.get("/resilience", response_class=HTMLResponse)
def networks_page(request: Request, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    networks = service.list_networks(container.uow(readonly=True), session.principal)
    drills = service.list_drills(container.uow(readonly=True), session.principal)
    names = {n.id: f"{n.name} v{n.version}" for n in networks}
    return render(
        request,
        "resilience_index.html",
        {
            "session": session,
            "networks": networks,
            "drills": drills,
            "names": names,
            "can_plan": _may(session, Action.RESILIENCE_PLAN),
        },
    )


@router.post("/resilience/networks")
async def upload_network(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    network_yaml: Annotated[str, Form()] = "",
    risks_yaml: Annotated[str, Form()] = "",
    network_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    text = network_yaml
    if network_file is not None and network_file.filename:
        limit = container.settings.max_body_bytes
        data = await network_file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(len(data), limit)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed([FieldError(("network_file",), "must be UTF-8 text")]) from exc
    if not text.strip():
        raise ValidationFailed([FieldError(("network_yaml",), "paste a network or choose a file")])
    result = await run_in_threadpool(
        service.store_network,
        container.uow(),
        container.clock,
        container.signer,
        session.principal,
        text,
        risks=risks_yaml or None,
    )
    return RedirectResponse(f"/resilience/{result.network.id}", status_code=303)


@router.get("/resilience/training", response_class=HTMLResponse)
def training_page(
    request: Request, session: SessionDep, user_id: uuid.UUID | None = None, everyone: bool = False
) -> HTMLResponse:
    container = container_of(request)
    scores = service.training_record(
        container.uow(readonly=True), session.principal, user_id, everyone=everyone
    )
    if everyone:
        who = "everyone in the organisation"
    elif scores:
        who = scores[0].username
    else:
        who = session.principal.username if user_id is None else str(user_id)
    context = {
        "session": session,
        "scores": scores,
        "who": who,
        "everyone": everyone,
        "can_plan": _may(session, Action.RESILIENCE_PLAN),
    }
    return render(request, "resilience_training.html", context)


@router.get("/resilience/drills/{drill_id}", response_class=HTMLResponse)
def drill_page(request: Request, drill_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    view = service.drill_view(container.uow(), container.clock, session.principal, drill_id)
    return render(
        request,
        "resilience_drill.html",
        {
            "session": session,
            "v": view,
            "can_plan": _may(session, Action.RESILIENCE_PLAN),
            "can_decide": _may(session, Action.RESILIENCE_DRILL),
        },
    )


@router.post("/resilience/drills/{drill_id}/decisions")
def decision_submit(
    request: Request,
    drill_id: uuid.UUID,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    choice: Annotated[str, Form(max_length=250)],
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    action, _, target = choice.partition(":")
    service.record_decision(container.uow(), container.clock, session.principal, drill_id, action, target)
    return RedirectResponse(f"/resilience/drills/{drill_id}#decisions", status_code=303)


@router.post("/resilience/drills/{drill_id}/advance")
def advance_submit(
    request: Request, drill_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    service.advance_drill(container.uow(), container.clock, session.principal, drill_id)
    return RedirectResponse(f"/resilience/drills/{drill_id}", status_code=303)


@router.post("/resilience/drills/{drill_id}/score")
def score_submit(
    request: Request, drill_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    service.score(container.uow(), container.clock, container.signer, session.principal, drill_id)
    return RedirectResponse(f"/resilience/drills/{drill_id}#scores", status_code=303)


def _report(request: Request, session: Any, network_id: uuid.UUID) -> dict[str, Any]:
    container = container_of(request)
    router_ = service.sea_router_for(container.extras)
    return service.report(container.uow(), container.clock, session.principal, network_id, router_)


@router.get("/resilience/{network_id}", response_class=HTMLResponse)
async def network_page(request: Request, network_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    report = await run_in_threadpool(_report, request, session, network_id)
    stored = await run_in_threadpool(
        service.get_network, container.uow(readonly=True), session.principal, network_id
    )
    drills = await run_in_threadpool(
        service.list_drills, container.uow(readonly=True), session.principal, network_id
    )
    leaflet = LEAFLET_JS.exists()
    land = _land()
    map_json = {
        "map": report["map"],
        "reroute": report["reroute"],
        "land": [[[round(lat, 2), round(lon, 2)] for lon, lat in ring] for ring in land] if leaflet else [],
    }
    return render(
        request,
        "resilience_network.html",
        {
            "session": session,
            "r": report,
            "stored": stored,
            "drills": drills,
            "leaflet_available": leaflet,
            "map_json": json.dumps(map_json).replace("</", "<\\/"),
            "map_svg": Markup(network_svg(report["map"], report["reroute"], land=land)),  # noqa: S704 - drawn and escaped by us
            "histogram_svg": Markup(histogram_svg(report["simulation"]["histogram"])),  # noqa: S704
            "exceedance_svg": Markup(exceedance_svg(report["simulation"]["histogram"])),  # noqa: S704
            "scenarios": [row["scenario"] for row in report["ranking"]],
            "top": resilience_report.RANKING_ROWS,
            "can_plan": _may(session, Action.RESILIENCE_PLAN),
        },
    )


@router.post("/resilience/{network_id}/drills")
def drill_start_submit(
    request: Request,
    network_id: uuid.UUID,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    scenario: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    drill = service.start_drill(
        container.uow(), container.clock, session.principal, network_id, scenario=scenario
    )
    return RedirectResponse(f"/resilience/drills/{drill.id}", status_code=303)


@router.get("/resilience/{network_id}/report", response_class=HTMLResponse)
async def report_html(request: Request, network_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    report = await run_in_threadpool(_report, request, session, network_id)
    name = report["network"]["name"]
    return HTMLResponse(
        resilience_report.render_html(report, land_file=LAND_FILE),
        headers={"Content-Disposition": f'inline; filename="resilience-{_safe(name)}.html"'},
    )


@router.get("/resilience/{network_id}/report.pdf")
async def report_pdf(request: Request, network_id: uuid.UUID, session: SessionDep) -> Response:
    report = await run_in_threadpool(_report, request, session, network_id)
    data = await run_in_threadpool(partial(resilience_report.render_pdf, report, land_file=LAND_FILE))
    name = report["network"]["name"]
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="resilience-{_safe(name)}.pdf"'},
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:80] or "network"
