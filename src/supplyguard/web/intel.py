"""The intelligence pages: received and shared intelligence, recipient preview, partner status."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
