"""RFC 9162 §2.1 tree math over complete subtrees: roots, inclusion and consistency proofs.

Every hash a proof needs is the hash of a range ``D[lo:hi]`` of leaves; each such range splits into
complete (perfect) subtrees, named by ``(level, index)``: the node at ``level`` covering leaves
``[index * 2**level, (index + 1) * 2**level)``. Those are immutable once the tree has grown past
them, so a store persists them and answers a :class:`HashReader`; proofs are computed here by
asking for every needed node in one batch and folding them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from supplyguard.errors import ProofRequestInvalid
from supplyguard.ledger.hashing import EMPTY_ROOT, fold_right, leaf_hash, parent_hashes

Node = tuple[int, int]
"""``(level, index)`` of a complete subtree; level 0 is the leaf hashes."""


class HashReader(Protocol):
    """Reads hashes of complete subtrees that exist in the tree (``(index + 1) << level <= size``)."""

    def node_hashes(self, nodes: Sequence[Node]) -> Sequence[bytes]:
        """The hash of each node, in the order asked."""
        ...


def range_nodes(lo: int, hi: int) -> list[Node]:
    """The complete subtrees that tile leaves ``[lo, hi)``, left to right."""
    nodes: list[Node] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo:
            level = min(level, (lo & -lo).bit_length() - 1)
        nodes.append((level, lo >> level))
        lo += 1 << level
    return nodes


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges ``[lo, hi)`` whose hashes form PATH(index, D[0:size]), RFC 9162 order (leaf first)."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1 SUBPROOF)."""
    ranges: list[tuple[int, int]] = []
    if old_size == 0 or old_size == new_size:
        return ranges
    lo, hi, complete = 0, new_size, True
    while True:
        if old_size == hi:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _largest_power_of_two_below(hi - lo)
        if old_size <= lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            complete = False
    ranges.reverse()
    return ranges


def range_hashes(reader: HashReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Fetch every node of every range in one batch, then fold each range to its hash."""
    per_range = [range_nodes(lo, hi) for lo, hi in ranges]
    wanted = [node for nodes in per_range for node in nodes]
    if not wanted:
        return []
    fetched = reader.node_hashes(wanted)
    out: list[bytes] = []
    at = 0
    for nodes in per_range:
        count = len(nodes)
        out.append(fetched[at] if count == 1 else fold_right(list(fetched[at : at + count])))
        at += count
    return out


def check_index(index: int, size: int, tree_size: int) -> None:
    """Refuse an inclusion proof request outside the tree, with the reason."""
    if size < 1 or size > tree_size:
        raise ProofRequestInvalid(f"tree size {size} is not between 1 and the current size {tree_size}")
    if index < 0 or index >= size:
        raise ProofRequestInvalid(f"leaf index {index} is not below tree size {size}")


def check_sizes(old_size: int, new_size: int, tree_size: int) -> None:
    """Refuse a consistency proof request outside the tree, with the reason."""
    if new_size > tree_size:
        raise ProofRequestInvalid(f"tree size {new_size} is beyond the current size {tree_size}")
    if old_size < 1 or old_size > new_size:
        raise ProofRequestInvalid(f"old size {old_size} is not between 1 and the new size {new_size}")


def tree_root(reader: HashReader, size: int) -> bytes:
    """MTH(D[0:size]) from the complete subtrees that tile the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes(reader, [(0, size)])[0]


def inclusion_proof(reader: HashReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) per RFC 9162 §2.1.3.1 (caller checks ``0 <= index < size``)."""
    return range_hashes(reader, inclusion_ranges(index, size))


def consistency_proof(reader: HashReader, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) per RFC 9162 §2.1.4.1 (caller checks ``0 < old <= new``)."""
    return range_hashes(reader, consistency_ranges(old_size, new_size))


@dataclass(frozen=True, slots=True)
class LevelRun:
    """New complete nodes at one level: indexes ``first, first + 1, ...``."""

    level: int
    first: int
    hashes: list[bytes]


def grow(size: int, edge: dict[int, bytes], new_leaf_hashes: list[bytes]) -> list[LevelRun]:
    """Every complete node created by appending ``new_leaf_hashes`` to a tree of ``size`` leaves.

    ``edge`` is the compact range of the old tree: ``edge[level]`` for each set bit ``level`` of
    ``size`` is the hash of the node ``(level, (size >> level) - 1)``. Work is linear in the batch.
    """
    runs: list[LevelRun] = []
    level, first, nodes = 0, size, new_leaf_hashes
    while nodes:
        runs.append(LevelRun(level, first, nodes))
        nodes = parent_hashes([edge[level], *nodes]) if first & 1 else parent_hashes(nodes)
        first >>= 1
        level += 1
    return runs


class Frontier:
    """The compact range of ``[0, size)``: one hash per set bit of ``size`` (the right edge).

    Enough to append and to compute the root without the rest of the tree; memory is O(log n).
    """

    __slots__ = ("edge", "size")

    def __init__(self, size: int = 0, edge: dict[int, bytes] | None = None) -> None:
        self.size = size
        self.edge: dict[int, bytes] = dict(edge or {})
        missing = [
            level for level in range(size.bit_length()) if size >> level & 1 and level not in self.edge
        ]
        if missing:
            raise ValueError(f"frontier of size {size} lacks levels {missing}")

    @staticmethod
    def edge_nodes(size: int) -> list[Node]:
        """The nodes of the compact range of ``[0, size)``, largest first."""
        return range_nodes(0, size)

    def extend(self, new_leaf_hashes: list[bytes]) -> list[LevelRun]:
        """Append leaf hashes; return the new complete nodes (for a store to persist)."""
        runs = grow(self.size, self.edge, new_leaf_hashes)
        new_size = self.size + len(new_leaf_hashes)
        edge: dict[int, bytes] = {}
        for level in range(new_size.bit_length()):
            if not new_size >> level & 1:
                continue
            index = (new_size >> level) - 1
            if level < len(runs) and index >= runs[level].first:
                edge[level] = runs[level].hashes[index - runs[level].first]
            else:
                edge[level] = self.edge[level]
        self.size, self.edge = new_size, edge
        return runs

    def append(self, leaf: bytes) -> int:
        """Append one leaf's bytes; return its index."""
        index = self.size
        self.extend([leaf_hash(leaf)])
        return index

    def root(self) -> bytes:
        if self.size == 0:
            return EMPTY_ROOT
        return fold_right([self.edge[level] for level, _ in self.edge_nodes(self.size)])


class MemoryTree:
    """A whole tree in memory (every level kept): for tests, tools and small logs, not for a node."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self._frontier = Frontier()
        self.extend_hashes([leaf_hash(leaf) for leaf in leaves])

    @property
    def size(self) -> int:
        return self._frontier.size

    def extend_hashes(self, new_leaf_hashes: list[bytes]) -> None:
        for run in self._frontier.extend(new_leaf_hashes):
            while len(self.levels) <= run.level:
                self.levels.append([])
            self.levels[run.level].extend(run.hashes)

    def append(self, leaf: bytes) -> int:
        index = self.size
        self.extend_hashes([leaf_hash(leaf)])
        return index

    def node_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        return [self.levels[level][index] for level, index in nodes]

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        check_index(index, size, self.size)
        return inclusion_proof(self, index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        check_sizes(old_size, new_size, self.size)
        return consistency_proof(self, old_size, new_size)
