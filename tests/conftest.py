"""Shared fixtures. Every API test runs on both backends: embedded SQLite and a real PostgreSQL server.

Tiers (markers applied here, at collection):

    pytest -m unit            # the pure tests (no database), in seconds
    pytest -m "not postgres"  # everything on SQLite only, no PostgreSQL server needed
    pytest                    # everything, PostgreSQL included: never skipped

A test that uses no database fixture is marked ``unit``, unless it is marked ``postgres`` by hand (the tests
of an unreachable server); the PostgreSQL parametrization of ``database_url`` carries ``postgres``. PostgreSQL
tests use a database of their own (created here, dropped at the end) and a fresh schema per test. When the
server is unreachable they fail with what to do, never skip.

API tests are async: an ``httpx.AsyncClient`` over the app's ASGI interface, in the test's event loop.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import uvicorn

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import AFTER_EXAMPLES, POSTGRES, TESTER, TESTER_GRANTS, asgi_client, key_for, post_examples

ADMIN_URL = os.environ.get("ESLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE_FIXTURES = {"database_url", "pg_database"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the unit tier: tests that need no database (and are not about PostgreSQL)."""
    for item in items:
        if DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())) and not item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.unit)


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, "", ""))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of the test session's own, dropped afterwards; its URL."""
    name = f"esledger_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is required and unreachable at {ADMIN_URL}: {exc}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start` or set ESLEDGER_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(ADMIN_URL, name)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", POSTGRES])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty ledger database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.sqlite3"
        return
    base = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The backend under test, and a development key of the test's own (never the repository's var/)."""
    return Settings(database_url=database_url, dev_key_file=tmp_path / "dev.key")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The ledger and its Merkle log over ASGI, nothing following: the log integrates what a checkpoint asks
    for (``POST /v1/checkpoints``), the read model stays empty."""
    async with asgi_client(bootstrap(settings, follow=False)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app over real HTTP: uvicorn in a background thread on a free loopback port; its base URL."""
    port = _free_port()
    # log_config=None: the server leaves the process's logging configuration alone (later tests rely on it).
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture
def live_url(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The embedded arrangement (ledger and projections in one process) served over real HTTP by uvicorn in a
    background thread: for the CLI, and for clients on connections of their own. The tester's key is in
    ESLEDGER_API_KEY (where the CLI looks for it; ``live_headers()`` for other clients)."""
    system = bootstrap(settings)
    with served(create_app(system)) as url:
        monkeypatch.setenv("ESLEDGER_API_KEY", key_for(system, TESTER, TESTER_GRANTS))
        yield url


class FakeClock:
    """A clock the test moves: the ledger records, and the projections evaluate, at its time."""

    def __init__(self, start: str = "2026-09-01T09:00:00+08:00") -> None:
        self.now = datetime.fromisoformat(start)

    def __call__(self) -> datetime:
        return self.now

    def set(self, instant: str) -> None:
        self.now = datetime.fromisoformat(instant)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def system(settings: Settings, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """Ledger and projections in one process (the embedded arrangement) on the backend under test, with a
    clock the test controls. On PostgreSQL the followers wake on the ledger's LISTEN/NOTIFY channel."""
    async with asgi_client(bootstrap(settings.model_copy(update={"max_wait_seconds": 4}), clock=clock)) as c:
        yield c


@pytest.fixture
async def posted_examples(system: httpx.AsyncClient, clock: FakeClock) -> list[dict]:
    """Every published example event posted to ``system`` (the clock set after them all); their records."""
    clock.set(AFTER_EXAMPLES)
    return await post_examples(system)
