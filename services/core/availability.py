"""A database that does not answer is reported as ``StorageUnavailable`` (503 with Retry-After at the HTTP
edge), never as a crash or a 500, by every service alike; after a fault, a quick probe answers the next
requests fast until the server is back. On PostgreSQL a guarded access waits for a connection at most
``unavailable_after_seconds`` (``database.BudgetedPool``), so a request meets an outage with a 503 within that
time and the library's last retry pause, instead of its ten retries of the pool's timeout.

Only a connection that fails is an outage. A value the database refuses (a NUL byte in a text, say: a client
error) is ``InvalidArgument``; anything else the database raises is a bug, reported as such (500, logged).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import DataError, IntegrityError, InterfaceError, OperationalError

from esledger.core.database import BUDGET, Budget, probe
from esledger.core.errors import InvalidArgument, LedgerError, StorageUnavailable

logger = logging.getLogger("esledger.storage")

UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    OSError,
)
"""Connection failures: refused, reset, timed out, the pool exhausted, the file locked."""
REFUSED_VALUE = (DataError, psycopg.DataError)


class Availability:
    """Guards storage access: faults become ``StorageUnavailable``; integrity conflicts and the services' own
    errors pass through for their callers to handle."""

    def __init__(
        self,
        database_url: str,
        retry_after_seconds: int,
        unavailable_after_seconds: float = 1.5,
        probe_timeout_seconds: int = 2,
    ) -> None:
        self.database_url = database_url
        self.retry_after_seconds = retry_after_seconds
        self.unavailable_after_seconds = unavailable_after_seconds
        self.probe_timeout_seconds = probe_timeout_seconds
        self.suspect = False

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Storage access that waits at most ``unavailable_after_seconds`` for a connection (from its start,
        or from its first attempt since it last got one: ``database.Budget``), then raises
        ``StorageUnavailable``; nested guards share one budget."""
        budget = None
        if BUDGET.get() is None:
            seconds = self.unavailable_after_seconds
            budget = BUDGET.set(Budget(seconds, time.monotonic() + seconds))
        try:
            if self.suspect:
                probe(self.database_url, self.probe_timeout_seconds)
            yield
        except (LedgerError, IntegrityError):
            raise
        except UNAVAILABLE as exc:
            self.suspect = True
            cause = f"{type(exc).__name__}: {exc}".strip()
            logger.warning("storage unavailable, answering 503", extra={"cause": cause})
            raise StorageUnavailable(
                f"the database did not answer: {cause}", retry_after=self.retry_after_seconds
            ) from exc
        except REFUSED_VALUE as exc:
            raise InvalidArgument(f"the request holds a value the database refuses: {exc}") from exc
        else:
            self.suspect = False
        finally:
            if budget is not None:
                BUDGET.reset(budget)
