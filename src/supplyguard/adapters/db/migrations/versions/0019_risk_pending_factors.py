"""risk_pending_factors: the feature vector of each intake score whose model factors wait for a reader

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_pending_factors",
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column(
            "model_version",
            sa.String(length=80),
            nullable=False,
            comment="the model that scored the declaration",
        ),
        sa.Column(
            "feature_list_sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the feature names, one per line, in the vector's order",
        ),
        sa.Column(
            "features",
            sa.LargeBinary(),
            nullable=False,
            comment="the feature vector the model saw at intake: little-endian float64, feature-list order",
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_risk_pending_factors_declaration_id_declarations"),
        ),
        sa.PrimaryKeyConstraint("declaration_id", name=op.f("pk_risk_pending_factors")),
    )


def downgrade() -> None:
    op.drop_table("risk_pending_factors")
