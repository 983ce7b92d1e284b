"""sharing_declaration_keys: only declarations still awaiting their outcome

Recording an outcome now removes the declaration's keys from the index (intelligence is matched
with open declarations only). This migration removes the keys of the declarations that got their
outcome since migration 0021 indexed them; the keys of open declarations stay. Downgrade keeps the
rows (the older code reads them the same way: it filters closed declarations out when it reads).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 06:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM sharing_declaration_keys WHERE declaration_id IN (SELECT declaration_id FROM outcomes)"
    )


def downgrade() -> None:
    pass  # removed keys of closed declarations are not needed by the older code either
