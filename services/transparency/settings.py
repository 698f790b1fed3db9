"""Configuration of the Merkle log, from ``ESLEDGER_*`` environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESLEDGER_")

    database_url: str = "sqlite:///var/esledger.sqlite3"
    signing_key_file: Path | None = None
    """The log's Ed25519 signing key (``PRIVATE+KEY+<name>+<id>+<base64>``, see ``esledger keygen``)."""
    dev_key_file: Path = Path("var/esledger-dev.key")
    """Where the development key lives when no signing key is configured (generated on first use)."""
    log_origin: str = "zfjd-ledger.local/dev"
    """The checkpoint origin (and key name) of a generated development key."""
    checkpoint_interval_seconds: float = 10.0
    """A new checkpoint is signed at most this often, when the tree has grown."""
