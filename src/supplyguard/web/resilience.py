"""The resilience pages: networks, exposure ranking, Monte Carlo, stockpiles, drills, reports."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
