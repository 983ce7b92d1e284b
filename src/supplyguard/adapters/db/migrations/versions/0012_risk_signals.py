"""risk signals: screening, partner intel and tracking alerts that raise a declaration's risk

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_signals",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False, comment="screening, intel or tracking"),
        sa.Column(
            "ref", sa.String(length=200), nullable=False, comment="what raised it: alert, object or hit id"
        ),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("min_lane", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_risk_signals_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declarations.id"], name=op.f("fk_risk_signals_declaration_id_declarations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_signals")),
        sa.UniqueConstraint("declaration_id", "source", "ref", name="uq_risk_signals_declaration_source_ref"),
    )
    op.create_index(
        "ix_risk_signals_org_declaration", "risk_signals", ["org_id", "declaration_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_risk_signals_org_declaration", table_name="risk_signals")
    op.drop_table("risk_signals")
