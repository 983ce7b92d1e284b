"""Feature vectors of scores whose model factors are worked out when someone looks (migration 0019)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, LargeBinary, String, Table, Uuid

from supplyguard.adapters.db.metadata import metadata

risk_pending_factors = Table(
    "risk_pending_factors",
    metadata,
    Column("declaration_id", Uuid, ForeignKey("declarations.id"), primary_key=True),
    Column("model_version", String(80), nullable=False, comment="the model that scored the declaration"),
    Column(
        "feature_list_sha256",
        String(64),
        nullable=False,
        comment="SHA-256 of the feature names, one per line, in the vector's order",
    ),
    Column(
        "features",
        LargeBinary,
        nullable=False,
        comment="the feature vector the model saw at intake: little-endian float64, feature-list order",
    ),
)
