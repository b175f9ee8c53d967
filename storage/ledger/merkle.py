"""RFC 9162 §2.1 Merkle tree hashing (SHA-256), proofs and their verification.

The tree over entries ``d[0..n)`` is the Merkle Tree Hash of RFC 9162 (identical to
RFC 6962): ``MTH({}) = SHA-256()``, ``MTH({d}) = SHA-256(0x00 || d)`` and, for ``n > 1``
with ``k`` the largest power of two smaller than ``n``,
``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``.

Every subtree that RFC 9162 ever hashes is either *perfect* (``2**level`` leaves
starting at a multiple of ``2**level``) or made of a few perfect subtrees folded right
to left. So a store only needs to keep perfect nodes, written once when they become
complete (:func:`nodes_completed_by_append`), and roots and proofs need ``O(log n)``
node reads from a :class:`NodeReader`, never a pass over the whole tree.

Positions are 0-based. Node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes.

Producing a root or proof for positions outside the tree raises :class:`ProofError`;
``verify_*`` functions never raise and answer ``False`` to anything malformed.
Consistency from the empty tree (``old_size == 0``) has no RFC 9162 proof: it is
refused when proving and answered ``False`` when verifying; a verifier that has no
earlier checkpoint has nothing to check consistency against.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from storage.ledger.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeStore",
    "NodeReader",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "mth",
    "node_hash",
    "nodes_completed_by_append",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree, ``SHA-256()`` (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """Hash of one log entry: ``SHA-256(0x00 || entry)``."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def mth(leaves: Sequence[bytes]) -> bytes:
    """Naive recursive Merkle Tree Hash of raw *entries* (not leaf hashes), per RFC 9162.

    Linear in the number of entries and recursive: a reference for tests and for the
    full re-verification of small bundles, not for a production-sized ledger.
    """
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = _largest_power_of_two_below(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


class NodeReader(Protocol):
    """Read access to the perfect nodes of a tree, however they are stored.

    Implementations MUST return, for every node completed so far, the hash that
    :func:`nodes_completed_by_append` produced for it, and MUST raise ``LookupError``
    (``KeyError`` and ``IndexError`` are subclasses) for a node that is not stored.
    The functions of this module translate that into :class:`ProofError`.
    """

    def perfect_node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree of ``2**level`` leaves starting at leaf ``index * 2**level``."""
        ...


def nodes_completed_by_append(
    leaf_index: int, leaf: bytes, reader: NodeReader
) -> list[tuple[int, int, bytes]]:
    """Every perfect node that becomes complete when leaf number ``leaf_index`` is appended.

    ``leaf`` is the new leaf's *hash* (:func:`leaf_hash` of the entry). ``reader`` must
    already hold every node completed by leaves ``0 .. leaf_index - 1``. The result is
    ``(level, index, hash)`` tuples from level 0 upwards: one per trailing 1-bit of
    ``leaf_index`` plus the leaf itself, two per leaf on average.
    """
    if leaf_index < 0:
        raise ProofError(f"leaf index must be 0 or more, got {leaf_index}")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}: pass leaf_hash(entry)")
    completed = [(0, leaf_index, leaf)]
    level, index, current = 0, leaf_index, leaf
    while index & 1:
        current = node_hash(_read(reader, level, index - 1), current)
        level, index = level + 1, index >> 1
        completed.append((level, index, current))
    return completed


class MemoryNodeStore:
    """An in-memory :class:`NodeReader` that can be appended to.

    For tests, benchmarks and the offline verifier, which rebuilds a tree from an
    exported bundle. About 150 bytes of memory per leaf.
    """

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self._levels[0]) if self._levels else 0

    def append(self, entry: bytes) -> int:
        """Append a raw entry (hashed with :func:`leaf_hash`); returns its leaf index."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Append an already computed leaf hash; returns its leaf index."""
        leaf_index = self.size
        for level, index, digest in nodes_completed_by_append(leaf_index, leaf, self):
            if level == len(self._levels):
                self._levels.append([])
            row = self._levels[level]
            # Nodes complete strictly in order at every level, so an append suffices.
            assert index == len(row)
            row.append(digest)
        return leaf_index

    def perfect_node(self, level: int, index: int) -> bytes:
        """See :meth:`NodeReader.perfect_node`; raises ``IndexError`` for a node not stored."""
        if level < 0 or index < 0:
            raise IndexError(f"no node at level {level}, index {index}")
        return self._levels[level][index]

    def root(self) -> bytes:
        """Root hash of everything appended so far."""
        return root_hash(self.size, self)


def root_hash(size: int, reader: NodeReader) -> bytes:
    """Root hash of the first ``size`` leaves, in at most ``log2(size) + 1`` node reads."""
    if size < 0:
        raise ProofError(f"tree size must be 0 or more, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(0, size, reader)


def inclusion_proof(leaf_index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Audit path of leaf ``leaf_index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1).

    Ordered from the leaf's sibling up to the root's child, as ``PATH(m, D[n])``.
    """
    if not 0 <= leaf_index < size:
        raise ProofError(f"leaf {leaf_index} is not in a tree of size {size}: need 0 <= leaf < size")
    # Walk the RFC recursion from the root down, then return the siblings bottom-up.
    siblings: list[bytes] = []
    start, count, index = 0, size, leaf_index
    while count > 1:
        k = _largest_power_of_two_below(count)
        if index < k:
            siblings.append(_range_hash(start + k, count - k, reader))
            count = k
        else:
            siblings.append(_range_hash(start, k, reader))
            start, count, index = start + k, count - k, index - k
    siblings.reverse()
    return siblings


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """Proof that the tree of ``old_size`` leaves is a prefix of that of ``new_size`` (§2.1.4.1).

    ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)``; empty when ``old_size == new_size``.
    ``old_size`` must be at least 1: RFC 9162 defines no proof from the empty tree.
    """
    if not 0 < old_size <= new_size:
        raise ProofError(
            f"no consistency proof from size {old_size} to size {new_size}: need 0 < old_size <= new_size"
        )
    # SUBPROOF(m, D[start:start+count], known) walked from the root down; each step
    # appends the hash that comes *after* the inner subproof, hence the final reverse.
    proof: list[bytes] = []
    start, count, m, known = 0, new_size, old_size, True
    while m != count:
        k = _largest_power_of_two_below(count)
        if m <= k:
            proof.append(_range_hash(start + k, count - k, reader))
            count = k
        else:
            proof.append(_range_hash(start, k, reader))
            start, count, m, known = start + k, count - k, m - k, False
    if not known:
        proof.append(_range_hash(start, count, reader))
    proof.reverse()
    return proof


def verify_inclusion(leaf_index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``leaf_index`` under ``root`` (RFC 9162 §2.1.3.2).

    The proof binds the leaf to the root, not the size to the root: a proof can also
    verify for another size whose tree has the same shape along the leaf's path. Take
    ``size`` and ``root`` together from one signed checkpoint.
    """
    if not _all_hashes(leaf, root, *proof) or not 0 <= leaf_index < size:
        return False
    fn, sn = leaf_index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the ``old_size`` tree is a prefix of the ``new_size`` one (§2.1.4.2).

    Equal sizes verify only with an empty proof and equal roots. ``old_size == 0`` and
    ``old_size > new_size`` never verify. As for inclusion, sizes are only as
    trustworthy as the signed checkpoints they come from.
    """
    if not _all_hashes(old_root, new_root, *proof) or not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def _range_hash(start: int, count: int, reader: NodeReader) -> bytes:
    """MTH of leaves ``[start, start + count)``, a subtree the RFC recursion can reach.

    Such a range splits into perfect subtrees of decreasing size, one per 1-bit of
    ``count``; folding them right to left is exactly the RFC recursion.
    """
    parts: list[bytes] = []
    offset = start
    for level in range(count.bit_length() - 1, -1, -1):
        if count >> level & 1:
            parts.append(_read(reader, level, offset >> level))
            offset += 1 << level
    result = parts.pop()
    while parts:
        result = node_hash(parts.pop(), result)
    return result


def _read(reader: NodeReader, level: int, index: int) -> bytes:
    try:
        digest = reader.perfect_node(level, index)
    except LookupError as exc:
        first = index << level
        raise ProofError(
            f"the node store has no node at level {level}, index {index} "
            f"(leaves {first}..{first + (1 << level) - 1}): the tree is smaller than asked"
        ) from exc
    if len(digest) != HASH_SIZE:
        raise ProofError(
            f"the node store returned {len(digest)} bytes for node ({level}, {index}), expected {HASH_SIZE}"
        )
    return digest


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _all_hashes(*values: object) -> bool:
    return all(isinstance(value, bytes) and len(value) == HASH_SIZE for value in values)
