"""The demo's supply network: emergency medical supplies for the Dutch national reserve.

Masks, gloves and IV sets from Asia and Europe through Rotterdam and Hamburg to two national
depots, ventilators assembled in Eindhoven from Taiwanese boards, with power, communications,
transport and water dependencies (``examples/resilience/medical-supplies.yaml`` and its risk
profiles). The Netherlands customs organisation stores it; its page (exposure ranking, Monte Carlo,
stockpile plan, Suez-closure reroutes) is computed once here so it opens at once after ``make
demo``, and the Rotterdam-blackout drill is started for the demo users to take part in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supplyguard.bootstrap import Container
from supplyguard.demo.world import DemoWorld
from supplyguard.model.organisations import Principal
from supplyguard.services import resilience as service

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "resilience"
NETWORK = "medical-supplies.yaml"
RISKS = "medical-risks.yaml"
DRILL = "drill-rotterdam-blackout.yaml"


def load_resilience(
    container: Container,
    operator: Principal,
    world: DemoWorld,
    org_name: str,
    step: Callable[[str], None],
) -> None:
    """Store the demo network for the Dutch organisation, compute its page, start its drill."""
    org = next((o for o in world.orgs if o.name == org_name), None)
    if org is None or org.country != "NL":
        return
    if not (EXAMPLES / NETWORK).is_file():
        step(f"{org_name}: {EXAMPLES / NETWORK} not found: no demo supply network")
        return
    step(f"{org_name}: storing the medical-supplies network and analysing its disruptions")
    stored = service.store_network(
        container.uow(),
        container.clock,
        container.signer,
        operator,
        (EXAMPLES / NETWORK).read_text(encoding="utf-8"),
        risks=(EXAMPLES / RISKS).read_text(encoding="utf-8"),
    ).network
    router = service.sea_router_for(container.extras)
    service.report(container.uow(), container.clock, operator, stored.id, router)
    service.start_drill(
        container.uow(),
        container.clock,
        operator,
        stored.id,
        document=(EXAMPLES / DRILL).read_text(encoding="utf-8"),
    )
