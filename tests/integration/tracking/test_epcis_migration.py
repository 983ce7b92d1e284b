"""Migration 0017 re-keys the EPC identifier rows (organisation, identifier, event row, role) and back."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, inspect, text

from supplyguard.adapters.db.migrate import upgrade
from tests.integration.ledger.test_ledger_migration import _downgrade, bare_engine

__all__ = ["bare_engine"]

ORG, OTHER = uuid.UUID(int=1), uuid.UUID(int=2)
ROWS = [
    (uuid.UUID(int=10), ORG, "https://id.gs1.org/01/04012345111118/21/1", "epc"),
    (uuid.UUID(int=10), ORG, "https://id.gs1.org/01/04012345111118/21/2", "epc"),
    (uuid.UUID(int=11), ORG, "https://id.gs1.org/01/04012345111118/21/1", "child"),
    (uuid.UUID(int=11), ORG, "https://id.gs1.org/01/04012345111118/21/1", "epc"),
    (uuid.UUID(int=12), OTHER, "https://id.gs1.org/01/04012345111118/21/1", "epc"),
]


def _value(engine: Engine, value: uuid.UUID) -> str:
    return value.hex if engine.dialect.name == "sqlite" else str(value)


def _stored(engine: Engine) -> set[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT event_row_id, org_id, epc, role FROM tracking_event_epcs"))
        return {(str(uuid.UUID(str(r[0]))), str(uuid.UUID(str(r[1]))), r[2], r[3]) for r in rows}


def _key(engine: Engine) -> tuple[list[str], set[str]]:
    inspector = inspect(engine)
    key = inspector.get_pk_constraint("tracking_event_epcs")["constrained_columns"]
    return key, {index["name"] for index in inspector.get_indexes("tracking_event_epcs")}


def test_migration_0017_moves_identifier_rows_to_the_new_key_and_back(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    _downgrade(bare_engine, "0016")
    assert _key(bare_engine) == (["event_row_id", "role", "epc"], {"ix_tracking_event_epcs_epc"})
    with bare_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tracking_event_epcs (event_row_id, org_id, epc, role) VALUES (:r, :o, :e, :k)"),
            [
                {"r": _value(bare_engine, r), "o": _value(bare_engine, o), "e": e, "k": k}
                for r, o, e, k in ROWS
            ],
        )
    expected = {(str(r), str(o), e, k) for r, o, e, k in ROWS}

    upgrade(bare_engine)
    assert _key(bare_engine) == (["org_id", "epc", "event_row_id", "role"], set())
    assert _stored(bare_engine) == expected
    with bare_engine.connect() as conn:  # the EPC look-up finds its rows by the new key
        found = conn.execute(
            text(
                "SELECT event_row_id FROM tracking_event_epcs WHERE org_id = :o AND epc = :e AND role = 'epc'"
            ),
            {"o": _value(bare_engine, ORG), "e": ROWS[0][2]},
        ).all()
    assert sorted(str(uuid.UUID(str(r[0]))) for r in found) == [
        str(uuid.UUID(int=10)),
        str(uuid.UUID(int=11)),
    ]

    _downgrade(bare_engine, "0016")
    assert _key(bare_engine) == (["event_row_id", "role", "epc"], {"ix_tracking_event_epcs_epc"})
    assert _stored(bare_engine) == expected
