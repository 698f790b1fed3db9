"""The log's signing key over the log's life: a process that signs refuses to start with a key other than the
one the latest checkpoint is signed with, unless told to rotate (``ESLEDGER_SIGNING_KEY_ROTATE``); the first
checkpoint a new key signs then names the key before it on an extension line, ``rotated-from <name>+<id>``,
under the new key's signature. So a restored or moved deployment that lost its key cannot silently start a new
log, and an auditor given both public keys sees exactly where one key hands over to the next: a change of key
without that line, or to a key the auditor does not hold, is a failure.
"""

from __future__ import annotations

from collections.abc import Sequence

from esledger.core.encoding import unb64
from esledger.core.errors import ConfigurationError
from esledger.transparency.checkpoint import Checkpoint, CheckpointError, verify_checkpoint
from esledger.transparency.logstore import StoredCheckpoint
from esledger.transparency.note import NoteError, parse_verifier_key
from esledger.transparency.signer import Signer

ROTATED_FROM = "rotated-from"


class SigningKeyChanged(ConfigurationError):
    """The loaded key is not the one the log's latest checkpoint is signed with."""


def key_name(verifier_key_text: str) -> str:
    """``name+hexid``: how a key is named in messages and in a rotation line."""
    key = parse_verifier_key(verifier_key_text)
    return f"{key.name}+{key.key_id.hex()}"


def rotation_line(previous: str) -> str:
    return f"{ROTATED_FROM} {previous}"


def signed_by(note: str, keys: Sequence[str]) -> tuple[str, Checkpoint] | None:
    """The first of ``keys`` (verifier key texts) that signed the checkpoint note, and the checkpoint."""
    for key in keys:
        try:
            return key, verify_checkpoint(note, key)
        except (NoteError, CheckpointError):
            continue
    return None


def key_change(latest: StoredCheckpoint | None, signer: Signer, rotate: bool) -> str | None:
    """At the start of a signing process: the previous key's name when the log changes keys now (the next
    checkpoint records it), None when the key is the log's own (or the log has no checkpoint yet)."""
    if latest is None or signed_by(latest.note, [signer.verifier_key]) is not None:
        return None
    previous = _signature_name(latest.note)
    if rotate:
        return previous
    raise SigningKeyChanged(
        f"the log's latest checkpoint (tree size {latest.size}) is signed by {previous}, not by the loaded key "
        f"{key_name(signer.verifier_key)}: earlier checkpoints would stop verifying. Restore the log's key "
        "(ESLEDGER_SIGNING_KEY_FILE, from your key backup); or, to change keys on purpose, start once with "
        "ESLEDGER_SIGNING_KEY_ROTATE=true (the next checkpoint records the rotation) and give auditors both "
        "public keys (`esledger verify --key OLD --key NEW`)"
    )


def _signature_name(note: str) -> str:
    """``name+hexid`` of the note's first signature line (its key is not one we hold)."""
    line = note[note.rfind("\n\n") + 2 :].split("\n", 1)[0]
    name, _, signature = line.removeprefix("\u2014 ").partition(" ")
    try:
        return f"{name}+{unb64(signature, 'signature', NoteError)[:4].hex()}"
    except NoteError:
        return f"{name} (unreadable signature)"


def check_sequence(checkpoints: Sequence[StoredCheckpoint], keys: Sequence[str]) -> list[tuple[str, str]]:
    """Every checkpoint (in size order) signed by one of ``keys``, and each change of key announced by the
    new key's first checkpoint naming the key before it: (where, what is wrong) for each that is not."""
    failures: list[tuple[str, str]] = []
    previous: str | None = None
    for cp in checkpoints:
        found = signed_by(cp.note, keys)
        if found is None:
            failures.append(
                (f"checkpoint {cp.size}", f"signed by {_signature_name(cp.note)}, none of the keys given (--key)")
            )
            continue
        key, signed = found
        if (signed.size, signed.root) != (cp.size, cp.root):
            failures.append((f"checkpoint {cp.size}", "stored size/root differ from the signed note"))
        name = key_name(key)
        if previous is not None and name != previous and rotation_line(previous) not in signed.extensions:
            failures.append(
                (f"checkpoint {cp.size}", f"signed by {name} after {previous}, without a recorded rotation from it")
            )
        previous = name
    return failures
