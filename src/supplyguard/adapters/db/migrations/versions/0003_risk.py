"""risk: model registry, scores' reasons and model version on declarations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declarations") as batch:
        batch.add_column(sa.Column("risk_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("model_version", sa.String(length=80), nullable=True))
    op.create_table(
        "risk_models",
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_risk_models_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_risk_models")),
    )
    op.create_index(op.f("ix_risk_models_org_id"), "risk_models", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_models_org_id"), table_name="risk_models")
    op.drop_table("risk_models")
    with op.batch_alter_table("declarations") as batch:
        batch.drop_column("model_version")
        batch.drop_column("risk_reasons")
