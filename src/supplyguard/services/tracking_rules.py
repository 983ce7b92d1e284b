"""Tracking alert rules stored on the node: geofences, corridors, device profiles, their assignment to
devices, the links device ↔ container / declaration, and the stock declarations expect at a site.

The telemetry pipelines rebuild the engine's :class:`~supplyguard.tracking.TrackingRules` from these
rows (:func:`build_tracking_rules`), so a restarted node, or a second process such as the MQTT
subscriber, keeps alerting; every change bumps the organisation's rules revision and the pipelines
reload when it moves.

API (every function takes a unit of work, and the changing ones a clock, the node's ledger signer
and the acting principal; reading needs ``TRACKING_READ``, changing ``TRACKING_ADMIN``; every change
is audited and is a ledger leaf in its own transaction, with a checkpoint signed over it in that
transaction as on every other ledger path (kinds ``config.tracking_rule``, ``config.tracking_link``,
``config.tracking_expected_stock``: see "ledger bodies" below); errors: :class:`ValidationFailed`
naming each bad field, :class:`Conflict` for a duplicate name, :class:`TrackingRuleNotFound`,
:class:`DeclarationNotFound`)::

    create_rule(uow, clock, signer, actor, {"name": "rtm-depot", "kind": "geofence", "type": "site",
                                     "circle": {"lat": 51.95, "lon": 4.14, "radius_km": 3},
                                     "max_dwell_minutes": 240})          -> StoredRule
    create_rule(..., {"name": "rtm-sin", "kind": "corridor", "mode": "sea",
                      "from": [51.95, 4.14], "to": [1.26, 103.8], "width_km": 50})
    create_rule(..., {"name": "a15", "kind": "corridor", "mode": "road",
                      "points": [[51.9, 4.1], [51.85, 4.6]], "width_km": 2})
    create_rule(..., {"name": "reefer", "kind": "profile", "min_temperature_c": 2,
                      "max_temperature_c": 8, "max_shock_g": 4, "max_silence_minutes": 60,
                      "max_stop_minutes": 45})
    list_rules(uow, actor, kind=None)                                   -> list[StoredRule]
    get_rule(uow, actor, "rtm-sin")  /  delete_rule(uow, clock, signer, actor, "rtm-sin")
    assign_rule(uow, clock, signer, actor, "reefer", ["TRK-1", "TRK-2"])  # "*": every device
    unassign_rule(uow, clock, signer, actor, "reefer", ["TRK-2"])
    link_device(uow, clock, signer, actor, "TRK-1", asset="CSQU3054383", declaration="REF-1")
                                                                        -> DeviceLink
    list_links(uow, actor)  /  unlink_device(uow, clock, signer, actor, link_id)
    expect_stock(uow, clock, signer, actor, "REF-1", site,
                 {"urn:epc:idpat:sgtin:4012345.011111.*": 10}, containers=["CSQU3054383"])
    load_rules(uow, clock, signer, actor, parse_rules_yaml(text), replace=False) -> LoadReport
    rule_json(rule) / link_json(link)                                   # wire forms

Rule kinds: a **geofence** (``type`` ``site``: doors and seals may open there; ``restricted``:
entering is an alert; ``zone``: enter/exit only) applies to every device of the organisation; a
**corridor** (a sea leg planned on the ``searoute`` lane network between ``from`` and ``to``, or a
road leg given as ``points``, with a half-width ``width_km``) and a **profile** (temperature and
shock bounds, the longest silence and stop allowed) apply to the devices they are assigned to
(``*`` for all). A device follows at most one corridor; when several profiles apply, the strictest
bound wins. A rules file (YAML) has the sections ``geofences``, ``corridors``, ``profiles``,
``assignments``, ``links`` and ``expected_stock``; see docs/tracking-api.md.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import Connection

from supplyguard.adapters.db.tracking_rules_repo import (
    DeviceLink,
    ExpectedStock,
    StoredRule,
    TrackingRulesRepository,
)
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import (
    Conflict,
    DeclarationNotFound,
    FieldError,
    TrackingRuleNotFound,
    ValidationFailed,
)
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.clock import Clock, iso_utc
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import LedgerRecord, append_records, sign_tree_head
from supplyguard.tracking import (
    DeviceProfile,
    Geofence,
    GeofenceIndex,
    Route,
    TrackingRules,
    circle_geofence,
    normalise_gs1_uri,
    plan_sea_route,
    polygon_geofence,
    road_route,
)

__all__ = [
    "DeviceLink",
    "ExpectedStock",
    "LoadReport",
    "StoredRule",
    "assign_rule",
    "build_tracking_rules",
    "canonical_identifier",
    "create_rule",
    "delete_rule",
    "expect_stock",
    "expected_ledger_body",
    "get_rule",
    "ledger_rows",
    "link_device",
    "link_json",
    "link_ledger_body",
    "linked_declarations",
    "list_links",
    "list_rules",
    "load_rules",
    "parse_rules_yaml",
    "removal_ledger_body",
    "rule_json",
    "rule_ledger_body",
    "unassign_rule",
    "unlink_device",
    "validate_rule",
]

RULE_KINDS = ("geofence", "corridor", "profile")
GEOFENCE_TYPES = ("site", "restricted", "zone")
CORRIDOR_MODES = ("sea", "road")
DEFAULT_WIDTH_KM = {"sea": 50.0, "road": 2.0}
PROFILE_FIELDS = (
    "min_temperature_c",
    "max_temperature_c",
    "max_shock_g",
    "max_silence_minutes",
    "max_stop_minutes",
)
ALL_DEVICES = "*"
MAX_NAME = 200
MAX_DEVICE_ID = 128
MAX_POINTS = 20_000
BIC_PREFIX = "urn:epc:id:bic:"
READ_ACTION = Action.TRACKING_READ
ADMIN_ACTION = Action.TRACKING_ADMIN
#: Ledger kinds of the configuration changes made here (one leaf per change, in the same transaction).
RULE_LEDGER_KIND = "config.tracking_rule"
LINK_LEDGER_KIND = "config.tracking_link"
EXPECTED_LEDGER_KIND = "config.tracking_expected_stock"
LEDGER_KINDS = (RULE_LEDGER_KIND, LINK_LEDGER_KIND, EXPECTED_LEDGER_KIND)


# --- validation (pure) ------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, loc: tuple[str | int, ...], message: str) -> None:
        self.items.append(FieldError(loc, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


def _number(
    raw: Mapping[str, Any], key: str, loc: tuple[str | int, ...], errors: _Errors, *, positive: bool = False
) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors.add((*loc, key), f"{key} must be a number")
        return None
    if positive and value <= 0:
        errors.add((*loc, key), f"{key} must be greater than 0")
        return None
    return float(value)


def _point(value: object, loc: tuple[str | int, ...], errors: _Errors) -> tuple[float, float] | None:
    if isinstance(value, Mapping):
        value = [value.get("lat"), value.get("lon")]
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        errors.add(loc, "a point is [lat, lon] in degrees")
        return None
    lat, lon = float(value[0]), float(value[1])
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        errors.add(loc, f"({lat}, {lon}) is outside latitude ±90 / longitude ±180")
        return None
    return lat, lon


def _points(value: object, loc: tuple[str | int, ...], errors: _Errors, minimum: int) -> list[list[float]]:
    if not isinstance(value, list) or len(value) < minimum:
        errors.add(loc, f"at least {minimum} points [lat, lon] are needed")
        return []
    if len(value) > MAX_POINTS:
        errors.add(loc, f"at most {MAX_POINTS} points")
        return []
    points = [_point(p, (*loc, i), errors) for i, p in enumerate(value)]
    return [[p[0], p[1]] for p in points if p is not None]


def _geofence_spec(raw: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    area = raw.get("type", "zone")
    if area not in GEOFENCE_TYPES:
        errors.add(("type",), f"type must be one of {', '.join(GEOFENCE_TYPES)}")
    spec["type"] = area
    circle, polygon = raw.get("circle"), raw.get("polygon")
    if (circle is None) == (polygon is None):
        errors.add(("circle",), "a geofence is either a circle or a polygon (give one of them)")
    elif circle is not None:
        if not isinstance(circle, Mapping):
            errors.add(("circle",), "circle is {lat, lon, radius_km}")
        else:
            centre = _point([circle.get("lat"), circle.get("lon")], ("circle",), errors)
            radius = _number(circle, "radius_km", ("circle",), errors, positive=True)
            if radius is None and "radius_km" not in circle:
                errors.add(("circle", "radius_km"), "radius_km is required")
            if centre is not None and radius is not None:
                spec["circle"] = {"lat": centre[0], "lon": centre[1], "radius_km": radius}
    else:
        vertices = _points(polygon, ("polygon",), errors, 3)
        if vertices and not errors.items:
            try:
                polygon_geofence("check", "check", [(p[0], p[1]) for p in vertices])
            except ValueError as exc:
                errors.add(("polygon",), str(exc))
        spec["polygon"] = vertices
    dwell = _number(raw, "max_dwell_minutes", (), errors, positive=True)
    if dwell is not None:
        spec["max_dwell_minutes"] = dwell
    return spec


def _corridor_spec(raw: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    mode = raw.get("mode")
    if mode not in CORRIDOR_MODES:
        errors.add(("mode",), "mode must be sea (planned on shipping lanes) or road (a polyline)")
        return {}
    width = _number(raw, "width_km", (), errors, positive=True) or DEFAULT_WIDTH_KM[mode]
    spec: dict[str, Any] = {"mode": mode, "width_km": width}
    if mode == "road" or raw.get("points") is not None:
        spec["points"] = _points(raw.get("points"), ("points",), errors, 2)
        return spec
    origin = _point(raw.get("from"), ("from",), errors)
    destination = _point(raw.get("to"), ("to",), errors)
    if origin is None or destination is None or errors.items:
        return spec
    try:
        route = plan_sea_route("plan", origin, destination, width)
    except Exception as exc:  # searoute raises plain errors for points it cannot connect
        errors.add(("from",), f"no sea route from {origin} to {destination}: {exc}")
        return spec
    spec.update(
        {
            "from": list(origin),
            "to": list(destination),
            "points": [[lat, lon] for lat, lon in route.points],
            "length_km": round(route.length_km, 1),
        }
    )
    return spec


def _profile_spec(raw: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key in PROFILE_FIELDS:
        value = _number(raw, key, (), errors, positive=key not in ("min_temperature_c", "max_temperature_c"))
        if value is not None:
            spec[key] = value
    low, high = spec.get("min_temperature_c"), spec.get("max_temperature_c")
    if low is not None and high is not None and low > high:
        errors.add(("min_temperature_c",), "min_temperature_c is above max_temperature_c")
    if not spec and not errors.items:
        errors.add((), f"a profile sets at least one of {', '.join(PROFILE_FIELDS)}")
    return spec


_ALLOWED_KEYS = {
    "geofence": {"name", "kind", "type", "circle", "polygon", "max_dwell_minutes", "devices"},
    "corridor": {"name", "kind", "mode", "from", "to", "points", "width_km", "devices"},
    "profile": {"name", "kind", *PROFILE_FIELDS, "devices"},
}


def validate_rule(raw: object) -> tuple[str, str, dict[str, Any]]:
    """(name, kind, normalised spec) of a rule definition; every bad field named. Sea legs are planned
    here, once, and stored with their points."""
    errors = _Errors()
    if not isinstance(raw, Mapping):
        raise ValidationFailed([FieldError((), "a rule is an object with a name and a kind")])
    name, kind = raw.get("name"), raw.get("kind")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.add(("name",), f"name is required (1-{MAX_NAME} characters)")
    if kind not in RULE_KINDS:
        errors.add(("kind",), f"kind must be one of {', '.join(RULE_KINDS)}")
        errors.raise_if_any()
    assert isinstance(kind, str)
    for key in sorted(set(raw) - _ALLOWED_KEYS[kind]):
        errors.add((key,), f"unknown field for a {kind}")
    builders = {"geofence": _geofence_spec, "corridor": _corridor_spec, "profile": _profile_spec}
    spec = builders[kind](raw, errors)
    errors.raise_if_any()
    assert isinstance(name, str)
    return name.strip(), kind, spec


def _device_ids(value: object, loc: tuple[str | int, ...]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, str) and 0 < len(d.strip()) <= MAX_DEVICE_ID for d in value)
    ):
        raise ValidationFailed(
            [FieldError(loc, f"a list of device ids (1-{MAX_DEVICE_ID} characters), or * for every device")]
        )
    return sorted({d.strip() for d in value})


# --- ledger bodies ----------------------------------------------------------------------------
# Every change of a rule (created, assigned, unassigned, removed), a device link or an expected stock
# row is a leaf of the node's log, appended in the transaction that changes the row; the leaf's body
# is the row as it now stands (a rule with its devices), or a removal body when the row is gone.
# ``ledger verify`` recomputes these bodies from the rows and names any row changed, inserted or
# deleted behind the ledger's back.


def rule_ledger_body(rule: StoredRule) -> dict[str, Any]:
    return {
        "org": str(rule.org_id),
        "name": rule.name,
        "kind": rule.kind,
        "spec": dict(rule.spec),
        "devices": list(rule.devices),
        "created_at": iso_utc(rule.created_at),
        "created_by": rule.created_by,
    }


def link_ledger_body(org_id: uuid.UUID, link: DeviceLink) -> dict[str, Any]:
    return {
        "org": str(org_id),
        "device": link.device_id,
        "asset": link.asset_id,
        "declaration_id": str(link.declaration_id) if link.declaration_id else None,
        "created_at": iso_utc(link.created_at),
    }


def expected_ledger_body(org_id: uuid.UUID, row: ExpectedStock, created_at: datetime) -> dict[str, Any]:
    return {
        "org": str(org_id),
        "declaration_id": str(row.declaration_id),
        "site": row.site,
        "item": row.item,
        "quantity": row.quantity,
        "created_at": iso_utc(created_at),
    }


def removal_ledger_body(kind: str, record_id: str) -> dict[str, Any]:
    """The body of the leaf that records a removal: the ledger check accepts a missing row whose
    latest leaf has this body."""
    return {"removed": True, "kind": kind, "id": record_id}


def ledger_rows(
    conn: Connection,
) -> list[tuple[str, Iterable[tuple[str, str]], Callable[[str], str]]]:
    """For ``ledger verify``: per kind, the (record id, body hash) of every stored row, sorted by
    record id, and the body hash that records a removal."""
    repo = TrackingRulesRepository(conn)

    def removal(kind: str) -> Callable[[str], str]:
        return lambda record_id: canonical_sha256(removal_ledger_body(kind, record_id))

    return [
        (
            RULE_LEDGER_KIND,
            ((str(r.id), canonical_sha256(rule_ledger_body(r))) for r in repo.all_rules()),
            removal(RULE_LEDGER_KIND),
        ),
        (
            LINK_LEDGER_KIND,
            ((str(k.id), canonical_sha256(link_ledger_body(org, k))) for org, k in repo.all_links()),
            removal(LINK_LEDGER_KIND),
        ),
        (
            EXPECTED_LEDGER_KIND,
            (
                (str(row_id), canonical_sha256(expected_ledger_body(org, row, at)))
                for row_id, org, row, at in repo.all_expected()
            ),
            removal(EXPECTED_LEDGER_KIND),
        ),
    ]


class _Leaves:
    """The leaves one use case appends, in the order of its changes."""

    def __init__(self, clock: Clock, org_id: uuid.UUID) -> None:
        self.now = clock.now()
        self.org = str(org_id)
        self.org_id = org_id
        self.records: list[LedgerRecord] = []

    def rule(self, rule: StoredRule) -> None:
        self.records.append(
            LedgerRecord(RULE_LEDGER_KIND, str(rule.id), self.org, self.now, rule_ledger_body(rule))
        )

    def link(self, link: DeviceLink) -> None:
        body = link_ledger_body(self.org_id, link)
        self.records.append(LedgerRecord(LINK_LEDGER_KIND, str(link.id), self.org, self.now, body))

    def expected(self, row_id: uuid.UUID, row: ExpectedStock, created_at: datetime) -> None:
        body = expected_ledger_body(self.org_id, row, created_at)
        self.records.append(LedgerRecord(EXPECTED_LEDGER_KIND, str(row_id), self.org, self.now, body))

    def removed(self, kind: str, record_id: uuid.UUID) -> None:
        body = removal_ledger_body(kind, str(record_id))
        self.records.append(LedgerRecord(kind, str(record_id), self.org, self.now, body))

    def append(self, uow: SqlUnitOfWork, signer: Ed25519Signer, clock: Clock) -> None:
        """Append the leaves and sign a checkpoint over them, in the caller's transaction (as every
        other path that appends to the log does), so the latest checkpoint covers the change."""
        if self.records:
            append_records(uow, self.records)
            sign_tree_head(uow, signer, clock)


# --- engine rules from stored rows ------------------------------------------------------------


def _geofence(rule: StoredRule) -> Geofence:
    spec = rule.spec
    dwell = spec.get("max_dwell_minutes")
    if "circle" in spec:
        c = spec["circle"]
        return circle_geofence(
            rule.name,
            rule.name,
            (c["lat"], c["lon"]),
            c["radius_km"],
            kind=spec["type"],
            max_dwell_minutes=dwell,
        )
    vertices = [(p[0], p[1]) for p in spec["polygon"]]
    return polygon_geofence(rule.name, rule.name, vertices, kind=spec["type"], max_dwell_minutes=dwell)


def _route(rule: StoredRule) -> Route:
    spec = rule.spec
    route = road_route(rule.name, [(p[0], p[1]) for p in spec["points"]], spec["width_km"])
    if spec["mode"] == "sea":
        route = replace(route, mode="sea", length_km=float(spec.get("length_km", route.length_km)))
    return route


def _strictest(profiles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for spec in profiles:
        for key, value in spec.items():
            if key not in PROFILE_FIELDS:
                continue
            if key not in merged:
                merged[key] = value
            elif key == "min_temperature_c":
                merged[key] = max(merged[key], value)
            else:
                merged[key] = min(merged[key], value)
    return merged


def _device_profile(
    device_id: str, rules: Sequence[StoredRule], routes: Mapping[str, Route], objects: tuple[str, ...]
) -> DeviceProfile:
    bounds = _strictest([r.spec for r in rules if r.kind == "profile"])
    corridor = next((routes[r.name] for r in rules if r.kind == "corridor"), None)
    silence = bounds.get("max_silence_minutes")
    return DeviceProfile(
        device_id,
        route=corridor,
        min_temperature_c=bounds.get("min_temperature_c"),
        max_temperature_c=bounds.get("max_temperature_c"),
        max_shock_g=bounds.get("max_shock_g"),
        max_silence=timedelta(minutes=silence) if silence is not None else None,
        max_stop_minutes=bounds.get("max_stop_minutes"),
        object_ids=objects,
    )


def build_tracking_rules(conn: Connection, org_id: uuid.UUID) -> TrackingRules:
    """The engine rules of one organisation from its stored rules, assignments and links."""
    repo = TrackingRulesRepository(conn)
    stored = repo.rules(org_id)
    fences = [_geofence(r) for r in stored if r.kind == "geofence"]
    routes = {r.name: _route(r) for r in stored if r.kind == "corridor"}
    by_device: dict[str, list[StoredRule]] = {}
    for rule in stored:
        for device_id in rule.devices:
            by_device.setdefault(device_id, []).append(rule)
    objects: dict[str, list[str]] = {}
    for link in repo.links(org_id):
        if link.asset_id and link.asset_id not in objects.setdefault(link.device_id, []):
            objects[link.device_id].append(link.asset_id)
    defaults = by_device.pop(ALL_DEVICES, [])
    profiles = {
        device_id: _device_profile(
            device_id,
            # the device's own corridor comes before the default one
            [*by_device.get(device_id, []), *defaults],
            routes,
            tuple(objects.get(device_id, ())),
        )
        for device_id in sorted(set(by_device) | set(objects))
    }
    return TrackingRules(GeofenceIndex(fences), profiles, _device_profile(ALL_DEVICES, defaults, routes, ()))


def rules_revision(conn: Connection, org_id: uuid.UUID) -> int:
    return TrackingRulesRepository(conn).revision(org_id)


def container_number(asset_id: str) -> str:
    """The ISO 6346 number of a container asset (``urn:epc:id:bic:CSQU3054383`` or the bare number)."""
    return asset_id[len(BIC_PREFIX) :] if asset_id.startswith(BIC_PREFIX) else asset_id


def linked_declarations(
    conn: Connection, org_id: uuid.UUID, device_ids: Iterable[str]
) -> dict[str, set[uuid.UUID]]:
    """device id -> the declarations it travels with: linked directly, or through the container it is
    fixed to (declarations that list that container)."""
    repo = TrackingRulesRepository(conn)
    out: dict[str, set[uuid.UUID]] = {}
    by_container: dict[str, list[uuid.UUID]] = {}
    for link in repo.links(org_id, sorted(set(device_ids))):
        found = out.setdefault(link.device_id, set())
        if link.declaration_id is not None:
            found.add(link.declaration_id)
        if link.asset_id:
            number = container_number(link.asset_id)
            if number not in by_container:
                by_container[number] = repo.declarations_with_container(org_id, number)
            found.update(by_container[number])
    return out


def canonical_identifier(value: str) -> str:
    """An identifier in the form stored events use (GS1 Digital Link where it is a GS1 key)."""
    try:
        return normalise_gs1_uri(value) or value
    except (TypeError, ValueError):
        return value


# --- use cases --------------------------------------------------------------------------------


def _find(repo: TrackingRulesRepository, org_id: uuid.UUID, ref: str) -> StoredRule:
    rule = repo.find_rule(org_id, ref)
    if rule is None:
        raise TrackingRuleNotFound(ref)
    return rule


def _declaration(
    repo: TrackingRulesRepository, org_id: uuid.UUID, ref: object, loc: tuple[str | int, ...]
) -> uuid.UUID:
    if not isinstance(ref, str | uuid.UUID) or not str(ref).strip():
        raise ValidationFailed([FieldError(loc, "a declaration id or reference")])
    found = repo.declaration_ids(org_id, str(ref).strip())
    if not found:
        raise DeclarationNotFound(ref)
    return found[0]


def _add_rule(repo: TrackingRulesRepository, clock: Clock, actor: Principal, raw: object) -> StoredRule:
    name, kind, spec = validate_rule(raw)
    if repo.find_rule(actor.org_id, name) is not None:
        raise Conflict(f"a tracking rule named {name!r} already exists")
    rule = StoredRule(new_id(), actor.org_id, name, kind, spec, clock.now(), actor.username)
    repo.add_rule(rule)
    devices = raw.get("devices") if isinstance(raw, Mapping) else None
    if devices is not None:
        _assign(repo, rule, _device_ids(devices, ("devices",)))
        rule = replace(rule, devices=tuple(_device_ids(devices, ("devices",))))
    return rule


def _assign(repo: TrackingRulesRepository, rule: StoredRule, device_ids: Sequence[str]) -> int:
    if rule.kind == "geofence":
        raise ValidationFailed(
            [FieldError(("rule",), f"{rule.name} is a geofence: geofences apply to every device")]
        )
    if rule.kind == "corridor":
        others = {
            device: other.name
            for other in repo.rules(rule.org_id, "corridor")
            if other.id != rule.id
            for device in other.devices
        }
        clash = sorted(d for d in device_ids if d in others)
        if clash:
            raise Conflict(
                f"{', '.join(clash)} already follow{'s' if len(clash) == 1 else ''} corridor "
                f"{others[clash[0]]}: a device follows one corridor at a time"
            )
    return repo.assign(rule.org_id, rule.id, device_ids)


def create_rule(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, raw: object
) -> StoredRule:
    """Validate and store one rule (optionally with ``devices`` to assign it to)."""
    require(actor, ADMIN_ACTION)
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        rule = _find(repo, actor.org_id, str(_add_rule(repo, clock, actor, raw).id))
        repo.bump_revision(actor.org_id, clock.now())
        leaves = _Leaves(clock, actor.org_id)
        leaves.rule(rule)
        leaves.append(uow, signer, clock)
        audit(
            uow,
            actor,
            clock,
            "tracking.rule.create",
            "tracking_rule",
            str(rule.id),
            {"name": rule.name, "kind": rule.kind},
        )
        uow.commit()
    return rule


def list_rules(uow: SqlUnitOfWork, actor: Principal, kind: str | None = None) -> list[StoredRule]:
    require(actor, READ_ACTION)
    if kind is not None and kind not in RULE_KINDS:
        raise ValidationFailed([FieldError(("kind",), f"kind must be one of {', '.join(RULE_KINDS)}")])
    with uow:
        return TrackingRulesRepository(uow.connection).rules(actor.org_id, kind)


def get_rule(uow: SqlUnitOfWork, actor: Principal, ref: str) -> StoredRule:
    """One rule by name or id."""
    require(actor, READ_ACTION)
    with uow:
        return _find(TrackingRulesRepository(uow.connection), actor.org_id, ref)


def delete_rule(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, ref: str
) -> StoredRule:
    require(actor, ADMIN_ACTION)
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        rule = _find(repo, actor.org_id, ref)
        repo.delete_rule(actor.org_id, rule.id)
        repo.bump_revision(actor.org_id, clock.now())
        leaves = _Leaves(clock, actor.org_id)
        leaves.removed(RULE_LEDGER_KIND, rule.id)
        leaves.append(uow, signer, clock)
        audit(uow, actor, clock, "tracking.rule.delete", "tracking_rule", str(rule.id), {"name": rule.name})
        uow.commit()
    return rule


def assign_rule(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, ref: str, device_ids: object
) -> StoredRule:
    """Apply a profile or corridor to devices (``*``: every device)."""
    require(actor, ADMIN_ACTION)
    devices = _device_ids(device_ids, ("devices",))
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        rule = _find(repo, actor.org_id, ref)
        added = _assign(repo, rule, devices)
        repo.bump_revision(actor.org_id, clock.now())
        rule = _find(repo, actor.org_id, str(rule.id))
        if added:
            leaves = _Leaves(clock, actor.org_id)
            leaves.rule(rule)
            leaves.append(uow, signer, clock)
        audit(
            uow,
            actor,
            clock,
            "tracking.rule.assign",
            "tracking_rule",
            str(rule.id),
            {"devices": devices, "added": added},
        )
        uow.commit()
    return rule


def unassign_rule(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, ref: str, device_ids: object
) -> StoredRule:
    require(actor, ADMIN_ACTION)
    devices = _device_ids(device_ids, ("devices",))
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        rule = _find(repo, actor.org_id, ref)
        removed = repo.unassign(actor.org_id, rule.id, devices)
        repo.bump_revision(actor.org_id, clock.now())
        rule = _find(repo, actor.org_id, str(rule.id))
        if removed:
            leaves = _Leaves(clock, actor.org_id)
            leaves.rule(rule)
            leaves.append(uow, signer, clock)
        audit(
            uow, actor, clock, "tracking.rule.unassign", "tracking_rule", str(rule.id), {"devices": devices}
        )
        uow.commit()
    return rule


def _link(
    repo: TrackingRulesRepository,
    clock: Clock,
    actor: Principal,
    device_id: object,
    asset: object,
    declaration: object,
    loc: tuple[str | int, ...] = (),
) -> tuple[DeviceLink, bool]:
    """The link, and whether it is new (linking twice changes nothing)."""
    (device,) = _device_ids(device_id if isinstance(device_id, str) else [], (*loc, "device"))
    if device == ALL_DEVICES:
        raise ValidationFailed([FieldError((*loc, "device"), "link one device at a time")])
    if asset is None and declaration is None:
        raise ValidationFailed(
            [FieldError(loc, "link the device to an asset (container), a declaration, or both")]
        )
    if asset is not None and (not isinstance(asset, str) or not asset.strip() or len(asset) > 500):
        raise ValidationFailed([FieldError((*loc, "asset"), "an asset is a container number or an EPC")])
    declaration_id = (
        None if declaration is None else _declaration(repo, actor.org_id, declaration, (*loc, "declaration"))
    )
    asset_id = asset.strip() if isinstance(asset, str) else None
    for existing in repo.links(actor.org_id, [device]):
        if existing.asset_id == asset_id and existing.declaration_id == declaration_id:
            return existing, False
    return repo.add_link(actor.org_id, device, asset_id, declaration_id, clock.now()), True


def link_device(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    device_id: str,
    *,
    asset: str | None = None,
    declaration: str | uuid.UUID | None = None,
) -> DeviceLink:
    """Record that a device is fixed to an asset (container number or EPC) and/or travels with a
    declaration (id or reference). Alerts of the device then name the asset and raise the risk of the
    declaration (and of every declaration that lists the container). Linking twice changes nothing."""
    require(actor, ADMIN_ACTION)
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        link, new = _link(repo, clock, actor, device_id, asset, declaration)
        repo.bump_revision(actor.org_id, clock.now())
        if new:
            leaves = _Leaves(clock, actor.org_id)
            leaves.link(link)
            leaves.append(uow, signer, clock)
        audit(uow, actor, clock, "tracking.link", "device", link.device_id, link_json(link))
        uow.commit()
    return link


def list_links(uow: SqlUnitOfWork, actor: Principal) -> list[DeviceLink]:
    require(actor, READ_ACTION)
    with uow:
        return TrackingRulesRepository(uow.connection).links(actor.org_id)


def unlink_device(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, link_id: uuid.UUID
) -> None:
    require(actor, ADMIN_ACTION)
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        if not repo.delete_link(actor.org_id, link_id):
            raise TrackingRuleNotFound(link_id)
        repo.bump_revision(actor.org_id, clock.now())
        leaves = _Leaves(clock, actor.org_id)
        leaves.removed(LINK_LEDGER_KIND, link_id)
        leaves.append(uow, signer, clock)
        audit(uow, actor, clock, "tracking.unlink", "device_link", str(link_id), {})
        uow.commit()


def _expected_rows(
    repo: TrackingRulesRepository, actor: Principal, raw: object, loc: tuple[str | int, ...]
) -> list[ExpectedStock]:
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            [FieldError(loc, "{declaration, site, items: {item: quantity}, containers: [...]}")]
        )
    declaration_id = _declaration(repo, actor.org_id, raw.get("declaration"), (*loc, "declaration"))
    site = raw.get("site")
    if not isinstance(site, str) or not site.strip():
        raise ValidationFailed([FieldError((*loc, "site"), "site is the bizLocation the goods should be at")])
    items, containers = raw.get("items") or {}, raw.get("containers") or []
    errors = _Errors()
    if not isinstance(items, Mapping):
        errors.add((*loc, "items"), "items maps an item class (EPC class, GTIN Digital Link) to a quantity")
        items = {}
    if not isinstance(containers, list) or not all(isinstance(c, str) and c.strip() for c in containers):
        errors.add((*loc, "containers"), "containers is a list of container numbers")
        containers = []
    rows: list[ExpectedStock] = []
    for item, quantity in items.items():
        amount = _number(
            {"quantity": quantity}, "quantity", (*loc, "items", str(item)), errors, positive=True
        )
        if amount is not None:
            rows.append(
                ExpectedStock(
                    declaration_id,
                    canonical_identifier(site.strip()),
                    canonical_identifier(str(item)),
                    amount,
                )
            )
    for number in containers:
        epc = number.strip() if number.startswith("urn:") else BIC_PREFIX + number.strip()
        rows.append(ExpectedStock(declaration_id, canonical_identifier(site.strip()), epc, 1.0))
    if not rows and not errors.items:
        errors.add(loc, "name the items or containers the declaration ships to the site")
    errors.raise_if_any()
    return rows


def expect_stock(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    declaration: str | uuid.UUID,
    site: str,
    items: Mapping[str, float] | None = None,
    containers: Sequence[str] = (),
) -> list[ExpectedStock]:
    """Record what a declaration says is shipped to ``site`` (bizLocation): item classes with their
    quantities and containers (each counted once). The stock check compares it with the stock the
    site's EPCIS events show."""
    require(actor, ADMIN_ACTION)
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        rows = _expected_rows(
            repo,
            actor,
            {"declaration": declaration, "site": site, "items": items or {}, "containers": list(containers)},
            (),
        )
        at = clock.now()
        leaves = _Leaves(clock, actor.org_id)
        for row_id, row in zip(repo.add_expected(actor.org_id, rows, at), rows, strict=True):
            leaves.expected(row_id, row, at)
        leaves.append(uow, signer, clock)
        audit(
            uow,
            actor,
            clock,
            "tracking.expect_stock",
            "declaration",
            str(rows[0].declaration_id),
            {"site": site, "rows": len(rows)},
        )
        uow.commit()
    return rows


# --- rules files ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadReport:
    rules: int
    assignments: int
    links: int
    expected_stock: int
    replaced: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "assignments": self.assignments,
            "links": self.links,
            "expected_stock": self.expected_stock,
            "replaced": self.replaced,
        }


SECTIONS = {"geofences": "geofence", "corridors": "corridor", "profiles": "profile"}
OTHER_SECTIONS = ("assignments", "links", "expected_stock")


def parse_rules_yaml(text: str) -> dict[str, Any]:
    """A rules file (YAML) as a mapping; a syntax error is reported with its line."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed(
            [FieldError(("file",), f"not valid YAML{where}: {getattr(exc, 'problem', exc)}")]
        ) from exc
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError(("file",), "a rules file is a mapping of sections")])
    return document


def _prefixed(error: ValidationFailed, loc: tuple[str | int, ...]) -> list[FieldError]:
    return [FieldError((*loc, *e.location), e.message) for e in error.errors]


def load_rules(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    document: Mapping[str, Any],
    *,
    replace: bool = False,
) -> LoadReport:
    """Put a rules document in force, all or nothing. With ``replace`` the organisation's stored rules,
    assignments, links and expected stock are replaced by the document's; otherwise they are added
    (a rule name already stored is a conflict)."""
    require(actor, ADMIN_ACTION)
    unknown = sorted(set(document) - set(SECTIONS) - set(OTHER_SECTIONS))
    if unknown:
        raise ValidationFailed([FieldError((key,), "unknown section") for key in unknown])
    errors: list[FieldError] = []
    definitions: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    for section, kind in SECTIONS.items():
        entries = document.get(section) or []
        if not isinstance(entries, list):
            errors.append(FieldError((section,), "a list of rules"))
            continue
        for index, entry in enumerate(entries):
            loc: tuple[str | int, ...] = (section, index)
            if not isinstance(entry, Mapping):
                errors.append(FieldError(loc, "a rule is a mapping"))
                continue
            definition = {**entry, "kind": kind}
            try:
                validate_rule(definition)
            except ValidationFailed as exc:
                errors.extend(_prefixed(exc, loc))
                continue
            definitions.append((loc, definition))
    names = [str(d["name"]).strip() for _, d in definitions]
    for loc, name in zip([loc for loc, _ in definitions], names, strict=True):
        if names.count(name) > 1:
            errors.append(FieldError((*loc, "name"), f"name {name!r} is used twice in the file"))
    for section in OTHER_SECTIONS:
        if not isinstance(document.get(section) or [], list):
            errors.append(FieldError((section,), "a list"))
    if errors:
        raise ValidationFailed(errors)
    counts = {"assignments": 0, "links": 0, "expected": 0}
    with uow:
        repo = TrackingRulesRepository(uow.connection)
        leaves = _Leaves(clock, actor.org_id)
        if replace:
            for old_rule in repo.rules(actor.org_id):
                leaves.removed(RULE_LEDGER_KIND, old_rule.id)
            for old_link in repo.links(actor.org_id):
                leaves.removed(LINK_LEDGER_KIND, old_link.id)
            for old_row in repo.expected_ids(actor.org_id):
                leaves.removed(EXPECTED_LEDGER_KIND, old_row)
            repo.delete_all(actor.org_id)
        stored: dict[str, StoredRule] = {}
        changed: set[uuid.UUID] = set()
        for loc, definition in definitions:
            try:
                rule = _add_rule(repo, clock, actor, definition)
            except ValidationFailed as exc:
                raise ValidationFailed(_prefixed(exc, loc)) from exc
            except Conflict as exc:
                raise Conflict(f"{'.'.join(map(str, loc))}: {exc.message}") from exc
            stored[rule.name] = rule
            changed.add(rule.id)
            counts["assignments"] += len(rule.devices)
        links: list[DeviceLink] = []
        for index, entry in enumerate(document.get("links") or []):
            loc = ("links", index)
            if not isinstance(entry, Mapping):
                raise ValidationFailed([FieldError(loc, "{device, asset, declaration}")])
            link, new = _link(
                repo, clock, actor, entry.get("device"), entry.get("asset"), entry.get("declaration"), loc
            )
            links.append(link)
            if new:
                leaves.link(link)
        counts["links"] = len(links)
        for index, entry in enumerate(document.get("assignments") or []):
            loc = ("assignments", index)
            if not isinstance(entry, Mapping):
                raise ValidationFailed([FieldError(loc, "{rules: [...], devices: [...] or assets: [...]}")])
            devices = (
                _device_ids(entry["devices"], (*loc, "devices")) if entry.get("devices") is not None else []
            )
            assets = entry.get("assets") or []
            if not isinstance(assets, list):
                raise ValidationFailed([FieldError((*loc, "assets"), "a list of asset ids")])
            for asset in assets:
                linked = [lk.device_id for lk in repo.links(actor.org_id) if lk.asset_id == asset]
                if not linked:
                    raise ValidationFailed(
                        [FieldError((*loc, "assets"), f"no device is linked to asset {asset}")]
                    )
                devices.extend(linked)
            if not devices:
                raise ValidationFailed([FieldError(loc, "name devices or assets")])
            refs = entry.get("rules")
            if isinstance(refs, str):
                refs = [refs]
            if not isinstance(refs, list) or not refs:
                raise ValidationFailed([FieldError((*loc, "rules"), "a list of rule names")])
            for ref in refs:
                target = stored.get(str(ref)) or repo.find_rule(actor.org_id, str(ref))
                if target is None:
                    raise ValidationFailed([FieldError((*loc, "rules"), f"no rule named {ref!r}")])
                added = _assign(repo, target, sorted(set(devices)))
                counts["assignments"] += added
                if added:
                    changed.add(target.id)
        for index, entry in enumerate(document.get("expected_stock") or []):
            rows = _expected_rows(repo, actor, entry, ("expected_stock", index))
            at = clock.now()
            for row_id, row in zip(repo.add_expected(actor.org_id, rows, at), rows, strict=True):
                leaves.expected(row_id, row, at)
            counts["expected"] += len(rows)
        for rule in repo.rules(actor.org_id):  # as they now stand, with the devices assigned above
            if rule.id in changed:
                leaves.rule(rule)
        leaves.append(uow, signer, clock)
        repo.bump_revision(actor.org_id, clock.now())
        report = LoadReport(len(stored), counts["assignments"], counts["links"], counts["expected"], replace)
        audit(uow, actor, clock, "tracking.rules.load", "tracking_rules", None, report.as_dict())
        uow.commit()
    return report


# --- wire forms -------------------------------------------------------------------------------


def rule_json(rule: StoredRule) -> dict[str, Any]:
    spec = dict(rule.spec)
    return {
        "id": str(rule.id),
        "name": rule.name,
        "kind": rule.kind,
        **spec,
        "devices": list(rule.devices),
        "created_at": iso_utc(rule.created_at),
        "created_by": rule.created_by,
    }


def link_json(link: DeviceLink) -> dict[str, Any]:
    return {
        "id": str(link.id),
        "device": link.device_id,
        "asset": link.asset_id,
        "declaration_id": str(link.declaration_id) if link.declaration_id else None,
        "created_at": iso_utc(link.created_at),
    }
