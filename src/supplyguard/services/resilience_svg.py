"""Server-drawn SVG for the resilience page and report: the network on a plain equirectangular
projection (with a passage-closure detour) and the Monte Carlo loss histogram. No scripts, no
external files, so the report stays self-contained and prints as it shows."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

KIND_COLOURS = {
    "supplier": "#1f77b4",
    "plant": "#9467bd",
    "port": "#ff7f0e",
    "depot": "#2ca02c",
    "demand": "#d62728",
}
MODE_DASH = {"sea": "", "road": "4 3", "rail": "8 3 2 3", "air": "1 4"}


def _fmt(value: float) -> str:
    return f"{value:.1f}"


@functools.lru_cache(maxsize=4)
def land_rings(path: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The rings (lon, lat) of a TopoJSON land file (Natural Earth 110m from the world-atlas
    package, installed by ``make web-assets``); empty when it is missing or unreadable. A ring
    that crosses the antimeridian is made continuous (and closed along the pole if it circles it)."""
    try:
        topo = json.loads(Path(path).read_text(encoding="utf-8"))
        scale, translate = topo["transform"]["scale"], topo["transform"]["translate"]
        arcs: list[list[tuple[float, float]]] = []
        for arc in topo["arcs"]:
            x = y = 0
            points = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
            arcs.append(points)
        geometries = topo["objects"]["land"]["geometries"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    rings: list[tuple[tuple[float, float], ...]] = []

    def ring(indexes: list[int]) -> tuple[tuple[float, float], ...]:
        points: list[tuple[float, float]] = []
        for k, index in enumerate(indexes):
            part = arcs[~index][::-1] if index < 0 else arcs[index]
            points.extend(part[1:] if k else part)
        out: list[tuple[float, float]] = []
        shift = 0.0
        for i, (lon, lat) in enumerate(points):
            if i and lon - points[i - 1][0] > 180:
                shift -= 360
            elif i and lon - points[i - 1][0] < -180:
                shift += 360
            out.append((lon + shift, lat))
        if out:  # bring a ring that ran west past -180 back to the world in view
            lons = [lon for lon, _lat in out]
            back = 360 * round((min(lons) + max(lons)) / 720)
            out = [(lon - back, lat) for lon, lat in out]
        if out and abs(out[-1][0] - out[0][0]) > 180:
            pole = -90.0 if out[0][1] < 0 else 90.0
            out += [(out[-1][0], pole), (out[0][0], pole)]
        return tuple(out)

    for geometry in geometries:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            rings.extend(ring(indexes) for indexes in polygon)
    return tuple(rings)


@dataclass(frozen=True, slots=True)
class MapScene:
    """The network map projected to ``width`` x ``height`` pixels (y down): what the SVG and the
    PDF draw."""

    width: int
    height: int
    land: list[list[tuple[float, float]]]
    graticule: list[tuple[tuple[float, float], tuple[float, float]]]
    routes: list[tuple[str, list[tuple[float, float]]]]  # ("base" | "detour", points)
    lanes: list[tuple[str, str, tuple[float, float], tuple[float, float]]]  # id, mode, from, to
    sites: list[tuple[dict[str, Any], float, float, bool]]  # site, x, y, labelled


def map_scene(
    map_data: dict[str, Any],
    reroute: dict[str, Any] | None = None,
    *,
    land: Sequence[Sequence[tuple[float, float]]] = (),
    width: int = 900,
    height: int = 460,
) -> MapScene | None:
    """Project sites, lanes, sea routes (open and detour, in segments cut at the antimeridian)
    and ``land`` rings (lon, lat) on an equirectangular map fitted to the sites and routes;
    ``None`` when nothing has coordinates."""
    sites = map_data.get("sites", [])
    paths: list[tuple[str, list[tuple[float, float]]]] = []
    for row in (reroute or {}).get("lanes", []):
        if row.get("routed"):
            for kind in ("base", "detour"):
                for segment in row.get(f"{kind}_path") or []:
                    paths.append((kind, [(float(lat), float(lon)) for lat, lon in segment]))
    points = [(float(s["lat"]), float(s["lon"])) for s in sites] + [p for _, path in paths for p in path]
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad = 2.0
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(lons) - pad, max(lons) + pad
    mid = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * mid, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((width - 20) / span_x, (height - 20) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return off_x + (lon - west) * mid * scale, off_y + (north - lat) * scale

    land_px: list[list[tuple[float, float]]] = []
    for ring in land:
        if not ring:
            continue
        ring_lons = [lon for lon, _lat in ring]
        ring_lats = [lat for _lon, lat in ring]
        if max(ring_lons) < west or min(ring_lons) > east or max(ring_lats) < south or min(ring_lats) > north:
            continue
        land_px.append([xy(lat, lon) for lon, lat in ring])
    graticule = [(xy(lat, west), xy(lat, east)) for lat in range(-90, 91, 15) if south <= lat <= north]
    routes = [(kind, [xy(lat, lon) for lat, lon in path]) for kind, path in paths if len(path) >= 2]
    routed = {row["lane"] for row in (reroute or {}).get("lanes", []) if row.get("routed")}
    lanes = []
    for lane in map_data.get("lanes", []):
        if lane["id"] in routed:
            continue  # drawn along its sea route
        (lat1, lon1), (lat2, lon2) = lane["path"]
        lanes.append((str(lane["id"]), str(lane["mode"]), xy(lat1, lon1), xy(lat2, lon2)))
    placed: list[tuple[dict[str, Any], float, float, bool]] = []
    labelled: list[tuple[float, float]] = []
    for site in sites:
        x, y = xy(float(site["lat"]), float(site["lon"]))
        crowded = any(abs(x - lx) < 60 and abs(y - ly) < 12 for lx, ly in labelled)
        if not crowded:
            labelled.append((x, y))
        placed.append((site, x, y, not crowded))
    return MapScene(width, height, land_px, graticule, routes, lanes, placed)


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)


def network_svg(
    map_data: dict[str, Any],
    reroute: dict[str, Any] | None = None,
    *,
    land: Sequence[Sequence[tuple[float, float]]] = (),
    width: int = 900,
    height: int = 460,
) -> str:
    """The network's sites and lanes; with ``reroute``, each sea lane's open route (grey) and its
    detour when the passage closes (red); ``land`` rings (lon, lat) underneath. Returns an
    ``<svg>`` element as text."""
    scene = map_scene(map_data, reroute, land=land, width=width, height=height)
    if scene is None:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" role="img" '
            'aria-label="no located sites"><text x="10" y="35">No site has coordinates.</text></svg>'
        )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="network-map" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="map of the supply network">',
        f'<rect width="{width}" height="{height}" fill="#eef4f8"/>',
    ]
    for ring_px in scene.land:
        parts.append(f'<polygon class="land" points="{_points(ring_px)}" fill="#dfe6d8" stroke="#b9c4b0"/>')
    for (x1, y1), (x2, y2) in scene.graticule:
        parts.append(
            f'<line x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" stroke="#d5e0e8"/>'
        )
    for kind, path_px in scene.routes:
        colour, dash, label = (
            ("#9aa5ad", "", "open route") if kind == "base" else ("#c0392b", "6 3", "detour")
        )
        parts.append(
            f'<polyline class="route-{kind}" points="{_points(path_px)}" fill="none" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"><title>{label}</title></polyline>'
        )
    for lane_id, mode, (x1, y1), (x2, y2) in scene.lanes:
        parts.append(
            f'<line class="lane" x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" '
            f'stroke="#4a5a66" stroke-width="1.2" stroke-dasharray="{MODE_DASH.get(mode, "")}">'
            f"<title>{escape(lane_id)} ({escape(mode)})</title></line>"
        )
    for site, x, y, labelled in scene.sites:
        colour = KIND_COLOURS.get(site["kind"], "#333")
        label = (
            f'<text x="{_fmt(x + 7)}" y="{_fmt(y + 4)}" font-size="11">{escape(site["id"])}</text>'
            if labelled
            else ""
        )
        parts.append(
            f'<g class="site"><circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="5" fill="{colour}" stroke="#fff">'
            f"<title>{escape(site['id'])}: {escape(site['name'])} ({escape(site['kind'])})</title></circle>"
            f"{label}</g>"
        )
    legend_y = height - 12
    x = 10
    for kind, colour in KIND_COLOURS.items():
        parts.append(f'<circle cx="{x}" cy="{legend_y - 4}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{x + 7}" y="{legend_y}" font-size="11">{kind}</text>')
        x += 75
    if scene.routes:
        parts.append(
            f'<line x1="{x}" y1="{legend_y - 4}" x2="{x + 18}" y2="{legend_y - 4}" '
            'stroke="#c0392b" stroke-width="2" stroke-dasharray="6 3"/>'
        )
        parts.append(f'<text x="{x + 22}" y="{legend_y}" font-size="11">detour when closed</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(histogram: Sequence[dict[str, Any]], *, width: int = 640, height: int = 240) -> str:
    """Bars of the Monte Carlo loss histogram (``low``, ``high``, ``count`` per bin)."""
    if not histogram:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    left, bottom, top = 50, 40, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(int(b["count"]) for b in histogram) or 1
    bar_w = plot_w / len(histogram)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="loss-histogram" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="distribution of loss over the sampled scenarios">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
    ]
    for i, b in enumerate(histogram):
        count = int(b["count"])
        bar_h = plot_h * count / peak
        if count and bar_h < 1:
            bar_h = 1.0
        x = left + i * bar_w
        parts.append(
            f'<rect class="bar" x="{_fmt(x + 1)}" y="{_fmt(top + plot_h - bar_h)}" '
            f'width="{_fmt(max(bar_w - 2, 1))}" '
            f'height="{_fmt(bar_h)}" fill="#3b6ea5"><title>loss {b["low"]:,.0f} to {b["high"]:,.0f}: '
            f"{count} samples</title></rect>"
        )
    low, high = float(histogram[0]["low"]), float(histogram[-1]["high"])
    parts.append(f'<text x="{left}" y="{height - 22}" font-size="11">{low:,.0f}</text>')
    parts.append(
        f'<text x="{left + plot_w}" y="{height - 22}" font-size="11" text-anchor="end">{high:,.0f}</text>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="11" text-anchor="middle">'
        "loss per sampled scenario (samples per bar)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def exceedance_svg(histogram: Sequence[dict[str, Any]], *, width: int = 640, height: int = 240) -> str:
    """The chance that the loss exceeds x, from the histogram's bins: over each bin, the share of
    samples beyond its upper edge (a step line down to 0 at the largest loss: the tail a manager
    plans against)."""
    total = sum(int(b["count"]) for b in histogram)
    if not histogram or total == 0:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    left, bottom, top = 50, 40, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    low, high = float(histogram[0]["low"]), float(histogram[-1]["high"])
    span = max(high - low, 1e-9)
    remaining = total
    points: list[tuple[float, float]] = []
    for b in histogram:
        remaining -= int(b["count"])
        share = remaining / total  # samples beyond this bin: the loss exceeds its upper edge
        x0 = left + plot_w * (float(b["low"]) - low) / span
        x1 = left + plot_w * (float(b["high"]) - low) / span
        y = top + plot_h * (1 - share)
        points += [(x0, y), (x1, y)]
    coords = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="loss-exceedance" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="chance that the loss exceeds each amount">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">100 %</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
        f'<polyline points="{coords}" fill="none" stroke="#b03a2e" stroke-width="2"/>',
    ]
    for x, y in points[1::2]:
        parts.append(f'<circle class="step" cx="{_fmt(x)}" cy="{_fmt(y)}" r="1.5" fill="#b03a2e"/>')
    parts.append(f'<text x="{left}" y="{height - 22}" font-size="11">{low:,.0f}</text>')
    parts.append(
        f'<text x="{left + plot_w}" y="{height - 22}" font-size="11" text-anchor="end">{high:,.0f}</text>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="11" text-anchor="middle">'
        "chance that the loss exceeds this amount</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
