"""The tracking pages: live map of assets and alerts, the alert list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
