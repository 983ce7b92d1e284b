"""Tables of keyed watch-list exchange (migration ``0018``), all prefixed ``sharing_watch_``.

- ``sharing_watch_entries``: this node's watch list in clear (identifiers it wants to know about);
  never sent anywhere: partners receive only keyed digests of it.
- ``sharing_watch_published``: the latest signed keyed list this node published for each partner
  under each agreement (digests only), served to that partner on its signed request.
- ``sharing_watch_received``: the latest signed keyed list each partner published for us, as
  received (kept so the match can be re-checked against its signature).
- ``sharing_watch_matches``: our local records whose keyed digest a partner's list also holds,
  with the disclosure request each hit opened (or why none could be opened).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint, Uuid

from supplyguard.adapters.db.metadata import metadata

Timestamp = DateTime(timezone=True)

sharing_watch_entries = Table(
    "sharing_watch_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "kind", String(20), nullable=False, comment="identifier kind: container, imo, eori, party_name..."
    ),
    Column("value", String(300), nullable=False, comment="the identifier as entered"),
    Column("canonical", String(300), nullable=False, comment="its canonical form (what is keyed)"),
    Column("country", String(2), nullable=True, comment="issuing country, for tax ids"),
    Column("reference", String(200), nullable=False, comment="local case or file it comes from"),
    Column("added_by", String(100), nullable=False),
    Column("added_at", Timestamp, nullable=False),
    UniqueConstraint("kind", "canonical", name="uq_sharing_watch_entries_identifier"),
)

sharing_watch_published = Table(
    "sharing_watch_published",
    metadata,
    Column("agreement_id", String(200), primary_key=True),
    Column("recipient", String(100), primary_key=True, comment="the partner node it is keyed for"),
    Column("key_id", String(32), nullable=False, comment="fingerprint of the agreement key"),
    Column("digest_count", Integer, nullable=False),
    Column("list_sha256", String(64), nullable=False, comment="SHA-256 of the sorted digests"),
    Column("envelope", Text, nullable=False, comment="the signed keyed list as JSON (digests only)"),
    Column("published_by", String(100), nullable=False),
    Column("published_at", Timestamp, nullable=False),
)

sharing_watch_received = Table(
    "sharing_watch_received",
    metadata,
    Column("partner_node", String(100), primary_key=True),
    Column("agreement_id", String(200), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("digest_count", Integer, nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("envelope", Text, nullable=False, comment="the partner's signed keyed list as received"),
    Column("published_at", Timestamp, nullable=False, comment="when the partner signed it"),
    Column("fetched_at", Timestamp, nullable=False),
)

sharing_watch_matches = Table(
    "sharing_watch_matches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("partner_node", String(100), nullable=False),
    Column("agreement_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("digest", String(64), nullable=False, comment="the keyed digest both sides hold"),
    Column("local_ref", String(300), nullable=False, comment="our record it hit (never sent)"),
    Column("org_id", Uuid, nullable=True, comment="organisation of the declaration hit; null: watch list"),
    Column("reason", Text, nullable=False, comment="the hit, in words"),
    Column("disclosure_id", Uuid, nullable=True, comment="the disclosure request the hit opened"),
    Column("note", Text, nullable=True, comment="why no request could be opened"),
    Column("found_at", Timestamp, nullable=False),
    UniqueConstraint(
        "partner_node", "agreement_id", "digest", "local_ref", name="uq_sharing_watch_matches_hit"
    ),
    Index("ix_sharing_watch_matches_found_at", "found_at"),
)
