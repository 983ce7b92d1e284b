"""Trusted-trader statuses (AEO / C-TPAT) and mutual recognition arrangements per organisation."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Uuid,
)

from supplyguard.adapters.db.metadata import metadata

risk_trusted_parties = Table(
    "risk_trusted_parties",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("party_code", String(200), nullable=False, comment="the party's code in declarations"),
    Column("programme", String(10), nullable=False, comment="AEO or C-TPAT"),
    Column("tier", Integer, nullable=False),
    Column("issuing_country", String(2), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("certificate", String(100), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Index("ix_risk_trusted_parties_org_party", "org_id", "party_code"),
)

risk_mutual_recognitions = Table(
    "risk_mutual_recognitions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("partner_country", String(2), nullable=False),
    Column("programmes", JSON, nullable=False, comment="programmes the arrangement covers"),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
