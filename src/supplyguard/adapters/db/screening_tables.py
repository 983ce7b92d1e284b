"""Screening hits of the organisation's parties (what intake found, and officers' decisions)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from supplyguard.adapters.db.metadata import metadata

screening_hits = Table(
    "screening_hits",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("org_id", Uuid, nullable=False, index=True),
    Column("party_id", Uuid, ForeignKey("parties.id"), nullable=False, index=True),
    Column("list_id", String(40), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("entity_name", String(500), nullable=False),
    Column("matched_name", String(500), nullable=False),
    Column("score", Float, nullable=False),
    Column("why", Text, nullable=False),
    Column("entry_digest", String(64), nullable=False),
    Column("query_name", String(500), nullable=False, comment="the party name as screened"),
    Column("status", String(20), nullable=False, comment="open or false_positive"),
    Column("screened_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("party_id", "list_id", "entity_id", name="uq_screening_hits_party_entry"),
)
