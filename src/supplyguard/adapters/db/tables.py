"""Tables of the platform core (SQLAlchemy Core). Ledger tables live in :mod:`ledger_tables`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    literal_column,
)

from supplyguard.adapters.db.metadata import metadata

Timestamp = DateTime(timezone=True)
AutoId = BigInteger().with_variant(Integer, "sqlite")

organisations = Table(
    "organisations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("country", String(2), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(300), nullable=True),
    Column("roles", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Timestamp, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=True),
    Column("revoked_at", Timestamp, nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("source", String(100), nullable=True),
)

parties = Table(
    "parties",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("code", String(200), nullable=False),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=True),
    Column("aliases", JSON, nullable=False, default=list),
    Column("identifiers", JSON, nullable=False, default=list),
    Column("address", Text, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("org_id", "code", name="uq_parties_org_code"),
    Index("ix_parties_org_name", "org_id", "name"),
)

declarations = Table(
    "declarations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("declared_on", Date, nullable=False),
    Column("office_id", String(200), nullable=False),
    Column("transport_mode", String(200), nullable=False),
    Column("process_type", String(200), nullable=True),
    Column("import_type", String(200), nullable=True),
    Column("import_use", String(200), nullable=True),
    Column("payment_type", String(200), nullable=True),
    Column("declarant_code", String(200), nullable=True),
    Column("importer_code", String(200), nullable=False),
    Column("seller_code", String(200), nullable=True),
    Column("courier_code", String(200), nullable=True),
    Column("parties", JSON, nullable=False),
    Column("containers", JSON, nullable=False),
    Column("total_value", Float, nullable=False),
    Column("total_duty", Float, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Column("source", String(20), nullable=False),
    Column("import_batch", Uuid, nullable=True),
    Column("lane", String(10), nullable=True),
    Column("score", Float, nullable=True),
    Column("status", String(20), nullable=False, default="open"),
    Column("risk_reasons", JSON, nullable=True),
    Column("model_version", String(80), nullable=True),
    Column("priority", Float, nullable=True),
    # the lane the scorer itself decided (capacity, forced rules), before signals escalated it:
    # where a withdrawn signal lets the lane come back down to (migration 0015)
    Column("model_lane", String(10), nullable=True),
    UniqueConstraint("org_id", "reference", name="uq_declarations_org_reference"),
    Index("ix_declarations_org_date", "org_id", "declared_on", "id"),
    Index("ix_declarations_org_value", "org_id", "total_value", "id"),
    Index("ix_declarations_org_importer", "org_id", "importer_code", "declared_on"),
    Index("ix_declarations_org_office", "org_id", "office_id", "declared_on"),
    Index("ix_declarations_org_received", "org_id", "received_at"),
)

#: The queue's sort key: the risk engine's one ranking (probability, with high expected duty first),
#: the same order the lanes are filled in; unscored declarations (NULL) rank below every scored one.
RISK_KEY = func.coalesce(declarations.c.priority, literal_column("-1.0"))
Index("ix_declarations_org_risk", declarations.c.org_id, RISK_KEY, declarations.c.id)
Index(
    "ix_declarations_org_lane_risk", declarations.c.org_id, declarations.c.lane, RISK_KEY, declarations.c.id
)

declaration_items = Table(
    "declaration_items",
    metadata,
    Column("declaration_id", Uuid, ForeignKey("declarations.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("hs_code", String(6), nullable=False),
    Column("origin_country", String(2), nullable=False),
    Column("departure_country", String(2), nullable=True),
    Column("origin_indicator", String(20), nullable=True),
    Column("net_mass_kg", Float, nullable=False),
    Column("value", Float, nullable=False),
    Column("tax_rate_pct", Float, nullable=False),
    Column("tax_type", String(20), nullable=True),
    Column("duty", Float, nullable=False),
    Column("description", String(200), nullable=True),
    Index("ix_declaration_items_hs", "hs_code", "declaration_id"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("declaration_id", Uuid, ForeignKey("declarations.id"), primary_key=True),
    Column("inspected", Boolean, nullable=False),
    Column("result", String(20), nullable=True),
    Column("duty_recovered", Float, nullable=False),
    Column("notes", Text, nullable=False),
    Column("recorded_at", Timestamp, nullable=False),
    Column("recorded_by", Uuid, nullable=True),
    Index("ix_outcomes_recorded_at", "recorded_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("org_id", Uuid, nullable=True, index=True),
    Column("at", Timestamp, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target_kind", String(40), nullable=True),
    Column("target_id", String(100), nullable=True),
    Column("source", String(100), nullable=True),
    Column("via", String(20), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_org_at", "org_id", "at"),
)

risk_models = Table(
    "risk_models",
    metadata,
    Column("version", String(80), primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("path", String(500), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
)

risk_rule_sets = Table(
    "risk_rule_sets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("yaml", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("rules", JSON, nullable=False, comment="[[rule id, version], ...]"),
    Column("loaded_at", Timestamp, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
)

risk_signals = Table(
    "risk_signals",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("declaration_id", Uuid, ForeignKey("declarations.id"), nullable=False),
    Column("source", String(20), nullable=False, comment="screening, intel or tracking"),
    Column("ref", String(200), nullable=False, comment="what raised it: alert, object or hit id"),
    Column("kind", String(60), nullable=False),
    Column("weight", Float, nullable=False),
    Column("min_lane", String(10), nullable=True),
    Column("reason", Text, nullable=False),
    Column("raised_at", Timestamp, nullable=False),
    UniqueConstraint("declaration_id", "source", "ref", name="uq_risk_signals_declaration_source_ref"),
    Index("ix_risk_signals_org_declaration", "org_id", "declaration_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("org_id", Uuid, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)
