"""Query parameters every router reads the same way."""

from __future__ import annotations

from datetime import datetime

from esledger.core.errors import InvalidArgument


def instant(value: datetime | None, name: str) -> datetime | None:
    """An instant parameter, refused (400) without a timezone offset: its Beijing date would be a guess."""
    if value is not None and value.tzinfo is None:
        raise InvalidArgument(
            f"{name} needs a timezone offset, e.g. 2026-10-08T00:00:00+08:00",
            errors=[{"parameter": name, "rule": "timezone"}],
        )
    return value
