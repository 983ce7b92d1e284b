"""/v1/intel: intelligence held, published and received; recipient previews; feedback."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/intel", tags=["intel"])
