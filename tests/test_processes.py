"""Order and exactly-once across real processes: several ``esledger serve`` processes on one PostgreSQL
database — ``--role all --workers 3`` (three API workers, the followers in their parent), a second ledger, a
projections and a log process, so two projection followers and two sequencers race — with every event posted
twice at once, to two different processes. Then every (source, id) is stored once, the feed's positions
strictly increase and hold every case entry, each chain is valid, and the read model and the Merkle log hold
each entry exactly once (``esledger verify --live`` agrees); only the parent of the workers follows."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from esledger.access.keys import make_key
from esledger.bootstrap import Storage
from esledger.cli import app as cli
from esledger.core.database import connect
from esledger.settings import Settings
from esledger.transparency.leaf import record_leaf_hash
from esledger.transparency.note import generate_signer_key
from esledger.transparency.signer import write_key_file
from tests.helpers import BATCH, CE, TESTER, TESTER_GRANTS, accepted, bearer, body, postgres_only, received

ESLEDGER = str(Path(sys.executable).with_name("esledger"))
CASES, BATCHED = 30, 10
STARTUP_SECONDS, FOLLOW_SECONDS = 30, 20


class Served:
    """One ``esledger serve`` process, its output in a file."""

    def __init__(self, role: str, env: dict[str, str], log: Path, workers: int = 1) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.role, self.url, self.log = role, f"http://127.0.0.1:{port}", log
        with log.open("wb") as out:
            command = [ESLEDGER, "serve", "--port", str(port), "--role", role, "--workers", str(workers)]
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def answering(self) -> bool:
        assert self.process.poll() is None, f"esledger serve --role {self.role} exited:\n{self.log.read_text()}"
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).json() == {"status": "ok", "role": self.role}
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def until_answering(*servers: Served) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not all(s.answering() for s in servers):
        assert time.monotonic() < deadline, "the servers did not start: " + ", ".join(s.role for s in servers)
        time.sleep(0.1)


def environment(database_url: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    """A deployment's environment on the database (a signing key of its own, the operator's key, no rate
    limit in the way of the load); the operator's key."""
    operator = make_key("operator", 1).text
    key_file = tmp_path / "log.key"
    write_key_file(key_file, generate_signer_key("test.example/processes")[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESLEDGER_")} | {
        "ESLEDGER_DATABASE_URL": database_url,
        "ESLEDGER_ADMIN_KEY": operator,
        "ESLEDGER_SIGNING_KEY_FILE": str(key_file),
        "ESLEDGER_CHECKPOINT_INTERVAL_SECONDS": "0.5",  # both sequencers sign, often
        "ESLEDGER_RATE_LIMIT_PER_SECOND": "100000",
        "ESLEDGER_RATE_LIMIT_BURST": "100000",
    }
    return env, operator


@contextmanager
def deployment(database_url: str, tmp_path: Path) -> Iterator[tuple[dict[str, Served], str]]:
    """The processes, on one database, sharing a signing key and the operator's key; the operator's key."""
    env, operator = environment(database_url, tmp_path)
    servers: dict[str, Served] = {}
    try:
        # The first creates the tables (and registers the operator); the others start together.
        servers["ledger"] = Served("ledger", env, tmp_path / "ledger.log")
        until_answering(servers["ledger"])
        servers["all"] = Served("all", env, tmp_path / "all.log", workers=3)
        servers["projections"] = Served("projections", env, tmp_path / "projections.log")
        servers["log"] = Served("log", env, tmp_path / "log.log")
        until_answering(*servers.values())
        yield servers, operator
    finally:
        for server in servers.values():
            server.stop()


@asynccontextmanager
async def clients(servers: dict[str, Served], operator: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client of each process, signed in as a principal the operator registers (posts and reads anything)."""
    async with httpx.AsyncClient(base_url=servers["ledger"].url, headers=bearer(operator)) as admin:
        made = await admin.post("/v1/principals", json={"name": TESTER, "grants": TESTER_GRANTS})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    made = {role: httpx.AsyncClient(base_url=s.url, headers=bearer(key), timeout=30) for role, s in servers.items()}
    try:
        yield made
    finally:
        for client in made.values():
            await client.aclose()


async def _post_twice(a: httpx.AsyncClient, b: httpx.AsyncClient, content: bytes, headers: dict[str, str]) -> Any:
    """The same request to two processes at once: one stores it, the other answers with what was stored."""
    first, second = await asyncio.gather(
        a.post("/v1/events", content=content, headers=headers), b.post("/v1/events", content=content, headers=headers)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.text, second.text)
    assert first.json() == second.json()
    return first.json()


async def _post_case(http: dict[str, httpx.AsyncClient], n: int) -> None:
    """A case's acts in order, each sent to the workers of the ``all`` process and to the ledger process."""
    for event in (received(f"GR-PROC-{n}"), accepted(f"GR-PROC-{n}")):
        await _post_twice(http["all"], http["ledger"], body(event), CE)


async def _post_batch(http: dict[str, httpx.AsyncClient]) -> None:
    events = [received(f"GR-PROC-B{n}") for n in range(BATCHED)]
    first, second = await asyncio.gather(
        *(http[role].post("/v1/events:batch", content=body(events), headers=BATCH) for role in ("ledger", "all"))
    )
    outcomes = sorted(i["outcome"] for answer in (first, second) for i in answer.json())
    assert outcomes == ["created"] * BATCHED + ["duplicate"] * BATCHED, (first.text, second.text)


async def caught_up(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + FOLLOW_SECONDS
    while (health := (await client.get(path)).json())["lag"] > 0:
        assert time.monotonic() < deadline, f"{path}: still behind: {health}"
        await asyncio.sleep(0.1)
    return health


async def feed(client: httpx.AsyncClient, limit: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    after = 0
    while page := (await client.get("/v1/events", params={"after": after, "limit": limit})).json()["records"]:
        records += page
        after = page[-1]["position"]
    return records


def _listeners(database_url: str) -> int:
    """Connections waiting on LISTEN in the test's database: one per running follower."""
    with connect(database_url) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN %%'"
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@postgres_only
async def test_several_processes_store_each_event_once_in_one_order(database_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with deployment(database_url, tmp_path) as (servers, operator):
        async with clients(servers, operator) as http:
            await asyncio.gather(*(_post_case(http, n) for n in range(CASES)), _post_batch(http))
            projection = await caught_up(http["projections"], "/v1/projections/health")
            log = await caught_up(http["log"], "/v1/log/health")
            checkpoint = (await http["log"].post("/v1/checkpoints")).json()
            paged, whole = await feed(http["all"], 7), await feed(http["ledger"], 1000)
            timelines = {
                f"GR-PROC-{n}": (await http["ledger"].get(f"/v1/cases/GR-PROC-{n}/events")).json() for n in range(CASES)
            }
            worker_health = (await http["all"].get("/v1/projections/health")).json()
            views = (await http["projections"].get("/v1/cases", params={"min_position": log["head"]})).json()
            replays = {
                case: (await http["projections"].get(f"/v1/cases/{case}/replay")).json()["steps"] for case in timelines
            }
            public_key = (await http["log"].get("/v1/checkpoints/key")).text
        followers = _listeners(database_url)

    # The feed: one order, the same from every process, positions strictly increasing, each event once.
    positions = [r["position"] for r in paged]
    assert paged == whole and positions == sorted(set(positions))
    posted = Counter((r["event"]["source"], r["event"]["id"]) for r in paged if r["case_id"].startswith("GR-PROC-"))
    assert len(posted) == 2 * CASES + BATCHED and set(posted.values()) == {1}
    for case_id, timeline in timelines.items():
        assert timeline["chain"]["valid"] and [r["case_version"] for r in timeline["records"]] == [1, 2], case_id
        in_feed = [(r["case_version"], r["position"]) for r in paged if r["case_id"] == case_id]
        assert in_feed == [(r["case_version"], r["position"]) for r in timeline["records"]], case_id

    # The database: the feed holds every case entry, the log each one once; the read side each one once.
    storage = Storage(Settings(database_url=database_url))
    try:
        # the reads after the feed (timelines shown to the operator) appended their access log entries: later
        entries = [r for r in storage.store.get().records() if r.position <= positions[-1]]
        assert [r.position for r in entries] == positions
        leaves = storage.merkle.get().leaves(0, len(entries))
        assert [(leaf.index, leaf.position) for leaf in leaves] == list(enumerate(positions))
        assert [leaf.hash for leaf in leaves] == [record_leaf_hash(r.to_json()) for r in entries]
    finally:
        storage.close()
    assert checkpoint["tree_size"] == len(entries) and log["tree_size"] == len(entries)
    assert projection["position"] == positions[-1]
    versions = Counter(r["case_id"] for r in paged if r["case_id"].startswith("GR-PROC-"))
    assert {v["case_id"]: v["last_act"]["version"] for v in views["cases"]} == versions
    for case_id, steps in replays.items():
        assert [step["recorded_version"] for step in steps] == [1, 2], case_id
    audit = CliRunner().invoke(cli, ["verify", "--live", "--key", public_key, "--database", database_url])
    assert audit.exit_code == 0, audit.output

    # Followers: the parent of the workers (projection, sequencer), the projections and the log process.
    assert followers == 4, f"{followers} followers listening; the API workers must run none"
    assert "follower" not in worker_health and projection["restarts"] == 0 and log["restarts"] == 0
    assert time.monotonic() - started < 60
