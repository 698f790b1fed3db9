"""A database that does not answer is reported as ``StorageUnavailable`` (503 with Retry-After at the HTTP
edge), never as a crash or a 500, by every service alike; after a fault, a quick probe answers the next
requests fast until the server is back."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import IntegrityError, PersistenceError

from esledger.core.database import probe
from esledger.core.errors import LedgerError, StorageUnavailable

logger = logging.getLogger("esledger.storage")

UNAVAILABLE = (PersistenceError, psycopg.Error, sqlite3.OperationalError, OSError)


class Availability:
    """Guards storage access: faults become ``StorageUnavailable``; integrity conflicts and the services' own
    errors pass through for their callers to handle."""

    def __init__(self, database_url: str, retry_after_seconds: int, probe_timeout_seconds: int = 2) -> None:
        self.database_url = database_url
        self.retry_after_seconds = retry_after_seconds
        self.probe_timeout_seconds = probe_timeout_seconds
        self.suspect = False

    @contextmanager
    def guard(self) -> Iterator[None]:
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
        else:
            self.suspect = False
