"""Supply networks stored per organisation, their cached views, and drills end to end, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from supplyguard.bootstrap import Container, build
from supplyguard.errors import Conflict, NetworkNotFound, PermissionDenied, ValidationFailed
from supplyguard.model.clock import FixedClock
from supplyguard.resilience import key_actions, load_network, parse_drill
from supplyguard.services import resilience as service
from supplyguard.services.ledger import inclusion_bundle
from tests.conftest import REPO
from tests.factories import make_org, make_user, principal_for

EXAMPLES = REPO / "examples" / "resilience"
GOLDEN = (EXAMPLES / "golden-ttr.yaml").read_text()


@pytest.fixture
def node(settings) -> Iterator[tuple[Container, FixedClock]]:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    built = build(settings, clock=clock)
    yield built, clock
    built.close()


def test_networks_are_versioned_by_content_and_ledgered(node) -> None:  # type: ignore[no-untyped-def]
    container, _clock = node
    org, other = make_org(container), make_org(container, "Customs B", "KR")
    planner = principal_for(make_user(container, org, "planner", ("logistics",)))
    outsider = principal_for(make_user(container, other, "outsider", ("logistics",)))
    officer = principal_for(make_user(container, org, "officer", ("officer",)))
    args = (container.uow(), container.clock, container.signer)
    first = service.store_network(*args, planner, GOLDEN)
    again = service.store_network(*args, planner, GOLDEN)
    assert first.created and not again.created and again.network.id == first.network.id
    changed = service.store_network(*args, planner, GOLDEN.replace("capacity: 60", "capacity: 61"))
    assert changed.created and changed.network.version == 2 and changed.network.name == "golden-ttr"
    with_risks = service.store_network(*args, planner, GOLDEN, risks="S1: {probability: 0.2}\n")
    assert with_risks.network.version == 3 and with_risks.network.risks == {"S1": {"probability": 0.2}}
    listed = service.list_networks(container.uow(readonly=True), planner)
    assert [(n.name, n.version) for n in listed] == [("golden-ttr", 3), ("golden-ttr", 2), ("golden-ttr", 1)]
    assert service.list_networks(container.uow(readonly=True), outsider) == []
    with pytest.raises(NetworkNotFound):
        service.get_network(container.uow(readonly=True), outsider, first.network.id)
    with pytest.raises(PermissionDenied):
        service.store_network(*args, officer, GOLDEN)
    bundle = inclusion_bundle(container.uow(readonly=True), record_id=str(first.network.id))
    assert bundle is not None
    with pytest.raises(ValidationFailed, match="capacity"):
        service.store_network(*args, planner, "sites:\n  - {id: A, kind: supplier, capacity: -5}\n")
    with pytest.raises(ValidationFailed, match="unknown site or asset"):
        service.store_network(*args, planner, GOLDEN, risks="NOPE: {probability: 0.2}\n")
    with pytest.raises(ValidationFailed, match="YAML"):
        service.store_network(*args, planner, "sites: [\n")
    assert len(service.list_networks(container.uow(readonly=True), planner)) == 3  # nothing half-written


def test_csv_tables_merge_into_the_stored_network(node) -> None:  # type: ignore[no-untyped-def]
    container, _clock = node
    planner = principal_for(make_user(container, make_org(container), "planner", ("analyst",)))
    head = "name: csv-net\nproducts:\n  - {id: P, margin: 10}\n"
    sites = "id,kind,capacity,makes,demand.P\nA,supplier,5,P,\nM,demand,,,4\n"
    lanes = "id,from,to,mode\nA-M,A,M,road\n"
    stored = service.store_network(
        container.uow(), container.clock, container.signer, planner, head, sites_csv=sites, lanes_csv=lanes
    ).network
    assert stored.summary["sites"] == 2 and stored.summary["lanes"] == 1
    rows = service.analyse(container.uow(), container.clock, planner, stored.id)
    assert rows[0]["scenario"] == "site:A" and rows[0]["lost_units"] == {"P": pytest.approx(4)}


def test_views_are_computed_once_and_match_the_golden_figures(node) -> None:  # type: ignore[no-untyped-def]
    container, _clock = node
    planner = principal_for(make_user(container, make_org(container), "planner", ("supervisor",)))
    stored = service.store_network(
        container.uow(), container.clock, container.signer, planner, GOLDEN
    ).network
    rows = service.analyse(container.uow(), container.clock, planner, stored.id)
    assert rows[0]["scenario"] == "site:S3" and rows[0]["loss"] == pytest.approx(275_000)
    assert rows == service.analyse(container.uow(), container.clock, planner, stored.id)
    one = service.simulate(container.uow(), container.clock, planner, stored.id, runs=100, seed=3)
    assert one["samples"] == 100
    assert one == service.simulate(container.uow(), container.clock, planner, stored.id, runs=100, seed=3)
    plan = service.stockpile(container.uow(), container.clock, planner, stored.id, scenarios=["S3"])
    assert sum(a["units"] for a in plan["additions"]) == pytest.approx(55)
    with pytest.raises(ValidationFailed, match="runs"):
        service.simulate(container.uow(), container.clock, planner, stored.id, runs=0)


def test_demo_network_report_has_ranking_stockpile_and_suez_reroute(node) -> None:  # type: ignore[no-untyped-def]
    container, _clock = node
    planner = principal_for(make_user(container, make_org(container), "planner", ("logistics",)))
    stored = service.store_network(
        container.uow(),
        container.clock,
        container.signer,
        planner,
        (EXAMPLES / "medical-supplies.yaml").read_text(),
        risks=(EXAMPLES / "medical-risks.yaml").read_text(),
    ).network
    router = service.sea_router_for(container.extras)
    report = service.report(container.uow(), container.clock, planner, stored.id, router, runs=200)
    assert report["network"]["name"] == "medical-supplies" and report["version"]["version"] == 1
    assert report["ranking"] and report["simulation"]["risks"] == "given"
    assert {row["lane"] for row in report["reroute"]["lanes"]} >= {"SHA-RTM", "MUM-RTM"}
    assert report["stockpile"]["additions"] and report["headline"]["scenarios"] == len(report["ranking"])


def test_a_drill_runs_end_to_end_and_lands_on_training_records(node) -> None:  # type: ignore[no-untyped-def]
    container, clock = node
    org = make_org(container)
    lead = principal_for(make_user(container, org, "lead", ("supervisor",)))
    ann = principal_for(make_user(container, org, "ann", ("logistics",)))
    bob = principal_for(make_user(container, org, "bob", ("officer",)))
    auditor = principal_for(make_user(container, org, "audrey", ("auditor",)))
    stored = service.store_network(
        container.uow(),
        container.clock,
        container.signer,
        lead,
        (EXAMPLES / "medical-supplies.yaml").read_text(),
    ).network
    drill_doc = (EXAMPLES / "drill-rotterdam-blackout.yaml").read_text()
    drill = service.start_drill(container.uow(), clock, lead, stored.id, document=drill_doc)
    uow = container.uow
    view = service.drill_view(uow(), clock, ann, drill.id)
    assert [i["target"] for i in view.injects] == ["GRID-NL-W"] and view.next_inject_minute == 5
    assert service.advance_drill(uow(), clock, lead, drill.id) == 5
    clock.advance(timedelta(minutes=10))  # minute 15: Hamburg's strike arrives on its own
    view = service.drill_view(uow(), clock, ann, drill.id)
    assert [i["kind"] for i in view.injects] == ["report", "asset-failure", "site-down"]
    assert view.elapsed_minutes == pytest.approx(15)
    keys = service.drill_view(uow(), clock, lead, drill.id)
    alternative = keys.options["use-alternative"][0]
    clock.advance(timedelta(minutes=3))
    optimal = key_actions(
        load_network(EXAMPLES / "medical-supplies.yaml"), parse_drill(yaml.safe_load(drill_doc))
    )
    for key in optimal:
        action, _, target = key.partition(":")
        service.record_decision(uow(), clock, ann, drill.id, action, target)
    service.record_decision(uow(), clock, bob, drill.id, "use-alternative", alternative)
    with pytest.raises(ValidationFailed, match="target"):
        service.record_decision(uow(), clock, bob, drill.id, "reroute", "NO-SUCH-LANE")
    with pytest.raises(PermissionDenied):
        service.record_decision(uow(), clock, auditor, drill.id, "no-action")
    assert [d.username for d in service.drill_view(uow(), clock, bob, drill.id).decisions] == ["bob"]
    with pytest.raises(PermissionDenied):
        service.score(uow(), clock, container.signer, bob, drill.id)
    scores = service.score(uow(), clock, container.signer, lead, drill.id)
    by_name = {s.username: s for s in scores}
    assert by_name["ann"].score == pytest.approx(100.0) and by_name["bob"].score < by_name["ann"].score
    assert by_name["ann"].detail["missed"] == []
    with pytest.raises(Conflict):
        service.record_decision(uow(), clock, ann, drill.id, "no-action")
    with pytest.raises(Conflict):
        service.score(uow(), clock, container.signer, lead, drill.id)
    record = service.training_record(uow(readonly=True), ann)
    assert [(r.drill_title, r.score) for r in record] == [(drill.title, by_name["ann"].score)]
    assert service.training_record(uow(readonly=True), lead, ann.user_id)[0].username == "ann"
    with pytest.raises(PermissionDenied):
        service.training_record(uow(readonly=True), bob, ann.user_id)
    everyone = service.training_record(uow(readonly=True), lead, everyone=True)
    assert sorted(r.username for r in everyone) == ["ann", "bob"]
    with pytest.raises(PermissionDenied):
        service.training_record(uow(readonly=True), bob, everyone=True)
    done = service.drill_view(uow(), clock, bob, drill.id)
    assert not done.running and len(done.decisions) == len(optimal) + 1 and done.key_actions
    assert inclusion_bundle(uow(readonly=True), record_id=str(drill.id)) is not None


def test_a_drill_from_a_scenario_and_bad_drills(node) -> None:  # type: ignore[no-untyped-def]
    container, clock = node
    lead = principal_for(make_user(container, make_org(container), "lead", ("analyst",)))
    stored = service.store_network(container.uow(), clock, container.signer, lead, GOLDEN).network
    drill = service.start_drill(container.uow(), clock, lead, stored.id, scenario="S3")
    assert drill.document["injects"][0]["target"] == "S3" and drill.title == "Drill: site:S3"
    with pytest.raises(ValidationFailed, match="unknown scenario"):
        service.start_drill(container.uow(), clock, lead, stored.id, scenario="S9")
    with pytest.raises(ValidationFailed, match="unknown site"):
        service.start_drill(
            container.uow(),
            clock,
            lead,
            stored.id,
            document="id: d\ninjects: [{at_minute: 0, kind: site-down, target: NOPE}]\n",
        )
    with pytest.raises(ValidationFailed):
        service.start_drill(container.uow(), clock, lead, stored.id)
    with pytest.raises(ValidationFailed, match="at most 200"):
        service.start_drill(
            container.uow(),
            clock,
            lead,
            stored.id,
            document={"id": "d" * 201, "injects": [{"at_minute": 0, "kind": "site-down", "target": "S1"}]},
        )
    assert len(service.list_drills(container.uow(readonly=True), lead, stored.id)) == 1


def test_a_version_number_taken_meanwhile_is_a_conflict(node) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from supplyguard.adapters.db.resilience_repo import ResilienceRepository
    from supplyguard.model.ids import new_id

    container, _clock = node
    planner = principal_for(make_user(container, make_org(container), "planner", ("analyst",)))
    stored = service.store_network(
        container.uow(), container.clock, container.signer, planner, GOLDEN
    ).network
    with container.uow() as uow, pytest.raises(Conflict, match="at the same time"):
        ResilienceRepository(uow.connection).add_network(
            replace(stored, id=new_id(), content_sha256="x" * 64)
        )
    assert len(service.list_networks(container.uow(readonly=True), planner)) == 1
