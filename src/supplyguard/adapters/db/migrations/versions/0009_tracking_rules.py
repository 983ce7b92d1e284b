"""tracking: stored alert rules (geofences, corridors, profiles), their assignments to devices, device
links to containers and declarations, expected stock per site, and the rules revision per organisation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracking_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="unique per organisation; geofence ids in alerts",
        ),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="geofence, corridor or profile"),
        sa.Column(
            "spec",
            sa.JSON(),
            nullable=False,
            comment="the validated definition (sea corridors with their points)",
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_rules")),
        sa.UniqueConstraint("org_id", "name", name="uq_tracking_rules_name"),
    )
    op.create_table(
        "tracking_rule_assignments",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "device_id", sa.String(length=128), nullable=False, comment="a device id, or * for every device"
        ),
        sa.PrimaryKeyConstraint("rule_id", "device_id", name="pk_tracking_rule_assignments"),
    )
    op.create_index(
        "ix_tracking_rule_assignments_device", "tracking_rule_assignments", ["org_id", "device_id"]
    )
    op.create_table(
        "tracking_device_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column(
            "asset_id", sa.Text(), nullable=True, comment="container number or EPC the device is fixed to"
        ),
        sa.Column(
            "declaration_id",
            sa.Uuid(),
            nullable=True,
            comment="the declaration whose goods it travels with",
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_device_links")),
    )
    op.create_index("ix_tracking_device_links_device", "tracking_device_links", ["org_id", "device_id"])
    op.create_table(
        "tracking_expected_stock",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("site", sa.Text(), nullable=False, comment="bizLocation, canonical"),
        sa.Column(
            "item",
            sa.Text(),
            nullable=False,
            comment="item class or instance (e.g. a container's BIC EPC)",
        ),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_expected_stock")),
    )
    op.create_index("ix_tracking_expected_stock_site", "tracking_expected_stock", ["org_id", "site"])
    op.create_table(
        "tracking_rule_revisions",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_tracking_rule_revisions")),
    )


def downgrade() -> None:
    op.drop_table("tracking_rule_revisions")
    op.drop_index("ix_tracking_expected_stock_site", table_name="tracking_expected_stock")
    op.drop_table("tracking_expected_stock")
    op.drop_index("ix_tracking_device_links_device", table_name="tracking_device_links")
    op.drop_table("tracking_device_links")
    op.drop_index("ix_tracking_rule_assignments_device", table_name="tracking_rule_assignments")
    op.drop_table("tracking_rule_assignments")
    op.drop_table("tracking_rules")
