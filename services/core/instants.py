"""Instants: the one textual form the ledger writes (recorded times, so hashes are reproducible), the one
parser for posted instants, and the clock every service reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current instant (timezone-aware); tests pass one they move."""


def format_instant(t: datetime) -> str:
    """UTC, always six fractional digits, 'Z': e.g. 2026-11-27T23:50:01.000123Z."""
    if t.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant; one without an offset is refused, since its Beijing date would be a guess."""
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone offset")
    return instant


def utc_now() -> datetime:
    return datetime.now(UTC)
