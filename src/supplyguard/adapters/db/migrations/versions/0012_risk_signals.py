"""risk signals: screening, partner intel and tracking alerts that raise a declaration's risk;
trusted traders (AEO / C-TPAT statuses, mutual recognition arrangements)

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
    # intake's scorer picks up what other processes stored since its last look
    op.create_index("ix_declarations_org_received", "declarations", ["org_id", "received_at"], unique=False)
    op.create_index("ix_outcomes_recorded_at", "outcomes", ["recorded_at"], unique=False)
    op.create_table(
        "risk_trusted_parties",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "party_code", sa.String(length=200), nullable=False, comment="the party's code in declarations"
        ),
        sa.Column("programme", sa.String(length=10), nullable=False, comment="AEO or C-TPAT"),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("issuing_country", sa.String(length=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("certificate", sa.String(length=100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_risk_trusted_parties_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_trusted_parties")),
    )
    op.create_index(
        "ix_risk_trusted_parties_org_party", "risk_trusted_parties", ["org_id", "party_code"], unique=False
    )
    op.create_table(
        "risk_mutual_recognitions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("partner_country", sa.String(length=2), nullable=False),
        sa.Column("programmes", sa.JSON(), nullable=False, comment="programmes the arrangement covers"),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_risk_mutual_recognitions_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_mutual_recognitions")),
    )
    op.create_index(
        op.f("ix_risk_mutual_recognitions_org_id"), "risk_mutual_recognitions", ["org_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outcomes_recorded_at", table_name="outcomes")
    op.drop_index("ix_declarations_org_received", table_name="declarations")
    op.drop_index(op.f("ix_risk_mutual_recognitions_org_id"), table_name="risk_mutual_recognitions")
    op.drop_table("risk_mutual_recognitions")
    op.drop_index("ix_risk_trusted_parties_org_party", table_name="risk_trusted_parties")
    op.drop_table("risk_trusted_parties")
    op.drop_index("ix_risk_signals_org_declaration", table_name="risk_signals")
    op.drop_table("risk_signals")
