"""Where the ledger lives: a database URL, translated into the eventsourcing library's environment.

``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (the embedded default), or
``postgresql://user[:password]@host[:port]/dbname[?schema=s&connect_timeout=2&pool_size=2&max_overflow=10
&create_tables=true]``.
"""

from __future__ import annotations

import select
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from eventsourcing.postgres import ConnectionPool, PostgresFactory
from eventsourcing.utils import Environment, EnvType, get_topic

from esledger.core.errors import ConfigurationError


def persistence_env(database_url: str) -> dict[str, str]:
    """The library's environment for the URL (the ledger's store adds its recorder classes)."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ConfigurationError(f"no file in {database_url!r}: use sqlite:///relative/path or sqlite:////abs/path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "5",
        }
    if parts.scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        return {
            "PERSISTENCE_MODULE": get_topic(BudgetedPostgresFactory),
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", [""])[0],
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["2"])[0],
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["2"])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["10"])[0],
            "POSTGRES_LOCK_TIMEOUT": "5",
            # A pooled connection is checked before use: after a server restart, no request meets a dead one.
            "POSTGRES_PRE_PING": "y",
            # A role with INSERT and SELECT only may not CREATE: its deployments say create_tables=false and
            # let the owner create them (esledger db grant).
            "CREATE_TABLE": query.get("create_tables", ["true"])[0],
        }
    raise ConfigurationError(f"unsupported database URL {database_url!r}: use sqlite:///PATH or postgresql://...")


def is_postgres(database_url: str) -> bool:
    return urlsplit(database_url).scheme in ("postgresql", "postgres")


def connect(database_url: str, timeout_seconds: int = 2, autocommit: bool = False) -> psycopg.Connection:
    """A plain psycopg connection to the URL's PostgreSQL database (administration, probes, LISTEN)."""
    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        dbname=unquote(parts.path.lstrip("/")) or "postgres",
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        connect_timeout=timeout_seconds,
        autocommit=autocommit,
    )


def schema_of(database_url: str) -> str:
    """The PostgreSQL schema the URL names (``public`` when none)."""
    return parse_qs(urlsplit(database_url).query).get("schema", [""])[0] or "public"


def probe(database_url: str, timeout_seconds: int = 2) -> None:
    """Fail fast (psycopg.OperationalError) when a PostgreSQL server does not answer, instead of waiting out
    the library's connection retries; SQLite needs no probe."""
    if is_postgres(database_url):
        connect(database_url, timeout_seconds).close()


@dataclass
class Budget:
    """How long a storage access may go on waiting for a database connection: ``seconds`` from its start,
    then from its first attempt to get one since it last got one (so long work between queries is never
    counted). Waiting behind a group commit that succeeded is not counted either (``renew``); behind one that
    met an outage it is, so a queued request meets the outage within its own budget too."""

    seconds: float
    deadline: float | None
    """When the current wait for a connection runs out (None: from the next attempt)."""


def renew_budget() -> None:
    """The access in progress starts its wait for a connection afresh: what it waited for so far was not the
    database."""
    budget = BUDGET.get()
    if budget is not None:
        budget.deadline = None


BUDGET: ContextVar[Budget | None] = ContextVar("esledger_connection_budget", default=None)
"""The budget of the storage access in progress on this thread (set by ``Availability.guard``)."""


class BudgetedPool(ConnectionPool[Any]):
    """The library's pool, waiting for a connection no longer than the budget of the access in progress.

    The library retries a failed connection ten times, each waiting the pool's timeout: twenty seconds while
    the server is down. The budget spans those retries: once it is spent this raises ``TimeoutError``, which
    the library does not retry and the availability guard answers 503. Outside a budget (followers, start-up),
    nothing changes."""

    def getconn(self, timeout: float | None = None) -> Any:
        budget = BUDGET.get()
        if budget is None:
            return super().getconn(timeout)
        now = time.monotonic()
        if budget.deadline is None:
            budget.deadline = now + budget.seconds
        remaining = budget.deadline - now
        if remaining <= 0:
            raise TimeoutError(f"no database connection within {budget.seconds:g} s")
        conn = super().getconn(min(self.timeout if timeout is None else timeout, remaining))
        budget.deadline = None
        return conn

    def _check_connection(self, conn: Any) -> None:
        """The pre-ping (``POSTGRES_PRE_PING``), only for a connection whose socket has something to read: an
        idle connection the server closed (a restart) reads as end of file. A round trip on every checkout
        doubled the time of a Merkle proof, which reads several times."""
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            readable = [conn]
        if readable:
            super()._check_connection(conn)


class BudgetedPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory (``PERSISTENCE_MODULE``), its pool a ``BudgetedPool``."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        # The library builds its pool in the datastore's constructor; the subclass adds behaviour, no state.
        self.datastore.pool.__class__ = BudgetedPool
