"""Alembic environment: runs on the connection :func:`supplyguard.adapters.db.migrate.upgrade` passes."""

from __future__ import annotations

from alembic import context

from supplyguard.adapters.db.schema import load_all_tables

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `supplyguard db upgrade`")
context.configure(
    connection=connection,
    target_metadata=load_all_tables(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
