"""RFC 9457 problem details: the one table from error class to HTTP status, and the handlers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from supplyguard import errors
from supplyguard.logging import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

#: The one place where errors meet HTTP statuses. Most specific class first.
STATUS_BY_ERROR: tuple[tuple[type[errors.SupplyGuardError], int], ...] = (
    (errors.PayloadTooLarge, 413),
    (errors.InvalidInput, 422),
    (errors.NotAuthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.ProofRequestInvalid, 422),
    (errors.VerificationFailed, 422),
    (errors.LedgerError, 422),
    (errors.ListSourceError, 422),
    (errors.ModelError, 422),
    (errors.ConfigurationError, 500),
)


class FieldProblem(BaseModel):
    """One refused part of a request: where it is and what is wrong with it."""

    loc: list[str | int] = Field(
        description="Where: member names and list indexes from the body's or parameter's root, "
        '["items", 0, "hs_code"]; empty for the document as a whole'
    )
    msg: str = Field(description="What is wrong, in words")


class Problem(BaseModel):
    """RFC 9457 problem details: how every API error is written (media type application/problem+json)."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str = Field(description="The kind of problem, in words (the same for every problem of a type)")
    status: int = Field(ge=400, le=599, description="The HTTP status of the answer")
    detail: str = Field(description="What went wrong with this request")
    instance: str = Field(description="The path that was requested")
    errors: list[FieldProblem] = Field(
        default_factory=list,
        description="Every refused field at once, where the input was checked field by field",
    )


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document FastAPI wrote) with its errors as the app sends them: each
    operation's 422 and a ``default`` answer are ``application/problem+json`` :class:`Problem`
    bodies, where FastAPI declares its own ``application/json`` validation error, which the handlers
    below never send. Changed in place and returned."""
    definitions = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.pop("$defs", {}))
    components["Problem"] = definitions
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Validation failed: the request was refused and nothing was written "
                    "(each refused field in `errors`)",
                    "content": content,
                }
            responses["default"] = {
                "description": "Any other error: 401 no or bad credentials, 403 not allowed, 404 not "
                "found (or not the caller's), 409 conflict, 413 too large, 422 refused input",
                "content": content,
            }
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's, referred to no more
        components.pop(unused, None)
    return schema


def status_for(error: errors.SupplyGuardError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def problem_response(
    status: int, title: str, detail: str, instance: str, extra: dict[str, Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://supplyguard.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if extra:
        body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pydantic_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    result = []
    for err in exc.errors():
        loc = [part for part in err.get("loc", ()) if part != "body"]
        result.append({"loc": loc, "msg": err.get("msg", "invalid")})
    return result


#: Machine interfaces: errors there are always problem+json (/epcis follows the GS1 REST binding's paths).
API_PREFIXES = ("/v1", "/epcis")


def _wants_html(request: Request) -> bool:
    """Dashboard pages get an HTML error page from the web layer instead of JSON."""
    return not request.url.path.startswith(API_PREFIXES) and hasattr(request.app.state, "render_error_page")


def refusal(request: Request, status: int, title: str, detail: str) -> Response:
    """A refusal written before routing (by a middleware): an HTML page for the dashboard, else a problem."""
    if _wants_html(request):
        page: Response = request.app.state.render_error_page(request, status, title, detail)
        return page
    return problem_response(status, title, detail, request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.SupplyGuardError)
    async def _domain(request: Request, exc: errors.SupplyGuardError) -> Response:
        status = status_for(exc)
        if _wants_html(request):
            page: Response = request.app.state.render_error_page(request, status, exc.title, exc.message)
            return page
        extra: dict[str, Any] = {}
        field_errors = getattr(exc, "errors", None)  # ValidationFailed, DuplicateEvents: one per field path
        if isinstance(field_errors, tuple) and all(isinstance(e, errors.FieldError) for e in field_errors):
            extra["errors"] = [e.as_dict() for e in field_errors]
        if status >= 500:
            log.error("request.failed", path=request.url.path, error=type(exc).__name__)
        return problem_response(status, exc.title, exc.message, request.url.path, extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = _pydantic_errors(exc)
        detail = "; ".join(f"{'.'.join(map(str, p['loc'])) or '(body)'}: {p['msg']}" for p in problems)
        if _wants_html(request):
            page: Response = request.app.state.render_error_page(request, 422, "Invalid input", detail)
            return page
        return problem_response(422, "Validation failed", detail, request.url.path, {"errors": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "HTTP error")
        if _wants_html(request):
            page: Response = request.app.state.render_error_page(
                request, exc.status_code, title, str(exc.detail)
            )
            return page
        return problem_response(exc.status_code, title, str(exc.detail), request.url.path)

    @app.exception_handler(UnicodeEncodeError)
    async def _not_unicode(request: Request, exc: UnicodeEncodeError) -> Response:
        # JSON may escape half a UTF-16 pair alone ("\ud800"): Python reads it into a string that no
        # UTF-8 writer (database, hash, response) takes. Input checks refuse it at its field where
        # they look for it; anything that reaches a writer is the client's text all the same.
        if "surrogate" not in exc.reason:
            return await _unexpected(request, exc)
        log.warning("request.not_unicode", path=request.url.path)
        detail = "the request holds text that is not Unicode (a lone UTF-16 surrogate escape such as \\ud800)"
        if _wants_html(request):
            page: Response = request.app.state.render_error_page(request, 422, "Invalid input", detail)
            return page
        return problem_response(422, "Validation failed", detail, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.crashed", path=request.url.path, error=type(exc).__name__)
        return problem_response(500, "Internal error", "the server failed; this is a bug", request.url.path)
