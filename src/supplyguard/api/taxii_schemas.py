"""The TAXII 2.1 resources this node serves, as the OpenAPI document declares them.

The routes write these bodies themselves (the objects page is spliced from stored text), so the
models describe the wire and are not used to build it; the TAXII API tests check what is sent
against them through the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from supplyguard.services.sharing_sync import TAXII_MEDIA_TYPE


class TaxiiResponse(JSONResponse):
    """A TAXII 2.1 resource: compact JSON under the TAXII media type."""

    media_type = TAXII_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()


class Discovery(BaseModel):
    """TAXII server discovery: the node's one API root."""

    title: str
    description: str | None = None
    default: str = Field(description="The URL of the default API root")
    api_roots: list[str]


class ApiRoot(BaseModel):
    """The API root: TAXII versions served and the largest request body taken."""

    title: str
    versions: list[str]
    max_content_length: int


class Collection(BaseModel):
    """The node's intelligence collection (read only)."""

    id: str
    title: str
    description: str | None = None
    can_read: bool
    can_write: bool
    media_types: list[str]


class Collections(BaseModel):
    collections: list[Collection] = Field(default_factory=list)


class Envelope(BaseModel):
    """A page of STIX 2.1 objects, oldest first: each signed by its author (the provenance extension)."""

    more: bool
    next: str | None = Field(default=None, description="The cursor of the next page, where there is one")
    objects: list[dict[str, Any]] = Field(default_factory=list, description="STIX 2.1 objects")


class ManifestRecord(BaseModel):
    id: str
    date_added: str
    version: str
    media_type: str


class Manifest(BaseModel):
    """A page of manifest records: which object versions the collection holds, and since when."""

    more: bool
    next: str | None = None
    objects: list[ManifestRecord] = Field(default_factory=list)


class VersionList(BaseModel):
    """The versions of one object this caller may see, oldest first."""

    more: bool
    versions: list[str] = Field(default_factory=list)
