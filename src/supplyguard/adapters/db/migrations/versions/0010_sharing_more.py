"""sharing: nonces of signed partner requests, intel keys for intake matching, disclosure requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sharing_request_nonces",
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, comment="the signature's created time"),
        sa.PrimaryKeyConstraint("partner_node", "nonce", name=op.f("pk_sharing_request_nonces")),
    )
    op.create_index("ix_sharing_request_nonces_created_at", "sharing_request_nonces", ["created_at"])
    op.create_table(
        "sharing_intel_keys",
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="identifier kind: container, imo, eori, party-name...",
        ),
        sa.Column(
            "value",
            sa.String(length=300),
            nullable=False,
            comment="canonical identifier or normalised name key",
        ),
        sa.Column("found_in", sa.String(length=200), nullable=False),
        sa.Column(
            "object_kind",
            sa.String(length=40),
            nullable=False,
            comment="seizure, suspect shipment, suspect party...",
        ),
        sa.Column("author_node", sa.String(length=100), nullable=False),
        sa.Column("position", POSITION, nullable=False, comment="the version the keys were taken from"),
        sa.PrimaryKeyConstraint("stix_id", "kind", "value", name=op.f("pk_sharing_intel_keys")),
    )
    op.create_index("ix_sharing_intel_keys_value", "sharing_intel_keys", ["value", "kind"])
    op.create_table(
        "sharing_disclosures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction", sa.String(length=10), nullable=False, comment="outgoing: we asked; incoming: we own"
        ),
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="identifier kind of the keyed watch-list hit",
        ),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="the keyed digest both lists hold"),
        sa.Column("reason", sa.Text(), nullable=False, comment="why disclosure is asked"),
        sa.Column("request_note", sa.String(length=200), nullable=False, comment="the signed request note"),
        sa.Column("status", sa.String(length=10), nullable=False, comment="open, approved or refused"),
        sa.Column("answer", sa.Text(), nullable=True, comment="what the owner disclosed, or why it refused"),
        sa.Column("answer_note", sa.String(length=200), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_disclosures")),
        sa.UniqueConstraint("request_note", name=op.f("uq_sharing_disclosures_request_note")),
    )
    op.create_index(op.f("ix_sharing_disclosures_partner_node"), "sharing_disclosures", ["partner_node"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sharing_disclosures_partner_node"), table_name="sharing_disclosures")
    op.drop_table("sharing_disclosures")
    op.drop_index("ix_sharing_intel_keys_value", table_name="sharing_intel_keys")
    op.drop_table("sharing_intel_keys")
    op.drop_index("ix_sharing_request_nonces_created_at", table_name="sharing_request_nonces")
    op.drop_table("sharing_request_nonces")
