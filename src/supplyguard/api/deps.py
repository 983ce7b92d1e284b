"""FastAPI dependencies: the container, the calling principal, client address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from supplyguard.bootstrap import Container
from supplyguard.errors import NotAuthenticated
from supplyguard.model.organisations import Principal
from supplyguard.services.accounts import authenticate_token


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
