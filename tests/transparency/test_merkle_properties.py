"""Properties for trees of 1-300 leaves: proofs from stored nodes verify, read O(log n) nodes and never a node
beyond the tree size; altered proofs fail; the appender stores exactly the perfect nodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esledger.transparency.merkle import (
    CompactRange,
    MemoryTree,
    ProofError,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    root,
    root_nodes,
    verify_consistency,
    verify_inclusion,
)
from tests.transparency import alterations

N = 300
LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(N)]
TREE = MemoryTree(LEAVES)
ROOTS = [merkle_root(LEAVES[:n]) for n in range(N + 1)]


class PrefixReader:
    """The stored tree seen at an earlier size: fails on any node not yet complete then, counts reads."""

    def __init__(self, size: int) -> None:
        self.size, self.reads = size, 0

    def node(self, level: int, index: int) -> bytes:
        assert (index + 1) << level <= self.size, f"read ({level}, {index}) beyond tree size {self.size}"
        self.reads += 1
        return TREE.node(level, index)


def test_appender_stores_exactly_the_perfect_nodes() -> None:
    compact, stored = CompactRange(), dict[tuple[int, int], bytes]()
    for n, h in enumerate(LEAVES):
        compact, new = compact.append(h)
        assert [(x.level, x.index) for x in new] == [(level, n >> level) for level in range(len(new))]
        assert len(new) == 1 + (n ^ (n + 1)).bit_length() - 1  # the leaf, plus one per trailing 1 bit of n
        stored.update(((x.level, x.index), x.hash) for x in new)
        assert compact.root() == ROOTS[n + 1]
        assert CompactRange.load(n + 1, PrefixReader(n + 1)) == compact
    perfect = {(level, i) for level in range(N.bit_length()) for i in range(N >> level)}
    assert set(stored) == perfect
    for (level, i), h in stored.items():
        assert h == merkle_root(LEAVES[i << level : (i + 1) << level]) == TREE.node(level, i)


def test_every_root_from_stored_nodes() -> None:
    for size in range(N + 1):
        reader = PrefixReader(size)
        assert root(size, reader) == ROOTS[size]
        assert reader.reads == size.bit_count()


def test_every_inclusion_proof_verifies() -> None:
    for size in range(1, N + 1):
        for index in range(size):
            reader = PrefixReader(size)
            proof = inclusion_proof(index, size, reader)
            assert reader.reads <= 2 * size.bit_length()
            verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


def test_every_consistency_proof_verifies() -> None:
    for new in range(1, N + 1):
        for old in range(1, new + 1):
            reader = PrefixReader(new)
            proof = consistency_proof(old, new, reader)
            assert reader.reads <= 2 * new.bit_length()
            verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, N))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(2, N))
    return draw(st.integers(1, new - 1)), new


@settings(max_examples=300, deadline=None)
@given(leaf_in_tree())
def test_altered_inclusion_proofs_fail(case: tuple[int, int]) -> None:
    index, size = case
    proof = inclusion_proof(index, size, TREE)
    for desc, args in alterations.inclusion(LEAVES[index], index, size, proof, ROOTS[size]):
        try:
            verify_inclusion(*args)
        except ProofError:
            continue
        pytest.fail(f"verified after: {desc}")


@settings(max_examples=300, deadline=None)
@given(two_sizes())
def test_altered_consistency_proofs_fail(case: tuple[int, int]) -> None:
    old, new = case
    proof = consistency_proof(old, new, TREE)
    for desc, args in alterations.consistency(old, new, ROOTS[old], ROOTS[new], proof):
        try:
            verify_consistency(*args)
        except ProofError:
            continue
        pytest.fail(f"verified after: {desc}")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=16), max_size=N))
def test_appended_tree_agrees_with_the_recursive_definition(entries: list[bytes]) -> None:
    hashes = [leaf_hash(e) for e in entries]
    tree = MemoryTree()
    for n, h in enumerate(hashes, 1):
        tree.append(h)
        assert root(n, tree) == merkle_root(hashes[:n])
    assert CompactRange.load(len(hashes), tree).root() == merkle_root(hashes)


class RecordingReader(PrefixReader):
    """A PrefixReader that keeps which nodes were read."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.keys: set[tuple[int, int]] = set()

    def node(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return super().node(level, index)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, N).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_the_nodes_named_in_advance_are_exactly_those_a_proof_and_a_root_read(case: tuple[int, int]) -> None:
    """What the log reads in one query before a proof (``*_nodes``) is all the proof reads, and nothing more."""
    index, size = case
    reader = RecordingReader(size)
    inclusion_proof(index, size, reader)
    assert reader.keys == set(inclusion_nodes(index, size))
    reader = RecordingReader(size)
    root(size, reader)
    assert reader.keys == set(root_nodes(size))
    reader = RecordingReader(size)
    consistency_proof(index + 1, size, reader)
    assert reader.keys == set(consistency_nodes(index + 1, size))
