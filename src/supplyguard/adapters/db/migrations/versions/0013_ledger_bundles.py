"""ledger: leaf bytes in entry bundles of 256 (C2SP tlog-tiles), a narrow record look-up; no per-leaf
hash column (the bottom level of the hash tiles holds the leaf hashes)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:10:00
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BUNDLE_WIDTH = 256
_ROW_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_leaves = sa.table(
    "ledger_leaves",
    sa.column("idx", sa.BigInteger),
    sa.column("leaf", sa.LargeBinary),
    sa.column("leaf_hash", sa.LargeBinary),
    sa.column("kind", sa.String),
    sa.column("record_id", sa.String),
    sa.column("org", sa.String),
    sa.column("recorded_at", sa.String),
)
_bundles = sa.table(
    "ledger_bundles",
    sa.column("bundle_index", sa.BigInteger),
    sa.column("width", sa.SmallInteger),
    sa.column("entries", sa.LargeBinary),
)
_records = sa.table(
    "ledger_records",
    sa.column("kind", sa.String),
    sa.column("record_id", sa.String),
    sa.column("idx", sa.BigInteger),
)


def _pack(leaves: list[bytes]) -> bytes:
    return b"".join(len(leaf).to_bytes(2, "big") + leaf for leaf in leaves)


def _unpack(entries: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(entries):
        length = int.from_bytes(entries[at : at + 2], "big")
        out.append(entries[at + 2 : at + 2 + length])
        at += 2 + length
    return out


def _create_leaves_table() -> None:
    op.create_table(
        "ledger_leaves",
        sa.Column("idx", _ROW_KEY, autoincrement=False, nullable=False, comment="0-based leaf index"),
        sa.Column(
            "leaf", sa.LargeBinary(), nullable=False, comment="RFC 8785 canonical JSON of the leaf envelope"
        ),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False, comment="SHA-256(0x00 || leaf)"),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column(
            "recorded_at",
            sa.String(length=40),
            nullable=False,
            comment="ISO 8601 UTC text, as in the envelope",
        ),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_leaves")),
    )
    op.create_index("ix_ledger_leaves_kind_record_id", "ledger_leaves", ["kind", "record_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "ledger_bundles",
        sa.Column(
            "bundle_index", _ROW_KEY, autoincrement=False, nullable=False, comment="leaves 256*i to 256*i+255"
        ),
        sa.Column("width", sa.SmallInteger(), nullable=False, comment="leaves in the bundle, 1 to 256"),
        sa.Column(
            "entries",
            sa.LargeBinary(),
            nullable=False,
            comment="each leaf as a big-endian uint16 length and its bytes",
        ),
        sa.PrimaryKeyConstraint("bundle_index", name=op.f("pk_ledger_bundles")),
    )
    op.create_table(
        "ledger_records",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False, comment="0-based leaf index"),
        sa.PrimaryKeyConstraint("kind", "record_id", "idx", name=op.f("pk_ledger_records")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # No pglz compression of bundles and tiles on every rewrite (see ledger_tables.py).
        op.execute("ALTER TABLE ledger_bundles ALTER COLUMN entries SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE ledger_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL")
    # Move the leaves bundle by bundle (flat memory); a gap in the old rows is damage: refuse it.
    start = 0
    while True:
        rows = conn.execute(
            sa.select(_leaves.c.idx, _leaves.c.leaf, _leaves.c.kind, _leaves.c.record_id)
            .where(_leaves.c.idx >= start)
            .order_by(_leaves.c.idx)
            .limit(BUNDLE_WIDTH * 40)
        ).all()
        if not rows:
            break
        for offset, row in enumerate(rows):
            if int(row.idx) != start + offset:
                raise RuntimeError(
                    f"ledger_leaves has no leaf {start + offset}: the log is damaged; "
                    "run `supplyguard ledger verify` and repair it before migrating"
                )
        for at in range(0, len(rows), BUNDLE_WIDTH):
            chunk = rows[at : at + BUNDLE_WIDTH]
            conn.execute(
                sa.insert(_bundles).values(
                    bundle_index=(start + at) // BUNDLE_WIDTH,
                    width=len(chunk),
                    entries=_pack([bytes(row.leaf) for row in chunk]),
                )
            )
        conn.execute(
            sa.insert(_records), [{"kind": r.kind, "record_id": r.record_id, "idx": r.idx} for r in rows]
        )
        start += len(rows)
        if len(rows) % BUNDLE_WIDTH:
            break
    with op.batch_alter_table("ledger_leaves", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_leaves_kind_record_id")
    op.drop_table("ledger_leaves")


def downgrade() -> None:
    _create_leaves_table()
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_tiles ALTER COLUMN hashes SET STORAGE EXTENDED")
    last = -1
    while True:
        bundles = conn.execute(
            sa.select(_bundles.c.bundle_index, _bundles.c.entries)
            .where(_bundles.c.bundle_index > last)
            .order_by(_bundles.c.bundle_index)
            .limit(40)
        ).all()
        if not bundles:
            break
        rows = []
        for bundle in bundles:
            for offset, leaf in enumerate(_unpack(bytes(bundle.entries))):
                envelope = json.loads(leaf)
                rows.append(
                    {
                        "idx": int(bundle.bundle_index) * BUNDLE_WIDTH + offset,
                        "leaf": leaf,
                        "leaf_hash": hashlib.sha256(b"\x00" + leaf).digest(),
                        "kind": envelope["kind"],
                        "record_id": envelope["id"],
                        "org": envelope["org"],
                        "recorded_at": envelope["recorded_at"],
                    }
                )
        conn.execute(sa.insert(_leaves), rows)
        last = int(bundles[-1].bundle_index)
    op.drop_table("ledger_records")
    op.drop_table("ledger_bundles")
