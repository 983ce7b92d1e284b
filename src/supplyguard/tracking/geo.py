"""Geofences (circle, polygon), planned routes with a corridor, and a grid index for 10,000s of devices.

Coordinates are WGS 84 degrees as ``(lat, lon)`` everywhere in this package (GeoJSON and shapely use
``(lon, lat)``; the conversion happens here and nowhere else).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from supplyguard.tracking.telemetry import EARTH_RADIUS_KM, haversine_km

__all__ = [
    "Geofence",
    "GeofenceIndex",
    "Route",
    "circle_geofence",
    "distance_to_route_km",
    "nearest_segment",
    "plan_sea_route",
    "polygon_geofence",
    "road_route",
]

LatLon = tuple[float, float]
_KM_PER_DEG_LAT = math.pi * EARTH_RADIUS_KM / 180.0


@dataclass(frozen=True, slots=True)
class Geofence:
    """An area: ``kind`` says what it means to the rules (``site``: doors may open there;
    ``restricted``: entering raises an alert; ``zone``: enter/exit only). ``max_dwell_minutes``
    bounds how long a device may stay inside."""

    geofence_id: str
    name: str
    kind: str
    center: LatLon | None = None
    radius_km: float | None = None
    polygon: tuple[LatLon, ...] = ()
    max_dwell_minutes: float | None = None
    _shape: Polygon | None = field(default=None, compare=False, repr=False)

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon)."""
        if self.center is not None and self.radius_km is not None:
            dlat = self.radius_km / _KM_PER_DEG_LAT
            dlon = dlat / max(math.cos(math.radians(self.center[0])), 1e-6)
            return (
                self.center[0] - dlat,
                self.center[1] - dlon,
                self.center[0] + dlat,
                self.center[1] + dlon,
            )
        lats = [p[0] for p in self.polygon]
        lons = [p[1] for p in self.polygon]
        return (min(lats), min(lons), max(lats), max(lons))

    def contains(self, lat: float, lon: float) -> bool:
        if self.center is not None and self.radius_km is not None:
            return haversine_km(self.center[0], self.center[1], lat, lon) <= self.radius_km
        assert self._shape is not None
        return bool(self._shape.covers(Point(lon, lat)))


def circle_geofence(
    geofence_id: str,
    name: str,
    center: LatLon,
    radius_km: float,
    *,
    kind: str = "zone",
    max_dwell_minutes: float | None = None,
) -> Geofence:
    if not (-90 <= center[0] <= 90 and -180 <= center[1] <= 180) or radius_km <= 0:
        raise ValueError("a circle needs a valid centre and a positive radius")
    return Geofence(
        geofence_id, name, kind, center=center, radius_km=radius_km, max_dwell_minutes=max_dwell_minutes
    )


def polygon_geofence(
    geofence_id: str,
    name: str,
    vertices: Sequence[LatLon],
    *,
    kind: str = "zone",
    max_dwell_minutes: float | None = None,
) -> Geofence:
    if len(vertices) < 3:
        raise ValueError("a polygon needs at least three vertices")
    shape = Polygon([(lon, lat) for lat, lon in vertices])
    if not shape.is_valid:
        shape = shape.buffer(0)
    shapely.prepare(shape)
    return Geofence(
        geofence_id, name, kind, polygon=tuple(vertices), max_dwell_minutes=max_dwell_minutes, _shape=shape
    )


class GeofenceIndex:
    """Grid of 1-degree cells -> geofences whose box touches the cell: a cheap spatial prefilter."""

    def __init__(self, geofences: Iterable[Geofence], cell_deg: float = 1.0) -> None:
        self.cell_deg = cell_deg
        self.geofences = {g.geofence_id: g for g in geofences}
        self._cells: dict[tuple[int, int], list[Geofence]] = {}
        for geofence in self.geofences.values():
            min_lat, min_lon, max_lat, max_lon = geofence.bbox()
            for i in range(self._cell(min_lat), self._cell(max_lat) + 1):
                for j in range(self._cell(min_lon), self._cell(max_lon) + 1):
                    self._cells.setdefault((i, j), []).append(geofence)

    def _cell(self, degrees: float) -> int:
        return math.floor(degrees / self.cell_deg)

    def containing(self, lat: float, lon: float) -> list[Geofence]:
        """Geofences that contain the point."""
        candidates = self._cells.get((self._cell(lat), self._cell(lon)), ())
        return [g for g in candidates if g.contains(lat, lon)]


@dataclass(frozen=True, slots=True)
class Route:
    """A planned path (``points`` as (lat, lon)) and the corridor half-width around it."""

    route_id: str
    mode: str
    points: tuple[LatLon, ...]
    buffer_km: float
    length_km: float = 0.0
    _lat: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)
    _lon: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)
    _lat_list: tuple[float, ...] = field(default=(), compare=False, repr=False)
    _lon_list: tuple[float, ...] = field(default=(), compare=False, repr=False)


def _make_route(
    route_id: str, mode: str, points: Sequence[LatLon], buffer_km: float, length_km: float
) -> Route:
    if len(points) < 2 or buffer_km <= 0:
        raise ValueError("a route needs at least two points and a positive corridor width")
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.unwrap(np.radians([p[1] for p in points]))
    lon_degrees = np.degrees(lon)
    return Route(
        route_id, mode, tuple(points), buffer_km, length_km, lat, lon_degrees,
        tuple(lat.tolist()), tuple(lon_degrees.tolist()),
    )  # fmt: skip


def road_route(route_id: str, points: Sequence[LatLon], buffer_km: float = 2.0) -> Route:
    """A road leg given as a polyline."""
    length = sum(haversine_km(*a, *b) for a, b in itertools.pairwise(points))
    return _make_route(route_id, "road", points, buffer_km, length)


def plan_sea_route(route_id: str, origin: LatLon, destination: LatLon, buffer_km: float = 50.0) -> Route:
    """A sea leg planned on the shipping-lane network of the ``searoute`` package."""
    import searoute  # local import: loads its network on first use, not at import time

    feature = searoute.searoute([origin[1], origin[0]], [destination[1], destination[0]], units="km")
    points = [(float(lat), float(lon)) for lon, lat in feature["geometry"]["coordinates"]]
    return _make_route(route_id, "sea", points, buffer_km, float(feature["properties"].get("length", 0.0)))


def nearest_segment(route: Route, lat: float, lon: float) -> tuple[float, int]:
    """(distance in km, index of the nearest segment) from the point to the route polyline.

    Local flat approximation around the point, good to a few percent for corridors of tens of km.
    """
    scale = math.cos(math.radians(lat))
    # unwrap the point's longitude next to each vertex so routes across the antimeridian work
    dlon_vertices = (route._lon - lon + 180.0) % 360.0 - 180.0
    x = dlon_vertices * scale * _KM_PER_DEG_LAT
    y = (route._lat - lat) * _KM_PER_DEG_LAT
    x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, -(x0 * dx + y0 * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    px, py = x0 + t * dx, y0 + t * dy
    distance2 = px * px + py * py
    # a segment whose ends wrap to opposite sides of the point lies on the far side of the globe
    distance2[np.abs(dlon_vertices[1:] - dlon_vertices[:-1]) > 180.0] = np.inf
    index = int(np.argmin(distance2))
    return float(np.sqrt(distance2[index])), index


def segment_distance_km(route: Route, index: int, lat: float, lon: float) -> float:
    """Distance from the point to one segment of the route (pure Python: the per-position fast path)."""
    scale = math.cos(math.radians(lat)) * _KM_PER_DEG_LAT
    dlon0 = (route._lon_list[index] - lon + 180.0) % 360.0 - 180.0
    dlon1 = (route._lon_list[index + 1] - lon + 180.0) % 360.0 - 180.0
    if abs(dlon1 - dlon0) > 180.0:
        return math.inf
    x0, y0 = dlon0 * scale, (route._lat_list[index] - lat) * _KM_PER_DEG_LAT
    x1, y1 = dlon1 * scale, (route._lat_list[index + 1] - lat) * _KM_PER_DEG_LAT
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else min(1.0, max(0.0, -(x0 * dx + y0 * dy) / length2))
    return math.hypot(x0 + t * dx, y0 + t * dy)


def distance_to_route_km(route: Route, lat: float, lon: float) -> float:
    """Shortest distance from the point to the route polyline, in km."""
    return nearest_segment(route, lat, lon)[0]
