"""What every dashboard page shares: the session dependency, CSRF check, rendering and error pages.

Each area (tracking, resilience, intelligence) has its own module with its own ``router``; they all
import these helpers, and :func:`supplyguard.web.routes.install_web` mounts them.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from supplyguard.bootstrap import Container
from supplyguard.errors import NotAuthenticated, PermissionDenied
from supplyguard.services.accounts import WebSession, resolve_session

SESSION_COOKIE = "sg_session"
LOGIN_CSRF_COOKIE = "sg_login_csrf"
HERE = Path(__file__).parent


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def client_host(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_session(request: Request) -> WebSession:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise NotAuthenticated("not logged in")
    container = container_of(request)
    return resolve_session(container.uow(readonly=True), container.clock, session_id, client_host(request))


SessionDep = Annotated[WebSession, Depends(current_session)]


def check_csrf(session: WebSession, submitted: str) -> None:
    if not hmac.compare_digest(session.csrf_token.encode(), submitted.encode()):
        raise PermissionDenied(
            "submit this form", "the form is stale or forged (CSRF token mismatch); reload the page"
        )


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return _templates(request).TemplateResponse(request, name, context, status_code=status_code)


def render_error_page(request: Request, status: int, title: str, detail: str) -> Response:
    if status == 401:
        target = "/login?" + urlencode({"next": str(request.url.path)})
        return RedirectResponse(target, status_code=303)
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status)


def local_path(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects).

    Browsers read ``//host`` and ``/\\host`` as another host, so both are refused, as is anything
    with a control character.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not any(ord(ch) < 32 for ch in target)
    ):
        return target
    return default
