"""intelligence sharing tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sharing_partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("node_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False, comment="raw Ed25519 public key"),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column(
            "author_ref", sa.String(length=100), nullable=False, comment="the partner's STIX identity id"
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True, comment="local user the partner authenticates as"),
        sa.Column(
            "ledger_vkey",
            sa.String(length=300),
            nullable=True,
            comment="its ledger's signed-note verifier key",
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_sync_position", POSITION, nullable=False),
        sa.Column("last_sync_at", TIMESTAMP, nullable=True),
        sa.Column("last_sync_error", sa.Text(), nullable=True),
        sa.Column("verification_failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_partners")),
        sa.UniqueConstraint("node_id", name=op.f("uq_sharing_partners_node_id")),
        sa.UniqueConstraint("key_id", name=op.f("uq_sharing_partners_key_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_sharing_partners_user_id")),
    )
    op.create_table(
        "sharing_agreements",
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False, comment="SHA-256 of the YAML text"),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_sharing_agreements")),
    )
    op.create_table(
        "sharing_objects",
        sa.Column("position", POSITION, autoincrement=False, nullable=False),
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column("stix_type", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False, comment="the object's modified timestamp"),
        sa.Column("author_ref", sa.String(length=100), nullable=False),
        sa.Column("author_node", sa.String(length=100), nullable=False),
        sa.Column(
            "content_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the signed header"
        ),
        sa.Column("tlp", sa.String(length=20), nullable=True),
        sa.Column("wire", sa.Text(), nullable=False, comment="signed STIX object as JSON"),
        sa.Column(
            "received_from", sa.String(length=100), nullable=True, comment="null: published by this node"
        ),
        sa.Column("agreement_id", sa.String(length=200), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("stored_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_sharing_objects")),
        sa.UniqueConstraint("stix_id", "content_hash", name="uq_sharing_objects_version"),
    )
    op.create_index("ix_sharing_objects_stix_id", "sharing_objects", ["stix_id", "position"])
    op.create_table(
        "sharing_deliveries",
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("position", POSITION, autoincrement=False, nullable=False),
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column("stix_type", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False, comment="whole or redacted"),
        sa.Column("removed_fields", sa.Text(), nullable=False, comment="JSON list of withheld field paths"),
        sa.Column(
            "wire", sa.Text(), nullable=False, comment="what the partner receives, still author-signed"
        ),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("partner_node", "position", name=op.f("pk_sharing_deliveries")),
    )
    op.create_index("ix_sharing_deliveries_object", "sharing_deliveries", ["partner_node", "stix_id"])
    op.create_table(
        "sharing_tombstones",
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column("author_ref", sa.String(length=100), nullable=False),
        sa.Column("deleted_at", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("wire", sa.Text(), nullable=False, comment="the signed tombstone as JSON"),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("stix_id", name=op.f("pk_sharing_tombstones")),
    )
    op.create_table(
        "sharing_rejections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column("check_name", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("rejected_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_rejections")),
    )
    op.create_index(op.f("ix_sharing_rejections_partner_node"), "sharing_rejections", ["partner_node"])
    op.create_table(
        "sharing_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stix_id", sa.String(length=200), nullable=False),
        sa.Column("from_node", sa.String(length=100), nullable=False),
        sa.Column("to_node", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "note_id", sa.String(length=200), nullable=True, comment="the signed STIX note that carried it"
        ),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_feedback")),
        sa.UniqueConstraint("stix_id", "from_node", "note_id", name="uq_sharing_feedback_note"),
    )
    op.create_index(op.f("ix_sharing_feedback_stix_id"), "sharing_feedback", ["stix_id"])
    op.create_table(
        "sharing_witnessed",
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("tree_size", POSITION, autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "note", sa.Text(), nullable=False, comment="the partner's checkpoint with our cosignature added"
        ),
        sa.Column("witnessed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("partner_node", "tree_size", name=op.f("pk_sharing_witnessed")),
    )


def downgrade() -> None:
    op.drop_table("sharing_witnessed")
    op.drop_index(op.f("ix_sharing_feedback_stix_id"), table_name="sharing_feedback")
    op.drop_table("sharing_feedback")
    op.drop_index(op.f("ix_sharing_rejections_partner_node"), table_name="sharing_rejections")
    op.drop_table("sharing_rejections")
    op.drop_table("sharing_tombstones")
    op.drop_index("ix_sharing_deliveries_object", table_name="sharing_deliveries")
    op.drop_table("sharing_deliveries")
    op.drop_index("ix_sharing_objects_stix_id", table_name="sharing_objects")
    op.drop_table("sharing_objects")
    op.drop_table("sharing_agreements")
    op.drop_table("sharing_partners")
