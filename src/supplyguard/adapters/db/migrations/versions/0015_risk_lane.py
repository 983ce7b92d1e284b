"""risk_lane: reserved slot (no-op until the risk_lane work of session 3 fills it)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
