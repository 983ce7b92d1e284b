"""Tables of intelligence sharing (SQLAlchemy Core), all prefixed ``sharing_``.

- ``sharing_partners``: partner nodes, their pinned Ed25519 key, the local user account a partner
  authenticates as, and sync state (last log position pulled, failures).
- ``sharing_agreements``: agreement YAML files as registered (text and its SHA-256 version).
- ``sharing_objects``: every signed version this node holds (its own and received), in log order:
  ``position`` is a per-node, strictly increasing integer allocated under the writer lock, so a
  cursor "after position P" never misses a row committed later.
- ``sharing_deliveries``: what each partner receives of each version (the compiled, possibly
  redacted, still-signed copy), keyed by partner and the version's log position.
- ``sharing_tombstones``: signed deletions by authors.
- ``sharing_rejections``: objects refused at ingress, with the failed check (the "reported" part).
- ``sharing_feedback``: outcomes reported on shared items (inspected, seized, ...).
- ``sharing_witnessed``: partners' ledger checkpoints we checked for consistency and cosigned.
- ``sharing_intel_keys``: identifiers and name keys of received intelligence usable for risk targeting
  (the index intake matches new declarations against).
- ``sharing_declaration_keys``: the container numbers and party-name keys of declarations awaiting
  their outcome: written at intake, removed when the outcome is recorded (the index received
  intelligence is matched against, instead of a scan of every open declaration).
- ``sharing_disclosures``: disclosure requests after keyed watch-list hits, asked or answered here.
- ``sharing_request_nonces``: nonces of signed partner requests, kept for the clock-skew window so a
  replayed request is refused (in the database: survives restarts, shared by every worker).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from supplyguard.adapters.db.metadata import metadata

Timestamp = DateTime(timezone=True)
Position = BigInteger().with_variant(Integer, "sqlite")

sharing_partners = Table(
    "sharing_partners",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("node_id", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=True),
    Column("base_url", String(500), nullable=True),
    Column("public_key", LargeBinary(32), nullable=False, comment="raw Ed25519 public key"),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("author_ref", String(100), nullable=False, comment="the partner's STIX identity id"),
    Column("user_id", Uuid, nullable=True, unique=True, comment="local user the partner authenticates as"),
    Column("ledger_vkey", String(300), nullable=True, comment="its ledger's signed-note verifier key"),
    Column("status", String(20), nullable=False),
    Column("last_sync_position", Position, nullable=False, default=0),
    Column("last_sync_at", Timestamp, nullable=True),
    Column("last_sync_error", Text, nullable=True),
    Column("verification_failures", Integer, nullable=False, default=0),
    Column("last_failure", Text, nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

sharing_agreements = Table(
    "sharing_agreements",
    metadata,
    Column("agreement_id", String(200), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("version", String(64), nullable=False, comment="SHA-256 of the YAML text"),
    Column("registered_at", Timestamp, nullable=False),
)

sharing_objects = Table(
    "sharing_objects",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("stix_id", String(200), nullable=False),
    Column("stix_type", String(100), nullable=False),
    Column("version", String(40), nullable=False, comment="the object's modified timestamp"),
    Column("author_ref", String(100), nullable=False),
    Column("author_node", String(100), nullable=False),
    Column("content_hash", String(64), nullable=False, comment="SHA-256 of the signed header"),
    Column("tlp", String(20), nullable=True),
    Column("wire", Text, nullable=False, comment="signed STIX object as JSON"),
    Column("received_from", String(100), nullable=True, comment="null: published by this node"),
    Column("agreement_id", String(200), nullable=True),
    Column("current", Boolean, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("stored_at", Timestamp, nullable=False),
    UniqueConstraint("stix_id", "content_hash", name="uq_sharing_objects_version"),
    Index("ix_sharing_objects_stix_id", "stix_id", "position"),
)

sharing_deliveries = Table(
    "sharing_deliveries",
    metadata,
    Column("partner_node", String(100), primary_key=True),
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("stix_id", String(200), nullable=False),
    Column("stix_type", String(100), nullable=False),
    Column("version", String(40), nullable=False),
    Column("agreement_id", String(200), nullable=False),
    Column("outcome", String(20), nullable=False, comment="whole or redacted"),
    Column("removed_fields", Text, nullable=False, comment="JSON list of withheld field paths"),
    Column("wire", Text, nullable=False, comment="what the partner receives, still author-signed"),
    Column("current", Boolean, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_sharing_deliveries_object", "partner_node", "stix_id"),
)

sharing_tombstones = Table(
    "sharing_tombstones",
    metadata,
    Column("stix_id", String(200), primary_key=True),
    Column("author_ref", String(100), nullable=False),
    Column("deleted_at", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("wire", Text, nullable=False, comment="the signed tombstone as JSON"),
    Column("recorded_at", Timestamp, nullable=False),
)

sharing_rejections = Table(
    "sharing_rejections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("partner_node", String(100), nullable=False, index=True),
    Column("stix_id", String(200), nullable=False),
    Column("check_name", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("rejected_at", Timestamp, nullable=False),
)

sharing_feedback = Table(
    "sharing_feedback",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("stix_id", String(200), nullable=False, index=True),
    Column("from_node", String(100), nullable=False),
    Column("to_node", String(100), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("notes", Text, nullable=False),
    Column("note_id", String(200), nullable=True, comment="the signed STIX note that carried it"),
    Column("recorded_at", Timestamp, nullable=False),
    UniqueConstraint("stix_id", "from_node", "note_id", name="uq_sharing_feedback_note"),
)

sharing_witnessed = Table(
    "sharing_witnessed",
    metadata,
    Column("partner_node", String(100), primary_key=True),
    Column("tree_size", Position, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False, comment="the partner's checkpoint with our cosignature added"),
    Column("witnessed_at", Timestamp, nullable=False),
)

sharing_request_nonces = Table(
    "sharing_request_nonces",
    metadata,
    Column("partner_node", String(100), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("created_at", Timestamp, nullable=False, comment="the signature's created time"),
    Index("ix_sharing_request_nonces_created_at", "created_at"),
)

sharing_intel_keys = Table(
    "sharing_intel_keys",
    metadata,
    Column("stix_id", String(200), primary_key=True),
    Column(
        "kind", String(20), primary_key=True, comment="identifier kind: container, imo, eori, party-name..."
    ),
    Column("value", String(300), primary_key=True, comment="canonical identifier or normalised name key"),
    Column("found_in", String(200), nullable=False),
    Column("object_kind", String(40), nullable=False, comment="seizure, suspect shipment, suspect party..."),
    Column("author_node", String(100), nullable=False),
    Column("position", Position, nullable=False, comment="the version the keys were taken from"),
    Index("ix_sharing_intel_keys_value", "value", "kind"),
)

sharing_declaration_keys = Table(
    "sharing_declaration_keys",
    metadata,
    Column("kind", String(20), primary_key=True, comment="identifier kind: container or party_name"),
    Column("value", String(300), primary_key=True, comment="canonical container number or name key"),
    Column("declaration_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
)

sharing_disclosures = Table(
    "sharing_disclosures",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("direction", String(10), nullable=False, comment="outgoing: we asked; incoming: we own"),
    Column("partner_node", String(100), nullable=False, index=True),
    Column("agreement_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False, comment="identifier kind of the keyed watch-list hit"),
    Column("digest", String(64), nullable=False, comment="the keyed digest both lists hold"),
    Column("reason", Text, nullable=False, comment="why disclosure is asked"),
    Column("request_note", String(200), nullable=False, unique=True, comment="the signed request note"),
    Column("status", String(10), nullable=False, comment="open, approved or refused"),
    Column("answer", Text, nullable=True, comment="what the owner disclosed, or why it refused"),
    Column("answer_note", String(200), nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", Timestamp, nullable=True),
    Column("created_at", Timestamp, nullable=False),
)
