"""screening hits of parties

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 03:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_hits",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("list_id", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("entity_name", sa.String(length=500), nullable=False),
        sa.Column("matched_name", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("entry_digest", sa.String(length=64), nullable=False),
        sa.Column("query_name", sa.String(length=500), nullable=False, comment="the party name as screened"),
        sa.Column("status", sa.String(length=20), nullable=False, comment="open or false_positive"),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_screening_hits_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
        sa.UniqueConstraint("party_id", "list_id", "entity_id", name="uq_screening_hits_party_entry"),
    )
    op.create_index(op.f("ix_screening_hits_org_id"), "screening_hits", ["org_id"], unique=False)
    op.create_index(op.f("ix_screening_hits_party_id"), "screening_hits", ["party_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_hits_party_id"), table_name="screening_hits")
    op.drop_index(op.f("ix_screening_hits_org_id"), table_name="screening_hits")
    op.drop_table("screening_hits")
