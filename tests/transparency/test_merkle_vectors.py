"""Known-answer tests: the public RFC 6962 / RFC 9162 vectors of transparency-dev/merkle (see vectors.py)."""

from __future__ import annotations

import hashlib

import pytest

from esledger.transparency.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.transparency import alterations
from tests.transparency.vectors import (
    COMPACT_TREES,
    CONSISTENCY_PROOFS,
    EMPTY_ROOT_HEX,
    INCLUSION_PROOFS,
    LEAF_HASH_CASES,
    LEAF_INPUTS,
    NODE_HASH_CASE,
    NODE_HASHES,
    ROOTS,
    SOME_HASH,
    SUBTREE_HASH_ACCUMULATOR,
    SUBTREE_INCLUSION_ACCUMULATOR,
    SUBTREE_VECTOR_LEAVES,
)

LEAVES = [leaf_hash(d) for d in LEAF_INPUTS]
TREE = MemoryTree(LEAVES)


@pytest.mark.parametrize(("data", "expected"), LEAF_HASH_CASES)
def test_leaf_hash(data: bytes, expected: str) -> None:
    assert leaf_hash(data).hex() == expected


def test_node_hash_and_empty_root() -> None:
    left, right, expected = NODE_HASH_CASE
    assert node_hash(left, right).hex() == expected
    assert EMPTY_ROOT.hex() == EMPTY_ROOT_HEX


def test_every_perfect_node_is_stored_with_the_published_hash() -> None:
    for level, hashes in enumerate(NODE_HASHES):
        for index, expected in enumerate(hashes):
            assert TREE.node(level, index) == expected, (level, index)


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_roots(size: int) -> None:
    tree = MemoryTree(LEAVES[:size])
    assert root(size, tree) == ROOTS[size]
    assert root(size, TREE) == ROOTS[size]
    assert merkle_root(LEAVES[:size]) == ROOTS[size]
    compact = CompactRange.load(size, TREE)
    assert compact.hashes == tuple(TREE.node(level, index) for level, index in COMPACT_TREES[size])
    assert compact.root() == ROOTS[size]


def test_appender_returns_the_leaf_and_each_completed_parent() -> None:
    compact, stored = CompactRange(), []
    for h in LEAVES:
        compact, new = compact.append(h)
        stored.append([(n.level, n.index) for n in new])
        assert all(n.hash == NODE_HASHES[n.level][n.index] for n in new)
    assert stored == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(index, size, TREE) == proof
    assert inclusion_proof(index, size, MemoryTree(LEAVES[:size])) == proof
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_altered_inclusion_vectors_fail(index: int, size: int, proof: list[bytes]) -> None:
    for desc, args in alterations.inclusion(LEAVES[index], index, size, proof, ROOTS[size]):
        try:
            verify_inclusion(*args)
        except ProofError:
            continue
        pytest.fail(f"verified after: {desc}")


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(old, new, TREE) == proof
    assert consistency_proof(old, new, MemoryTree(LEAVES[:new])) == proof
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY_PROOFS if v[2]])
def test_altered_consistency_vectors_fail(old: int, new: int, proof: list[bytes]) -> None:
    for desc, args in alterations.consistency(old, new, ROOTS[old], ROOTS[new], proof):
        try:
            verify_consistency(*args)
        except ProofError:
            continue
        pytest.fail(f"verified after: {desc}")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (8, 8)])
def test_inclusion_index_outside_tree(index: int, size: int) -> None:
    with pytest.raises(ProofError, match=f"leaf index {index} is outside a tree of size {size}"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(index, size, TREE)


def test_single_leaf_tree() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    with pytest.raises(ProofError, match="leaf hash: hash has 0 bytes, expected 32"):
        verify_inclusion(b"", 0, 1, [], h)
    with pytest.raises(ProofError, match="root: hash has 0 bytes"):
        verify_inclusion(h, 0, 1, [], b"")


def test_consistency_edge_sizes() -> None:
    """Equal sizes need equal roots and no proof; size 0 is a prefix of every tree."""
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert consistency_proof(0, 5, TREE) == consistency_proof(5, 5, TREE) == []
    failing = [
        ((5, 5, ROOTS[5], ROOTS[6], []), "old root .* != new root"),
        ((0, 5, ROOTS[1], ROOTS[5], []), "old root .* != empty tree root"),
        ((0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), "wrong proof length: expected 0, got 1"),
        ((1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT]), "wrong proof length: expected 0, got 1"),
        ((1, 0, ROOTS[1], ROOTS[0], []), "old tree size 1 is not between 0 and new tree size 0"),
        ((1, 2, ROOTS[1], ROOTS[2], []), "wrong proof length: expected 1, got 0"),
    ]
    for args, message in failing:
        with pytest.raises(ProofError, match=message):
            verify_consistency(*args)
    with pytest.raises(ValueError, match="cannot prove tree size 6 consistent with tree size 5"):
        consistency_proof(6, 5, TREE)


def test_messages_name_what_failed() -> None:
    index, size, proof = INCLUSION_PROOFS[0]
    with pytest.raises(ProofError, match=r"^inclusion proof: wrong proof length: expected 3, got 2$"):
        verify_inclusion(LEAVES[index], index, size, proof[:2], ROOTS[size])
    with pytest.raises(ProofError, match=r"^inclusion proof: wrong proof length: expected 3, got 4$"):
        verify_inclusion(LEAVES[index], index, size, [*proof, SOME_HASH], ROOTS[size])
    with pytest.raises(ProofError, match=r"^inclusion proof step 2: hash has 31 bytes, expected 32$"):
        verify_inclusion(LEAVES[index], index, size, [proof[0], proof[1][:31], proof[2]], ROOTS[size])
    with pytest.raises(ProofError) as caught:
        verify_inclusion(LEAVES[1], index, size, proof, ROOTS[size])
    computed = merkle_root([LEAVES[1], *LEAVES[1:]])
    assert str(caught.value) == (
        f"inclusion proof for leaf 0 in tree size 8: computed root {computed.hex()} != expected root {ROOTS[8].hex()}"
    )
    old, new, cproof = CONSISTENCY_PROOFS[2]
    with pytest.raises(
        ProofError,
        match=f"^consistency proof 6 -> 8: computed old root [0-9a-f]{{64}} != expected old root {ROOTS[5].hex()}$",
    ):
        verify_consistency(old, new, ROOTS[5], ROOTS[new], cproof)
    with pytest.raises(
        ProofError,
        match=f"^consistency proof 6 -> 8: computed new root {ROOTS[8].hex()} != expected new root {ROOTS[7].hex()}$",
    ):
        verify_consistency(old, new, ROOTS[old], ROOTS[7], cproof)


def _subtree_valid(start: int, end: int) -> bool:
    """A subtree as draft-ietf-plants-merkle-tree-certs defines it (isSubtreeValid in the Go reference)."""
    return start == 0 or start == end or start % (1 << (end - start - 1).bit_length()) == 0


def test_subtree_accumulated_vectors() -> None:
    """Every subtree of a 130-leaf tree: its hash and the inclusion proofs within it (a subtree's inclusion
    proof is the ordinary proof in the tree of its leaves) fold to the published SHA-256."""
    leaves = [leaf_hash(bytes([i])) for i in range(SUBTREE_VECTOR_LEAVES)]
    hashes, proofs = hashlib.sha256(), hashlib.sha256()
    for end in range(SUBTREE_VECTOR_LEAVES + 1):
        for start in filter(lambda s: _subtree_valid(s, end), range(end + 1)):
            sub = MemoryTree(leaves[start:end])
            hashes.update(f"[{start}, {end}) {root(end - start, sub).hex()}\n".encode())
            for index in range(start, end):
                path = "".join(" " + h.hex() for h in inclusion_proof(index - start, end - start, sub))
                proofs.update(f"{index} [{start}, {end}){path}\n".encode())
    assert hashes.hexdigest() == SUBTREE_HASH_ACCUMULATOR
    assert proofs.hexdigest() == SUBTREE_INCLUSION_ACCUMULATOR


def test_compact_range_refuses_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="a compact range of size 3 has 2 hashes, not 1"):
        CompactRange(3, (ROOTS[2],))
    with pytest.raises(ValueError, match="tree size -1 is negative"):
        CompactRange.load(-1, TREE)
    with pytest.raises(ValueError, match="leaf hash: hash has 4 bytes, expected 32"):
        CompactRange().append(b"leaf")
    with pytest.raises(LookupError, match=r"perfect node \(0, 8\) is not stored \(tree size 8\)"):
        TREE.node(0, 8)
