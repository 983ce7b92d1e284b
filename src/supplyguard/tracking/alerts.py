"""Alert rules over a stream of positions: pure functions of (device state, position, rules).

:func:`evaluate_position` returns the device's next :class:`DeviceState` and the alerts the position
raises; :class:`AlertEngine` keeps the states of many devices (10,000s) in a dict. Rules:

========================  =========  =====================================================================
kind                      severity   when
========================  =========  =====================================================================
``geofence_enter``        info/high  the device enters a geofence (high for ``restricted`` ones)
``geofence_exit``         info       the device leaves a geofence
``dwell``                 medium     inside a geofence longer than its ``max_dwell_minutes``
``corridor_deviation``    high       farther from the planned route than the corridor half-width
``corridor_return``       info       back inside the corridor
``unplanned_stop``        medium     stopped outside every ``site`` longer than ``max_stop_minutes``
``door_opened``           high       door opened outside every ``site`` geofence
``seal_broken``           critical   seal reported broken outside a ``site`` (medium at a site)
``temperature``           high       temperature leaves the profile's bounds (once per excursion)
``shock``                 medium     shock above the profile's limit (at most one per 10 minutes)
``device_silent``         medium     no position for longer than the profile's ``max_silence``
========================  =========  =====================================================================

Each alert names its subject (the device, and the objects it carries), the time, the position and
the reason in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from supplyguard.tracking.geo import GeofenceIndex, Route, nearest_segment, segment_distance_km
from supplyguard.tracking.telemetry import Position, haversine_km

__all__ = [
    "Alert",
    "AlertEngine",
    "DeviceProfile",
    "DeviceState",
    "TrackingRules",
    "check_silence",
    "evaluate_position",
]

SHOCK_REPEAT = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    severity: str
    subject: str
    time: datetime
    reason: str
    lat: float | None = None
    lon: float | None = None
    object_ids: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """What is expected of one device (or of every device, as the default profile)."""

    device_id: str = "*"
    route: Route | None = None
    min_temperature_c: float | None = None
    max_temperature_c: float | None = None
    max_shock_g: float | None = None
    max_silence: timedelta | None = None
    max_stop_minutes: float | None = None
    object_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackingRules:
    geofences: GeofenceIndex
    profiles: Mapping[str, DeviceProfile] = field(default_factory=dict)
    default_profile: DeviceProfile = field(default_factory=DeviceProfile)
    stop_speed_kmh: float = 3.0
    stop_radius_km: float = 0.3

    def profile(self, device_id: str) -> DeviceProfile:
        return self.profiles.get(device_id, self.default_profile)


@dataclass(frozen=True, slots=True)
class DeviceState:
    device_id: str
    last: Position | None = None
    inside: frozenset[str] = frozenset()
    entered_at: Mapping[str, datetime] = field(default_factory=dict)
    dwell_alerted: frozenset[str] = frozenset()
    off_corridor: bool = False
    door_open: bool = False
    seal_broken: bool = False
    temperature_out: bool = False
    last_shock_alert: datetime | None = None
    stop_anchor: Position | None = None
    stop_alerted: bool = False
    silent_alerted: bool = False
    route_id: str | None = None
    route_segment: int | None = None


class _Raise:
    """Collects the alerts of one evaluation with the position's common fields filled in."""

    def __init__(self, position: Position, profile: DeviceProfile) -> None:
        self.position = position
        self.profile = profile
        self.alerts: list[Alert] = []

    def __call__(self, kind: str, severity: str, reason: str, **details: Any) -> None:
        p = self.position
        self.alerts.append(
            Alert(kind, severity, p.device_id, p.time, reason, p.lat, p.lon, self.profile.object_ids, details)
        )


def _geofence_rules(
    state: DeviceState, draft: dict[str, Any], position: Position, rules: TrackingRules, raise_: _Raise
) -> None:
    fences = {g.geofence_id: g for g in rules.geofences.containing(position.lat, position.lon)}
    inside = frozenset(fences)
    first_fix = state.last is None
    for fence_id in sorted(inside - state.inside):
        fence = fences[fence_id]
        if fence.kind == "restricted":
            raise_("geofence_enter", "high", f"entered restricted area {fence.name}", geofence_id=fence_id)
        elif not first_fix:
            raise_("geofence_enter", "info", f"entered {fence.kind} {fence.name}", geofence_id=fence_id)
    for fence_id in sorted(state.inside - inside):
        left = rules.geofences.geofences.get(fence_id)
        name = left.name if left else fence_id
        raise_("geofence_exit", "info", f"left {left.kind if left else 'area'} {name}", geofence_id=fence_id)
    entered_at = (
        state.entered_at
        if inside == state.inside
        else {fid: state.entered_at.get(fid, position.time) for fid in inside}
    )
    dwell_alerted = set(state.dwell_alerted & inside)
    for fence_id, fence in fences.items():
        if fence.max_dwell_minutes is None or fence_id in dwell_alerted:
            continue
        minutes = (position.time - entered_at[fence_id]).total_seconds() / 60.0
        if minutes > fence.max_dwell_minutes:
            raise_(
                "dwell",
                "medium",
                f"inside {fence.name} for {minutes:.0f} min, more than the "
                f"{fence.max_dwell_minutes:.0f} min allowed",
                geofence_id=fence_id,
                minutes=round(minutes, 1),
            )
            dwell_alerted.add(fence_id)
    at_site = any(f.kind == "site" for f in fences.values())
    draft["inside"] = inside
    draft["entered_at"] = entered_at
    draft["dwell_alerted"] = frozenset(dwell_alerted)
    _door_and_seal(state, draft, position, at_site, fences, raise_)
    _stop_rule(state, draft, position, rules, at_site, raise_)


def _door_and_seal(
    state: DeviceState,
    draft: dict[str, Any],
    position: Position,
    at_site: bool,
    fences: Mapping[str, Any],
    raise_: _Raise,
) -> None:
    where = (
        "at site " + ", ".join(sorted(f.name for f in fences.values() if f.kind == "site"))
        if at_site
        else "outside any site"
    )
    door_open = state.door_open if position.door_open is None else position.door_open
    if door_open and not state.door_open and not at_site:
        raise_("door_opened", "high", f"door opened {where}")
    seal_broken = state.seal_broken if position.seal_intact is None else not position.seal_intact
    if seal_broken and not state.seal_broken:
        raise_("seal_broken", "medium" if at_site else "critical", f"seal reported broken {where}")
    draft["door_open"] = door_open
    draft["seal_broken"] = seal_broken


def _stop_rule(
    state: DeviceState,
    draft: dict[str, Any],
    position: Position,
    rules: TrackingRules,
    at_site: bool,
    raise_: _Raise,
) -> None:
    limit = rules.profile(position.device_id).max_stop_minutes
    anchor = state.stop_anchor
    moving = position.speed_kmh is not None and position.speed_kmh > rules.stop_speed_kmh
    if (
        anchor is None
        or moving
        or haversine_km(anchor.lat, anchor.lon, position.lat, position.lon) > rules.stop_radius_km
    ):
        draft["stop_anchor"] = position
        draft["stop_alerted"] = False
        return
    if limit is None or at_site or state.stop_alerted:
        return
    minutes = (position.time - anchor.time).total_seconds() / 60.0
    if minutes > limit:
        raise_(
            "unplanned_stop",
            "medium",
            f"stopped for {minutes:.0f} min outside any site (limit {limit:.0f} min)",
            minutes=round(minutes, 1),
        )
        draft["stop_alerted"] = True


def _corridor_distance(state: DeviceState, route: Route, position: Position) -> tuple[float, int]:
    """Distance to the route, trying the segments near the last one first (most positions stay there)."""
    last_segments = len(route.points) - 2
    if state.route_segment is not None and state.route_id == route.route_id:
        start = max(0, state.route_segment - 1)
        for index in range(start, min(last_segments, state.route_segment + 2) + 1):
            distance = segment_distance_km(route, index, position.lat, position.lon)
            if distance <= route.buffer_km:
                return distance, index
    return nearest_segment(route, position.lat, position.lon)


def _corridor_rule(
    state: DeviceState, draft: dict[str, Any], position: Position, route: Route | None, raise_: _Raise
) -> None:
    if route is None:
        return
    distance, segment = _corridor_distance(state, route, position)
    draft["route_id"] = route.route_id
    draft["route_segment"] = segment
    off = distance > route.buffer_km
    if off and not state.off_corridor:
        raise_(
            "corridor_deviation",
            "high",
            f"{distance:.1f} km from the planned {route.mode} route "
            f"{route.route_id}, outside its {route.buffer_km:.0f} km corridor",
            route_id=route.route_id,
            distance_km=round(distance, 2),
        )
    elif not off and state.off_corridor:
        raise_(
            "corridor_return",
            "info",
            f"back within the corridor of route {route.route_id}",
            route_id=route.route_id,
            distance_km=round(distance, 2),
        )
    draft["off_corridor"] = off


def _sensor_rules(
    state: DeviceState, draft: dict[str, Any], position: Position, profile: DeviceProfile, raise_: _Raise
) -> None:
    temperature = position.temperature_c
    temperature_out = state.temperature_out
    if temperature is not None:
        low, high = profile.min_temperature_c, profile.max_temperature_c
        below, above = low is not None and temperature < low, high is not None and temperature > high
        if (below or above) and not state.temperature_out:
            bound = f"below the minimum {low} °C" if below else f"above the maximum {high} °C"
            raise_(
                "temperature",
                "high",
                f"temperature {temperature:.1f} °C is {bound}",
                temperature_c=temperature,
            )
        temperature_out = below or above
    last_shock = state.last_shock_alert
    shock_over = (
        position.shock_g is not None
        and profile.max_shock_g is not None
        and position.shock_g > profile.max_shock_g
    )
    if shock_over and (last_shock is None or position.time - last_shock >= SHOCK_REPEAT):
        raise_(
            "shock",
            "medium",
            f"shock of {position.shock_g:.1f} g, over the {profile.max_shock_g:.1f} g limit",
            shock_g=position.shock_g,
        )
        last_shock = position.time
    draft["temperature_out"] = temperature_out
    draft["last_shock_alert"] = last_shock


def evaluate_position(
    state: DeviceState | None, position: Position, rules: TrackingRules
) -> tuple[DeviceState, list[Alert]]:
    """Apply every rule to one (already filtered) position of one device."""
    state = state or DeviceState(position.device_id)
    profile = rules.profile(position.device_id)
    raise_ = _Raise(position, profile)
    draft: dict[str, Any] = {"last": position, "silent_alerted": False}
    _geofence_rules(state, draft, position, rules, raise_)
    _corridor_rule(state, draft, position, profile.route, raise_)
    _sensor_rules(state, draft, position, profile, raise_)
    return replace(state, **draft), raise_.alerts


def check_silence(
    states: Mapping[str, DeviceState], rules: TrackingRules, now: datetime
) -> tuple[dict[str, DeviceState], list[Alert]]:
    """Alerts for devices quiet longer than their ``max_silence`` (once per silence)."""
    changed: dict[str, DeviceState] = {}
    alerts: list[Alert] = []
    for device_id, state in states.items():
        profile = rules.profile(device_id)
        if profile.max_silence is None or state.last is None or state.silent_alerted:
            continue
        quiet = now - state.last.time
        if quiet > profile.max_silence:
            last = state.last
            alerts.append(
                Alert(
                    "device_silent",
                    "medium",
                    device_id,
                    now,
                    f"no position for {quiet.total_seconds() / 60:.0f} min (limit "
                    f"{profile.max_silence.total_seconds() / 60:.0f} min); last seen at "
                    f"{last.lat:.4f}, {last.lon:.4f}",
                    last.lat,
                    last.lon,
                    profile.object_ids,
                    {"last_seen": last.time.isoformat()},
                )
            )
            changed[device_id] = replace(state, silent_alerted=True)
    return changed, alerts


class AlertEngine:
    """Per-device states in memory, fed one position at a time (the MQTT/HTTP consumer calls this)."""

    def __init__(self, rules: TrackingRules) -> None:
        self.rules = rules
        self.states: dict[str, DeviceState] = {}

    def process(self, position: Position) -> list[Alert]:
        state, alerts = evaluate_position(self.states.get(position.device_id), position, self.rules)
        self.states[position.device_id] = state
        return alerts

    def process_many(self, positions: Iterable[Position]) -> list[Alert]:
        alerts: list[Alert] = []
        for position in positions:
            alerts.extend(self.process(position))
        return alerts

    def check_silence(self, now: datetime) -> list[Alert]:
        changed, alerts = check_silence(self.states, self.rules, now)
        self.states.update(changed)
        return alerts
