"""Tables of resilience planning (SQLAlchemy Core), all prefixed ``resilience_``.

- ``resilience_networks``: every version of every supply network an organisation stored. The
  ``document`` is the network as parsed from YAML (CSV tables merged in); a version is identified by
  the SHA-256 of its canonical JSON, so storing the same content again gives the same version.
- ``resilience_results``: computed views of a network version (analysis, Monte Carlo, stockpile,
  passage reroute) keyed by kind and the hash of their parameters, so pages do not recompute.
- ``resilience_drills``: a drill run on a network version: the drill document, who started it, when,
  how far the facilitator advanced it, and (once scored) the optimal plan's key actions.
- ``resilience_drill_decisions``: what each participant decided, and at which drill minute.
- ``resilience_drill_scores``: each participant's score: their training record.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from supplyguard.adapters.db.metadata import metadata

Timestamp = DateTime(timezone=True)

resilience_networks = Table(
    "resilience_networks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False, comment="1, 2, ... per organisation and name"),
    Column("content_sha256", String(64), nullable=False, comment="SHA-256 of the canonical JSON document"),
    Column("document", JSON, nullable=False, comment="the network as parsed (CSV tables merged)"),
    Column("risks", JSON, nullable=True, comment="Monte Carlo risk profiles by site or asset id"),
    Column("summary", JSON, nullable=False, comment="counts of sites, lanes, products, ..."),
    Column("created_at", Timestamp, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("org_id", "name", "version", name="uq_resilience_networks_org_name_version"),
    Index("ix_resilience_networks_org_hash", "org_id", "content_sha256"),
)

resilience_results = Table(
    "resilience_results",
    metadata,
    Column("network_id", Uuid, ForeignKey("resilience_networks.id"), primary_key=True),
    Column("kind", String(40), primary_key=True, comment="analysis | simulation | stockpile | reroute"),
    Column("params_sha256", String(64), primary_key=True),
    Column("params", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("computed_at", Timestamp, nullable=False),
)

resilience_drills = Table(
    "resilience_drills",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("network_id", Uuid, ForeignKey("resilience_networks.id"), nullable=False),
    Column("drill_key", String(200), nullable=False, comment="the drill document's own id"),
    Column("title", Text, nullable=False),
    Column("document", JSON, nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("offset_minutes", Float, nullable=False, comment="minutes the facilitator skipped ahead"),
    Column("status", String(20), nullable=False, comment="running | scored"),
    Column("scored_at", Timestamp, nullable=True),
    Column("key_actions", JSON, nullable=True, comment="the optimal plan's actions, with reasons"),
)

resilience_drill_decisions = Table(
    "resilience_drill_decisions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("drill_id", Uuid, ForeignKey("resilience_drills.id"), nullable=False, index=True),
    Column("user_id", Uuid, nullable=False),
    Column("username", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=False),
    Column("at_minute", Float, nullable=False),
    Column("recorded_at", Timestamp, nullable=False),
)

resilience_drill_scores = Table(
    "resilience_drill_scores",
    metadata,
    Column("drill_id", Uuid, ForeignKey("resilience_drills.id"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("username", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("detail", JSON, nullable=False, comment="matched, missed, extra actions and reasons"),
    Column("scored_at", Timestamp, nullable=False),
    Index("ix_resilience_drill_scores_user", "user_id", "scored_at"),
)
