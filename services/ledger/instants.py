"""One textual form for instants the ledger itself writes (recorded times), so hashes are reproducible.
Parsing posted instants is the domain's (`services.domain.records.parse_instant`)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_instant(t: datetime) -> str:
    """UTC, always six fractional digits, 'Z': e.g. 2026-11-27T23:50:01.000123Z."""
    if t.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)
