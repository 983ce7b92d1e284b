"""Resilience use cases on files (no database): analyse a network, reroute around closed passages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience import (
    Network,
    RiskProfile,
    ScenarioResult,
    SeaRouter,
    analyse_network,
    exposure_ranking,
    lanes_from_csv,
    load_geograph,
    load_network,
    sites_from_csv,
)
from supplyguard.services import resilience_views as views
from supplyguard.tracking.telemetry import haversine_km


def network_file(path: Path) -> Network:
    """The validated network of a YAML file (with its CSV tables)."""
    if not path.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
    return load_network(path)


def analyse_file(path: Path) -> list[ScenarioResult]:
    """Every single-point scenario of the network file (sites, assets, passages, declared ones)."""
    return analyse_network(network_file(path))


def simulation_inputs(
    path: Path, risks_path: Path | None, *, runs: int, seed: int, horizon: float | None = None
) -> tuple[Network, dict[str, RiskProfile] | None]:
    """The network and risk profiles of a Monte Carlo run, validated before anything runs."""
    views.check_runs(runs, seed, horizon)
    network = network_file(path)
    risks = None
    if risks_path is not None:
        if not risks_path.is_file():
            raise ValidationFailed([FieldError(("--risks",), f"{risks_path} is not a readable file")])
        try:
            text = risks_path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed([FieldError(("--risks",), f"{risks_path} is not UTF-8 text")]) from exc
        risks = views.parse_risks_yaml(text, network)
    return network, risks


def simulate_network(
    network: Network,
    risks: dict[str, RiskProfile] | None,
    *,
    runs: int,
    seed: int,
    horizon: float | None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Monte Carlo with risk profiles given or the defaults (see :mod:`.resilience_views`)."""
    return views.simulation_summary(
        network, risks, runs=runs, seed=seed, horizon=horizon, on_progress=on_progress
    )


def stockpile_file(path: Path, scenarios: list[str], *, lead_periods: float) -> dict[str, Any]:
    """Emergency stock plan and service-level view of a network file."""
    return views.stockpile_summary(network_file(path), scenarios or None, lead_periods=lead_periods)


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


def _point(text: str, name: str) -> tuple[float, float]:
    """A "lat,lon" option as a (lon, lat) point, or a clear error."""
    parts = text.replace(" ", "").split(",")
    try:
        lat, lon = (float(part) for part in parts)
    except ValueError:
        raise ValidationFailed(
            [FieldError((name,), f"{text!r} is not 'lat,lon' (e.g. 41.88,-87.63)")]
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed([FieldError((name,), f"{text!r} is outside the globe")])
    return lon, lat


def graph_route(graph: Path, origin: str, destination: str, *, speed_kmh: float) -> dict[str, Any]:
    """The shortest road or rail route on a GeoGraph file between two "lat,lon" points (snapped to
    the nearest nodes, whose distance from the points is reported so a far snap is visible)."""
    if not graph.is_file():
        raise ValidationFailed([FieldError(("GRAPH",), f"{graph} is not a readable file")])
    try:
        document = graph.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError(("GRAPH",), f"{graph} is not UTF-8 text")]) from None
    try:
        router = load_geograph(document, speed_kmh=speed_kmh)
    except ValueError as error:  # json.JSONDecodeError and malformed node lists
        raise ValidationFailed(
            [FieldError(("GRAPH",), f"{graph} is not a GeoGraph JSON file: {error}")]
        ) from None
    start, end = _point(origin, "FROM"), _point(destination, "TO")
    route = router.route(start, end)
    snapped = router.nearest_nodes([start, end])
    return {
        "from": {"lat": start[1], "lon": start[0]},
        "to": {"lat": end[1], "lon": end[0]},
        "snap_km": [
            round(haversine_km(point[1], point[0], float(router.lat[i]), float(router.lon[i])), 2)
            for point, i in zip((start, end), snapped.tolist(), strict=True)
        ],
        "speed_kmh": speed_kmh,
        "route": route.as_dict(),
    }


def report_file(
    path: Path,
    risks_path: Path | None,
    out: Path,
    *,
    runs: int,
    seed: int,
    now: datetime,
    land_file: Path | None = None,
) -> Path:
    """Write the forwardable report of a network file as HTML or PDF (by ``out``'s suffix)."""
    from supplyguard.services import resilience_report

    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ValidationFailed([FieldError(("--out",), "must end in .html or .pdf")])
    if not out.parent.is_dir():
        raise ValidationFailed([FieldError(("--out",), f"{out.parent} is not a directory")])
    network, risks = simulation_inputs(path, risks_path, runs=runs, seed=seed)
    report = views.report_of_network(network, risks, runs=runs, seed=seed, now=now)
    if suffix == ".pdf":
        data = resilience_report.render_pdf(report, land_file=land_file)
    else:
        data = resilience_report.render_html(report, land_file=land_file).encode("utf-8")
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


def network_document_of_file(path: Path) -> dict[str, Any]:
    """The network document of a file with its CSV tables merged in (validated), for storing."""
    import yaml

    network_file(path)  # validates, with CSV tables and clear errors
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key, convert, target in (
        ("sites_csv", sites_from_csv, "sites"),
        ("lanes_csv", lanes_from_csv, "lanes"),
    ):
        name = document.pop(key, None)
        if name:
            table = (path.parent / str(name)).read_text(encoding="utf-8")
            document[target] = list(document.get(target) or []) + convert(table)
    document.setdefault("name", path.stem)
    return dict(document)
