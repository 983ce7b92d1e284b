"""The Merkle log in the node's database: leaf bundles, record look-up, interior-hash tiles,
checkpoints, cosignatures.

:class:`LedgerStore` works on the caller's SQLAlchemy :class:`~sqlalchemy.Connection`, inside the
caller's transaction: appends commit or roll back with the rows they prove. Hot paths (append,
proofs) use the driver's cursor directly with ``executemany``; everything else is SQLAlchemy Core.
Memory is flat in the tree size: an append touches the right-edge tiles and the last bundle only, a
proof reads the few tiles holding its nodes, a leaf is one bundle row. Layout: see
:mod:`supplyguard.adapters.db.ledger_tables`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from supplyguard.adapters.db.bulk import defer_indexes
from supplyguard.adapters.db.engine import relax_wal_checkpoints
from supplyguard.adapters.db.ledger_tables import ledger_checkpoints, ledger_cosignatures, ledger_records
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
from supplyguard.ledger.envelope import LEAF_FIELDS, leaves_from_fields
from supplyguard.ledger.hashing import leaf_hashes as hash_leaves
from supplyguard.ledger.tail import (
    BUNDLE_WIDTH,
    MAX_LEAF_BYTES,
    AppendRows,
    BundleDamaged,
    LogTail,
    TailMissing,
    edge_tile_keys,
    node_place,
    split_bundle,
)
from supplyguard.ledger.tail import (
    pack_bundle as pack_bundle,  # re-exported: bench and tests pack bundles
)
from supplyguard.model.clock import as_utc

_ADVISORY_LOCK = 0x5347_4C45_4447  # "SGLEDG": serialises appends on PostgreSQL
_FIELD_COLUMNS = [itemgetter(i) for i in range(1, 5)]  # id, kind, org, recorded_at of LEAF_FIELDS
_BUNDLE_CACHE = 64  # bundles kept while reading leaves out of index order (about 4 MB)


_RECORDS_PER_INSERT = 300  # rows per multi-row INSERT on SQLite: 900 parameters, under every limit


def unpack_bundle(entries: bytes) -> list[bytes]:
    """The leaves of an entry bundle; :class:`LedgerError` if the bytes do not split into entries."""
    try:
        return split_bundle(entries)
    except BundleDamaged as exc:
        raise LedgerError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """One leaf: its index and bytes. Hash and envelope fields come from the bytes, on demand
    (``kind`` and ``record_id`` from the record look-up when the leaf was found through it)."""

    index: int
    leaf: bytes
    known_kind: str | None = field(default=None, repr=False, compare=False)
    known_record_id: str | None = field(default=None, repr=False, compare=False)

    @property
    def leaf_hash(self) -> bytes:
        return hashlib.sha256(b"\x00" + self.leaf).digest()

    @property
    def envelope(self) -> LeafEnvelope:
        return LeafEnvelope.from_bytes(self.leaf)

    @property
    def kind(self) -> str:
        return self.known_kind if self.known_kind is not None else self.envelope.kind

    @property
    def record_id(self) -> str:
        return self.known_record_id if self.known_record_id is not None else self.envelope.id

    @property
    def org(self) -> str:
        return self.envelope.org

    @property
    def recorded_at(self) -> str:
        return self.envelope.recorded_at


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


def leaf_columns(envelopes: Sequence[LeafEnvelope]) -> tuple[list[str], list[str], list[bytes]]:
    """``(kinds, record ids, leaf bytes)`` of a batch of envelopes, their field lengths checked
    (:class:`InvalidInput`)."""
    # One pass in C per column: the envelope fields, each column (itemgetter: a third of what
    # zip(*fields) costs with a thousand arguments), then their lengths (the limits).
    fields = list(map(LEAF_FIELDS, envelopes))
    ids, kinds, orgs, times = [list(map(column, fields)) for column in _FIELD_COLUMNS]
    if max(map(len, orgs)) > 64 or max(map(len, times)) > 40:
        raise InvalidInput("a ledger envelope field is too long (kind/org 64, id 128, recorded_at 40)")
    return kinds, ids, leaves_from_fields(envelopes, fields, ((), ids, kinds, orgs, times))


def _copy_text(records: Sequence[str | int]) -> str | None:
    """The look-up rows (``kind, record_id, idx`` flattened) as one block of text-format COPY data,
    or ``None`` where a kind or record id holds a character that format escapes (backslash, tab,
    newline, carriage return; NUL, which the server refuses either way) or is not a string: those
    rows go row by row. One block costs this process about half the CPU of ``write_row`` per row
    (0.44 against 1.0 ms for 2,000 rows)."""
    kinds, ids = records[0::3], records[1::3]
    try:
        probe = "".join(kinds) + "".join(ids)  # type: ignore[arg-type]
    except TypeError:
        return None
    if "\\" in probe or "\t" in probe or "\n" in probe or "\r" in probe or "\0" in probe:
        return None
    return "".join(map("%s\t%s\t%d\n".__mod__, zip(kinds, ids, records[2::3], strict=True)))


def check_leaf_columns(
    kinds: Sequence[str], ids: Sequence[str], leaves: Sequence[bytes], leaf_hashes: Sequence[bytes] | None
) -> None:
    """What :meth:`LedgerStore.append_leaves` checks before it writes anything."""
    if max(map(len, kinds)) > 64 or max(map(len, ids)) > 128:
        raise InvalidInput("a ledger envelope field is too long (kind/org 64, id 128, recorded_at 40)")
    if not len(kinds) == len(ids) == len(leaves) == len(leaf_hashes or leaves):
        raise ValueError("one kind, one record id (and one hash, when given) per leaf")
    if max(map(len, leaves)) > MAX_LEAF_BYTES:
        raise InvalidInput(f"a ledger leaf is longer than {MAX_LEAF_BYTES} bytes")


class _TileReader:
    """A :class:`~supplyguard.ledger.HashReader` over ``ledger_tiles``: one query per batch of nodes."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store

    def node_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        places = [node_place(level, index) for level, index in nodes]
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

    def _last_bundle(self) -> tuple[int, int, bytes | None]:
        """``(bundle index, width, entries)`` of the last bundle; ``(-1, 0, None)`` when empty."""
        cursor = self._cursor()
        cursor.execute("SELECT bundle_index, width FROM ledger_bundles ORDER BY bundle_index DESC LIMIT 1")
        row = cursor.fetchone()
        if row is None:
            return -1, 0, None
        index, width = int(row[0]), int(row[1])
        if width >= BUNDLE_WIDTH:
            return index, width, None
        cursor.execute(self._sql("SELECT entries FROM ledger_bundles WHERE bundle_index = ?"), (index,))
        return index, width, bytes(cursor.fetchone()[0])

    def size(self) -> int:
        """Number of leaves in the log."""
        cursor = self._cursor()
        cursor.execute("SELECT bundle_index, width FROM ledger_bundles ORDER BY bundle_index DESC LIMIT 1")
        row = cursor.fetchone()
        return 0 if row is None else int(row[0]) * BUNDLE_WIDTH + int(row[1])

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

        Writes the leaf bytes into entry bundles (the partial last one rewritten), one look-up row
        per leaf, and every interior hash the leaves complete (right-edge tiles rewritten).
        """
        if not envelopes:
            return []
        return self.append_leaves(*leaf_columns(envelopes))

    def defer_keys(self, below_rows: int) -> Callable[[], None]:
        """For a bulk append in a transaction that reads no record back by its key (the bulk
        import's): on PostgreSQL, the records' primary key is put off while they number fewer than
        ``below_rows`` (:func:`~supplyguard.adapters.db.bulk.defer_indexes`, with ``keys``): built
        once from the appended records instead of kept record by record. Returns what builds it
        again, to call before the commit. Until then, readers of the records wait for the commit,
        as other writers of the log already do (the append lock). On SQLite the key is the table
        (WITHOUT ROWID): nothing is put off."""
        if not self._postgres:
            return lambda: None
        # the append lock first, as an append takes it, so that two writers cannot wait on each other
        self._lock(bulk=True)
        return defer_indexes(self._conn, (ledger_records,), below_rows=below_rows, keys=True)

    def append_leaves(
        self,
        kinds: Sequence[str],
        ids: Sequence[str],
        leaves: Sequence[bytes],
        leaf_hashes: list[bytes] | None = None,
        *,
        tail: LogTail | None = None,
    ) -> list[int]:
        """:meth:`append_many` for leaves already written as bytes: each ``leaves[i]`` is
        ``LeafEnvelope.to_bytes()`` of an envelope of kind ``kinds[i]`` for record ``ids[i]``, and
        ``leaf_hashes[i]``, when given, its RFC 9162 leaf hash (SHA-256 of 0x00 and the leaf). A bulk
        writer makes them without envelope objects, in another process; verification reads them
        back as envelopes, so leaves that are not canonical envelopes fail ``ledger verify``.

        ``tail``: a tail read by :meth:`tail` earlier in this same transaction, on which only this
        store's ``append_leaves(..., tail=it)`` has appended since (the append lock, held to the
        end of the transaction, keeps other writers out): the append then reads nothing back (a
        writer of several batches in one transaction, the EPCIS capture, saves the right edge's
        reads each batch) and moves the tail on."""
        if not leaves:
            return []
        check_leaf_columns(kinds, ids, leaves, leaf_hashes)
        if tail is None:
            tail = self.tail(bulk=len(leaves) >= BUNDLE_WIDTH)
        rows = tail.extend(kinds, ids, leaves, hash_leaves(leaves) if leaf_hashes is None else leaf_hashes)
        self._write(rows)
        return list(range(rows.first, rows.first + rows.count))

    def _lock(self, *, bulk: bool) -> Any:
        """The cursor, with the append lock taken on PostgreSQL (held to the end of the transaction)
        or, for a bulk append on SQLite, fewer WAL checkpoints (fsyncs)."""
        cursor = self._cursor()
        if self._postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
        elif bulk:
            relax_wal_checkpoints(self._conn)
        return cursor

    def tail(self, *, bulk: bool = True) -> LogTail:
        """The log's right edge as stored (the partial last bundle, the partly filled tiles), read
        in the caller's transaction with the append lock taken (see :meth:`write_rows`)."""
        self._lock(bulk=bulk)
        last_bundle, last_width, partial = self._last_bundle()
        size = max(last_bundle, 0) * BUNDLE_WIDTH + last_width
        try:
            return LogTail(size, partial or b"", self._tiles(edge_tile_keys(size)))
        except TailMissing as exc:
            raise LedgerError(str(exc)) from exc

    def write_rows(self, rows: AppendRows) -> list[int] | None:
        """Write rows that :meth:`LogTail.extend` made from a tail read earlier (by :meth:`tail`,
        perhaps in another transaction), in the caller's transaction; return the new leaves'
        indexes, or ``None``, writing nothing, when the stored log is no longer the one the rows
        were made on (``rows.first`` leaves with the compact range ``rows.edge``: another writer
        appended, or a transaction was rolled back, since): the caller then appends those leaves
        again from a fresh tail."""
        if not rows.count:
            return []
        self._lock(bulk=rows.count >= BUNDLE_WIDTH)
        if (
            self.size() != rows.first
            or self._reader.node_hashes(Frontier.edge_nodes(rows.first)) != rows.edge
        ):
            return None
        self._write(rows)
        return list(range(rows.first, rows.first + rows.count))

    def _write(self, rows: AppendRows) -> None:
        cursor = self._cursor()
        cursor.executemany(
            self._sql(
                "INSERT INTO ledger_bundles (bundle_index, width, entries) VALUES (?, ?, ?) "
                "ON CONFLICT (bundle_index) DO UPDATE SET width = excluded.width, entries = excluded.entries"
            ),
            rows.bundle_rows,
        )
        values = rows.records
        if self._postgres:
            # COPY is several times faster than INSERT on PostgreSQL, and just as transactional.
            with cursor.copy("COPY ledger_records (kind, record_id, idx) FROM STDIN") as copy:
                block = _copy_text(values)
                if block is not None:
                    copy.write(block)
                else:
                    for at in range(0, len(values), 3):
                        copy.write_row(values[at : at + 3])
        else:
            # Multi-row INSERTs: a third less work per row in SQLite than executemany. Not sorted into
            # key order first: that saves SQLite about 800 instructions a row but costs Python's
            # sort of (kind, id, index) tuples about 3,300 (callgrind, 2026-12-06). OR IGNORE: a
            # multi-row INSERT that may abort keeps a statement journal, which for rows in arrival
            # order spills to a temporary file (about 120 writes a batch); the only row it could
            # ignore is one already holding exactly this (kind, record id, new index).
            step = 3 * _RECORDS_PER_INSERT
            for at in range(0, len(values), step):
                chunk = values[at : at + step]
                marks = ",".join(["(?,?,?)"] * (len(chunk) // 3))
                cursor.execute(
                    f"INSERT OR IGNORE INTO ledger_records (kind, record_id, idx) VALUES {marks}", chunk
                )
        cursor.executemany(
            self._sql(
                "INSERT INTO ledger_tiles (tile_key, tile_level, tile_index, width, hashes) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tile_key) DO UPDATE "
                "SET width = excluded.width, hashes = excluded.hashes"
            ),
            rows.tile_rows,
        )

    def append(self, envelope: LeafEnvelope) -> int:
        """Append one leaf; prefer :meth:`append_many` for batches."""
        return self.append_many([envelope])[0]

    # --- leaves ---------------------------------------------------------------------------------

    def _bundles(self, first: int, last: int) -> dict[int, list[bytes]]:
        """Bundles ``first`` to ``last`` (inclusive) that exist, unpacked."""
        cursor = self._cursor()
        cursor.execute(
            self._sql(
                "SELECT bundle_index, entries FROM ledger_bundles "
                "WHERE bundle_index >= ? AND bundle_index <= ? ORDER BY bundle_index"
            ),
            (first, last),
        )
        return {int(index): unpack_bundle(bytes(blob)) for index, blob in cursor.fetchall()}

    def _bundles_in(self, wanted: Sequence[int]) -> dict[int, list[bytes]]:
        cursor = self._cursor()
        marks = ",".join("?" * len(wanted))
        cursor.execute(
            self._sql(f"SELECT bundle_index, entries FROM ledger_bundles WHERE bundle_index IN ({marks})"),
            tuple(wanted),
        )
        return {int(index): unpack_bundle(bytes(blob)) for index, blob in cursor.fetchall()}

    def leaf(self, index: int) -> StoredLeaf:
        """The leaf at ``index``; :class:`ProofRequestInvalid` if there is none."""
        found = self.leaves(index, index + 1) if index >= 0 else []
        if not found:
            size = self.size()
            if 0 <= index < size:
                raise LedgerError(f"leaf {index} is missing from storage: the log's storage is damaged")
            raise ProofRequestInvalid(f"leaf index {index} is not below tree size {size}")
        return found[0]

    def leaves(self, start: int, end: int) -> list[StoredLeaf]:
        """Leaves ``[start, end)`` in index order (bundles missing from storage are simply absent)."""
        if start < 0 or end < start:
            raise ProofRequestInvalid(f"leaf range [{start}, {end}) is not a valid range")
        if end == start:
            return []
        out: list[StoredLeaf] = []
        for bundle, leaves in self._bundles(start // BUNDLE_WIDTH, (end - 1) // BUNDLE_WIDTH).items():
            base = bundle * BUNDLE_WIDTH
            lo, hi = max(start - base, 0), min(end - base, len(leaves))
            out.extend(StoredLeaf(base + i, leaves[i]) for i in range(lo, hi))
        return out

    def iter_leaves(
        self, start: int = 0, end: int | None = None, batch_size: int = 10_240
    ) -> Iterator[StoredLeaf]:
        """Every leaf in ``[start, end)`` in index order, fetched in batches (flat memory)."""
        end = self.size() if end is None else end
        while start < end:
            batch = self.leaves(start, min(end, start + batch_size))
            yield from batch
            start += batch_size

    def _resolve(
        self, rows: Sequence[tuple[str, str, int]], cache: dict[int, list[bytes]], *, check: bool
    ) -> list[StoredLeaf]:
        """The leaves that look-up rows ``(kind, record id, index)`` point at, in the rows' order.

        Bundles are read 64 at a time, as the rows first need them, and ``cache`` keeps at most 128
        of them, so memory stays flat and a walk in roughly index order reads each bundle once. A
        row whose leaf is missing (or, with ``check``, is about another record) is skipped: that is
        damage, and :meth:`audit` names it.
        """
        out = []
        for n, (kind, record_id, idx) in enumerate(rows):
            bundle = idx // BUNDLE_WIDTH
            if bundle not in cache:
                upcoming: dict[int, None] = {}
                for _, _, later in rows[n:]:
                    wanted = later // BUNDLE_WIDTH
                    if wanted not in cache:
                        upcoming[wanted] = None
                        if len(upcoming) == _BUNDLE_CACHE:
                            break
                loaded = self._bundles_in(list(upcoming))
                while cache and len(cache) + len(upcoming) > 2 * _BUNDLE_CACHE:
                    del cache[next(iter(cache))]
                for wanted in upcoming:
                    cache[wanted] = loaded.get(wanted, [])
            leaves = cache[bundle]
            offset = idx % BUNDLE_WIDTH
            if offset >= len(leaves):
                continue
            leaf = StoredLeaf(idx, leaves[offset], kind, record_id)
            if check:
                try:
                    envelope = leaf.envelope
                except VerificationFailed:
                    continue
                if envelope.kind != kind or envelope.id != record_id:
                    continue
            out.append(leaf)
        return out

    def _records(self, where: str, params: tuple[Any, ...]) -> list[tuple[str, str, int]]:
        cursor = self._cursor()
        cursor.execute(
            self._sql(f"SELECT kind, record_id, idx FROM ledger_records WHERE {where} ORDER BY idx"), params
        )
        return [(kind, record_id, int(idx)) for kind, record_id, idx in cursor.fetchall()]

    def find_by_record(self, kind: str, record_id: object) -> list[StoredLeaf]:
        """Every leaf about record ``record_id`` of ``kind``, oldest first."""
        return self.find_in_kinds((kind,), record_id)

    def find_in_kinds(self, kinds: Sequence[str], record_id: object) -> list[StoredLeaf]:
        """Every leaf about ``record_id`` under any of ``kinds`` (index look-ups), oldest first."""
        if not kinds:
            return []
        marks = ",".join("?" * len(kinds))
        rows = self._records(f"kind IN ({marks}) AND record_id = ?", (*kinds, str(record_id)))
        return self._resolve(rows, {}, check=True)

    def iter_kind(self, kind: str, batch_size: int = 10_000) -> Iterator[StoredLeaf]:
        """Every leaf of ``kind`` ordered by (record id, index), batch by batch (flat memory)."""
        cursor = self._cursor()
        cache: dict[int, list[bytes]] = {}
        last: tuple[str, int] | None = None
        while True:
            if last is None:
                cursor.execute(
                    self._sql(
                        "SELECT kind, record_id, idx FROM ledger_records WHERE kind = ? "
                        "ORDER BY record_id, idx LIMIT ?"
                    ),
                    (kind, batch_size),
                )
            else:
                cursor.execute(
                    self._sql(
                        "SELECT kind, record_id, idx FROM ledger_records WHERE kind = ? "
                        "AND (record_id, idx) > (?, ?) ORDER BY record_id, idx LIMIT ?"
                    ),
                    (kind, last[0], last[1], batch_size),
                )
            rows = [(k, r, int(i)) for k, r, i in cursor.fetchall()]
            if not rows:
                return
            yield from self._resolve(rows, cache, check=False)
            last = (rows[-1][1], rows[-1][2])

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

    def _name(self, index: int, leaf: bytes, *, look_up: bool) -> str:
        """``"leaf I (kind id)"``, from the leaf bytes or, when they are unreadable and ``look_up``,
        the record look-up (a scan: done for the first few problems only)."""
        ident = _ident(leaf)
        if ident is None and look_up:
            cursor = self._cursor()
            cursor.execute(self._sql("SELECT kind, record_id FROM ledger_records WHERE idx = ?"), (index,))
            row = cursor.fetchone()
            ident = None if row is None else (row[0], row[1])
        return f"leaf {index}" if ident is None else f"leaf {index} ({ident[0]} {ident[1]})"

    def _tiles_range(self, first: int, last: int) -> dict[int, bytes]:
        """Bottom-level hash tiles ``first`` to ``last``: the leaf hashes of bundles with those indexes."""
        cursor = self._cursor()
        cursor.execute(
            self._sql(
                "SELECT tile_key, width, hashes FROM ledger_tiles WHERE tile_key >= ? AND tile_key <= ?"
            ),
            (first, last),
        )
        return {int(key): bytes(blob)[: int(width) * 32] for key, width, blob in cursor.fetchall()}

    def audit(self, batch_bundles: int = 40) -> list[str]:
        """Recompute the tree from the stored leaves and compare it with what is stored.

        Returns one sentence per problem (empty when the log is intact): leaves missing from the log
        (a bundle deleted, or leaves cut out of one), a leaf whose bytes do not hash to the leaf hash
        in the tiles, a signed checkpoint whose root differs from the root recomputed from the
        leaves (or that lies beyond them), tiles that disagree with the leaves (leaves added behind
        the ledger's back), and record look-up rows deleted, changed or added behind its back.
        Memory stays O(log n + batch).
        """
        problems: list[str] = []
        checkpoint_roots = {cp.tree_size: cp.root_hash for cp in self.checkpoints()}
        frontier = Frontier()
        end = self.size()
        last_bundle = (end - 1) // BUNDLE_WIDTH
        cursor = self._cursor()
        records_found = 0
        unbacked: list[tuple[str, str, int]] = []
        bundle, gap = 0, False
        while bundle <= last_bundle and end and not gap:
            upto = min(last_bundle, bundle + batch_bundles - 1)
            cursor.execute(
                self._sql(
                    "SELECT bundle_index, width, entries FROM ledger_bundles "
                    "WHERE bundle_index >= ? AND bundle_index <= ? ORDER BY bundle_index"
                ),
                (bundle, upto),
            )
            rows = cursor.fetchall()
            tiles = self._tiles_range(bundle, upto)
            hashes: list[bytes] = []
            for stored_index, width, blob in rows:
                base = bundle * BUNDLE_WIDTH
                if int(stored_index) != bundle:
                    problems.append(
                        f"leaves {base} to {int(stored_index) * BUNDLE_WIDTH - 1} are missing from the log"
                    )
                    gap = True
                    break
                expected = BUNDLE_WIDTH if bundle < last_bundle else int(width)
                tile = tiles.get(bundle, b"")
                stored_hashes = [tile[i * 32 : i * 32 + 32] for i in range(len(tile) // 32)][:BUNDLE_WIDTH]
                try:
                    leaves = unpack_bundle(bytes(blob))
                except LedgerError as exc:
                    problems.append(f"bundle of leaves {base} to {base + expected - 1}: {exc}")
                    gap = True
                    break
                leaf_hashes = hash_leaves(leaves)
                if len(leaves) != expected:
                    problems.extend(_misfit(base, expected, leaves, leaf_hashes, stored_hashes))
                    gap = True
                    break
                for offset, recomputed in enumerate(leaf_hashes):
                    if offset < len(stored_hashes) and recomputed != stored_hashes[offset]:
                        problems.append(
                            f"{self._name(base + offset, leaves[offset], look_up=len(problems) < 20)} "
                            "was changed: "
                            "its bytes no longer match its hash"
                        )
                # Leaves beyond the tiles' width were added behind the ledger's back: the tree check says so.
                records_found += self._count_records(base, leaves[: len(stored_hashes)], unbacked)
                hashes.extend(leaf_hashes)
                bundle += 1
            else:
                if bundle <= upto:
                    problems.append(f"leaves {bundle * BUNDLE_WIDTH} to {end - 1} are missing from the log")
                    gap = True
            # Grow the recomputed tree, stopping at every checkpointed size to compare roots.
            base_size = frontier.size
            at = 0
            for size in sorted(
                size for size in checkpoint_roots if base_size < size <= base_size + len(hashes)
            ):
                frontier.extend(hashes[at : size - base_size])
                at = size - base_size
                if frontier.root() != checkpoint_roots[size]:
                    problems.append(
                        f"checkpoint at size {size} does not match the leaves: the log was rewritten"
                    )
            frontier.extend(hashes[at:])
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
        if not gap:
            problems.extend(self._audit_records(records_found, unbacked))
        return problems

    def _count_records(self, base: int, leaves: Sequence[bytes], unbacked: list[tuple[str, str, int]]) -> int:
        """How many of these leaves (from index ``base``) have their look-up row; names the others."""
        wanted = []
        for offset, leaf in enumerate(leaves):
            ident = _ident(leaf)
            if ident is not None:
                wanted.append((ident[0], ident[1], base + offset))
        if not wanted:
            return 0
        cursor = self._cursor()
        found: set[tuple[str, str, int]] = set()
        for at in range(0, len(wanted), 256):
            chunk = wanted[at : at + 256]
            marks = ",".join(["(?, ?, ?)"] * len(chunk))
            # A join, so both databases probe the primary key once per row (SQLite would scan the
            # whole table for a row-value IN).
            cursor.execute(
                self._sql(
                    f"SELECT r.kind, r.record_id, r.idx FROM (VALUES {marks}) AS v "
                    "JOIN ledger_records AS r "
                    "ON r.kind = v.column1 AND r.record_id = v.column2 AND r.idx = v.column3"
                ),
                tuple(value for row in chunk for value in row),
            )
            found.update((kind, record_id, int(idx)) for kind, record_id, idx in cursor.fetchall())
        unbacked.extend(row for row in wanted if row not in found)
        return len(found)

    def _audit_records(self, found: int, unbacked: list[tuple[str, str, int]]) -> list[str]:
        problems = [
            f"the record look-up row of leaf {idx} ({kind} {record_id}) was removed or changed "
            "behind the ledger's back"
            for kind, record_id, idx in unbacked[:20]
        ]
        cursor = self._cursor()
        cursor.execute("SELECT count(*) FROM ledger_records")
        (total,) = cursor.fetchone()
        if int(total) == found:
            return problems
        # Some rows point at no leaf, or at a leaf about another record: find them (rare, slow path).
        stray: list[str] = []
        last: tuple[str, str, int] | None = None
        cache: dict[int, list[bytes]] = {}
        while len(stray) < 20:
            if last is None:
                cursor.execute(
                    "SELECT kind, record_id, idx FROM ledger_records "
                    "ORDER BY kind, record_id, idx LIMIT 10000"
                )
            else:
                cursor.execute(
                    self._sql(
                        "SELECT kind, record_id, idx FROM ledger_records "
                        "WHERE (kind, record_id, idx) > (?, ?, ?) "
                        "ORDER BY kind, record_id, idx LIMIT 10000"
                    ),
                    last,
                )
            rows = [(kind, record_id, int(idx)) for kind, record_id, idx in cursor.fetchall()]
            if not rows:
                break
            backed = {
                (leaf.kind, leaf.record_id, leaf.index) for leaf in self._resolve(rows, cache, check=True)
            }
            stray.extend(
                f"{kind} {record_id} -> leaf {idx}"
                for kind, record_id, idx in rows
                if (kind, record_id, idx) not in backed
            )
            last = rows[-1]
        problems.append(
            f"{int(total) - found} record look-up rows were added or changed behind the ledger's back "
            f"(no leaf backs them: {', '.join(stray[:20])})"
        )
        return problems


def _misfit(
    base: int, expected: int, leaves: list[bytes], leaf_hashes: list[bytes], stored: list[bytes]
) -> list[str]:
    """What is wrong with a bundle holding the wrong number of leaves, using the tiles' leaf hashes
    to name the leaves cut out of it (or the entries slipped into it)."""
    if len(stored) < expected:
        return [
            f"the bundle of leaves {base} to {base + expected - 1} holds {len(leaves)} leaves, "
            f"not {expected}: leaves were removed or inserted"
        ]
    missing: list[int] = []
    j = 0
    for i in range(expected):
        if j < len(leaves) and leaf_hashes[j] == stored[i]:
            j += 1
        else:
            missing.append(base + i)
    if len(leaves) > expected or j < len(leaves):
        return [
            f"the bundle of leaves {base} to {base + expected - 1} holds {len(leaves)} leaves, "
            f"not {expected}: leaves were inserted behind the ledger's back"
        ]
    runs: list[list[int]] = []
    for index in missing:
        if runs and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return [f"leaves {a} to {b} are missing from the log" for a, b in runs]


_IDENT = re.compile(rb'\{"body_sha256":"[0-9a-f]{64}","id":"([^"\\\\]*)","kind":"([^"\\\\]*)","org":"').match


def _ident(leaf: bytes) -> tuple[str, str] | None:
    """``(kind, record id)`` of leaf bytes without a full parse; ``None`` if the bytes are no envelope."""
    match = _IDENT(leaf)
    if match is not None:
        try:
            return match.group(2).decode(), match.group(1).decode()
        except UnicodeDecodeError:
            return None
    try:
        envelope = LeafEnvelope.from_bytes(leaf)
    except VerificationFailed:
        return None
    return envelope.kind, envelope.id
