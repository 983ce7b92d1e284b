"""The one place that wires settings, database, clock, reference data and keys together.

Entrypoints (CLI, API server, tests) call :func:`build` and pass the :class:`Container` on; nothing
is created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine

from supplyguard.adapters.db.engine import create_db_engine
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.keys import load_or_create_signer
from supplyguard.config import Settings
from supplyguard.model.clock import Clock, SystemClock
from supplyguard.model.refdata import ReferenceData, load_reference_data


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    refdata: ReferenceData
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly)

    @cached_property
    def signer(self) -> Any:
        """The node's Ed25519 ledger signer, created with a 0600 key file on first use."""
        return load_or_create_signer(self.settings.keys_dir, self.settings.node_name)

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    from supplyguard.services.epcis_schema import epcis_schema_for

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    extras: dict[str, Any] = dict(epcis_schema_for(settings.epcis_schema_file))  # opt-in strict capture
    return Container(
        settings=settings,
        engine=create_db_engine(settings.effective_database_url),
        clock=clock or SystemClock(),
        refdata=load_reference_data(),
        extras=extras,
    )
