"""GPS and sensor messages from trackers, and the position filters Traccar users expect.

A message (HTTP batch item or MQTT payload) is a JSON object::

    {"device_id": "TRK-0042", "time": "2026-03-01T10:15:00Z", "lat": 51.95, "lon": 4.14,
     "speed_kmh": 62.5, "course_deg": 184, "temperature_c": 4.2, "humidity_pct": 71,
     "shock_g": 0.3, "door_open": false, "seal_intact": true, "battery_pct": 88, "message_id": "..."}

Only ``device_id``, ``time``, ``lat`` and ``lon`` are required. :func:`filter_position` decides
whether a position is kept, comparing it with the device's last kept position; each refusal carries a
reason code (``invalid``, ``zero``, ``duplicate``, ``out_of_order``, ``speed``, ``future``) and words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed

__all__ = [
    "FilterConfig",
    "Position",
    "PositionFilter",
    "Rejection",
    "filter_position",
    "haversine_km",
    "position_from_dict",
]

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Position:
    device_id: str
    time: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    course_deg: float | None = None
    temperature_c: float | None = None
    humidity_pct: float | None = None
    shock_g: float | None = None
    door_open: bool | None = None
    seal_intact: bool | None = None
    battery_pct: float | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a position was not kept: ``code`` for counting, ``reason`` for people."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """Which filters run (all by default) and their limits."""

    invalid: bool = True
    zero: bool = True
    duplicate: bool = True
    out_of_order: bool = True
    max_speed_kmh: float | None = 1000.0
    max_future: timedelta | None = timedelta(minutes=10)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


_OPTIONAL_NUMBERS = ("speed_kmh", "course_deg", "temperature_c", "humidity_pct", "shock_g", "battery_pct")


def _number(raw: Mapping[str, Any], key: str, errors: list[FieldError], required: bool) -> float | None:
    value = raw.get(key)
    if value is None:
        if required:
            errors.append(FieldError((key,), "required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors.append(FieldError((key,), "must be a finite number"))
        return None
    return float(value)


def _flag(raw: Mapping[str, Any], key: str, errors: list[FieldError]) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    errors.append(FieldError((key,), "must be true or false"))
    return None


def position_from_dict(raw: Mapping[str, Any]) -> Position:
    """A :class:`Position` from one wire message; :class:`ValidationFailed` names each bad field."""
    errors: list[FieldError] = []
    device_id = raw.get("device_id")
    if not isinstance(device_id, str) or not device_id.strip() or len(device_id) > 128:
        errors.append(FieldError(("device_id",), "a device id of 1 to 128 characters is required"))
    elif not device_id.isprintable():  # control characters, or a lone surrogate ("\ud800")
        errors.append(FieldError(("device_id",), "a device id must be printable Unicode text"))
    moment: datetime | None = None
    time_text = raw.get("time")
    if isinstance(time_text, str):
        try:
            moment = datetime.fromisoformat(time_text)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        errors.append(FieldError(("time",), "an ISO 8601 time with an offset is required"))
    lat = _number(raw, "lat", errors, required=True)
    lon = _number(raw, "lon", errors, required=True)
    numbers = {key: _number(raw, key, errors, required=False) for key in _OPTIONAL_NUMBERS}
    door_open, seal_intact = _flag(raw, "door_open", errors), _flag(raw, "seal_intact", errors)
    message_id = raw.get("message_id")
    if isinstance(message_id, str) and not message_id.isprintable():
        errors.append(FieldError(("message_id",), "a message id must be printable Unicode text"))
    if errors:
        raise ValidationFailed(errors)
    assert moment is not None and lat is not None and lon is not None and isinstance(device_id, str)
    return Position(
        device_id=device_id.strip(),
        time=moment.astimezone(UTC),
        lat=lat,
        lon=lon,
        door_open=door_open,
        seal_intact=seal_intact,
        message_id=message_id if isinstance(message_id, str) else None,
        **numbers,
    )


def filter_position(
    position: Position,
    last_kept: Position | None,
    config: FilterConfig,
    now: datetime,
) -> Rejection | None:
    """``None`` when the position is kept, else the first filter that refuses it."""
    if config.invalid and not (-90.0 <= position.lat <= 90.0 and -180.0 <= position.lon <= 180.0):
        return Rejection("invalid", f"coordinates ({position.lat}, {position.lon}) are out of range")
    if config.zero and position.lat == 0.0 and position.lon == 0.0:
        return Rejection("zero", "position (0, 0) is what a tracker without a fix reports")
    if config.max_future is not None and position.time > now + config.max_future:
        return Rejection("future", f"time {position.time.isoformat()} is ahead of the server clock")
    if last_kept is None:
        return None
    if config.duplicate and position.time == last_kept.time:
        same_place = position.lat == last_kept.lat and position.lon == last_kept.lon
        return Rejection(
            "duplicate", "same time as the last kept position" + (" and same place" if same_place else "")
        )
    if config.out_of_order and position.time < last_kept.time:
        return Rejection("out_of_order", f"older than the last kept position ({last_kept.time.isoformat()})")
    if config.max_speed_kmh is not None:
        hours = abs((position.time - last_kept.time).total_seconds()) / 3600.0
        distance = haversine_km(last_kept.lat, last_kept.lon, position.lat, position.lon)
        if hours > 0 and distance / hours > config.max_speed_kmh:
            return Rejection(
                "speed",
                f"{distance:.1f} km in {hours * 60:.1f} min implies {distance / hours:.0f} km/h, "
                f"over the {config.max_speed_kmh:.0f} km/h limit",
            )
    return None


class PositionFilter:
    """Keeps each device's last kept position and applies :func:`filter_position` to a stream."""

    def __init__(self, config: FilterConfig | None = None) -> None:
        self.config = config or FilterConfig()
        self.last_kept: dict[str, Position] = {}
        self.rejected: dict[str, int] = {}

    def check(self, position: Position, now: datetime) -> Rejection | None:
        rejection = filter_position(position, self.last_kept.get(position.device_id), self.config, now)
        if rejection is None:
            self.last_kept[position.device_id] = position
        else:
            self.rejected[rejection.code] = self.rejected.get(rejection.code, 0) + 1
        return rejection
