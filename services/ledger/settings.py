"""Configuration, from ``ESLEDGER_*`` environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.ledger.catalog import DEFAULT_SCHEMAS_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESLEDGER_")

    database_url: str = "sqlite:///var/esledger.sqlite3"
    """``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``postgresql://user@host:port/db?schema=s``."""
    principal: str = "local-operator"
    """Who records events, kept on every record (until authentication lands)."""
    max_body_bytes: int = 5 * 1024 * 1024
    max_batch_events: int = 1000
    max_future_seconds: int = 300
    retry_after_seconds: int = 5
    schemas_dir: Path = DEFAULT_SCHEMAS_DIR
