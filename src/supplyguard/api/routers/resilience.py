"""/v1/resilience: networks, analyses, Monte Carlo, stockpiles, routes and drills."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/resilience", tags=["resilience"])
