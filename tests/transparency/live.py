"""Servers on 127.0.0.1 in background threads (uvicorn), and ledgers whose database can be forked."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from esledger.access.principals import Principal
from esledger.bootstrap import System


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The ASGI app over real HTTP on a port of its own; its URL. Stopped (lifespan and all) on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def poster(system: System, key: str) -> Principal:
    return system.access.scope(system.access.authenticate(f"Bearer {key}", "127.0.0.1"))


class Forkable:
    """A ledger database that can be copied whole, as an operator keeping two histories would: an SQLite file,
    or a PostgreSQL database of its own (copied with CREATE DATABASE … TEMPLATE)."""

    def __init__(self, backend: str, tmp_path: Path, admin_url: str) -> None:
        self.backend, self.tmp_path, self.admin_url = backend, tmp_path, admin_url
        self.databases: list[str] = []
        self.tag = uuid.uuid4().hex[:8]

    def url(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path}/{name}.sqlite3"
        return self.admin_url.rsplit("/", 1)[0] + "/" + self._db(name)

    def _db(self, name: str) -> str:
        return f"esl_fork_{self.tag}_{name}"

    def create(self, name: str) -> str:
        if self.backend == "postgres":
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._db(name)}"')
            self.databases.append(self._db(name))
        return self.url(name)

    def copy(self, source: str, target: str) -> str:
        """The whole database copied (its users must have closed their connections)."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{self.tmp_path}/{source}.sqlite3{suffix}")
                if path.exists():
                    shutil.copy(path, f"{self.tmp_path}/{target}.sqlite3{suffix}")
            return self.url(target)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._db(target)}" TEMPLATE "{self._db(source)}"')
        self.databases.append(self._db(target))
        return self.url(target)

    def drop(self) -> None:
        if self.backend == "postgres":
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                for name in self.databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
