"""Alert rules stored on the node: validation, storage, assignment, links, rules files; both backends."""

from __future__ import annotations

import uuid

import pytest

from supplyguard.errors import (
    Conflict,
    DeclarationNotFound,
    PermissionDenied,
    TrackingRuleNotFound,
    ValidationFailed,
)
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import tracking_rules as rules
from supplyguard.services.declarations import submit_declaration
from tests.factories import admin_principal, declaration_data, make_org

RULES_YAML = """
geofences:
  - name: rtm-depot
    type: site
    circle: {lat: 51.95, lon: 4.14, radius_km: 3}
    max_dwell_minutes: 240
  - name: military
    type: restricted
    polygon: [[52.0, 4.5], [52.0, 4.7], [52.2, 4.7], [52.2, 4.5]]
corridors:
  - name: a15
    mode: road
    points: [[51.90, 4.10], [51.85, 4.60], [51.80, 5.00]]
    width_km: 2
profiles:
  - name: reefer
    max_temperature_c: 8
    min_temperature_c: 2
    max_silence_minutes: 60
  - name: fragile
    max_shock_g: 3
    max_temperature_c: 6
links:
  - {device: TRK-1, asset: CSQU3054383, declaration: REF-1}
assignments:
  - {rules: [reefer, a15], devices: [TRK-1]}
  - {rules: [fragile], assets: [CSQU3054383]}
  - {rules: reefer, devices: "*"}
"""


def declare(container, org, reference: str = "REF-1"):  # type: ignore[no-untyped-def]
    return submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin_principal(org),
        declaration_data(reference),
    )


def with_roles(org_id: uuid.UUID, *roles: Role) -> Principal:
    return Principal(uuid.uuid4(), org_id, "someone", frozenset(roles), "test", "api")


def test_a_rules_file_is_stored_and_rebuilds_the_engine_rules(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declaration = declare(container, org)
    actor = admin_principal(org)
    report = rules.load_rules(
        container.uow(), container.clock, container.signer, actor, rules.parse_rules_yaml(RULES_YAML)
    )
    assert (report.rules, report.links) == (5, 1)
    stored = {r.name: r for r in rules.list_rules(container.uow(readonly=True), actor)}
    assert set(stored) == {"rtm-depot", "military", "a15", "reefer", "fragile"}
    assert stored["reefer"].devices == ("*", "TRK-1")
    assert stored["fragile"].devices == ("TRK-1",)
    with container.uow(readonly=True) as uow:
        engine_rules = rules.build_tracking_rules(uow.connection, org.id)
        linked = rules.linked_declarations(uow.connection, org.id, ["TRK-1", "TRK-9"])
    assert {f.name for f in engine_rules.geofences.containing(51.95, 4.14)} == {"rtm-depot"}
    assert {f.kind for f in engine_rules.geofences.containing(52.1, 4.6)} == {"restricted"}
    profile = engine_rules.profile("TRK-1")
    assert profile.route is not None and profile.route.route_id == "a15"
    # the strictest bound of reefer and fragile wins
    assert (profile.min_temperature_c, profile.max_temperature_c, profile.max_shock_g) == (2, 6, 3)
    assert profile.object_ids == ("CSQU3054383",)
    assert engine_rules.profile("TRK-2").max_temperature_c == 8  # "*": every device
    assert linked == {"TRK-1": {declaration.id}}
    # a second organisation sees none of it
    other = make_org(container, "Customs B", "DE")
    assert rules.list_rules(container.uow(readonly=True), admin_principal(other)) == []


def test_a_sea_corridor_is_planned_once_and_stored_with_its_points(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    rule = rules.create_rule(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        {"name": "rtm-sin", "kind": "corridor", "mode": "sea", "from": [51.95, 4.14], "to": [1.26, 103.8]},
    )
    assert rule.spec["width_km"] == 50 and len(rule.spec["points"]) > 10
    assert rule.spec["length_km"] > 10_000
    again = rules.get_rule(container.uow(readonly=True), actor, "rtm-sin")
    assert again.spec["points"] == rule.spec["points"]
    assert rules.rule_json(again)["mode"] == "sea"


def test_bad_rules_are_refused_with_each_field_named(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    cases = [
        ({"name": "x", "kind": "geofence", "circle": {"lat": 95, "lon": 4, "radius_km": 1}}, ("circle",)),
        ({"name": "x", "kind": "geofence", "polygon": [[1, 1], [2, 2]]}, ("polygon",)),
        (
            {"name": "x", "kind": "geofence", "type": "moat", "circle": {"lat": 1, "lon": 1, "radius_km": 1}},
            ("type",),
        ),
        ({"name": "x", "kind": "corridor", "mode": "air", "points": []}, ("mode",)),
        ({"name": "x", "kind": "corridor", "mode": "road", "points": [[1, 1]]}, ("points",)),
        ({"name": "x", "kind": "profile", "max_shock_g": -1}, ("max_shock_g",)),
        (
            {"name": "x", "kind": "profile", "min_temperature_c": 9, "max_temperature_c": 2},
            ("min_temperature_c",),
        ),
        ({"name": "x", "kind": "profile", "colour": "red", "max_shock_g": 2}, ("colour",)),
        ({"name": "", "kind": "wormhole"}, ("name",)),
    ]
    for definition, location in cases:
        with pytest.raises(ValidationFailed) as refused:
            rules.create_rule(container.uow(), container.clock, container.signer, actor, definition)
        assert any(e.location[: len(location)] == location for e in refused.value.errors), (
            definition,
            refused.value.errors,
        )
    assert rules.list_rules(container.uow(readonly=True), actor) == []


def test_a_bad_rules_file_stores_nothing(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declare(container, org)
    actor = admin_principal(org)
    broken = RULES_YAML.replace("[52.2, 4.5]]", "[52.2, 400]]")
    with pytest.raises(ValidationFailed) as refused:
        rules.load_rules(
            container.uow(), container.clock, container.signer, actor, rules.parse_rules_yaml(broken)
        )
    assert refused.value.errors[0].location[:2] == ("geofences", 1)
    unknown_rule = RULES_YAML.replace("rules: [fragile]", "rules: [nope]")
    with pytest.raises(ValidationFailed, match="no rule named 'nope'"):
        rules.load_rules(
            container.uow(), container.clock, container.signer, actor, rules.parse_rules_yaml(unknown_rule)
        )
    with pytest.raises(ValidationFailed, match="line"):
        rules.parse_rules_yaml("geofences: [")
    assert rules.list_rules(container.uow(readonly=True), actor) == []
    assert rules.list_links(container.uow(readonly=True), actor) == []


def test_names_are_unique_and_replace_swaps_the_whole_set(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declare(container, org)
    actor = admin_principal(org)
    document = rules.parse_rules_yaml(RULES_YAML)
    rules.load_rules(container.uow(), container.clock, container.signer, actor, document)
    with pytest.raises(Conflict, match="rtm-depot"):
        rules.load_rules(container.uow(), container.clock, container.signer, actor, document)
    smaller = {"profiles": [{"name": "cold", "max_temperature_c": -18}]}
    rules.load_rules(container.uow(), container.clock, container.signer, actor, smaller, replace=True)
    assert [r.name for r in rules.list_rules(container.uow(readonly=True), actor)] == ["cold"]
    assert rules.list_links(container.uow(readonly=True), actor) == []


def test_assignment_deletion_and_links(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    declaration = declare(container, org, "REF-7")
    actor = admin_principal(org)
    uow, clock = container.uow, container.clock
    rules.create_rule(
        uow(),
        clock,
        container.signer,
        actor,
        {"name": "road-1", "kind": "corridor", "mode": "road", "points": [[1, 1], [1, 2]]},
    )
    rules.create_rule(
        uow(),
        clock,
        container.signer,
        actor,
        {"name": "road-2", "kind": "corridor", "mode": "road", "points": [[2, 1], [2, 2]]},
    )
    rules.create_rule(
        uow(),
        clock,
        container.signer,
        actor,
        {"name": "zone", "kind": "geofence", "circle": {"lat": 1, "lon": 1, "radius_km": 1}},
    )
    assert rules.assign_rule(uow(), clock, container.signer, actor, "road-1", ["TRK-1", "TRK-2"]).devices == (
        "TRK-1",
        "TRK-2",
    )
    with pytest.raises(Conflict, match="one corridor at a time"):
        rules.assign_rule(uow(), clock, container.signer, actor, "road-2", ["TRK-2"])
    with pytest.raises(ValidationFailed, match="geofences apply to every device"):
        rules.assign_rule(uow(), clock, container.signer, actor, "zone", ["TRK-1"])
    assert rules.unassign_rule(uow(), clock, container.signer, actor, "road-1", ["TRK-2"]).devices == (
        "TRK-1",
    )
    rules.delete_rule(uow(), clock, container.signer, actor, "road-1")
    with pytest.raises(TrackingRuleNotFound):
        rules.delete_rule(uow(), clock, container.signer, actor, "road-1")
    link = rules.link_device(uow(), clock, container.signer, actor, "TRK-3", declaration="REF-7")
    assert (
        rules.link_device(uow(), clock, container.signer, actor, "TRK-3", declaration=str(declaration.id)).id
        == link.id
    )
    with pytest.raises(DeclarationNotFound):
        rules.link_device(uow(), clock, container.signer, actor, "TRK-3", declaration="REF-404")
    with pytest.raises(ValidationFailed, match="asset"):
        rules.link_device(uow(), clock, container.signer, actor, "TRK-3")
    rules.unlink_device(uow(), clock, container.signer, actor, link.id)
    assert rules.list_links(uow(readonly=True), actor) == []


def test_who_may_read_and_change_rules(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    profile = {"name": "p", "kind": "profile", "max_shock_g": 2}
    for role in (Role.OFFICER, Role.PARTNER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            rules.create_rule(
                container.uow(), container.clock, container.signer, with_roles(org.id, role), profile
            )
    rules.create_rule(
        container.uow(), container.clock, container.signer, with_roles(org.id, Role.LOGISTICS), profile
    )
    assert len(rules.list_rules(container.uow(readonly=True), with_roles(org.id, Role.OFFICER))) == 1
    with pytest.raises(PermissionDenied):
        rules.list_rules(container.uow(readonly=True), with_roles(org.id, Role.PARTNER))
