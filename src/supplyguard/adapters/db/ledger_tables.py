"""Tables of the Merkle log (SQLAlchemy Core), all prefixed ``ledger_``.

- ``ledger_leaves``: one row per leaf (index, canonical envelope bytes, leaf hash, and the envelope's
  kind / record id / org / recorded_at for look-ups).
- ``ledger_tiles``: the interior hashes, as tiles 8 levels high. Tile ``(tile_level, tile_index)``
  holds the complete nodes at tree levels ``8 * tile_level`` to ``8 * tile_level + 7`` under one
  256-wide slice: 256 + 128 + ... + 2 = 510 hashes in one 16,320-byte blob (level ``j`` of the tile
  starts at hash ``512 - (512 >> j)``; nodes not complete yet are zero bytes). ``width`` is how
  many of the 256 bottom hashes are filled. Any node of the tree is then one slice of one row, so a
  proof reads O(log n / 8) rows and never rebuilds anything.
- ``ledger_checkpoints``: the signed checkpoints (C2SP signed-note text) by tree size.
- ``ledger_cosignatures``: signature lines other nodes added to a checkpoint (witnesses).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from supplyguard.adapters.db.metadata import metadata

# On SQLite only "INTEGER PRIMARY KEY" is the rowid: the fastest key there is.
RowKey = BigInteger().with_variant(Integer, "sqlite")

ledger_leaves = Table(
    "ledger_leaves",
    metadata,
    Column("idx", RowKey, primary_key=True, autoincrement=False, comment="0-based leaf index"),
    Column("leaf", LargeBinary, nullable=False, comment="RFC 8785 canonical JSON of the leaf envelope"),
    Column("leaf_hash", LargeBinary(32), nullable=False, comment="SHA-256(0x00 || leaf)"),
    Column("kind", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("org", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False, comment="ISO 8601 UTC text, as in the envelope"),
    Index("ix_ledger_leaves_kind_record_id", "kind", "record_id"),
)

ledger_tiles = Table(
    "ledger_tiles",
    metadata,
    Column(
        "tile_key", RowKey, primary_key=True, autoincrement=False, comment="(tile_level << 48) | tile_index"
    ),
    Column("tile_level", SmallInteger, nullable=False),
    Column("tile_index", BigInteger, nullable=False),
    Column("width", SmallInteger, nullable=False, comment="bottom-level hashes filled, 1 to 256"),
    Column("hashes", LargeBinary, nullable=False, comment="510 hashes, levels 0..7 of the tile"),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("tree_size", RowKey, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False, comment="signed note text as the log signed it"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ledger_cosignatures = Table(
    "ledger_cosignatures",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=True),
    Column("tree_size", RowKey, ForeignKey("ledger_checkpoints.tree_size"), nullable=False, index=True),
    Column("key_name", String(200), nullable=False),
    Column("key_id", String(8), nullable=False, comment="hex of the 4-byte key ID"),
    Column("line", Text, nullable=False, comment="the signature line, em dash to newline"),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tree_size", "key_name", "key_id", name="uq_ledger_cosignatures_signer"),
)
