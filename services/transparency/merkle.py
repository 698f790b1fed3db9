"""RFC 9162 §2.1 Merkle tree over SHA-256: hashing, proofs read from stored perfect subtrees, and their
verification.

Storage model. A *perfect node* ``(level, index)`` is the root of the complete subtree of ``2**level``
leaves starting at leaf ``index * 2**level``; level 0 holds the leaf hashes. Once the log has
``(index + 1) * 2**level`` leaves that node is complete and never changes again, so the store writes it
once (``CompactRange.append`` says which ones) and every later read, for any tree size, can use it.
Every other hash a proof or root needs is a fold of O(log n) perfect nodes, so nothing here ever reads
a node that is not yet complete at the tree size asked for, and nothing passes over all leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof, or the hashes it is checked against, does not verify; the message names what failed."""


class NodeReader(Protocol):
    """Read access to stored perfect nodes.

    ``node(level, index)`` returns the hash of the complete subtree of ``2**level`` leaves starting at
    leaf ``index * 2**level`` (level 0: the leaf hash of leaf ``index``). Callers here only ask for nodes
    that lie entirely inside the tree size they work on.
    """

    def node(self, level: int, index: int) -> bytes: ...


@dataclass(frozen=True)
class Node:
    """A newly completed perfect node, to be stored under ``(level, index)``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: the 0x00 prefix keeps a leaf from ever colliding with an interior node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: 0x01 prefix, then the two children."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH by its recursive definition (O(n)): the reference the stored-node functions must agree with."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(merkle_root(leaf_hashes[:k]), merkle_root(leaf_hashes[k:]))


def root(size: int, reader: NodeReader) -> bytes:
    """The root hash of the first ``size`` leaves, from at most log2(size)+1 perfect nodes."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return _range_hash(0, size, reader) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf-side first, from O(log size) node reads."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    return [_range_hash(start, end, reader) for start, end in _inclusion_ranges(index, size)]


def root_nodes(size: int) -> list[tuple[int, int]]:
    """The stored nodes ``root(size)`` reads."""
    return _perfect_nodes(0, size)


def inclusion_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """The stored nodes ``inclusion_proof(index, size)`` reads."""
    return [n for start, end in _inclusion_ranges(index, size) for n in _perfect_nodes(start, end)]


def consistency_nodes(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The stored nodes ``consistency_proof(old_size, new_size)`` reads."""
    return [n for start, end in _consistency_ranges(old_size, new_size) for n in _perfect_nodes(start, end)]


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size]), from O(log new_size) node reads.

    Empty when ``old_size`` is 0 or equals ``new_size``: nothing needs proving then.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove tree size {old_size} consistent with tree size {new_size}")
    return [_range_hash(start, end, reader) for start, end in _consistency_ranges(old_size, new_size)]


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check an inclusion proof by the algorithm of RFC 9162 §2.1.3.2; raise ProofError naming the failure."""
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    for step, p in enumerate(proof, 1):
        _check_hash(f"inclusion proof step {step}", p)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise _length_error("inclusion", len(_inclusion_ranges(index, size)), len(proof))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _skip_right_border(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise _length_error("inclusion", len(_inclusion_ranges(index, size)), len(proof))
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree size {size}: computed root {r.hex()} "
            f"!= expected root {root.hex()}"
        )


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check a consistency proof by the algorithm of RFC 9162 §2.1.4.2; raise ProofError naming the failure.

    The RFC defines the check for 0 < old_size < new_size. At the edges, as PROOF defines them: size 0 is
    a prefix of every tree (its root must be the empty root); equal sizes need equal roots. Both take an
    empty proof.
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old tree size {old_size} is not between 0 and new tree size {new_size}")
    for step, c in enumerate(proof, 1):
        _check_hash(f"consistency proof step {step}", c)
    if old_size == 0 or old_size == new_size:
        if proof:
            raise _length_error("consistency", 0, len(proof))
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if old_root != expected:
            raise ProofError(
                f"consistency proof {old_size} -> {new_size}: old root {old_root.hex()} "
                f"!= {'empty tree root' if old_size == 0 else 'new root'} {expected.hex()}"
            )
        return
    if not proof:
        raise _length_error("consistency", len(_consistency_ranges(old_size, new_size)), 0)
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _length_error("consistency", len(_consistency_ranges(old_size, new_size)), len(proof))
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _skip_right_border(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise _length_error("consistency", len(_consistency_ranges(old_size, new_size)), len(proof))
    if fr != old_root:
        raise ProofError(
            f"consistency proof {old_size} -> {new_size}: computed old root {fr.hex()} "
            f"!= expected old root {old_root.hex()}"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof {old_size} -> {new_size}: computed new root {sr.hex()} "
            f"!= expected new root {new_root.hex()}"
        )


@dataclass(frozen=True)
class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size), largest first.

    That is all an appender needs: adding leaf ``size`` merges it with the trailing equal-sized roots,
    and each merge is a perfect node completed by this append.
    """

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"tree size {self.size} is negative")
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a compact range of size {self.size} has {self.size.bit_count()} hashes, not {len(self.hashes)}"
            )

    @classmethod
    def load(cls, size: int, reader: NodeReader) -> CompactRange:
        """Rebuild the range of a stored log of ``size`` leaves from its popcount(size) frontier nodes."""
        if size < 0:
            raise ValueError(f"tree size {size} is negative")
        return cls(size, tuple(reader.node(level, index) for level, index in _perfect_nodes(0, size)))

    def append(self, leaf_hash: bytes) -> tuple[CompactRange, list[Node]]:
        """Add leaf number ``size``; return the new range and the nodes to store (the leaf first, then
        each parent it completes, level by level)."""
        _check_hash("leaf hash", leaf_hash, ValueError)
        hashes, index, h = list(self.hashes), self.size, leaf_hash
        new = [Node(0, index, h)]
        while index & 1:
            h, index = node_hash(hashes.pop(), h), index >> 1
            new.append(Node(len(new), index, h))
        return CompactRange(self.size + 1, (*hashes, h)), new

    def root(self) -> bytes:
        """The tree head of these ``size`` leaves."""
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT


class MemoryTree:
    """An in-memory NodeReader holding exactly the nodes a store would: for tests and small tools."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._range = CompactRange()
        self._nodes: dict[tuple[int, int], bytes] = {}
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return self._range.size

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Add a leaf as the log would, keeping the nodes it completes; returns them."""
        self._range, new = self._range.append(leaf_hash)
        self._nodes.update(((n.level, n.index), n.hash) for n in new)
        return new

    def node(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise LookupError(f"perfect node ({level}, {index}) is not stored (tree size {self.size})") from None


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


def _perfect_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect nodes covering [start, end), largest first, for a range that starts on a multiple of a
    power of two at least its size, which is the shape of every subtree MTH splits into."""
    nodes, pos = [], start
    for level in reversed(range((end - start).bit_length())):
        if (end - start) >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect subtree roots, largest first, as MTH does: each left subtree is the larger one."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _range_hash(start: int, end: int, reader: NodeReader) -> bytes:
    return _fold([reader.node(level, index) for level, index in _perfect_nodes(start, end)])


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PATH(index, D[size]), leaf-side first."""
    ranges, start, end = [], 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    return ranges[::-1]


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PROOF(old_size, D[new_size]) (RFC 9162 SUBPROOF), in order."""
    if old_size == 0 or old_size == new_size:
        return []
    ranges, start, end, whole = [], 0, new_size, True
    while old_size != end:
        mid = start + _split(end - start)
        if old_size <= mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start, whole = mid, False
    if not whole:
        ranges.append((start, end))
    return ranges[::-1]


def _skip_right_border(fn: int, sn: int) -> tuple[int, int]:
    """RFC 9162 step "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0"."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _check_hash(what: str, value: bytes, error: type[ValueError] = ProofError) -> None:
    if len(value) != HASH_SIZE:
        raise error(f"{what}: hash has {len(value)} bytes, expected {HASH_SIZE}")


def _length_error(kind: str, expected: int, got: int) -> ProofError:
    return ProofError(f"{kind} proof: wrong proof length: expected {expected}, got {got}")
