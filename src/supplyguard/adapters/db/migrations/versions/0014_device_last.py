"""tracking: each device's last position, kept at ingest (the map and the silence check read it)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_device_last",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position_id", sa.Uuid(), nullable=False, comment="tracking_positions.id of that position"),
        sa.PrimaryKeyConstraint("org_id", "device_id", name=op.f("pk_tracking_device_last")),
    )
    # positions stored before this table existed: the newest of each device (one of them on a tie)
    op.execute(
        """
        INSERT INTO tracking_device_last (org_id, device_id, time, position_id)
        SELECT newest.org_id, newest.device_id, newest.time,
               (SELECT p.id FROM tracking_positions p
                 WHERE p.org_id = newest.org_id AND p.device_id = newest.device_id
                   AND p.time = newest.time
                 ORDER BY p.id LIMIT 1)
          FROM (SELECT org_id, device_id, max(time) AS time
                  FROM tracking_positions GROUP BY org_id, device_id) AS newest
        """
    )


def downgrade() -> None:
    op.drop_table("tracking_device_last")
