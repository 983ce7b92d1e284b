"""What the resilience faces show, computed from a network: the exposure ranking, the Monte Carlo
loss distribution, the stockpile plan with the service-level view, a passage-closure reroute and
the map. No database: the CLI uses these on files, :mod:`.resilience` on stored networks."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import yaml

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience import (
    Network,
    RiskProfile,
    ScenarioSpec,
    SeaRouter,
    analyse_network,
    canonical_passage,
    exposure_ranking,
    parse_risks,
    plan_stockpile,
    service_level_view,
    simulate,
    single_point_scenarios,
)

#: Without a risk file every site that is not a demand point and every asset fails with this
#: chance within the horizon, and recovers after an exponential time with its own TTR as the mean.
DEFAULT_PROBABILITY = 0.05
MAX_RUNS = 100_000
#: Part of the key of every stored view: bump it when what a view holds or how it is computed
#: changes, so that stored views of earlier releases are computed again instead of shown.
VIEWS_VERSION = 1
HISTOGRAM_BINS = 20


def parse_risks_yaml(text: str, network: Network) -> dict[str, RiskProfile]:
    """Risk profiles from a YAML mapping ``{site or asset id: {probability, distribution, params}}``."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError(("risks",), f"not valid YAML: {exc}")]) from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError(("risks",), "must be a mapping of site or asset ids")])
    return parse_risks(document, network)


def default_risks(network: Network, probability: float = DEFAULT_PROBABILITY) -> dict[str, RiskProfile]:
    """Every non-demand site and every asset: ``probability``, exponential recovery (mean: its TTR)."""
    risks = {
        site.id: RiskProfile(probability, "exponential", (network.site_ttr(site),))
        for site in network.sites
        if site.kind != "demand"
    }
    for asset in network.assets:
        ttr = asset.ttr if asset.ttr is not None else network.default_ttr
        risks[asset.id] = RiskProfile(probability, "exponential", (ttr,))
    return risks


def scenario_specs(network: Network, ids: Sequence[str] | None) -> list[ScenarioSpec] | None:
    """The named scenarios among the single-point and declared ones (``None``: the engine's default).

    A bare site, asset or passage id is accepted for ``site:ID``, ``asset:ID``, ``passage:NAME``."""
    if not ids:
        return None
    known = {spec.id: spec for spec in single_point_scenarios(network, include_lanes=True)}
    picked: list[ScenarioSpec] = []
    errors: list[FieldError] = []
    for i, ident in enumerate(ids):
        name = ident.strip()
        candidates = [name, f"site:{name}", f"asset:{name}", f"lane:{name}"]
        passage = canonical_passage(name.removeprefix("passage:"))
        if passage is not None:
            candidates.append(f"passage:{passage}")
        spec = next((known[c] for c in candidates if c in known), None)
        if spec is None:
            errors.append(FieldError(("scenarios", i), f"unknown scenario {name!r}"))
        else:
            picked.append(spec)
    if errors:
        raise ValidationFailed(errors)
    return picked


def analysis_rows(network: Network) -> list[dict[str, object]]:
    """Every single-point and declared scenario, most harmful first, with plan and reasons."""
    return [result.as_detail() for result in exposure_ranking(analyse_network(network))]


def check_runs(runs: int, seed: int, horizon: float | None = None) -> None:
    """Raise :class:`ValidationFailed` for a run count, seed or horizon out of range."""
    errors = []
    if not 1 <= runs <= MAX_RUNS:
        errors.append(FieldError(("runs",), f"must be between 1 and {MAX_RUNS:,}"))
    if seed < 0:
        errors.append(FieldError(("seed",), "must be non-negative"))
    if horizon is not None and not (horizon > 0 and math.isfinite(horizon)):
        errors.append(FieldError(("horizon",), "must be a positive number of periods"))
    if errors:
        raise ValidationFailed(errors)


def simulation_summary(
    network: Network,
    risks: Mapping[str, RiskProfile] | None,
    *,
    runs: int,
    seed: int,
    horizon: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Monte Carlo: the loss distribution (summary and histogram), unmet demand per product, the
    sites that contribute most, and where the risk profiles came from."""
    check_runs(runs, seed, horizon)
    profiles = dict(risks) if risks else default_risks(network)
    result = simulate(network, profiles, samples=runs, seed=seed, horizon=horizon, on_progress=on_progress)
    summary = result.summary()
    summary["risks"] = (
        "given" if risks else f"default: every site and asset fails with p={DEFAULT_PROBABILITY}"
    )
    summary["histogram"] = [
        {"low": round(low, 2), "high": round(high, 2), "count": count}
        for low, high, count in result.histogram(HISTOGRAM_BINS)
    ]
    return summary


def stockpile_summary(
    network: Network, scenario_ids: Sequence[str] | None = None, *, lead_periods: float = 1.0
) -> dict[str, Any]:
    """The cheapest emergency stock making TTS >= TTR for the scenarios (default: every site
    outage), and the service-level view (base stock per cycle service level, with costs)."""
    if not (lead_periods > 0 and math.isfinite(lead_periods)):
        raise ValidationFailed([FieldError(("lead_periods",), "must be a positive number of periods")])
    plan = plan_stockpile(network, scenario_specs(network, scenario_ids))
    out: dict[str, Any] = plan.as_dict()
    names = {p.id: p for p in network.products}
    for row in out["additions"]:
        product = names[row["product"]]
        row["holding_cost_per_period"] = round(row["units"] * product.holding_cost, 2)
    out["service_levels"] = {
        product: [option.as_dict() for option in options]
        for product, options in service_level_view(network, lead_periods=lead_periods).items()
    }
    out["lead_periods"] = lead_periods
    return out


def _place(network: Network, site_id: str) -> str | tuple[float, float] | None:
    site = network.site(site_id)
    if site.port_code:
        return site.port_code
    if site.lat is not None and site.lon is not None:
        return (site.lon, site.lat)
    return None


def route_segments(coordinates: Sequence[tuple[float, float]]) -> list[list[list[float]]]:
    """(lon, lat) points as segments of [lat, lon], cut where the route crosses the antimeridian
    (with a point on each side of the cut), so a flat map draws no line across the world."""
    segments: list[list[list[float]]] = []
    current: list[list[float]] = []
    previous: tuple[float, float] | None = None
    for lon, lat in coordinates:
        if previous is not None and abs(lon - previous[0]) > 180:
            plon, plat = previous
            edge = 180.0 if plon > 0 else -180.0
            step = (lon + 360.0 if plon > 0 else lon - 360.0) - plon
            share = (edge - plon) / step if step else 0.0
            cut_lat = round(plat + (lat - plat) * share, 3)
            current.append([cut_lat, edge])
            segments.append(current)
            current = [[cut_lat, -edge]]
        current.append([round(lat, 3), round(lon, 3)])
        previous = (lon, lat)
    if current:
        segments.append(current)
    return segments


def passage_reroutes(
    network: Network, passage: str = "suez", router: SeaRouter | None = None
) -> dict[str, Any]:
    """For every sea lane that crosses ``passage``: the sea route with it open and the detour when
    it closes (distance, added days, polylines), and the network impact of the closure."""
    canonical = canonical_passage(passage)
    if canonical is None:
        raise ValidationFailed([FieldError(("passage",), f"unknown sea passage {passage!r}")])
    lanes = [lane for lane in network.lanes if lane.mode == "sea" and canonical in lane.passages]
    sea = router
    rows: list[dict[str, Any]] = []
    for lane in lanes:
        origin, destination = _place(network, lane.origin), _place(network, lane.destination)
        if origin is None or destination is None:
            rows.append({"lane": lane.id, "from": lane.origin, "to": lane.destination, "routed": False})
            continue
        sea = sea or SeaRouter()
        impact = sea.reroute(origin, destination, canonical)
        rows.append(
            {
                "lane": lane.id,
                "from": lane.origin,
                "to": lane.destination,
                "routed": True,
                "base_km": round(impact.base.distance_km, 1) if impact.base.found else None,
                "detour_km": round(impact.detour.distance_km, 1) if impact.detour.found else None,
                "added_km": round(impact.added_km, 1) if impact.detour.found else None,
                "added_days": round(impact.added_days, 2) if impact.detour.found else None,
                "detour_via": list(impact.detour.passages),
                "declared_added_days": lane.passages.get(canonical),
                "reason": impact.reason,
                "base_path": route_segments(impact.base.coordinates),
                "detour_path": route_segments(impact.detour.coordinates),
            }
        )
    impact_row: dict[str, object] | None = None
    if lanes:
        spec = ScenarioSpec(id=f"passage:{canonical}", passages=(canonical,))
        impact_row = analyse_network(network, [spec])[0].as_detail()
    return {"passage": canonical, "lanes": rows, "impact": impact_row}


def map_data(network: Network) -> dict[str, Any]:
    """Sites with coordinates, lanes between them, and infrastructure dependencies, for drawing."""
    located = {s.id: s for s in network.sites if s.lat is not None and s.lon is not None}
    return {
        "sites": [
            {"id": s.id, "name": s.name or s.id, "kind": s.kind, "lat": s.lat, "lon": s.lon}
            for s in located.values()
        ],
        "lanes": [
            {
                "id": lane.id,
                "mode": lane.mode,
                "from": lane.origin,
                "to": lane.destination,
                "path": [
                    [located[lane.origin].lat, located[lane.origin].lon],
                    [located[lane.destination].lat, located[lane.destination].lon],
                ],
            }
            for lane in network.lanes
            if lane.origin in located and lane.destination in located
        ],
        "unplaced": [s.id for s in network.sites if s.id not in located],
    }


def network_facts(network: Network) -> dict[str, object]:
    return {
        "name": network.name,
        "sites": len(network.sites),
        "products": len(network.products),
        "lanes": len(network.lanes),
        "alternatives": len(network.alternatives),
        "assets": len(network.assets),
        "scenarios": len(network.scenarios),
        "period_days": network.period_days,
    }


def report_document(
    network: Network,
    *,
    ranking: list[dict[str, Any]],
    simulation: dict[str, Any],
    stockpile: dict[str, Any],
    reroute: dict[str, Any],
    generated_at: datetime,
    version: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a network's page and report show, in one document."""
    exposed = [row for row in ranking if row["exposed"]]
    worst = ranking[0] if ranking else None
    return {
        "network": network_facts(network),
        "version": version,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "map": map_data(network),
        "ranking": ranking,
        "headline": {
            "scenarios": len(ranking),
            "exposed": len(exposed),
            "worst": worst["scenario"] if worst else None,
            "worst_loss": worst["loss"] if worst else 0.0,
            "expected_loss": simulation["loss"]["mean"],
            "p95_loss": simulation["loss"]["p95"],
            "stockpile_cost": stockpile["holding_cost_per_period"],
        },
        "simulation": simulation,
        "stockpile": stockpile,
        "reroute": reroute,
    }


def report_of_network(
    network: Network,
    risks: Mapping[str, RiskProfile] | None,
    *,
    runs: int,
    seed: int,
    now: datetime,
    router: SeaRouter | None = None,
) -> dict[str, Any]:
    """The report document of a network file (nothing stored)."""
    return report_document(
        network,
        ranking=analysis_rows(network),
        simulation=simulation_summary(network, risks, runs=runs, seed=seed),
        stockpile=stockpile_summary(network),
        reroute=passage_reroutes(network, "suez", router),
        generated_at=now,
    )
