"""sharing: request authentication (nonces of signed partner requests)

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


def upgrade() -> None:
    op.create_table(
        "sharing_request_nonces",
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, comment="the signature's created time"),
        sa.PrimaryKeyConstraint("partner_node", "nonce", name=op.f("pk_sharing_request_nonces")),
    )
    op.create_index("ix_sharing_request_nonces_created_at", "sharing_request_nonces", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sharing_request_nonces_created_at", table_name="sharing_request_nonces")
    op.drop_table("sharing_request_nonces")
