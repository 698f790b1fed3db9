"""A database that does not answer is reported as 503 ``database-unavailable`` with Retry-After, never as a
crash or a 500, by the ledger and the projections alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import IntegrityError, PersistenceError

from services.ledger.problems import Problem

UNAVAILABLE = (PersistenceError, psycopg.Error, sqlite3.OperationalError, OSError)


@contextmanager
def database_answers(retry_after: int) -> Iterator[None]:
    """Turn storage faults (not integrity conflicts, which callers handle) into the 503 problem."""
    try:
        yield
    except (Problem, IntegrityError):
        raise
    except UNAVAILABLE as exc:
        raise Problem("database-unavailable", f"the database did not answer: {type(exc).__name__}: {exc}",
                      retry_after=retry_after) from exc
