"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures, and their key encodings.

A signed note is its text (ending in a newline), a blank line, then signature lines
``— <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>``, where
``key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``.

Key texts, as golang.org/x/mod/sumdb/note writes them:

- verifier key (public, served and documented): ``<name>+<hex key ID>+<base64(0x01 || public key)>``
- signer key (the private key file: this one line, surrounding whitespace ignored):
  ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte Ed25519 seed)>``
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from esledger.core.encoding import b64, unb64

ED25519 = 0x01
MAX_SIGNATURES = 100
_SIG_PREFIX = "— "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A note or key text is malformed, or the note is not signed by the expected key."""


@dataclass(frozen=True)
class VerifierKey:
    """A parsed verifier key: the key name and ID a signature line must carry, and the public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def key_id(name: str, public_key: Ed25519PublicKey, kind: int = ED25519) -> bytes:
    """The 4-byte key ID, so a verifier can pick its key out of several signature lines; ``kind`` is the
    signature type (0x01 a note signature, 0x04 a cosignature/v1)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, kind: int = ED25519) -> str:
    """The vkey text that lets anyone check this key's signatures."""
    _check_name(name)
    return f"{name}+{key_id(name, public_key, kind).hex()}+{b64(bytes([kind]) + _raw(public_key))}"


def signer_key(name: str, private_key: Ed25519PrivateKey, kind: int = ED25519) -> str:
    """The private key file text (the seed, not the expanded key, as sumdb/note stores it)."""
    _check_name(name)
    seed = private_key.private_bytes_raw()
    kid = key_id(name, private_key.public_key(), kind).hex()
    return f"PRIVATE+KEY+{name}+{kid}+{b64(bytes([kind]) + seed)}"


def generate_signer_key(name: str) -> tuple[str, str]:
    """A fresh key pair for ``name``: (signer key text to keep secret, verifier key text to publish)."""
    private_key = Ed25519PrivateKey.generate()
    return signer_key(name, private_key), verifier_key(name, private_key.public_key())


def parse_signer_key(
    text: str, kinds: tuple[int, ...] = (ED25519,), what: str = "signer key"
) -> tuple[str, Ed25519PrivateKey]:
    """Read a private key file's text (of one of the signature types ``kinds``); the key ID is checked against
    the derived public key."""
    parts = text.strip().split("+", 4)  # the base64 key may itself contain "+"
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError(f"{what}: expected PRIVATE+KEY+<name>+<key ID>+<key>")
    name, id_hex, key_b64 = parts[2:]
    _check_name(name, what)
    key = _unb64(key_b64, what)
    if len(key) != 33 or key[0] not in kinds:
        raise NoteError(f"{what}: expected an Ed25519 key (type {_types(kinds)} and a 32-byte seed)")
    private_key = Ed25519PrivateKey.from_private_bytes(key[1:])
    expected = key_id(name, private_key.public_key(), key[0]).hex()
    if id_hex != expected:
        raise NoteError(f"{what}: key ID {id_hex} does not match the key (expected {expected})")
    return name, private_key


def parse_verifier_key(text: str, kind: int = ED25519, what: str = "verifier key") -> VerifierKey:
    """Read a vkey text of signature type ``kind``; the key ID must be the one its name and public key
    define."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"{what}: expected <name>+<key ID>+<key>")
    name, id_hex, key_b64 = parts
    _check_name(name, what)
    key = _unb64(key_b64, what)
    if len(key) != 33 or key[0] != kind:
        raise NoteError(f"{what}: expected an Ed25519 key (type {_types((kind,))} and a 32-byte public key)")
    public_key = Ed25519PublicKey.from_public_bytes(key[1:])
    expected = key_id(name, public_key, kind)
    if id_hex != expected.hex():
        raise NoteError(f"{what}: key ID {id_hex} does not match the key (expected {expected.hex()})")
    return VerifierKey(name, expected, public_key)


def _types(kinds: tuple[int, ...]) -> str:
    return " or ".join(f"0x{k:02x}" for k in kinds)


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``body``, a blank line, and one Ed25519 signature line by ``name``."""
    _check_name(name)
    _check_text(body, "note text")
    if not body.endswith("\n"):
        raise NoteError("note text: must end with a newline")
    signature = private_key.sign(body.encode())
    return f"{body}\n{_SIG_PREFIX}{name} {b64(key_id(name, private_key.public_key()) + signature)}\n"


def verify_note(note: str, verifier_key_text: str) -> str:
    """Return the note's text if the key signed it; raise NoteError saying why not.

    Signature lines from other keys are ignored, as the spec requires (they may be witnesses' cosignatures).
    """
    key = parse_verifier_key(verifier_key_text)
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note: no blank line before the signature lines")
    body, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block:
        raise NoteError("note: no signature lines after the blank line")
    if not sig_block.endswith("\n"):
        raise NoteError("note: the signature lines must end with a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note: {len(lines)} signature lines, more than the {MAX_SIGNATURES} accepted")
    signatures = [_parse_signature_line(line, number) for number, line in enumerate(lines, 1)]
    for number, (name, sig_id, signature) in enumerate(signatures, 1):
        if (name, sig_id) != (key.name, key.key_id):
            continue
        try:
            key.public_key.verify(signature, body.encode())
        except InvalidSignature:
            raise NoteError(
                f"note: signature line {number} by {name}+{sig_id.hex()} does not verify: "
                "the note text or the signature was altered"
            ) from None
        return body
    seen = ", ".join(f"{name}+{sig_id.hex()}" for name, sig_id, _ in signatures)
    raise NoteError(f"note: no signature by {key.name}+{key.key_id.hex()} (signed by: {seen})")


def _parse_signature_line(line: str, number: int) -> tuple[str, bytes, bytes]:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError(f"note: signature line {number} does not start with an em dash and a space")
    name, _, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
    _check_name(name, f"note: signature line {number}")
    raw = _unb64(sig_b64, f"note: signature line {number}")
    if len(raw) < 5:
        raise NoteError(f"note: signature line {number}: {len(raw)} bytes is too short for a key ID and signature")
    return name, raw[:4], raw[4:]


def _check_name(name: str, where: str = "key name") -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"{where}: key name {name!r} must be non-empty, without spaces or '+'")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise NoteError(f"{where}: not valid UTF-8 at offset {exc.start}") from None
    control = _CONTROL.search(text)
    if control:
        raise NoteError(f"{where}: control character U+{ord(control.group()):04X} at offset {control.start()}")


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _unb64(text: str, where: str) -> bytes:
    return unb64(text, f"{where}:", NoteError)
