"""Alembic environment: runs on the connection :func:`supplyguard.adapters.db.migrate.upgrade` passes."""

from __future__ import annotations

from alembic import context

import supplyguard.adapters.db.ledger_tables
import supplyguard.adapters.db.tables  # noqa: F401 - registers the core tables
from supplyguard.adapters.db.metadata import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `supplyguard db upgrade`")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
