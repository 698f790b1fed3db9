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

from services.ledger.api import create_app
from services.ledger.settings import Settings

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
        pytest.fail(f"PostgreSQL is required and unreachable at {ADMIN_URL}: {exc}. Start it with "
                    "`pg_ctlcluster --skip-systemctl-redirect 15 main start` or set ESLEDGER_TEST_POSTGRES_URL.",
                    pytrace=False)
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
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, principal="test-recorder")


@pytest.fixture
def log_settings(database_url: str, tmp_path: Path):  # noqa: ANN201
    """The Merkle log with a development key of the test's own (never the repository's var/)."""
    from services.transparency.settings import LogSettings

    return LogSettings(database_url=database_url, dev_key_file=tmp_path / "dev.key")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.ledger.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_url(settings: Settings, log_settings) -> Iterator[str]:  # noqa: ANN001
    """The embedded arrangement (ledger and projections in one process) served over real HTTP by uvicorn in a
    background thread."""
    from services.app import create_app as create_system

    app = create_system("all", settings, log_settings=log_settings)
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

    def __call__(self):  # noqa: ANN204
        return self.now

    def set(self, instant: str) -> None:
        from datetime import datetime

        self.now = datetime.fromisoformat(instant)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def system(settings: Settings, clock: FakeClock, log_settings) -> Iterator[TestClient]:  # noqa: ANN001
    """Ledger and projections in one process (the embedded arrangement) on the backend under test, with a
    clock the test controls. On PostgreSQL the projections follow by the library's LISTEN/NOTIFY runner."""
    from services.app import create_app as create_system
    from services.projections.settings import ProjectionSettings

    app = create_system("all", settings, ProjectionSettings(database_url=settings.database_url, max_wait_seconds=4),
                        log_settings, clock=clock)
    with TestClient(app) as c:
        yield c
