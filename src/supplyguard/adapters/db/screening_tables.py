"""Screening hits of the organisation's parties (what intake found, and officers' decisions), and the
re-screening runs made when the lists change, with the hits each one added or removed."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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

screening_runs = Table(
    "screening_runs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("org_id", Uuid, nullable=False, index=True),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("trigger", String(40), nullable=False, comment="lists import, lists update or manual"),
    Column("actor", String(200), nullable=False),
    Column("lists", JSON, nullable=False, comment="list id -> content sha256 and list date screened against"),
    Column("parties", Integer, nullable=False, comment="parties of open declarations re-screened"),
    Column("hits_added", Integer, nullable=False),
    Column("hits_removed", Integer, nullable=False),
)

screening_hit_changes = Table(
    "screening_hit_changes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column(
        "run_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("screening_runs.id"),
        nullable=False,
        index=True,
    ),
    Column("org_id", Uuid, nullable=False),
    Column("party_id", Uuid, ForeignKey("parties.id"), nullable=False, index=True),
    Column("change", String(10), nullable=False, comment="added or removed"),
    Column("list_id", String(40), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("entity_name", String(500), nullable=False),
    Column("score", Float, nullable=False),
    Column("query_name", String(500), nullable=False),
)
