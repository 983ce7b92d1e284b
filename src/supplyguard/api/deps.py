"""FastAPI dependencies: the container, the calling principal, client address.

``PrincipalDep`` authenticates the bearer token; ``SignedPrincipalDep`` also checks the calling node's
request signature, which partner accounts must send (TAXII and ledger routes, the ones partner nodes
call).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from supplyguard.bootstrap import Container
from supplyguard.errors import NotAuthenticated
from supplyguard.model.organisations import Principal
from supplyguard.services.accounts import authenticate_token
from supplyguard.services.sharing_requests import SignedRequest, authenticate_node_request


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_principal(request: Request, container: Annotated[Container, Depends(get_container)]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")
    return authenticate_token(
        container.uow(readonly=True), container.clock, token.strip(), client_address(request)
    )


ContainerDep = Annotated[Container, Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def node_principal(
    request: Request, container: Annotated[Container, Depends(get_container)]
) -> Principal:
    """The caller's principal, after checking its node signature (required of partner accounts)."""
    principal = await run_in_threadpool(get_principal, request, container)
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else request.url.path
    signed = SignedRequest(
        method=request.method,
        path=path.partition("?")[0],
        query=request.scope.get("query_string", b"").decode("latin-1"),
        body=await request.body(),
        headers=request.headers,
    )
    await run_in_threadpool(
        authenticate_node_request,
        container.uow(),
        container.clock,
        container.settings.sharing_request_max_skew_s,
        principal,
        signed,
    )
    return principal


SignedPrincipalDep = Annotated[Principal, Depends(node_principal)]
