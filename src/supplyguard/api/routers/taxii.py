"""TAXII 2.1 server (read side): discovery, API root, collections, objects, manifest, versions.

Served under ``/v1/taxii2/`` (discovery) and ``/v1/taxii2/api/`` (the one API root), so errors
come back as problem+json like every other API error.

Media type ``application/taxii+json;version=2.1``. A caller with the ``partner`` role sees only
what the agreements compiled for its partner node (redacted copies keep the author's signature
verifiable); local staff see every version this node holds. ``next`` cursors encode a log
position: stateless, so a retried page is the same page. Every page also carries the position of
its last object in ``X-SupplyGuard-Last-Position``, which supplyguard's sync client persists.

Every route authenticates the caller twice over: the bearer token names the user; a partner
account must also sign the request with its node key (``Signature-Input``/``Signature``, see
:mod:`supplyguard.services.sharing_requests`), or it gets a 401 problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from supplyguard.api.deps import ContainerDep, SignedPrincipalDep
from supplyguard.api.taxii_schemas import (
    ApiRoot,
    Collection,
    Collections,
    Discovery,
    Envelope,
    Manifest,
    TaxiiResponse,
    VersionList,
)
from supplyguard.bootstrap import Container
from supplyguard.errors import FieldError, IntelNotFound, ValidationFailed
from supplyguard.model.clock import as_utc
from supplyguard.model.organisations import Principal, Role
from supplyguard.model.permissions import Action, require
from supplyguard.services.sharing_feed import (
    FeedEntry,
    FeedPage,
    feed_page,
    object_versions,
    objects_envelope_parts,
)
from supplyguard.services.sharing_partners import partner_for_principal
from supplyguard.services.sharing_sync import POSITION_HEADER, TAXII_MEDIA_TYPE, collection_id_for
from supplyguard.sharing import stix_timestamp

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
router = APIRouter(prefix="/v1/taxii2", tags=["taxii"])


def _taxii(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return TaxiiResponse(body, headers=headers)


def _viewer(container: Container, principal: Principal) -> str | None:
    """The partner node a partner account stands for, or None for local staff allowed to read."""
    if Role.PARTNER in principal.roles:
        return partner_for_principal(container.uow(readonly=True), principal).node_id
    require(principal, Action.SHARING_READ)
    return None


def _check_collection(container: Container, collection_id: str) -> None:
    if collection_id != collection_id_for(container.settings.node_name):
        raise IntelNotFound(f"collection {collection_id}")


def _collection(container: Container) -> dict[str, Any]:
    return {
        "id": collection_id_for(container.settings.node_name),
        "title": f"Intelligence shared by {container.settings.node_name}",
        "description": "Signed STIX 2.1 intelligence, compiled per partner by the sharing agreements.",
        "can_read": True,
        "can_write": False,
        "media_types": [STIX_MEDIA_TYPE],
    }


def _split(values: str | None) -> list[str]:
    return [v for v in (values or "").split(",") if v]


def _added_after(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as error:
        raise ValidationFailed([FieldError(("added_after",), "an RFC 3339 timestamp")]) from error


def _page_headers(page: FeedPage) -> dict[str, str]:
    headers = {POSITION_HEADER: str(page.last_position)}
    if page.entries:
        headers["X-TAXII-Date-Added-First"] = stix_timestamp(page.entries[0].date_added)
        headers["X-TAXII-Date-Added-Last"] = stix_timestamp(page.entries[-1].date_added)
    return headers


def _envelope(page: FeedPage, key: str, render: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next_cursor:
        body["next"] = page.next_cursor
    if page.entries:
        body[key] = [render(entry) for entry in page.entries]
    return body


def _manifest_entry(entry: FeedEntry) -> dict[str, Any]:
    return {
        "id": entry.stix_id,
        "date_added": stix_timestamp(entry.date_added),
        "version": entry.version,
        "media_type": STIX_MEDIA_TYPE,
    }


@router.get("/", response_class=TaxiiResponse, response_model=Discovery)
def discovery(request: Request, container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    """TAXII server discovery: this node's one API root."""
    root = str(request.url_for("api_root"))
    return _taxii(
        {
            "title": f"supplyguard node {container.settings.node_name}",
            "description": "TAXII 2.1 feed of signed intelligence for partner nodes.",
            "default": root,
            "api_roots": [root],
        }
    )


@router.get("/api/", response_class=TaxiiResponse, response_model=ApiRoot, name="api_root")
def api_root(container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    return _taxii(
        {
            "title": f"Intelligence of {container.settings.node_name}",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": container.settings.max_body_bytes,
        }
    )


@router.get("/api/collections/", response_class=TaxiiResponse, response_model=Collections)
def collections(container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    _viewer(container, principal)
    return _taxii({"collections": [_collection(container)]})


@router.get("/api/collections/{collection_id}/", response_class=TaxiiResponse, response_model=Collection)
def collection(collection_id: str, container: ContainerDep, principal: SignedPrincipalDep) -> Response:
    _viewer(container, principal)
    _check_collection(container, collection_id)
    return _taxii(_collection(container))


Types = Annotated[str | None, Query(alias="match[type]", max_length=2000)]
Ids = Annotated[str | None, Query(alias="match[id]", max_length=20000)]
Versions = Annotated[str, Query(alias="match[version]", max_length=20)]
Limit = Annotated[int, Query(ge=1, le=10_000)]
Next = Annotated[str | None, Query(max_length=200)]
AddedAfter = Annotated[str | None, Query(max_length=40)]


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """The filters and cursor of one feed request (objects and manifest take the same ones)."""

    ids: list[str]
    types: list[str]
    added_after: str | None
    limit: int
    next_cursor: str | None
    versions: str


def feed_query(
    match_type: Types = None,
    match_id: Ids = None,
    match_version: Versions = "last",
    added_after: AddedAfter = None,
    limit: Limit = 100,
    next: Next = None,
) -> FeedQuery:
    return FeedQuery(_split(match_id), _split(match_type), added_after, limit, next, match_version)


FeedQueryDep = Annotated[FeedQuery, Depends(feed_query)]


def _page(container: Container, principal: Principal, collection_id: str, query: FeedQuery) -> FeedPage:
    viewer = _viewer(container, principal)
    _check_collection(container, collection_id)
    return feed_page(
        container.uow(readonly=True),
        viewer,
        cursor=query.next_cursor,
        ids=query.ids,
        types=query.types,
        added_after=_added_after(query.added_after),
        limit=query.limit,
        versions=query.versions,
    )


@router.get(
    "/api/collections/{collection_id}/objects/", response_class=TaxiiResponse, response_model=Envelope
)
def get_objects(
    collection_id: str, container: ContainerDep, principal: SignedPrincipalDep, query: FeedQueryDep
) -> Response:
    """Objects after the ``next`` cursor (or ``added_after``), oldest first."""
    page = _page(container, principal, collection_id, query)
    parts = objects_envelope_parts(page)
    headers = {**_page_headers(page), "Content-Length": str(sum(map(len, parts)))}
    return StreamingResponse(_sent(parts), media_type=TAXII_MEDIA_TYPE, headers=headers)


async def _sent(parts: list[bytes]) -> AsyncIterator[bytes]:
    """A page's parts, one at a time (a big page is not copied whole on its way to the socket)."""
    for part in parts:
        yield part


@router.get(
    "/api/collections/{collection_id}/manifest/", response_class=TaxiiResponse, response_model=Manifest
)
def get_manifest(
    collection_id: str, container: ContainerDep, principal: SignedPrincipalDep, query: FeedQueryDep
) -> Response:
    page = _page(container, principal, collection_id, query)
    return _taxii(_envelope(page, "objects", _manifest_entry), _page_headers(page))


@router.get(
    "/api/collections/{collection_id}/objects/{object_id}/",
    response_class=TaxiiResponse,
    response_model=Envelope,
)
def get_object(
    collection_id: str,
    object_id: str,
    container: ContainerDep,
    principal: SignedPrincipalDep,
    match_version: Versions = "last",
) -> Response:
    page = _page(
        container, principal, collection_id, FeedQuery([object_id], [], None, 1000, None, match_version)
    )
    if not page.entries:
        raise IntelNotFound(object_id)
    return _taxii(_envelope(page, "objects", lambda entry: entry.wire), _page_headers(page))


@router.get(
    "/api/collections/{collection_id}/objects/{object_id}/versions/",
    response_class=TaxiiResponse,
    response_model=VersionList,
)
def get_versions(
    collection_id: str, object_id: str, container: ContainerDep, principal: SignedPrincipalDep
) -> Response:
    viewer = _viewer(container, principal)
    _check_collection(container, collection_id)
    entries = object_versions(container.uow(readonly=True), viewer, object_id)
    return _taxii({"more": False, "versions": [entry.version for entry in entries]})
