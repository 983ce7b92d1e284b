"""screening: re-screening runs when the lists change, and the hits each run added or removed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "screening_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "trigger", sa.String(length=40), nullable=False, comment="lists import, lists update or manual"
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "lists",
            sa.JSON(),
            nullable=False,
            comment="list id -> content sha256 and list date screened against",
        ),
        sa.Column(
            "parties", sa.Integer(), nullable=False, comment="parties of open declarations re-screened"
        ),
        sa.Column("hits_added", sa.Integer(), nullable=False),
        sa.Column("hits_removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_runs")),
    )
    op.create_index(op.f("ix_screening_runs_org_id"), "screening_runs", ["org_id"], unique=False)
    op.create_table(
        "screening_hit_changes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False, comment="added or removed"),
        sa.Column("list_id", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("entity_name", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("query_name", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["screening_runs.id"], name=op.f("fk_screening_hit_changes_run_id_screening_runs")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_screening_hit_changes_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hit_changes")),
    )
    op.create_index(
        op.f("ix_screening_hit_changes_run_id"), "screening_hit_changes", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_screening_hit_changes_party_id"), "screening_hit_changes", ["party_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_hit_changes_party_id"), table_name="screening_hit_changes")
    op.drop_index(op.f("ix_screening_hit_changes_run_id"), table_name="screening_hit_changes")
    op.drop_table("screening_hit_changes")
    op.drop_index(op.f("ix_screening_runs_org_id"), table_name="screening_runs")
    op.drop_table("screening_runs")
