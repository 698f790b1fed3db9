"""API keys for machine clients (upstream case systems).

A key is ``esl_<principal name>.<generation>_<secret>``: the part before the last ``_`` (the *prefix*)
identifies the principal and which of its keys this is, so logs and the principal's history can name a key
without holding it; the secret is 32 random bytes (base64url, 43 characters). The ledger keeps only the
SHA-256 of the secret — a fast hash is the right one for a random secret of that length (there is nothing to
guess), unlike a password. A key is shown once, when it is made; rotating makes generation n+1 and the old
key stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY = re.compile(
    r"esl_(?P<name>[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)\.(?P<generation>[1-9][0-9]{0,8})_"
    r"(?P<secret>[A-Za-z0-9_-]{43})"
)


@dataclass(frozen=True)
class KeyMaterial:
    """A new key: the text shown once, and what the ledger records of it."""

    text: str
    prefix: str
    digest: str


@dataclass(frozen=True)
class PresentedKey:
    name: str
    generation: int
    prefix: str
    secret: str


def digest(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def make_key(name: str, generation: int) -> KeyMaterial:
    secret = secrets.token_urlsafe(32)
    prefix = f"esl_{name}.{generation}"
    return KeyMaterial(f"{prefix}_{secret}", prefix, digest(secret))


def parse_key(text: str) -> PresentedKey | None:
    """The parts of a presented key, or None for anything that is not one."""
    m = KEY.fullmatch(text)
    if m is None:
        return None
    prefix = f"esl_{m['name']}.{m['generation']}"
    return PresentedKey(m["name"], int(m["generation"]), prefix, m["secret"])


def matches(presented: PresentedKey, recorded_digest: str) -> bool:
    """Compare in constant time, so timing does not tell how much of a guess was right."""
    return hmac.compare_digest(digest(presented.secret), recorded_digest)
