"""sharing_watch: keyed watch lists exchanged between partner nodes, and the hits they open

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sharing_watch_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="identifier kind: container, imo, eori, party_name...",
        ),
        sa.Column("value", sa.String(length=300), nullable=False, comment="the identifier as entered"),
        sa.Column(
            "canonical", sa.String(length=300), nullable=False, comment="its canonical form (what is keyed)"
        ),
        sa.Column("country", sa.String(length=2), nullable=True, comment="issuing country, for tax ids"),
        sa.Column(
            "reference", sa.String(length=200), nullable=False, comment="local case or file it comes from"
        ),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_watch_entries")),
        sa.UniqueConstraint("kind", "canonical", name="uq_sharing_watch_entries_identifier"),
    )
    op.create_table(
        "sharing_watch_published",
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column(
            "recipient", sa.String(length=100), nullable=False, comment="the partner node it is keyed for"
        ),
        sa.Column("key_id", sa.String(length=32), nullable=False, comment="fingerprint of the agreement key"),
        sa.Column("digest_count", sa.Integer(), nullable=False),
        sa.Column(
            "list_sha256", sa.String(length=64), nullable=False, comment="SHA-256 of the sorted digests"
        ),
        sa.Column(
            "envelope", sa.Text(), nullable=False, comment="the signed keyed list as JSON (digests only)"
        ),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "recipient", name=op.f("pk_sharing_watch_published")),
    )
    op.create_table(
        "sharing_watch_received",
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("digest_count", sa.Integer(), nullable=False),
        sa.Column("list_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "envelope", sa.Text(), nullable=False, comment="the partner's signed keyed list as received"
        ),
        sa.Column("published_at", TIMESTAMP, nullable=False, comment="when the partner signed it"),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("partner_node", "agreement_id", name=op.f("pk_sharing_watch_received")),
    )
    op.create_table(
        "sharing_watch_matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_node", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="the keyed digest both sides hold"),
        sa.Column(
            "local_ref", sa.String(length=300), nullable=False, comment="our record it hit (never sent)"
        ),
        sa.Column(
            "org_id",
            sa.Uuid(),
            nullable=True,
            comment="organisation of the declaration hit; null: watch list",
        ),
        sa.Column("reason", sa.Text(), nullable=False, comment="the hit, in words"),
        sa.Column("disclosure_id", sa.Uuid(), nullable=True, comment="the disclosure request the hit opened"),
        sa.Column("note", sa.Text(), nullable=True, comment="why no request could be opened"),
        sa.Column("found_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_watch_matches")),
        sa.UniqueConstraint(
            "partner_node", "agreement_id", "digest", "local_ref", name="uq_sharing_watch_matches_hit"
        ),
    )
    op.create_index("ix_sharing_watch_matches_found_at", "sharing_watch_matches", ["found_at"])


def downgrade() -> None:
    op.drop_index("ix_sharing_watch_matches_found_at", table_name="sharing_watch_matches")
    op.drop_table("sharing_watch_matches")
    op.drop_table("sharing_watch_received")
    op.drop_table("sharing_watch_published")
    op.drop_table("sharing_watch_entries")
