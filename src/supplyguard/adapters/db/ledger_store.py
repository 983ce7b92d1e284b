"""The Merkle log in the node's database: leaves, interior-hash tiles, checkpoints, cosignatures.

:class:`LedgerStore` works on the caller's SQLAlchemy :class:`~sqlalchemy.Connection`, inside the
caller's transaction: appends commit or roll back with the rows they prove. Hot paths (append,
proofs) use the driver's cursor directly with ``executemany``; everything else is SQLAlchemy Core.
Memory is flat in the tree size: an append touches the right-edge tiles only, a proof reads the
few tiles holding its nodes. Tile layout: see :mod:`supplyguard.adapters.db.ledger_tables`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_

from supplyguard.adapters.db.ledger_tables import (
    ledger_checkpoints,
    ledger_cosignatures,
    ledger_leaves,
)
from supplyguard.errors import InvalidInput, LedgerError, ProofRequestInvalid, VerificationFailed
from supplyguard.ledger import (
    Checkpoint,
    ConsistencyBundle,
    Ed25519Signer,
    Frontier,
    InclusionBundle,
    LeafEnvelope,
    Node,
    NoteSignature,
    check_index,
    check_sizes,
    consistency_proof,
    inclusion_proof,
    parse_note,
    sign_checkpoint,
    tree_root,
)
from supplyguard.ledger.envelope import leaves_of
from supplyguard.ledger.tree import grow
from supplyguard.model.clock import as_utc

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASHES_PER_TILE = 2 * TILE_WIDTH - 2
TILE_BYTES = HASHES_PER_TILE * 32
_LEVEL_OFFSET = [(2 * TILE_WIDTH - (2 * TILE_WIDTH >> j)) * 32 for j in range(TILE_HEIGHT)]
_ADVISORY_LOCK = 0x5347_4C45_4447  # "SGLEDG": serialises appends on PostgreSQL
_EMPTY_TILE = bytes(TILE_BYTES)
_ENVELOPE_FIELDS = attrgetter("kind", "id", "org", "recorded_at")


def tile_key(tile_level: int, tile_index: int) -> int:
    return (tile_level << 48) | tile_index


def _node_place(level: int, index: int) -> tuple[int, int]:
    """``(tile key, byte offset)`` of node ``(level, index)``."""
    tile_level, j = divmod(level, TILE_HEIGHT)
    shift = TILE_HEIGHT - j
    tile_index = index >> shift
    return tile_key(tile_level, tile_index), _LEVEL_OFFSET[j] + (index - (tile_index << shift)) * 32


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """One leaf row: its index, bytes and hash, and the envelope fields kept for look-ups."""

    index: int
    leaf: bytes
    leaf_hash: bytes
    kind: str
    record_id: str
    org: str
    recorded_at: str

    @property
    def envelope(self) -> LeafEnvelope:
        return LeafEnvelope.from_bytes(self.leaf)


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint; ``note`` carries the log's signature and every cosignature added since."""

    tree_size: int
    root_hash: bytes
    note: str
    created_at: datetime

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint.parse_body(parse_note(self.note).text)


class _TileReader:
    """A :class:`~supplyguard.ledger.HashReader` over ``ledger_tiles``: one query per batch of nodes."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store

    def node_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        places = [_node_place(level, index) for level, index in nodes]
        blobs = self._store._tiles({key for key, _ in places})
        try:
            out = [blobs[key][offset : offset + 32] for key, offset in places]
        except KeyError as exc:
            raise LedgerError(f"ledger tile {exc} is missing: the log's storage is damaged") from exc
        return out


class LedgerStore:
    """The log on one connection; the caller owns the transaction (``with uow: ...; uow.commit()``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"
        self._reader = _TileReader(self)

    # --- driver-level access --------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._postgres else statement

    def _cursor(self) -> Any:
        if not self._conn.in_transaction():
            self._conn.begin()
        return self._conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _tiles(self, keys: set[int]) -> dict[int, bytes]:
        if not keys:
            return {}
        cursor = self._cursor()
        marks = ",".join("?" * len(keys))
        cursor.execute(
            self._sql(f"SELECT tile_key, hashes FROM ledger_tiles WHERE tile_key IN ({marks})"), tuple(keys)
        )
        return {key: bytes(blob) for key, blob in cursor.fetchall()}

    # --- size, root, proofs ---------------------------------------------------------------------

    def size(self) -> int:
        """Number of leaves in the log."""
        cursor = self._cursor()
        cursor.execute("SELECT max(idx) FROM ledger_leaves")
        (last,) = cursor.fetchone()
        return 0 if last is None else int(last) + 1

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree of the first ``size`` leaves (default: all of them)."""
        current = self.size()
        size = current if size is None else size
        if size < 0 or size > current:
            raise ProofRequestInvalid(f"tree size {size} is not between 0 and the current size {current}")
        return tree_root(self._reader, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` (default: current)."""
        current = self.size()
        size = current if size is None else size
        check_index(index, size, current)
        return inclusion_proof(self._reader, index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``new_size`` (default: current)."""
        current = self.size()
        new_size = current if new_size is None else new_size
        check_sizes(old_size, new_size, current)
        return consistency_proof(self._reader, old_size, new_size)

    # --- appending ------------------------------------------------------------------------------

    def append_many(self, envelopes: Sequence[LeafEnvelope]) -> list[int]:
        """Append leaves in the caller's transaction; return their indexes.

        Writes the leaf rows and every interior hash they complete (right-edge tiles rewritten).
        """
        if not envelopes:
            return []
        # One pass in C per column: the four look-up fields, then their lengths (the column limits).
        fields = list(map(_ENVELOPE_FIELDS, envelopes))
        kinds, ids, orgs, times = zip(*fields, strict=True)
        if (
            max(map(len, kinds)) > 64
            or max(map(len, ids)) > 128
            or max(map(len, orgs)) > 64
            or max(map(len, times)) > 40
        ):
            raise InvalidInput("a ledger envelope field is too long (kind/org 64, id 128, recorded_at 40)")
        cursor = self._cursor()
        if self._postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
        size = self.size()
        leaves = leaves_of(envelopes)
        sha = hashlib.sha256
        hashes = [sha(b"\x00" + leaf).digest() for leaf in leaves]
        new_size = size + len(leaves)

        # The right-edge tiles that are partly filled, as mutable buffers.
        tiles: dict[int, bytearray] = {}
        edge_keys = {
            tile_key(tl, (size >> (TILE_HEIGHT * tl)) >> TILE_HEIGHT)
            for tl in range((size.bit_length() + TILE_HEIGHT - 1) // TILE_HEIGHT)
            if (size >> (TILE_HEIGHT * tl)) & (TILE_WIDTH - 1)
        }
        for key, blob in self._tiles(edge_keys).items():
            tiles[key] = bytearray(blob)
        edge: dict[int, bytes] = {}
        for level, index in Frontier.edge_nodes(size):
            key, offset = _node_place(level, index)
            if key not in tiles:
                raise LedgerError(
                    f"ledger tile {key} on the right edge is missing: the log's storage is damaged"
                )
            edge[level] = bytes(tiles[key][offset : offset + 32])

        for run in grow(size, edge, hashes):
            tile_level, j = divmod(run.level, TILE_HEIGHT)
            shift = TILE_HEIGHT - j
            index, done, count = run.first, 0, len(run.hashes)
            while done < count:
                tile_index = index >> shift
                take = min(count - done, ((tile_index + 1) << shift) - index)
                key = tile_key(tile_level, tile_index)
                buffer = tiles.get(key)
                if buffer is None:
                    buffer = tiles[key] = bytearray(_EMPTY_TILE)
                offset = _LEVEL_OFFSET[j] + (index - (tile_index << shift)) * 32
                buffer[offset : offset + take * 32] = b"".join(run.hashes[done : done + take])
                done += take
                index += take

        rows = list(zip(range(size, new_size), leaves, hashes, kinds, ids, orgs, times, strict=True))
        columns = "ledger_leaves (idx, leaf, leaf_hash, kind, record_id, org, recorded_at)"
        if self._postgres and len(rows) > 1:
            # COPY is several times faster than INSERT on PostgreSQL, and just as transactional.
            with cursor.copy(f"COPY {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(self._sql(f"INSERT INTO {columns} VALUES (?, ?, ?, ?, ?, ?, ?)"), rows)
        tile_rows = []
        for key, buffer in tiles.items():
            tile_level, tile_index = key >> 48, key & ((1 << 48) - 1)
            width = min(TILE_WIDTH, (new_size >> (TILE_HEIGHT * tile_level)) - (tile_index << TILE_HEIGHT))
            tile_rows.append((key, tile_level, tile_index, width, bytes(buffer)))
        cursor.executemany(
            self._sql(
                "INSERT INTO ledger_tiles (tile_key, tile_level, tile_index, width, hashes) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tile_key) DO UPDATE "
                "SET width = excluded.width, hashes = excluded.hashes"
            ),
            tile_rows,
        )
        return list(range(size, new_size))

    def append(self, envelope: LeafEnvelope) -> int:
        """Append one leaf; prefer :meth:`append_many` for batches."""
        return self.append_many([envelope])[0]

    # --- leaves ---------------------------------------------------------------------------------

    _LEAF_COLUMNS = (
        ledger_leaves.c.idx,
        ledger_leaves.c.leaf,
        ledger_leaves.c.leaf_hash,
        ledger_leaves.c.kind,
        ledger_leaves.c.record_id,
        ledger_leaves.c.org,
        ledger_leaves.c.recorded_at,
    )

    @staticmethod
    def _leaf(row: Any) -> StoredLeaf:
        return StoredLeaf(int(row[0]), bytes(row[1]), bytes(row[2]), row[3], row[4], row[5], row[6])

    def leaf(self, index: int) -> StoredLeaf:
        """The leaf at ``index``; :class:`ProofRequestInvalid` if there is none."""
        row = self._conn.execute(select(*self._LEAF_COLUMNS).where(ledger_leaves.c.idx == index)).first()
        if row is None:
            size = self.size()
            if 0 <= index < size:
                raise LedgerError(f"leaf {index} is missing from storage: the log's storage is damaged")
            raise ProofRequestInvalid(f"leaf index {index} is not below tree size {size}")
        return self._leaf(row)

    def leaves(self, start: int, end: int) -> list[StoredLeaf]:
        """Leaves ``[start, end)`` in index order (rows missing from storage are simply absent)."""
        if start < 0 or end < start:
            raise ProofRequestInvalid(f"leaf range [{start}, {end}) is not a valid range")
        query = (
            select(*self._LEAF_COLUMNS)
            .where(ledger_leaves.c.idx >= start, ledger_leaves.c.idx < end)
            .order_by(ledger_leaves.c.idx)
        )
        return [self._leaf(row) for row in self._conn.execute(query)]

    def iter_leaves(
        self, start: int = 0, end: int | None = None, batch_size: int = 10_000
    ) -> Iterator[StoredLeaf]:
        """Every leaf in ``[start, end)`` in index order, fetched in batches (flat memory)."""
        end = self.size() if end is None else end
        while start < end:
            batch = self.leaves(start, min(end, start + batch_size))
            yield from batch
            start += batch_size

    def find_by_record(self, kind: str, record_id: object) -> list[StoredLeaf]:
        """Every leaf about record ``record_id`` of ``kind``, oldest first."""
        query = (
            select(*self._LEAF_COLUMNS)
            .where(ledger_leaves.c.kind == kind, ledger_leaves.c.record_id == str(record_id))
            .order_by(ledger_leaves.c.idx)
        )
        return [self._leaf(row) for row in self._conn.execute(query)]

    def find_in_kinds(self, kinds: Sequence[str], record_id: object) -> list[StoredLeaf]:
        """Every leaf about ``record_id`` under any of ``kinds`` (index look-ups), oldest first."""
        query = (
            select(*self._LEAF_COLUMNS)
            .where(ledger_leaves.c.kind.in_(list(kinds)), ledger_leaves.c.record_id == str(record_id))
            .order_by(ledger_leaves.c.idx)
        )
        return [self._leaf(row) for row in self._conn.execute(query)]

    def iter_kind(self, kind: str, batch_size: int = 10_000) -> Iterator[StoredLeaf]:
        """Every leaf of ``kind`` ordered by (record id, index), batch by batch (flat memory)."""
        last: tuple[str, int] | None = None
        while True:
            query = select(*self._LEAF_COLUMNS).where(ledger_leaves.c.kind == kind)
            if last is not None:
                query = query.where(tuple_(ledger_leaves.c.record_id, ledger_leaves.c.idx) > tuple_(*last))
            rows = list(
                self._conn.execute(
                    query.order_by(ledger_leaves.c.record_id, ledger_leaves.c.idx).limit(batch_size)
                )
            )
            if not rows:
                return
            for row in rows:
                yield self._leaf(row)
            last = (rows[-1].record_id, int(rows[-1].idx))

    # --- checkpoints ----------------------------------------------------------------------------

    def save_checkpoint(self, note_text: str, created_at: datetime) -> StoredCheckpoint:
        """Store a signed checkpoint of this log, after checking its root against the tree."""
        checkpoint = Checkpoint.parse_body(parse_note(note_text).text)
        if checkpoint.size == 0 or checkpoint.size > self.size():
            raise ProofRequestInvalid(
                f"checkpoint size {checkpoint.size} is not within the log (size {self.size()})"
            )
        if checkpoint.root_hash != self.root(checkpoint.size):
            raise VerificationFailed(
                f"checkpoint root at size {checkpoint.size} does not match the stored tree"
            )
        existing = self.checkpoint_at(checkpoint.size)
        if existing is not None:
            return existing
        self._conn.execute(
            insert(ledger_checkpoints).values(
                tree_size=checkpoint.size,
                root_hash=checkpoint.root_hash,
                note=note_text,
                created_at=created_at,
            )
        )
        return StoredCheckpoint(checkpoint.size, checkpoint.root_hash, note_text, created_at)

    def sign_checkpoint(
        self, signer: Ed25519Signer, created_at: datetime, *, origin: str | None = None
    ) -> StoredCheckpoint:
        """Sign and store the checkpoint at the current size (or return the one already signed there).

        ``origin`` defaults to the signer's key name, as c2sp.org/tlog-checkpoint recommends.
        """
        size = self.size()
        if size == 0:
            raise ProofRequestInvalid("the log is empty: there is nothing to sign")
        existing = self.checkpoint_at(size)
        if existing is not None:
            return existing
        checkpoint = Checkpoint(origin or signer.name, size, self.root(size))
        return self.save_checkpoint(sign_checkpoint(checkpoint, signer), created_at)

    def _with_cosignatures(self, row: Any) -> StoredCheckpoint:
        lines = self._conn.execute(
            select(ledger_cosignatures.c.line)
            .where(ledger_cosignatures.c.tree_size == row.tree_size)
            .order_by(ledger_cosignatures.c.id)
        ).scalars()
        note = row.note + "".join(lines)
        return StoredCheckpoint(int(row.tree_size), bytes(row.root_hash), note, as_utc(row.created_at))

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint signed at exactly ``size``, with its cosignatures, if any."""
        row = self._conn.execute(
            select(ledger_checkpoints).where(ledger_checkpoints.c.tree_size == size)
        ).first()
        return None if row is None else self._with_cosignatures(row)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self._conn.execute(
            select(ledger_checkpoints).order_by(ledger_checkpoints.c.tree_size.desc()).limit(1)
        ).first()
        return None if row is None else self._with_cosignatures(row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint, oldest first (without cosignatures)."""
        rows = self._conn.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.tree_size))
        return [
            StoredCheckpoint(int(r.tree_size), bytes(r.root_hash), r.note, as_utc(r.created_at)) for r in rows
        ]

    def add_cosignature(self, size: int, signature: NoteSignature, added_at: datetime) -> StoredCheckpoint:
        """Attach a signature line (already verified by the caller) to the checkpoint at ``size``.

        A second line by the same key (name and ID) replaces the first.
        """
        if self.checkpoint_at(size) is None:
            raise ProofRequestInvalid(f"no checkpoint was signed at tree size {size}")
        where = (
            (ledger_cosignatures.c.tree_size == size)
            & (ledger_cosignatures.c.key_name == signature.key_name)
            & (ledger_cosignatures.c.key_id == signature.key_id_hex)
        )
        self._conn.execute(delete(ledger_cosignatures).where(where))
        self._conn.execute(
            insert(ledger_cosignatures).values(
                tree_size=size,
                key_name=signature.key_name,
                key_id=signature.key_id_hex,
                line=signature.line(),
                added_at=added_at,
            )
        )
        stored = self.checkpoint_at(size)
        assert stored is not None
        return stored

    # --- bundles --------------------------------------------------------------------------------

    def inclusion_bundle(self, index: int, size: int | None = None) -> InclusionBundle:
        """Inclusion proof of leaf ``index`` against the checkpoint signed at ``size``
        (default: the latest checkpoint)."""
        stored = self.latest_checkpoint() if size is None else self.checkpoint_at(size)
        if stored is None:
            raise ProofRequestInvalid(
                "no checkpoint has been signed yet"
                if size is None
                else f"no checkpoint was signed at tree size {size}"
            )
        path = self.inclusion_proof(index, stored.tree_size)
        return InclusionBundle(index, stored.tree_size, self.leaf(index).leaf, tuple(path), stored.note)

    def consistency_bundle(self, old_size: int, new_size: int | None = None) -> ConsistencyBundle:
        """Consistency proof from ``old_size`` to the checkpoint signed at ``new_size`` (default: latest)."""
        second = self.latest_checkpoint() if new_size is None else self.checkpoint_at(new_size)
        if second is None:
            raise ProofRequestInvalid(
                "no checkpoint has been signed yet"
                if new_size is None
                else f"no checkpoint was signed at tree size {new_size}"
            )
        path = self.consistency_proof(old_size, second.tree_size)
        first = self.checkpoint_at(old_size)
        return ConsistencyBundle(
            old_size,
            second.tree_size,
            tuple(path),
            self.root(old_size),
            second.note,
            None if first is None else first.note,
        )

    # --- audit ----------------------------------------------------------------------------------

    def audit(self, batch_size: int = 10_000) -> list[str]:
        """Recompute the tree from the leaf rows and compare it with what is stored.

        Returns one sentence per problem (empty when the log is intact): a missing leaf index, a
        leaf whose bytes do not hash to its stored hash, a signed checkpoint whose root differs from
        the root recomputed from the leaves (or that lies beyond them), tiles that disagree with the
        leaves (rows added behind the ledger's back). Memory stays O(log n + batch).
        """
        problems: list[str] = []
        checkpoint_roots = {cp.tree_size: cp.root_hash for cp in self.checkpoints()}
        frontier = Frontier()
        sha = hashlib.sha256
        end = self.size()
        start, gap = 0, False
        while start < end and not gap:
            batch = self.leaves(start, min(end, start + batch_size))
            hashes = []
            for offset, stored in enumerate(batch):
                if stored.index != start + offset:
                    problems.append(f"leaves {start + offset} to {stored.index - 1} are missing from the log")
                    gap = True
                    break
                recomputed = sha(b"\x00" + stored.leaf).digest()
                if recomputed != stored.leaf_hash:
                    problems.append(
                        f"leaf {stored.index} ({stored.kind} {stored.record_id}) was changed: "
                        "its bytes no longer match its hash"
                    )
                hashes.append(recomputed)
            else:
                if len(batch) < min(end, start + batch_size) - start:
                    gap = True
                    problems.append(
                        f"leaves {start + len(batch)} to {min(end, start + batch_size) - 1} are missing"
                    )
            # Grow the recomputed tree, stopping at every checkpointed size to compare roots.
            base = frontier.size
            at = 0
            for size in sorted(size for size in checkpoint_roots if base < size <= base + len(hashes)):
                frontier.extend(hashes[at : size - base])
                at = size - base
                if frontier.root() != checkpoint_roots[size]:
                    problems.append(
                        f"checkpoint at size {size} does not match the leaves: the log was rewritten"
                    )
            frontier.extend(hashes[at:])
            start += len(batch)
        if not problems and end:
            try:
                tiles_match = tree_root(self._reader, end) == frontier.root()
            except LedgerError:
                tiles_match = False
            if not tiles_match:
                problems.append("stored interior hashes do not match the leaves: rows were added or changed")
        beyond = sorted(size for size in checkpoint_roots if size > end)
        if beyond:
            problems.append(
                f"checkpoints at sizes {beyond} are beyond the {end} leaves stored: leaves were removed"
            )
        return problems
