"""resilience: stored networks, analyses and drills

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resilience_networks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, ... per organisation and name"),
        sa.Column(
            "content_sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the canonical JSON document",
        ),
        sa.Column("document", sa.JSON(), nullable=False, comment="the network as parsed (CSV tables merged)"),
        sa.Column("risks", sa.JSON(), nullable=True, comment="Monte Carlo risk profiles by site or asset id"),
        sa.Column("summary", sa.JSON(), nullable=False, comment="counts of sites, lanes, products, ..."),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_resilience_networks_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resilience_networks")),
        sa.UniqueConstraint("org_id", "name", "version", name="uq_resilience_networks_org_name_version"),
    )
    op.create_index(
        "ix_resilience_networks_org_hash", "resilience_networks", ["org_id", "content_sha256"], unique=False
    )
    op.create_table(
        "resilience_results",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=40),
            nullable=False,
            comment="analysis | simulation | stockpile | reroute",
        ),
        sa.Column("params_sha256", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["resilience_networks.id"],
            name=op.f("fk_resilience_results_network_id_resilience_networks"),
        ),
        sa.PrimaryKeyConstraint("network_id", "kind", "params_sha256", name=op.f("pk_resilience_results")),
    )
    op.create_table(
        "resilience_drills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("drill_key", sa.String(length=200), nullable=False, comment="the drill document's own id"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column(
            "offset_minutes", sa.Float(), nullable=False, comment="minutes the facilitator skipped ahead"
        ),
        sa.Column("status", sa.String(length=20), nullable=False, comment="running | scored"),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "key_actions", sa.JSON(), nullable=True, comment="the optimal plan's actions, with reasons"
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["resilience_networks.id"],
            name=op.f("fk_resilience_drills_network_id_resilience_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_resilience_drills_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resilience_drills")),
    )
    op.create_index(op.f("ix_resilience_drills_org_id"), "resilience_drills", ["org_id"], unique=False)
    op.create_table(
        "resilience_drill_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("drill_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("at_minute", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["resilience_drills.id"],
            name=op.f("fk_resilience_drill_decisions_drill_id_resilience_drills"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resilience_drill_decisions")),
    )
    op.create_index(
        op.f("ix_resilience_drill_decisions_drill_id"),
        "resilience_drill_decisions",
        ["drill_id"],
        unique=False,
    )
    op.create_table(
        "resilience_drill_scores",
        sa.Column("drill_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False, comment="matched, missed, extra actions and reasons"),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["resilience_drills.id"],
            name=op.f("fk_resilience_drill_scores_drill_id_resilience_drills"),
        ),
        sa.PrimaryKeyConstraint("drill_id", "user_id", name=op.f("pk_resilience_drill_scores")),
    )
    op.create_index(
        "ix_resilience_drill_scores_user", "resilience_drill_scores", ["user_id", "scored_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_resilience_drill_scores_user", table_name="resilience_drill_scores")
    op.drop_table("resilience_drill_scores")
    op.drop_index(op.f("ix_resilience_drill_decisions_drill_id"), table_name="resilience_drill_decisions")
    op.drop_table("resilience_drill_decisions")
    op.drop_index(op.f("ix_resilience_drills_org_id"), table_name="resilience_drills")
    op.drop_table("resilience_drills")
    op.drop_table("resilience_results")
    op.drop_index("ix_resilience_networks_org_hash", table_name="resilience_networks")
    op.drop_table("resilience_networks")
