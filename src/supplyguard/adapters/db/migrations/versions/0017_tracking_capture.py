"""tracking_capture: EPC identifier rows keyed by (organisation, identifier, event row, role)

The identifier table had a primary key (event row, role, identifier) and an index (organisation,
identifier, event row) for the EPC queries: two B-trees per row beside the table itself. Now the
primary key is the query's key and there is no other index; on SQLite the table is ``WITHOUT
ROWID``, so a row is written once. Existing rows move over unchanged (a row id belongs to one
organisation, so the new key is as unique as the old one). The downgrade restores the old key and
index.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_COLUMNS = "event_row_id, org_id, epc, role"


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("event_row_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("epc", sa.Text(), nullable=False, comment="canonical identifier (Digital Link or URI)"),
        sa.Column("role", sa.String(length=10), nullable=False),
    ]


def _rebuild_sqlite(key: tuple[str, ...], *, with_rowid: bool) -> None:
    """SQLite cannot change a primary key in place: copy the rows into a new table of that key."""
    op.create_table(
        "tracking_event_epcs_new",
        *_columns(),
        sa.PrimaryKeyConstraint(*key, name="pk_tracking_event_epcs"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(f"INSERT INTO tracking_event_epcs_new ({_COLUMNS}) SELECT {_COLUMNS} FROM tracking_event_epcs")
    op.drop_table("tracking_event_epcs")
    op.rename_table("tracking_event_epcs_new", "tracking_event_epcs")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_tracking_event_epcs_epc", table_name="tracking_event_epcs")
        _rebuild_sqlite(("org_id", "epc", "event_row_id", "role"), with_rowid=False)
        return
    op.drop_constraint("pk_tracking_event_epcs", "tracking_event_epcs", type_="primary")
    op.drop_index("ix_tracking_event_epcs_epc", table_name="tracking_event_epcs")
    op.create_primary_key(
        "pk_tracking_event_epcs", "tracking_event_epcs", ["org_id", "epc", "event_row_id", "role"]
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(("event_row_id", "role", "epc"), with_rowid=True)
    else:
        op.drop_constraint("pk_tracking_event_epcs", "tracking_event_epcs", type_="primary")
        op.create_primary_key(
            "pk_tracking_event_epcs", "tracking_event_epcs", ["event_row_id", "role", "epc"]
        )
    op.create_index("ix_tracking_event_epcs_epc", "tracking_event_epcs", ["org_id", "epc", "event_row_id"])
