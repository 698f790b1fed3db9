"""Query parameters every router reads the same way.

Every instant parameter (``as_of``, ``due_before``, ``recorded_before``, ``after``, ``before``) carries a
timezone offset and lies from ``EARLIEST`` (2000-01-01Z, the earliest ``time`` the ledger admits) up to
``LATEST`` (2100-01-01Z, excluded): nothing is recorded after the clock plus ``max_future_seconds``, so a
later instant adds nothing but dates no period computation is meant to reach (and, near year 1 or 9999,
overflow). Outside, the answer is 400 naming the parameter and the rule (``timezone``, ``time-range``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from esledger.core.errors import InvalidArgument
from esledger.ledger.validation import EARLIEST

LATEST = datetime(2100, 1, 1, tzinfo=UTC)
BIGGEST = 2**63 - 1
"""The largest position, version or tree size a request may name: the databases' 64-bit integers (a larger
one is refused with 422 before it reaches them)."""
"""The first instant an instant parameter may not name."""


def instant(value: datetime | None, name: str) -> datetime | None:
    """An instant parameter, refused (400) without a timezone offset (its Beijing date would be a guess) or
    outside [EARLIEST, LATEST)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidArgument(
            f"{name} needs a timezone offset, e.g. 2026-10-08T00:00:00+08:00",
            errors=[{"parameter": name, "rule": "timezone"}],
        )
    try:
        within = EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        within = False
    if not within:
        raise InvalidArgument(
            f"{name} must be from {EARLIEST.isoformat()} up to (excluding) {LATEST.isoformat()}",
            errors=[{"parameter": name, "rule": "time-range"}],
        )
    return value
