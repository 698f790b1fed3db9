"""Faults with real processes: ``esledger serve`` killed with SIGKILL under load, and its PostgreSQL server
restarted and stopped under load. Clients keep a ledger of what was acknowledged; afterwards every
acknowledged event is stored exactly once, no batch in part, chains and the Merkle log verify, reposting
everything stores nothing new, and the followers catch up. While the server is down, every request is
answered 503 within the bound (never 500, never a hang) and liveness answers.

The restarted PostgreSQL is a private instance (``initdb`` into the test's directory, on a free port): the
shared server other tests use is never stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from esledger.cli import app as cli
from tests.helpers import BATCH, CE, body, postgres_only, received
from tests.test_processes import Served, caught_up, clients, environment, feed, until_answering

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/nonexistent"))
BOUND_SECONDS = 2.0
"""The README's promise: while the database is down, a 503 within this time."""
pytestmark = pytest.mark.postgres


@dataclass
class Ledger:
    """What the clients sent and what the service acknowledged."""

    singles: dict[bytes, int] = field(default_factory=dict)
    """Each single event's body, and its acknowledged status (0: not acknowledged)."""
    batches: dict[bytes, int] = field(default_factory=dict)
    statuses: list[tuple[int, float]] = field(default_factory=list)
    """Every answer's status and how long it took (0: no answer)."""


async def _load(client: httpx.AsyncClient, ledger: Ledger, name: str, stop: asyncio.Event) -> None:
    """Post singles and, every fifth request, a batch of three, until told to stop."""
    n = 0
    while not stop.is_set():
        n += 1
        batch = n % 5 == 0
        events = [received(f"GR-FAULT-{name}-{n}-{i}") for i in range(3)] if batch else received(f"GR-FAULT-{name}-{n}")
        content, sent = body(events), ledger.batches if batch else ledger.singles
        sent[content] = 0
        started = time.monotonic()
        try:
            answer = await client.post(
                "/v1/events:batch" if batch else "/v1/events", content=content, headers=BATCH if batch else CE
            )
        except httpx.TransportError:
            ledger.statuses.append((0, time.monotonic() - started))
            await asyncio.sleep(0.05)
            continue
        ledger.statuses.append((answer.status_code, time.monotonic() - started))
        if answer.status_code in (200, 201):
            sent[content] = answer.status_code
        else:
            await asyncio.sleep(0.05)


async def _check_stored_once(http: httpx.AsyncClient, ledger: Ledger, public_key: str, database_url: str) -> None:
    """Every acknowledged event stored once, no batch in part, reposting stores nothing new, the audit passes."""
    records = await feed(http, 1000)
    stored = [(r["event"]["source"], r["event"]["id"]) for r in records]
    assert len(stored) == len(set(stored)), "an event is stored twice"
    ids = set(stored)
    for content, status in ledger.singles.items():
        event = httpx.Response(200, content=content).json()
        assert not status or (event["source"], event["id"]) in ids, "an acknowledged event is lost"
    for content, status in ledger.batches.items():
        events = httpx.Response(200, content=content).json()
        found = sum((e["source"], e["id"]) in ids for e in events)
        assert found in (0, len(events)), "a batch is stored in part"
        assert not status or found == len(events), "an acknowledged batch is lost"
    for content in ledger.singles:
        again = await http.post("/v1/events", content=content, headers=CE)
        assert again.status_code in (200, 201), again.text
    for content in ledger.batches:
        again = await http.post("/v1/events:batch", content=content, headers=BATCH)
        assert again.status_code in (200, 201) and len({i["outcome"] for i in again.json()}) == 1, again.text
    reposted = await feed(http, 1000)
    assert reposted[: len(records)] == records
    stored_after = [(r["event"]["source"], r["event"]["id"]) for r in reposted]
    assert len(stored_after) == len(set(stored_after))
    await caught_up(http, "/v1/projections/health")
    await caught_up(http, "/v1/log/health")
    audit = CliRunner().invoke(cli, ["verify", "--live", "--key", public_key, "--database", database_url])
    assert audit.exit_code == 0, audit.output


@postgres_only
async def test_kill_9_under_load_loses_and_duplicates_nothing(database_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    env, operator = environment(database_url, tmp_path)
    server = Served("all", env, tmp_path / "before.log")
    ledger = Ledger()
    try:
        until_answering(server)
        async with clients({"ledger": server}, operator) as http:
            authorization = http["ledger"].headers["Authorization"]
            stop = asyncio.Event()
            load = [asyncio.create_task(_load(http["ledger"], ledger, str(c), stop)) for c in range(4)]
            await asyncio.sleep(2)
            server.process.kill()  # SIGKILL: no shutdown of any kind
            server.process.wait()
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.gather(*load)
    finally:
        server.stop()
    assert sum(1 for s in ledger.singles.values() if s) > 10, "the load was acknowledged too little to test"
    restarted = Served("all", env, tmp_path / "after.log")
    try:
        until_answering(restarted)
        headers = {"Authorization": authorization}
        async with httpx.AsyncClient(base_url=restarted.url, headers=headers, timeout=30) as client:
            public_key = (await client.get("/v1/checkpoints/key")).text
            await _check_stored_once(client, ledger, public_key, database_url)
    finally:
        restarted.stop()
    assert 500 not in {status for status, _ in ledger.statuses}
    assert time.monotonic() - started < 60


class PrivatePostgres:
    """A PostgreSQL server of the test's own, which it may stop and start (as the ``postgres`` user when the
    tests run as root, which PostgreSQL refuses to run as)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="esledger-pg-"))
        self.data = self.root / "data"
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.user:
            shutil.chown(self.root, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str | Path) -> None:
        subprocess.run([*self.user, *map(str, command)], check=True, capture_output=True, timeout=60)

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log", "-w", *args)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"the PostgreSQL server binaries (initdb, pg_ctl) are required under {PG_BIN}")
    server = PrivatePostgres()
    try:
        server.pg_ctl("start")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(server.root, ignore_errors=True)


async def _down_answers(http: httpx.AsyncClient, url: str) -> list[tuple[int, float]]:
    """While the server is down: reads and liveness, each answer's status and time."""
    answers = []
    for path in ("/v1/cases", "/v1/events", "/v1/projections/health", "/healthz", "/readyz"):
        started = time.monotonic()
        answer = await http.get(path, timeout=10)
        answers.append((answer.status_code, time.monotonic() - started))
        if answer.status_code == 503:
            assert answer.headers["Retry-After"] == "5"
    live = httpx.get(f"{url}/healthz", timeout=1)
    assert live.status_code == 200
    return answers


async def test_postgres_restart_and_stop_under_load_answer_503_fast_and_lose_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    started = time.monotonic()
    env, operator = environment(private_postgres.url, tmp_path)
    server = Served("all", env, tmp_path / "serve.log")
    ledger = Ledger()
    try:
        until_answering(server)
        async with clients({"ledger": server}, operator) as http:
            client = http["ledger"]
            stop = asyncio.Event()
            load = [asyncio.create_task(_load(client, ledger, str(c), stop)) for c in range(3)]
            await asyncio.sleep(1)
            await asyncio.to_thread(private_postgres.pg_ctl, "restart", "-m", "fast")
            await asyncio.sleep(1)
            await asyncio.to_thread(private_postgres.pg_ctl, "stop", "-m", "fast")
            down = await _down_answers(client, server.url)
            await asyncio.sleep(2)
            await asyncio.to_thread(private_postgres.pg_ctl, "start")
            deadline = time.monotonic() + 15
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "not ready after PostgreSQL came back"
                await asyncio.sleep(0.2)
            after = [(await client.get(path)).status_code for path in ("/v1/cases", "/v1/events") * 5]
            stop.set()
            await asyncio.gather(*load)
            public_key = (await client.get("/v1/checkpoints/key")).text
            await _check_stored_once(client, ledger, public_key, private_postgres.url)
    finally:
        server.stop()
    assert [status for status, _ in down] == [503, 503, 503, 200, 503], down
    assert max(seconds for _, seconds in down) <= BOUND_SECONDS, down
    assert after == [200] * 10, "a stale pooled connection answered 503 after the restart"
    statuses = {status for status, _ in ledger.statuses}
    assert statuses <= {200, 201, 503}, statuses
    assert max(seconds for status, seconds in ledger.statuses if status == 503) <= BOUND_SECONDS + 0.5
    assert time.monotonic() - started < 45
