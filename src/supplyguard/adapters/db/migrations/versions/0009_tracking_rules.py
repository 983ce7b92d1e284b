"""tracking: alert rules (geofences, corridors), acknowledgements, MQTT ingestion

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:50:00
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
