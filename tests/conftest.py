"""Shared fixtures. Every API test runs on both backends: embedded SQLite and a real PostgreSQL server.

PostgreSQL tests use a database of their own (created here, dropped at the end) and a fresh schema per test.
When the server is unreachable they fail with what to do, never skip.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app

ADMIN_URL = os.environ.get("ESLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


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


@pytest.fixture(params=["sqlite", "postgres"])
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
    return Settings(database_url=database_url, principal="test-recorder", dev_key_file=tmp_path / "dev.key")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The ledger's role (the ledger and its Merkle log) over an ASGI client."""
    with TestClient(create_app(bootstrap(settings, role="ledger"))) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """The embedded arrangement (ledger and projections in one process) served over real HTTP by uvicorn in a
    background thread."""
    app = create_app(bootstrap(settings))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class FakeClock:
    """A clock the test moves: the ledger records, and the projections evaluate, at its time."""

    def __init__(self, start: str = "2026-09-01T09:00:00+08:00") -> None:
        from datetime import datetime

        self.now = datetime.fromisoformat(start)

    def __call__(self):
        return self.now

    def set(self, instant: str) -> None:
        from datetime import datetime

        self.now = datetime.fromisoformat(instant)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def system(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """Ledger and projections in one process (the embedded arrangement) on the backend under test, with a
    clock the test controls. On PostgreSQL the followers wake on the ledger's LISTEN/NOTIFY channel."""
    app = create_app(bootstrap(settings.model_copy(update={"max_wait_seconds": 4}), clock=clock))
    with TestClient(app) as c:
        yield c
