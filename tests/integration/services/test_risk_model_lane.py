"""The scorer's own lane is saved in its own column, and a withdrawn signal lets the lane come back
down to it (never to a lane read from the reasons' wording); migration 0015 fills it for old rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import OperationalError

from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.migrate import _config, upgrade
from supplyguard.adapters.db.tables import declarations, organisations
from supplyguard.model.declarations import Lane
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services import risk_node
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.risk_intake import IntakeConfig, IntakeRisk
from supplyguard.services.risk_signals import raise_signal, withdraw_signals
from tests.conftest import PG_ADMIN_URL
from tests.factories import declaration_data
from tests.integration.services.test_risk_intake import _node_with_model

SEIZURE = RiskSignal(SignalSource.INTEL, "indicator--7", "seizure", 0.4, "container seized before", Lane.RED)


def _state(container, declaration_id):  # type: ignore[no-untyped-def]
    with container.uow(readonly=True) as uow:
        _org, _priority, lane, reasons = uow.risk.risk_state(declaration_id)
        return lane, reasons, uow.risk.model_lane(declaration_id)


def test_a_withdrawn_signal_brings_the_lane_back_to_the_saved_model_lane(container) -> None:  # type: ignore[no-untyped-def]
    org, admin = _node_with_model(container, rows=600)
    declaration = submit_declaration(
        container.uow(), container.clock, container.refdata, container.signer, admin, declaration_data("ML-1")
    )
    risk_node.score_open(
        container.uow(), container.clock, admin, red_per_day=0, yellow_per_day=0, exploration_share=0.0
    )
    assert _state(container, declaration.id)[0::2] == ("green", Lane.GREEN)
    uow = container.uow()
    with uow:
        raise_signal(uow, org.id, declaration.id, SEIZURE, container.clock.now())
        uow.commit()
    lane, reasons, model = _state(container, declaration.id)
    assert (lane, model) == ("red", Lane.GREEN)  # the signal escalates the lane, not the model's
    # the reasons' wording no longer matters: with no lane words left the model's lane still holds
    uow = container.uow()
    with uow:
        uow.risk.set_risk_state(declaration.id, 0.9, lane, [r for r in reasons if r.startswith("intel: ")])
        uow.commit()
    uow = container.uow()
    with uow:
        assert withdraw_signals(uow, SignalSource.INTEL, SEIZURE.ref) == 1
        uow.commit()
    lane, reasons, model = _state(container, declaration.id)
    assert (lane, model, reasons) == ("green", Lane.GREEN, [])


def test_intake_saves_the_model_lane(container) -> None:  # type: ignore[no-untyped-def]
    _org, admin = _node_with_model(container, rows=600)
    risk = IntakeRisk(IntakeConfig(red_per_day=0, yellow_per_day=0, exploration_share=0.0))
    declaration = submit_declaration(
        container.uow(),
        container.clock,
        container.refdata,
        container.signer,
        admin,
        declaration_data("ML-2"),
        None,
        risk,
    )
    lane, _reasons, model = _state(container, declaration.id)
    assert model is Lane.GREEN and lane == "green"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'lane.db'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sg_lane_mig_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"!!! PostgreSQL is unreachable, migration test SKIPPED: {exc}")
    engine = create_db_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_migration_0015_fills_the_model_lane_from_the_reasons_and_downgrades(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0014")
    org_id = uuid.uuid4()
    now = datetime(2026, 12, 6, tzinfo=UTC)
    reasons = {
        "A": ["intel: within red capacity", "priority 0.40 below today's capacity", "importer first seen"],
        "B": ["tracking: seal opened", "priority 0.91 within red capacity"],
        "C": ["rule R1 v1 forces yellow lane: x; yellow lane forced"],
        "D": ["intel: party on watch list"],  # only a signal: never scored by a model
        "E": None,
    }
    with bare_engine.begin() as conn:
        conn.execute(
            organisations.insert(),
            [{"id": org_id, "name": "o", "country": "NL", "kind": "customs", "created_at": now}],
        )
        conn.execute(
            declarations.insert(),
            [
                {
                    "id": uuid.uuid5(org_id, ref),
                    "org_id": org_id,
                    "reference": ref,
                    "declared_on": date(2026, 12, 6),
                    "office_id": "30",
                    "transport_mode": "10",
                    "importer_code": "IMP",
                    "parties": [],
                    "containers": [],
                    "total_value": 1.0,
                    "total_duty": 0.0,
                    "received_at": now,
                    "source": "test",
                    "status": "open",
                    "lane": "red" if words else None,
                    "risk_reasons": words,
                }
                for ref, words in reasons.items()
            ],
        )
    upgrade(bare_engine, "0015")
    with bare_engine.connect() as conn:
        found = dict(conn.execute(select(declarations.c.reference, declarations.c.model_lane)).all())
    assert found == {"A": "green", "B": "red", "C": "yellow", "D": None, "E": None}
    _downgrade(bare_engine, "0014")
    assert "model_lane" not in {c["name"] for c in inspect(bare_engine).get_columns("declarations")}
    upgrade(bare_engine, "0015")  # and up again, over the queue's expression indexes the downgrade rebuilt
    with bare_engine.connect() as conn:
        assert dict(conn.execute(select(declarations.c.reference, declarations.c.model_lane)).all()) == found
