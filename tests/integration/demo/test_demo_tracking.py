"""The demo world's tracked containers: the four planted incidents raise their alerts, which the map,
the alert list and the declarations concerned show, and which raise those declarations' risk."""

from __future__ import annotations

from supplyguard.demo.load import load_world
from supplyguard.demo.tracking import TRACKING_ORG, demo_shipments
from supplyguard.demo.world import generate_world
from supplyguard.services import tracking_views
from tests.factories import admin_principal

PLANTED = {"corridor_deviation", "seal_broken", "temperature", "stock_mismatch"}


def test_planted_incidents_raise_alerts_seen_on_map_list_and_declarations(container) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, declarations_total=120)
    steps: list[str] = []
    load_world(container, world, steps.append)
    assert any("5 tracked containers" in step for step in steps)
    with container.uow(readonly=True) as uow:
        org = next(o for o in uow.accounts.list_orgs() if o.name == TRACKING_ORG)
    actor = admin_principal(org)

    listed = tracking_views.alert_list(container.uow(readonly=True), actor)
    kinds = {a.alert.kind for a in listed.alerts}
    assert kinds >= PLANTED and "door_opened" in kinds
    picture = tracking_views.map_geojson(container.uow(readonly=True), container.clock, actor)
    on_map = {f["properties"]["kind"] for f in picture["features"] if f["properties"]["layer"] == "alert"}
    assert on_map >= PLANTED
    assert picture["devices"] == 5
    assert sum(1 for f in picture["features"] if f["properties"]["layer"] == "track") == 5
    corridors = [f for f in picture["features"] if f["properties"]["layer"] == "corridor"]
    assert sorted(f["properties"]["mode"] for f in corridors) == ["road", "road", "sea", "sea", "sea"]

    reference_of = demo_shipments(world.declarations[TRACKING_ORG])
    containers = list(reference_of)
    with container.uow(readonly=True) as uow:
        ids = uow.declarations.ids_for_references(org.id, [reference_of[c] for c in containers])
    expected = {
        containers[0]: {"seal broken", "door opened"},
        containers[1]: {"temperature"},
        containers[2]: {"corridor deviation", "stock mismatch"},
        containers[3]: set(),
        containers[4]: set(),
    }
    seal = next(a for a in listed.alerts if a.alert.kind == "seal_broken")
    assert listed.declarations_of(seal) == [
        (str(ids[reference_of[containers[0]]]), reference_of[containers[0]])
    ]
    for number, incidents in expected.items():
        declaration_id = ids[reference_of[number]]
        timeline = tracking_views.declaration_timeline(container.uow(readonly=True), actor, declaration_id)
        titles = {t.title for t in timeline if t.source == "alert" and t.severity != "info"}
        assert titles == incidents, number
        assert any(t.source == "event" for t in timeline)
        with container.uow(readonly=True) as uow:
            declaration = uow.declarations.get(org.id, declaration_id)
            reasons, _model = uow.risk.reasons_for(declaration_id)
        assert declaration is not None
        lane = declaration.lane.value if declaration.lane else None
        # each incident is a reason in front of the officer; seals force red, corridors and stock yellow
        assert len([r for r in reasons if r.startswith("tracking:")]) == len(incidents), reasons
        if "seal broken" in incidents:
            assert lane == "red"
        elif "corridor deviation" in incidents:
            assert lane in ("yellow", "red")
