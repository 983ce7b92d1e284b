"""sharing_declaration_keys: declarations indexed by container number and party-name key

Received intelligence used to be matched against every open declaration on each synced page (a
scan that grew with the declarations held, not with the page). Declarations are now indexed at
intake by the keys intel matching uses (canonical container numbers, normalised party names), and
each page looks up only the declarations under its objects' keys. This migration creates the index
and fills it for the declarations open now, with the same key function intake uses (so the two
cannot drift apart); declarations that already have an outcome are never matched and get none.
Downgrade drops the table (the older code scans instead).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 15:45:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sharing_declaration_keys",
        sa.Column(
            "kind", sa.String(length=20), nullable=False, comment="identifier kind: container or party_name"
        ),
        sa.Column(
            "value",
            sa.String(length=300),
            nullable=False,
            comment="canonical container number or name key",
        ),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", "declaration_id", name=op.f("pk_sharing_declaration_keys")),
    )
    from supplyguard.adapters.db.sharing_repo import SharingRepository
    from supplyguard.services.sharing_risk import declaration_keys

    repo = SharingRepository(op.get_bind())
    rows: list[tuple[str, str, uuid.UUID, uuid.UUID]] = []
    for declaration in repo.open_declarations():
        rows.extend(
            (kind, value, declaration.id, declaration.org_id)
            for kind, value in declaration_keys(declaration.containers, declaration.party_names)
        )
        if len(rows) >= 10_000:
            repo.add_declaration_keys(rows)
            rows.clear()
    repo.add_declaration_keys(rows)


def downgrade() -> None:
    op.drop_table("sharing_declaration_keys")
