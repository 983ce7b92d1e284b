"""Resilience use cases on files (no database): analyse a network, reroute around closed passages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience import (
    ScenarioResult,
    SeaRouter,
    analyse_network,
    exposure_ranking,
    load_network,
)


def analyse_file(path: Path) -> list[ScenarioResult]:
    """Every single-point scenario of the network file (sites, assets, passages, declared ones)."""
    if not path.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
    return analyse_network(load_network(path))


def ranked(results: list[ScenarioResult]) -> list[ScenarioResult]:
    return exposure_ranking(results)


def sea_routes(origin: str, destination: str, closed: list[str], alternatives: int) -> dict[str, Any]:
    """The shortest sea route between two ports (UN/LOCODE) with passages closed, and alternatives;
    for each closed passage, the detour it forces against the open route."""
    router = SeaRouter()
    routes = router.alternatives(origin, destination, k=alternatives, closed=closed)
    impacts = [router.reroute(origin, destination, passage) for passage in closed]
    return {
        "from": origin.upper(),
        "to": destination.upper(),
        "closed": closed,
        "routes": [route.as_dict() for route in routes],
        "closures": [
            {
                "passage": impact.passage,
                "added_km": round(impact.added_km, 1),
                "added_days": round(impact.added_days, 2),
                "reason": impact.reason,
            }
            for impact in impacts
        ],
    }
