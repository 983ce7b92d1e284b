"""The tracking pages: live map of assets and alerts, the alert list.

- ``GET /tracking/map``: the map page (Leaflet when installed under static/vendor; tiles from
  ``SUPPLYGUARD_MAP_TILE_URL`` when set, a plain world outline under them always);
- ``GET /tracking/map.json``: what the map draws, as GeoJSON (devices, paths, open alerts); the page
  fetches it again every few seconds;
- ``GET /tracking/alerts``: alerts by status, kind and device;
- ``POST /tracking/alerts/{id}/acknowledge``: a person acknowledges an alert (CSRF-checked).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from supplyguard.model.permissions import ALLOWED_ROLES
from supplyguard.services import telemetry as telemetry_service
from supplyguard.services import tracking_views
from supplyguard.web.common import HERE, SessionDep, check_csrf, container_of, local_path, render

router = APIRouter(include_in_schema=False)

VENDOR = HERE / "static" / "vendor"
LEAFLET_JS = VENDOR / "leaflet" / "leaflet.js"
WORLD_OUTLINE = VENDOR / "world-atlas" / "land-110m.json"
REFRESH_MS = 5000


@router.get("/tracking/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep) -> HTMLResponse:
    settings = container_of(request).settings
    context = {
        "session": session,
        "leaflet_available": LEAFLET_JS.exists(),
        "outline_url": "/static/vendor/world-atlas/land-110m.json" if WORLD_OUTLINE.exists() else "",
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
        "refresh_ms": REFRESH_MS,
    }
    return render(request, "tracking_map.html", context)


@router.get("/tracking/map.json")
def map_data(request: Request, session: SessionDep) -> dict[str, Any]:
    container = container_of(request)
    return tracking_views.map_geojson(container.uow(readonly=True), container.clock, session.principal)


def _alerts_url(status: str, kind: str | None, device: str | None) -> str:
    params = {k: v for k, v in {"status": status, "kind": kind, "device": device}.items() if v}
    return "/tracking/alerts" + ("?" + urlencode(params) if params else "")


@router.get("/tracking/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: SessionDep,
    status: str = "open",
    kind: str | None = None,
    device: str | None = None,
) -> HTMLResponse:
    container = container_of(request)
    found = tracking_views.alert_list(
        container.uow(readonly=True), session.principal, status=status, kind=kind, subject=device
    )
    context = {
        "session": session,
        "found": found,
        "here": _alerts_url(status, kind, device),
        "can_ack": bool(session.principal.roles & ALLOWED_ROLES[telemetry_service.ACK_ACTION]),
    }
    return render(request, "tracking_alerts.html", context)


@router.post("/tracking/alerts/{alert_id}/acknowledge")
def acknowledge_submit(
    request: Request,
    alert_id: uuid.UUID,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    back: Annotated[str, Form(max_length=2000)] = "/tracking/alerts",
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    telemetry_service.acknowledge_alert(container.uow(), container.clock, session.principal, alert_id)
    # only a path of this site: not //host nor /\host (browsers read both as another host)
    target = local_path(back, "/tracking/alerts")
    return RedirectResponse(target, status_code=303)
