"""The dashboard: log in, the inspection queue, a declaration, its outcome form, the audit log.

Server-rendered with Jinja2; htmx (when its file is installed under static/vendor) swaps the queue
table in place. Sessions are HttpOnly SameSite=Lax cookies; every POST carries a CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from supplyguard.adapters.db.declarations_repo import DeclarationFilter
from supplyguard.adapters.db.metadata import MAX_STORED_INT
from supplyguard.bootstrap import Container
from supplyguard.errors import FieldError, NotAuthenticated, PermissionDenied, ValidationFailed
from supplyguard.model.organisations import Role
from supplyguard.services import declarations as declaration_service
from supplyguard.services.accounts import login, logout
from supplyguard.services.audit import list_audit
from supplyguard.services.screening import mark_false_positive
from supplyguard.services.tracking_views import declaration_timeline
from supplyguard.web import intel as intel_pages
from supplyguard.web import resilience as resilience_pages
from supplyguard.web import tracking as tracking_pages
from supplyguard.web.common import (
    HERE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SessionDep,
    check_csrf,
    client_host,
    container_of,
    local_path,
    render,
    render_error_page,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


def _safe_next(target: str | None) -> str:
    return local_path(target, "/queue")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"csrf": token, "next": _safe_next(next), "error": None})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=container_of(request).settings.cookie_secure,
    )
    return response


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=500)],
    csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    container = container_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        raise PermissionDenied("log in", "the login form is stale; reload the page")
    try:
        session = login(
            container.uow(),
            container.clock,
            username,
            password,
            client_host(request),
            container.settings.session_hours,
        )
    except NotAuthenticated as exc:
        return render(
            request, "login.html", {"csrf": csrf, "next": _safe_next(next), "error": exc.message}, 401
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        httponly=True,
        samesite="lax",
        secure=container.settings.cookie_secure,
        max_age=container.settings.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout_submit(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(session, csrf)
    logout(container_of(request).uow(), session.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _parse_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([FieldError((name,), f"{value!r} is not a date YYYY-MM-DD")]) from None


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    session: SessionDep,
    date_from: str | None = None,
    date_to: str | None = None,
    office_id: str | None = None,
    importer: str | None = None,
    hs_code: str | None = None,
    lane: str | None = None,
    status: str | None = None,
    sort: str = "risk",
    cursor: str | None = None,
    limit: int = 50,
) -> HTMLResponse:
    container = container_of(request)
    if hs_code and not (hs_code.isdigit() and len(hs_code) == 6):
        raise ValidationFailed([FieldError(("hs_code",), "must be six digits")])
    if lane and lane not in ("green", "yellow", "red"):
        raise ValidationFailed([FieldError(("lane",), "must be green, yellow or red")])
    has_outcome = {"open": False, "done": True}.get(status or "")
    filters = DeclarationFilter(
        _parse_date(date_from, "date_from"),
        _parse_date(date_to, "date_to"),
        office_id or None,
        importer or None,
        hs_code or None,
        lane or None,
        has_outcome,
    )
    page = declaration_service.list_declarations(
        container.uow(),
        container.clock,
        session.principal,
        filters,
        sort=sort,
        cursor=cursor,
        limit=max(1, min(limit, 200)),
    )
    params = {
        k: v
        for k, v in {
            "date_from": date_from,
            "date_to": date_to,
            "office_id": office_id,
            "importer": importer,
            "hs_code": hs_code,
            "lane": lane,
            "status": status,
            "sort": sort,
        }.items()
        if v
    }
    next_url = "/queue?" + urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else None
    context = {
        "session": session,
        "rows": page.items,
        "next_url": next_url,
        "params": params,
        "sort": sort,
        "appending": bool(cursor),
    }
    if request.headers.get("HX-Request") and cursor:
        return render(request, "_queue_rows.html", context)
    return render(request, "queue.html", context)


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration_page(request: Request, declaration_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    container = container_of(request)
    view = declaration_service.get_declaration(
        container.uow(), container.clock, session.principal, declaration_id
    )
    can_record = session.principal.has_any(Role.ADMIN, Role.SUPERVISOR, Role.OFFICER)
    timeline = declaration_timeline(container.uow(readonly=True), session.principal, declaration_id)
    return render(
        request,
        "declaration.html",
        {
            "session": session,
            "d": view.declaration,
            "outcome": view.outcome,
            "reasons": view.risk_reasons,
            "hits": view.screening_hits,
            "model_version": view.model_version,
            "can_record": can_record,
            "hs": container.refdata,
            "timeline": timeline,
            "error": None,
        },
    )


@router.post("/declarations/{declaration_id}/outcome")
def outcome_submit(
    request: Request,
    declaration_id: uuid.UUID,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    inspected: Annotated[str, Form()],
    result: Annotated[str, Form()] = "",
    duty_recovered: Annotated[str, Form()] = "0",
    notes: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    try:
        recovered = float(duty_recovered or 0)
    except ValueError:
        raise ValidationFailed([FieldError(("duty_recovered",), "must be a number")]) from None
    declaration_service.record_outcome(
        container.uow(),
        container.clock,
        container.signer,
        session.principal,
        declaration_id,
        inspected=inspected == "yes",
        result=(result or None) if inspected == "yes" else None,
        duty_recovered=recovered,
        notes=notes,
    )
    return RedirectResponse(f"/declarations/{declaration_id}", status_code=303)


@router.post("/declarations/{declaration_id}/hits/{hit_id}/false-positive")
def false_positive_submit(
    request: Request,
    declaration_id: uuid.UUID,
    hit_id: Annotated[int, Path(ge=1, le=MAX_STORED_INT)],
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    check_csrf(session, csrf)
    container = container_of(request)
    mark_false_positive(container.uow(), container.clock, container.signer, session.principal, hit_id)
    return RedirectResponse(f"/declarations/{declaration_id}#screening", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
) -> HTMLResponse:
    container = container_of(request)
    entries = list_audit(container.uow(readonly=True), session.principal, before_id=before_id, limit=100)
    next_url = f"/audit?before_id={entries[-1].id}" if len(entries) == 100 else None
    return render(request, "audit.html", {"session": session, "entries": entries, "next_url": next_url})


def install_web(app: FastAPI, container: Container) -> None:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["node_name"] = container.settings.node_name
    templates.env.globals["htmx_available"] = (HERE / "static" / "vendor" / "htmx.min.js").exists()
    app.state.templates = templates
    app.state.render_error_page = render_error_page
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    app.include_router(tracking_pages.router)
    app.include_router(resilience_pages.router)
    app.include_router(intel_pages.router)


__all__ = ["install_web"]
