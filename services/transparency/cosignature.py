"""C2SP tlog-cosignature (c2sp.org/tlog-cosignature), the Ed25519 ``cosignature/v1`` type: a witness's
timestamped statement that a checkpoint is the largest consistent tree head it has seen for the log.

- key ID: ``SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]``
- signed message: ``cosignature/v1\\ntime <POSIX seconds>\\n`` followed by the checkpoint's note text
- signature line: ``— <name> base64(key ID || 8-byte big-endian timestamp || 64-byte Ed25519 signature)``

Witness keys as texts: the verifier key ``<name>+<hex key ID>+<base64(0x04 || public key)>`` (a vkey with
signature type 0x04); the private key file ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>``. A
private key written with type 0x01 (an ordinary signed-note key, as transparency-dev/formats accepts for its
cosigners) is read too. The Ed25519 message does not commit to the name: one key must serve one witness.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from esledger.core.encoding import b64, unb64
from esledger.transparency.note import (
    ED25519,
    NoteError,
    key_id,
    parse_signer_key,
    parse_verifier_key,
    signer_key,
    verifier_key,
)

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
_MAX_TIMESTAMP = 2**63 - 1
_SIG_PREFIX = "\u2014 "


@dataclass(frozen=True)
class Cosigner:
    """A witness as verifiers know it: its name and public key (the key ID follows from them)."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.public_key, COSIGNATURE_V1)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, when (POSIX seconds), and its signature line as received."""

    name: str
    timestamp: int
    line: str


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return key_id(name, public_key, COSIGNATURE_V1)


def signed_message(body: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header line, the timestamp line, then the whole checkpoint text."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")
    return f"{HEADER}\ntime {timestamp}\n".encode() + body.encode()


def generate_witness_key(name: str) -> tuple[str, str]:
    """A fresh witness key pair: (private key file text, verifier key text to give the log and verifiers)."""
    key = Ed25519PrivateKey.generate()
    return signer_key(name, key, COSIGNATURE_V1), verifier_key(name, key.public_key(), COSIGNATURE_V1)


def parse_witness_signer(text: str) -> tuple[str, Ed25519PrivateKey]:
    """A witness's private key file: type 0x04 (or 0x01), the key ID checked against the key."""
    return parse_signer_key(text, (COSIGNATURE_V1, ED25519), "witness key")


def parse_cosigner(text: str) -> Cosigner:
    """A witness's verifier key (vkey with signature type 0x04: Ed25519 cosignature/v1)."""
    key = parse_verifier_key(text, COSIGNATURE_V1, "witness verifier key")
    return Cosigner(key.name, key.public_key)


def cosign(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (with its newline) over a checkpoint's note text at ``timestamp``."""
    if timestamp <= 0:
        raise NoteError("a cosignature/v1 timestamp must not be zero")
    signature = key.sign(signed_message(body, timestamp))
    key_id = cosigner_key_id(name, key.public_key())
    return f"{_SIG_PREFIX}{name} {b64(key_id + struct.pack('>Q', timestamp) + signature)}\n"


def split_note(note: str) -> tuple[str, list[str]]:
    """A signed note's text (with its final newline) and its signature lines (without newlines)."""
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note: no blank line before the signature lines")
    body, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("note: the signature lines must end with a newline")
    return body, block[:-1].split("\n")


def verify_line(body: str, line: str, cosigner: Cosigner, now: int | None = None) -> Cosignature | None:
    """The cosignature if ``line`` is one by this cosigner over ``body``; None when the line is another key's;
    NoteError when it is this key's and does not verify (or is from the future, given ``now``)."""
    if not line.startswith(_SIG_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, _, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if name != cosigner.name:
        return None
    raw = unb64(sig_b64, f"cosignature by {name}:", NoteError)
    if len(raw) < 4 or raw[:4] != cosigner.key_id:
        return None
    if len(raw) != 4 + 8 + 64:
        raise NoteError(f"cosignature by {name}: {len(raw)} bytes, expected 76 (key ID, timestamp, signature)")
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    if timestamp == 0 or timestamp > _MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {name}: timestamp {timestamp} is zero or over 2**63-1")
    if now is not None and timestamp > now + 600:
        raise NoteError(f"cosignature by {name}: timestamp {timestamp} is in the future")
    try:
        cosigner.public_key.verify(raw[12:], signed_message(body, timestamp))
    except InvalidSignature:
        raise NoteError(f"cosignature by {name}+{cosigner.key_id.hex()} does not verify over this checkpoint") from None
    return Cosignature(name, timestamp, line)


def cosignatures(note: str, cosigners: Sequence[Cosigner]) -> dict[str, Cosignature]:
    """The valid cosignatures on a signed note by the given witnesses, by witness name (lines by other keys
    are ignored, as signed-note requires; a line by one of these keys that does not verify is skipped)."""
    body, lines = split_note(note)
    found: dict[str, Cosignature] = {}
    for line in lines:
        for cosigner in cosigners:
            if cosigner.name in found:
                continue
            try:
                cosignature = verify_line(body, line, cosigner)
            except NoteError:
                continue
            if cosignature is not None:
                found[cosigner.name] = cosignature
    return found


def with_cosignatures(note: str, lines: Mapping[str, str] | Sequence[str]) -> str:
    """The signed note with cosignature lines appended (each once, in the order given)."""
    extra = list(lines.values()) if isinstance(lines, Mapping) else list(lines)
    present = set(note.split("\n"))
    added = [line.rstrip("\n") + "\n" for line in extra if line.rstrip("\n") not in present]
    return note + "".join(added)


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"witness key name {name!r} must be non-empty, without spaces or '+'")


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
