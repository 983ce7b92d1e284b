"""risk rule sets: the analysts' targeting rules in force, versioned

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 03:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_rule_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False, comment="[[rule id, version], ...]"),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_risk_rule_sets_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rule_sets")),
    )
    op.create_index(op.f("ix_risk_rule_sets_org_id"), "risk_rule_sets", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_rule_sets_org_id"), table_name="risk_rule_sets")
    op.drop_table("risk_rule_sets")
