"""Loading the demo world into a node through the real services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from supplyguard.bootstrap import Container
from supplyguard.demo.intel import load_intel
from supplyguard.demo.resilience import load_resilience
from supplyguard.demo.screening import load_screening
from supplyguard.demo.tracking import load_tracking
from supplyguard.demo.world import DemoUser, DemoWorld
from supplyguard.errors import ModelError
from supplyguard.model.organisations import Principal, Role
from supplyguard.services import accounts, risk_node
from supplyguard.services.declarations import record_outcome
from supplyguard.services.import_formats import RowInput
from supplyguard.services.imports import import_declarations

DEMO_OPERATOR = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    logins: list[tuple[str, DemoUser]]
    declarations: int
    outcomes: int


def load_world(
    container: Container, world: DemoWorld, on_step: Callable[[str], None] | None = None
) -> DemoSummary:
    step = on_step or (lambda _message: None)
    logins: list[tuple[str, DemoUser]] = []
    total_declarations = total_outcomes = 0
    for demo_org in world.orgs:
        org = accounts.create_organisation(
            container.uow(), container.clock, None, demo_org.name, demo_org.country, demo_org.kind
        )
        for user in demo_org.users:
            accounts.create_user(
                container.uow(),
                container.clock,
                None,
                org.id,
                user.username,
                list(user.roles),
                user.password,
                user.display_name,
            )
            logins.append((demo_org.name, user))
        operator = Principal(DEMO_OPERATOR, org.id, "demo-loader", frozenset({Role.ADMIN}), "demo", "cli")
        rows = [RowInput(n, d) for n, d in enumerate(world.declarations.get(demo_org.name, []), start=1)]
        if rows:
            step(f"{demo_org.name}: {len(rows)} declarations")
            report = import_declarations(
                container.uow(),
                container.clock,
                container.refdata,
                container.signer,
                operator,
                rows,
                source="demo",
            )
            if report.rejected:
                raise RuntimeError(f"demo world has invalid declarations: {report.errors[:3]}")
            total_declarations += report.stored
        with container.uow(readonly=True) as uow:
            ids = uow.declarations.ids_for_references(
                org.id, (o.reference for o in world.outcomes.get(demo_org.name, []))
            )
        for outcome in world.outcomes.get(demo_org.name, []):
            record_outcome(
                container.uow(),
                container.clock,
                container.signer,
                operator,
                ids[outcome.reference],
                inspected=outcome.inspected,
                result=outcome.result,
                duty_recovered=outcome.duty_recovered,
                notes=outcome.notes,
            )
            total_outcomes += 1
        load_tracking(container, operator, world, demo_org.name, step)
        load_screening(container, operator, world, demo_org.name, step)
        load_resilience(container, operator, world, demo_org.name, step)
        load_intel(container, operator, world, demo_org.name, step)
        if world.outcomes.get(demo_org.name):
            step(f"{demo_org.name}: training the risk model on recorded outcomes and scoring the queue")
            try:
                risk_node.retrain(
                    container.uow(),
                    container.clock,
                    container.signer,
                    container.settings.models_dir,
                    operator,
                )
            except ModelError as exc:  # a small demo world may have too few inspections to learn from
                step(f"{demo_org.name}: queue left unscored ({exc.message})")
                continue
            rules_text = (
                resources.files("supplyguard.demo").joinpath("rules.yaml").read_text(encoding="utf-8")
            )
            risk_node.load_rules(container.uow(), container.clock, container.signer, operator, rules_text)
            risk_node.score_open(
                container.uow(),
                container.clock,
                operator,
                red_per_day=world.red_per_day,
                yellow_per_day=world.yellow_per_day,
                exploration_share=container.settings.exploration_share,
            )
    return DemoSummary(logins, total_declarations, total_outcomes)
