"""C2SP tlog-checkpoint note text (c2sp.org/tlog-checkpoint): the signed tree head of the log.

The body is ``<origin>\\n<tree size, decimal>\\n<base64 root hash>\\n`` followed by optional non-empty
extension lines; signed as a note (see ``note``) by a key whose name is, by convention, the origin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from esledger.core.encoding import b64, unb64
from esledger.transparency.merkle import HASH_SIZE
from esledger.transparency.note import parse_verifier_key, verify_note

_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = 2**64 - 1


class CheckpointError(ValueError):
    """A checkpoint body that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, and the root hash of those leaves."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def make_checkpoint(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The checkpoint note text, ready for ``sign_note``."""
    if not origin or "\n" in origin:
        raise CheckpointError(f"origin {origin!r} must be a non-empty single line")
    if not 0 <= size <= _MAX_SIZE:
        raise CheckpointError(f"tree size {size} is not an unsigned 64-bit integer")
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"root hash has {len(root)} bytes, expected {HASH_SIZE}")
    for ext in extensions:
        if not ext or "\n" in ext:
            raise CheckpointError(f"extension line {ext!r} must be a non-empty single line")
    return "".join(line + "\n" for line in (origin, str(size), b64(root), *extensions))


def parse_checkpoint(body: str) -> Checkpoint:
    """Read a checkpoint body strictly, so one tree head has exactly one text."""
    if not body.endswith("\n"):
        raise CheckpointError("checkpoint: the text must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint: {len(lines)} lines, expected at least 3 (origin, size, root)")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint line 1: the origin is empty")
    if not _SIZE.fullmatch(size_text):
        raise CheckpointError(f"checkpoint line 2: tree size {size_text!r} is not a decimal without leading zeros")
    if len(size_text) > 20 or int(size_text) > _MAX_SIZE:
        raise CheckpointError(f"checkpoint line 2: tree size {size_text} is over 2**64 - 1")
    root = unb64(root_text, "checkpoint line 3: root hash", CheckpointError)
    if len(root) != HASH_SIZE or b64(root) != root_text:
        raise CheckpointError(f"checkpoint line 3: root hash {root_text!r} is not the base64 of {HASH_SIZE} bytes")
    for number, ext in enumerate(extensions, 4):
        if not ext:
            raise CheckpointError(f"checkpoint line {number}: extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def verify_checkpoint(note: str, verifier_key_text: str, origin: str | None = None) -> Checkpoint:
    """A checkpoint signed by the key and issued by the expected log (by default the key's name).

    The origin check keeps a validly signed tree head of some other log from passing for this one.
    """
    checkpoint = parse_checkpoint(verify_note(note, verifier_key_text))
    expected = parse_verifier_key(verifier_key_text).name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(f"checkpoint line 1: origin {checkpoint.origin!r} is not the expected {expected!r}")
    return checkpoint
