"""The right edge of a stored log and the rows an append writes: pure, no database.

A stored log keeps its leaf bytes in entry bundles of :data:`BUNDLE_WIDTH` leaves and its interior
hashes in tiles :data:`TILE_HEIGHT` levels high (layout: :mod:`supplyguard.adapters.db.ledger_tables`).
An append only ever touches the right edge: the partial last bundle and the right-edge tiles that
are partly filled. :class:`LogTail` holds exactly that (O(log n) memory) and turns a batch of
leaves into the bundle and tile rows to write, so the work can be done away from the database: in
the appending process for one batch, or, for a stream of batches, in a forked worker that keeps the
tail from batch to batch while the appending process writes the previous batch's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from supplyguard.ledger.tree import Frontier, grow

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASHES_PER_TILE = 2 * TILE_WIDTH - 2
TILE_BYTES = HASHES_PER_TILE * 32
LEVEL_OFFSET = [(2 * TILE_WIDTH - (2 * TILE_WIDTH >> j)) * 32 for j in range(TILE_HEIGHT)]
EMPTY_TILE = bytes(TILE_BYTES)
BUNDLE_WIDTH = 256
MAX_LEAF_BYTES = 0xFFFF
_U16 = [n.to_bytes(2, "big") for n in range(MAX_LEAF_BYTES + 1)]

BundleRow = tuple[int, int, bytes]
"""``(bundle_index, width, entries)`` of ``ledger_bundles``."""
TileRow = tuple[int, int, int, int, bytes]
"""``(tile_key, tile_level, tile_index, width, hashes)`` of ``ledger_tiles``."""


def pack_bundle(leaves: Sequence[bytes]) -> bytes:
    """Entry-bundle bytes (C2SP tlog-tiles): each leaf as a big-endian uint16 length and its bytes."""
    return b"".join(chain.from_iterable(zip(map(_U16.__getitem__, map(len, leaves)), leaves, strict=True)))


class BundleDamaged(ValueError):
    """Entry-bundle bytes that do not split into entries (the log's storage is damaged)."""


def split_bundle(entries: bytes) -> list[bytes]:
    """The leaves of entry-bundle bytes (:func:`pack_bundle` undone); :class:`BundleDamaged` if the
    bytes do not split into entries."""
    out: list[bytes] = []
    at, end = 0, len(entries)
    while at < end:
        if at + 2 > end:
            raise BundleDamaged("a ledger bundle ends inside a length prefix: the log's storage is damaged")
        length = (entries[at] << 8) | entries[at + 1]
        at += 2
        if at + length > end:
            raise BundleDamaged("a ledger bundle ends inside a leaf: the log's storage is damaged")
        out.append(entries[at : at + length])
        at += length
    return out


def tile_key(tile_level: int, tile_index: int) -> int:
    return (tile_level << 48) | tile_index


def node_place(level: int, index: int) -> tuple[int, int]:
    """``(tile key, byte offset)`` of node ``(level, index)``."""
    tile_level, j = divmod(level, TILE_HEIGHT)
    shift = TILE_HEIGHT - j
    tile_index = index >> shift
    return tile_key(tile_level, tile_index), LEVEL_OFFSET[j] + (index - (tile_index << shift)) * 32


def edge_tile_keys(size: int) -> set[int]:
    """The tiles that are partly filled in a log of ``size`` leaves: the ones an append extends."""
    return {
        tile_key(tl, (size >> (TILE_HEIGHT * tl)) >> TILE_HEIGHT)
        for tl in range((size.bit_length() + TILE_HEIGHT - 1) // TILE_HEIGHT)
        if (size >> (TILE_HEIGHT * tl)) & (TILE_WIDTH - 1)
    }


class TailMissing(ValueError):
    """A right-edge tile of the stored log is missing (the log's storage is damaged)."""

    def __init__(self, key: int) -> None:
        super().__init__(f"ledger tile {key} on the right edge is missing: the log's storage is damaged")
        self.key = key


@dataclass(frozen=True, slots=True)
class AppendRows:
    """What appending a batch writes: the log grows from ``first`` leaves to ``first + count``.

    ``records`` is the look-up rows flattened, ``kind, record_id, idx`` for each leaf in order (the
    form a multi-row ``INSERT`` binds); ``bundle_rows`` and ``tile_rows`` are upserts. ``edge`` is
    the compact range of the ``first`` leaves they were made on (the right-edge node hashes, largest
    first): a writer compares it with the stored tree before writing them."""

    first: int
    count: int
    edge: list[bytes]
    records: list[str | int]
    bundle_rows: list[BundleRow]
    tile_rows: list[TileRow]

    def leaves(self) -> list[bytes]:
        """The appended leaves' bytes, read back out of the bundle rows."""
        out = [leaf for _, _, entries in self.bundle_rows for leaf in split_bundle(entries)]
        return out[len(out) - self.count :]


class LogTail:
    """The right edge of a log of ``size`` leaves: the partial last bundle's entries (``b""`` when
    the last bundle is full or the log empty) and the partly filled tiles by key, as stored."""

    __slots__ = ("partial", "size", "tiles")

    def __init__(self, size: int, partial: bytes, tiles: dict[int, bytes]) -> None:
        self.size = size
        self.partial = partial if size % BUNDLE_WIDTH else b""
        self.tiles = {key: bytearray(blob) for key, blob in tiles.items() if key in edge_tile_keys(size)}
        for key in edge_tile_keys(size):
            if key not in self.tiles:
                raise TailMissing(key)

    def extend(
        self, kinds: Sequence[str], ids: Sequence[str], leaves: Sequence[bytes], hashes: list[bytes]
    ) -> AppendRows:
        """The rows that append ``leaves`` (of record ``ids[i]`` of ``kinds[i]``, with leaf hashes
        ``hashes``); the tail moves on to the new right edge. The caller has checked the lengths."""
        size = self.size
        if not leaves:
            return AppendRows(size, 0, [], [], [], [])
        new_size = size + len(leaves)
        tiles = self.tiles
        edge: dict[int, bytes] = {}
        for level, index in Frontier.edge_nodes(size):
            key, offset = node_place(level, index)
            edge[level] = bytes(tiles[key][offset : offset + 32])
        old_edge = list(edge.values())

        touched: set[int] = set()  # tiles that gain nodes: only these are written back
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
                    buffer = tiles[key] = bytearray(EMPTY_TILE)
                touched.add(key)
                offset = LEVEL_OFFSET[j] + (index - (tile_index << shift)) * 32
                buffer[offset : offset + take * 32] = b"".join(run.hashes[done : done + take])
                done += take
                index += take

        # Leaf bytes in entry bundles: the partial last one filled up and rewritten, then new ones.
        bundle_rows: list[BundleRow] = []
        done, bundle = 0, size // BUNDLE_WIDTH
        fill = BUNDLE_WIDTH - size % BUNDLE_WIDTH
        head = self.partial
        while done < len(leaves):
            take = min(fill, len(leaves) - done)
            entries = head + pack_bundle(leaves[done : done + take])
            bundle_rows.append((bundle, BUNDLE_WIDTH - fill + take, entries))
            done += take
            bundle, fill, head = bundle + 1, BUNDLE_WIDTH, b""

        # A right-edge tile higher up often gains nothing (a level-16 node completes once per
        # 65,536 leaves): it is not rewritten.
        tile_rows: list[TileRow] = []
        for key in sorted(touched):
            tile_level, tile_index = key >> 48, key & ((1 << 48) - 1)
            width = min(TILE_WIDTH, (new_size >> (TILE_HEIGHT * tile_level)) - (tile_index << TILE_HEIGHT))
            tile_rows.append((key, tile_level, tile_index, width, bytes(tiles[key])))
        # kind, record id, index of each leaf, flattened by slice assignment (half what a chain of
        # zipped tuples costs; a length that differs fails just the same)
        records: list[str | int] = [0] * (3 * len(leaves))
        records[0::3], records[1::3], records[2::3] = kinds, ids, range(size, new_size)

        keep = edge_tile_keys(new_size)
        self.tiles = {key: buffer for key, buffer in tiles.items() if key in keep}
        self.partial = bundle_rows[-1][2] if new_size % BUNDLE_WIDTH else b""
        self.size = new_size
        return AppendRows(size, len(leaves), old_edge, records, bundle_rows, tile_rows)
