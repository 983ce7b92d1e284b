"""Is the node alive and its database reachable?"""

from __future__ import annotations

from dataclasses import dataclass

from supplyguard.adapters.db.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class Health:
    database: str
    ledger_size: int


def check_health(uow: SqlUnitOfWork) -> Health:
    with uow:
        return Health(database=uow.connection.dialect.name, ledger_size=uow.ledger.size())
