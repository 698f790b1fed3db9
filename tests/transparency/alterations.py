"""Ways to alter a valid proof or its claims, each of which must make verification fail.

After the corruptions in transparency-dev/merkle proof/verify_test.go (corruptInclusionProof,
corruptConsistencyProof), plus swapped proof elements and well-formed (32-byte) wrong hashes.
"""

from __future__ import annotations

from collections.abc import Sequence

from esledger.transparency.merkle import EMPTY_ROOT, leaf_hash
from tests.transparency.vectors import SOME_HASH

WRONG_HASH = leaf_hash(b"not in the tree")


def _flip(proof: Sequence[bytes], i: int, byte: int, bit: int) -> list[bytes]:
    altered = list(proof)
    h = bytearray(altered[i])
    h[byte] ^= 1 << bit
    altered[i] = bytes(h)
    return altered


def _proof_alterations(proof: Sequence[bytes], extra: Sequence[bytes]) -> list[tuple[str, list[bytes]]]:
    """Bit flips, truncation, garbage or known hashes added at either end, swapped neighbours."""
    p = list(proof)
    out = [("trailing garbage", [*p, b""]), ("preceding garbage", [b"", *p])]
    for name, h in [("some hash", SOME_HASH), *((f"hash {i}", h) for i, h in enumerate(extra))]:
        out += [(f"trailing {name}", [*p, h]), (f"preceding {name}", [h, *p])]
    if p:
        out += [
            ("truncated", p[:-1]),
            ("first removed", p[1:]),
            ("preceding proof[0]", [p[0], *p]),
            ("inserted after proof[0]", [p[0], SOME_HASH, *p[1:]]),
        ]
    for i in range(len(p)):
        out += [
            (f"proof[{i}] bit 3 of byte 0 flipped", _flip(p, i, 0, 3)),
            (f"proof[{i}] bit 0 of byte 31 flipped", _flip(p, i, 31, 0)),
        ]
    for i in range(len(p) - 1):
        if p[i] != p[i + 1]:
            out.append((f"proof[{i}] and proof[{i + 1}] swapped", [*p[:i], p[i + 1], p[i], *p[i + 2 :]]))
    return out


def inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> list[tuple[str, tuple]]:
    """(description, arguments for verify_inclusion) for every alteration of a valid proof."""
    p = list(proof)
    out = [
        ("index - 1", (leaf, index - 1, size, p, root)),
        ("index + 1", (leaf, index + 1, size, p, root)),
        ("index ^ 2", (leaf, index ^ 2, size, p, root)),
        ("size * 2", (leaf, index, size * 2, p, root)),
        ("size // 2", (leaf, index, size // 2, p, root)),
        ("short leaf hash", (b"WrongLeaf", index, size, p, root)),
        ("wrong leaf hash", (WRONG_HASH, index, size, p, root)),
        ("empty tree root", (leaf, index, size, p, EMPTY_ROOT)),
        ("some other root", (leaf, index, size, p, SOME_HASH)),
    ]
    out += [(desc, (leaf, index, size, altered, root)) for desc, altered in _proof_alterations(p, [root, leaf])]
    return out


def consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> list[tuple[str, tuple]]:
    """(description, arguments for verify_consistency) for every alteration of a valid, non-empty proof."""
    p = list(proof)
    out = [
        ("old size - 1", (old_size - 1, new_size, old_root, new_root, p)),
        ("old size + 1", (old_size + 1, new_size, old_root, new_root, p)),
        ("old size ^ 2", (old_size ^ 2, new_size, old_root, new_root, p)),
        ("new size * 2", (old_size, new_size * 2, old_root, new_root, p)),
        ("new size // 2", (old_size, new_size // 2, old_root, new_root, p)),
        ("short old root", (old_size, new_size, b"WrongRoot", new_root, p)),
        ("short new root", (old_size, new_size, old_root, b"WrongRoot", p)),
        ("wrong old root", (old_size, new_size, WRONG_HASH, new_root, p)),
        ("wrong new root", (old_size, new_size, old_root, WRONG_HASH, p)),
        ("swapped roots", (old_size, new_size, new_root, old_root, p)),
        ("empty proof", (old_size, new_size, old_root, new_root, [])),
    ]
    out += [
        (desc, (old_size, new_size, old_root, new_root, altered))
        for desc, altered in _proof_alterations(p, [old_root, new_root])
    ]
    return out
