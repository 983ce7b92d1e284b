"""The FastAPI application: routers, problem+json handlers, body limit, the web dashboard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from supplyguard.api.problems import document_problems, install_problem_handlers, problem_response, refusal
from supplyguard.api.routers import (
    alerts,
    declarations,
    epcis,
    intel,
    ledger,
    parties,
    resilience,
    screening,
    system,
    taxii,
    telemetry,
)
from supplyguard.bootstrap import Container
from supplyguard.web.routes import install_web


class SupplyGuardApi(FastAPI):
    """The app, whose OpenAPI document declares its errors as they are sent: problem+json."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = document_problems(super().openapi())
        return self.openapi_schema


def create_app(container: Container) -> FastAPI:
    app = SupplyGuardApi(
        title="supplyguard",
        version="0.1.0",
        description="Declarations, screening, risk, tracking, ledger and sharing for one supplyguard node.",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
    )
    app.state.container = container
    install_problem_handlers(app)
    limit = container.settings.max_body_bytes

    @app.middleware("http")
    async def body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return problem_response(
                    400, "Bad request", "Content-Length is not a number", request.url.path
                )
            if int(length) > limit:
                return problem_response(
                    413,
                    "Payload too large",
                    f"payload of {length} bytes exceeds the limit of {limit} bytes",
                    request.url.path,
                )
        return await call_next(request)

    @app.middleware("http")
    async def refuse_nul_in_url(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # No identifier or filter holds a NUL character, and PostgreSQL refuses it in text: "%00" in
        # the path or the query string would otherwise reach the database and fail there.
        query = request.query_params.multi_items()
        if "\x00" in request.scope["path"] or any("\x00" in k + v for k, v in query):
            detail = "the URL holds a NUL character (%00), which no path or query parameter may contain"
            return refusal(request, 422, "Validation failed", detail)
        return await call_next(request)

    app.include_router(system.router)
    app.include_router(declarations.router)
    app.include_router(parties.router)
    app.include_router(ledger.router)
    app.include_router(screening.router)
    app.include_router(taxii.router)
    app.include_router(epcis.router)
    app.include_router(telemetry.router)
    app.include_router(alerts.router)
    app.include_router(intel.router)
    app.include_router(resilience.router)
    install_web(app, container)
    return app
