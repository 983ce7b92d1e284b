"""queue priority: the risk engine's ranking key, indexed for the queue's risk order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_declarations_org_lane_risk", table_name="declarations")
    op.drop_index("ix_declarations_org_risk", table_name="declarations")
    with op.batch_alter_table("declarations") as batch:
        batch.add_column(sa.Column("priority", sa.Float(), nullable=True))
    op.execute("UPDATE declarations SET priority = score")
    op.create_index(
        "ix_declarations_org_risk", "declarations", ["org_id", sa.text("coalesce(priority, -1.0)"), "id"]
    )
    op.create_index(
        "ix_declarations_org_lane_risk",
        "declarations",
        ["org_id", "lane", sa.text("coalesce(priority, -1.0)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_declarations_org_lane_risk", table_name="declarations")
    op.drop_index("ix_declarations_org_risk", table_name="declarations")
    with op.batch_alter_table("declarations") as batch:
        batch.drop_column("priority")
    op.create_index(
        "ix_declarations_org_risk", "declarations", ["org_id", sa.text("coalesce(score, -1.0)"), "id"]
    )
    op.create_index(
        "ix_declarations_org_lane_risk",
        "declarations",
        ["org_id", "lane", sa.text("coalesce(score, -1.0)"), "id"],
    )
