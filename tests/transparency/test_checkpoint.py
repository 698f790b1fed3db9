"""Checkpoints: the C2SP example, round trips through a signed note, and strict parsing."""

from __future__ import annotations

import base64

import pytest

from esledger.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    make_checkpoint,
    parse_checkpoint,
    verify_checkpoint,
)
from esledger.transparency.merkle import MemoryTree, leaf_hash, root
from esledger.transparency.note import NoteError, generate_signer_key, parse_signer_key, sign_note

# C2SP tlog-checkpoint spec (github.com/C2SP/C2SP tlog-checkpoint.md), the example's note text.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


def test_spec_example() -> None:
    checkpoint = parse_checkpoint(SPEC_BODY)
    assert checkpoint == Checkpoint(
        "example.com/behind-the-sofa", 20852163, base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    )
    assert make_checkpoint(checkpoint.origin, checkpoint.size, checkpoint.root) == SPEC_BODY


def test_signed_checkpoint_round_trip() -> None:
    skey, vkey = generate_signer_key("log.example/esledger")
    name, private_key = parse_signer_key(skey)
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(5))
    body = make_checkpoint(name, 5, root(5, tree), ["extension one"])
    checkpoint = verify_checkpoint(sign_note(body, name, private_key), vkey)
    assert checkpoint == Checkpoint(name, 5, root(5, tree), ("extension one",))


def test_checkpoint_of_another_log_fails() -> None:
    skey, vkey = generate_signer_key("log.example/esledger")
    name, private_key = parse_signer_key(skey)
    note = sign_note(make_checkpoint("other.example/log", 1, ROOT), name, private_key)
    expected = r"origin 'other\.example/log' is not the expected 'log\.example/esledger'"
    with pytest.raises(CheckpointError, match=expected):
        verify_checkpoint(note, vkey)
    assert verify_checkpoint(note, vkey, origin="other.example/log").origin == "other.example/log"


def test_tampered_checkpoint_fails() -> None:
    skey, vkey = generate_signer_key("log.example/esledger")
    name, private_key = parse_signer_key(skey)
    note = sign_note(make_checkpoint(name, 10, ROOT), name, private_key)
    with pytest.raises(NoteError, match="does not verify"):
        verify_checkpoint(note.replace("\n10\n", "\n11\n"), vkey)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"o\n1\n{ROOT_B64}", "the text must end with a newline"),
        ("o\n1\n", "2 lines, expected at least 3"),
        (f"\n1\n{ROOT_B64}\n", "line 1: the origin is empty"),
        (f"o\n01\n{ROOT_B64}\n", "line 2: tree size '01' is not a decimal without leading zeros"),
        (f"o\n-1\n{ROOT_B64}\n", "line 2: tree size '-1'"),
        (f"o\n\u0661\n{ROOT_B64}\n", "line 2: tree size '\u0661'"),  # a non-ASCII digit
        (f"o\n{2**64}\n{ROOT_B64}\n", "line 2: tree size 18446744073709551616 is over 2\\*\\*64 - 1"),
        ("o\n1\nnot base64!\n", "line 3: root hash 'not base64!' is not standard base64"),
        (f"o\n1\n{ROOT_B64[:-4]}\n", "line 3: root hash .* is not the base64 of 32 bytes"),
        (f"o\n1\n{ROOT_B64[:-2]}9=\n", "line 3: root hash .* is not the base64 of 32 bytes"),  # non-canonical
        (f"o\n1\n{ROOT_B64}\next\n\n", "line 5: extension lines must not be empty"),
    ],
)
def test_malformed_bodies_fail(body: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint(body)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1, ROOT), "origin '' must be a non-empty single line"),
        (("a\nb", 1, ROOT), "must be a non-empty single line"),
        (("o", -1, ROOT), "tree size -1 is not an unsigned 64-bit integer"),
        (("o", 1, ROOT[:31]), "root hash has 31 bytes, expected 32"),
        (("o", 1, ROOT, [""]), "extension line '' must be a non-empty single line"),
    ],
)
def test_make_checkpoint_refuses_bad_fields(args: tuple, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        make_checkpoint(*args)
