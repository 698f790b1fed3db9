"""The log's signing key: a configured file in production; a development key generated on first use in
embedded mode, announced as such (checkpoints signed with it prove nothing to anyone else)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from esledger.core.errors import ConfigurationError
from esledger.transparency.checkpoint import make_checkpoint
from esledger.transparency.note import NoteError, generate_signer_key, parse_signer_key, sign_note, verifier_key

logger = logging.getLogger("esledger.transparency")


@dataclass(frozen=True)
class Signer:
    """Signs tree heads as C2SP checkpoints; the key name is the log's origin line."""

    name: str
    key: Ed25519PrivateKey
    development: bool = False

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.key.public_key())

    def checkpoint(self, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
        return sign_note(make_checkpoint(self.name, size, root, extensions), self.name, self.key)


def write_key_file(path: Path, signer_key_text: str) -> None:
    """Write a new private key file readable by its owner only; never overwrite one (FileExistsError). Written
    aside, then linked into place, so a process starting beside this one never reads a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(signer_key_text + "\n")
        os.link(aside, path)
    finally:
        aside.unlink()


def load_signer(key_file: Path | None, dev_key_file: Path, origin: str) -> Signer:
    """The configured key, or else the development key (created if absent)."""
    try:
        if key_file is not None:
            name, key = parse_signer_key(key_file.read_text("utf-8"))
            return Signer(name, key)
        if not dev_key_file.exists():
            with contextlib.suppress(FileExistsError):  # another process of the deployment made it first
                write_key_file(dev_key_file, generate_signer_key(origin)[0])
                logger.warning(
                    "generated a DEVELOPMENT signing key: checkpoints signed with it are for testing; "
                    "set ESLEDGER_SIGNING_KEY_FILE in production",
                    extra={"key_file": str(dev_key_file)},
                )
        name, key = parse_signer_key(dev_key_file.read_text("utf-8"))
        return Signer(name, key, development=True)
    except (OSError, NoteError) as exc:
        raise ConfigurationError(
            f"the log's signing key cannot be used: {exc}; make one with `esledger keygen "
            "--name ORIGIN --out FILE` and set ESLEDGER_SIGNING_KEY_FILE to it"
        ) from exc
