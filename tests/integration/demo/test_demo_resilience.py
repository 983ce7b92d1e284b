"""The demo world stores the medical-supplies network for the Dutch organisation, with its page
computed (exposure ranking, stockpile plan, Suez reroute) and the Rotterdam-blackout drill running."""

from __future__ import annotations

from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import resilience as service


def test_demo_network_page_is_ready_after_the_demo_loads(container) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, declarations_total=60)
    world.orgs = [o for o in world.orgs if o.country == "NL"]
    steps: list[str] = []
    load_world(container, world, steps.append)
    assert any("medical-supplies network" in step for step in steps)
    with container.uow(readonly=True) as uow:
        org = next(o for o in uow.accounts.list_orgs() if o.country == "NL")
    analyst = Principal(org.id, org.id, "nl-analyst", frozenset({Role.ANALYST}), "test", "web")
    (network,) = service.list_networks(container.uow(readonly=True), analyst)
    assert network.name == "medical-supplies" and network.risks is not None
    report = service.report(
        container.uow(), container.clock, analyst, network.id, service.sea_router_for(container.extras)
    )
    assert report["ranking"][0]["scenario"] == "site:SUP-KHH" and report["headline"]["exposed"] > 0
    assert report["stockpile"]["additions"] and report["simulation"]["risks"] == "given"
    assert {row["lane"] for row in report["reroute"]["lanes"]} == {
        "SHA-RTM",
        "SHA-HAM",
        "PKG-RTM",
        "MUM-RTM",
        "KHH-HAM",
    }
    (drill,) = service.list_drills(container.uow(readonly=True), analyst, network.id)
    assert drill.status == "running" and drill.title == "Blackout at Rotterdam, strike at Hamburg"
