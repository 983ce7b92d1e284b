"""Tables of the Merkle log (SQLAlchemy Core), all prefixed ``ledger_``.

- ``ledger_bundles``: the leaf bytes, 256 leaves per row as in C2SP tlog-tiles entry bundles: bundle
  ``b`` holds leaves ``256 * b`` to ``256 * b + width - 1``, each as a big-endian uint16 length and
  the leaf's canonical envelope bytes. Only the last bundle is partial; it is rewritten as it fills.
  Leaf hashes are not stored here: they are the bottom level of the hash tiles.
- ``ledger_records``: the look-up (kind, record id) -> leaf index, narrow and clustered on its key
  (WITHOUT ROWID on SQLite, a btree primary key on PostgreSQL); record ids are UUIDv7 for most kinds,
  so inserts land at the right edge. The leaf's org and recorded_at are read from the leaf itself.
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
    DDL,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from supplyguard.adapters.db.metadata import metadata

# On SQLite only "INTEGER PRIMARY KEY" is the rowid: the fastest key there is.
RowKey = BigInteger().with_variant(Integer, "sqlite")

ledger_bundles = Table(
    "ledger_bundles",
    metadata,
    Column(
        "bundle_index", RowKey, primary_key=True, autoincrement=False, comment="leaves 256*i to 256*i+255"
    ),
    Column("width", SmallInteger, nullable=False, comment="leaves in the bundle, 1 to 256"),
    Column(
        "entries",
        LargeBinary,
        nullable=False,
        comment="each leaf as a big-endian uint16 length and its bytes",
    ),
)

ledger_records = Table(
    "ledger_records",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False, comment="0-based leaf index"),
    sqlite_with_rowid=False,
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

# PostgreSQL would try to compress every bundle (about 60 kB of hex and UUIDs) and tile (random
# hashes) with pglz on each rewrite; stored out of line uncompressed, appends run about a third faster.
for _table, _column in ((ledger_bundles, "entries"), (ledger_tiles, "hashes")):
    _external = DDL(f"ALTER TABLE {_table.name} ALTER COLUMN {_column} SET STORAGE EXTERNAL")  # type: ignore[no-untyped-call]
    event.listen(_table, "after_create", _external.execute_if(dialect="postgresql"))
