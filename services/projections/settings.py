"""Configuration of the read side, from ``ESLEDGER_*`` environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict


class ProjectionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESLEDGER_")

    database_url: str = "sqlite:///var/esledger.sqlite3"
    """The ledger's database; the read model lives beside it."""
    yellow_working_days: int = 3
    """A pending deadline with this many working days left or fewer is flagged yellow."""
    violation_notice_days: int = 30
    """Art. 17(二) pattern: days after a violation is found within which a supervision notice is expected."""
    holiday_files: list[Path] = []
    """Holiday data files (schemas/rules/holiday-data.schema.json) adding or overriding years."""
    local_policy: dict[str, Any] = {}
    """Overrides of local-policy periods, e.g. {"art11.escalate": {"days": 20, "counting": "working"}}."""
    max_wait_seconds: float = 5.0
    """Longest a query with ``min_position`` waits for the read model to catch up."""
    retry_after_seconds: int = 1
