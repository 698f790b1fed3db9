"""The log's signing key: a configured file in production; a development key generated on first use in
embedded mode, announced as such (checkpoints signed with it prove nothing to anyone else)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.transparency.checkpoint import make_checkpoint
from services.transparency.note import generate_signer_key, parse_signer_key, sign_note, verifier_key

log = logging.getLogger("esledger.transparency")


@dataclass(frozen=True)
class Signer:
    """Signs tree heads as C2SP checkpoints; the key name is the log's origin line."""

    name: str
    key: Ed25519PrivateKey
    development: bool = False

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.key.public_key())

    def checkpoint(self, size: int, root: bytes) -> str:
        return sign_note(make_checkpoint(self.name, size, root), self.name, self.key)


def load_signer(key_file: Path | None, dev_key_file: Path, origin: str) -> Signer:
    """The configured key, or else the development key (created, readable by its owner only, if absent)."""
    if key_file is not None:
        name, key = parse_signer_key(key_file.read_text("utf-8"))
        return Signer(name, key)
    if not dev_key_file.exists():
        dev_key_file.parent.mkdir(parents=True, exist_ok=True)
        skey, _ = generate_signer_key(origin)
        fd = os.open(dev_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(skey + "\n")
        log.warning("generated a DEVELOPMENT signing key at %s: checkpoints signed with it are for testing; "
                    "set ESLEDGER_SIGNING_KEY_FILE in production", dev_key_file)
    name, key = parse_signer_key(dev_key_file.read_text("utf-8"))
    return Signer(name, key, development=True)
