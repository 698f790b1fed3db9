"""Following the ledger exactly once: read-your-writes, lag, restarts, duplicate delivery, rebuild, and
readers polling while the follower catches up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager

import psycopg
from httpx import AsyncClient
from typer.testing import CliRunner

from esledger.bootstrap import Storage, bootstrap
from esledger.cli import app as cli
from esledger.core.following import Follower
from esledger.projections.projection import Projector, catch_up, scope_rows
from esledger.projections.rebuild import rebuild
from esledger.settings import Settings
from tests.helpers import CE, asgi_client, body, examples, post_examples, postgres_only, received


def ledger_only(settings: Settings) -> AbstractAsyncContextManager[AsyncClient]:
    """The ledger's role alone: nothing follows into the read model but what the test starts."""
    return asgi_client(bootstrap(settings, role="ledger"))


@contextmanager
def storage(url: str) -> Iterator[Storage]:
    opened = Storage(Settings(database_url=url))
    try:
        yield opened
    finally:
        opened.close()


def projector(url: str) -> Projector:
    """What the deployment's follower views cases with (its policy, the real clock)."""
    projections = bootstrap(Settings(database_url=url), role="projections", follow=False).projections
    assert projections is not None
    return projections.projector


@contextmanager
def following(url: str) -> Iterator[None]:
    """A projection follower of the test's own, stopped before the storage it uses is closed."""
    with storage(url) as opened:
        follower = Follower("projection", lambda: catch_up(opened.store.get(), opened.read_model.get(), projector(url)))
        follower.start()
        try:
            yield
        finally:
            follower.stop()


def rebuilt(url: str) -> int:
    with storage(url) as s:
        return rebuild(s.store.get(), s.read_model.get(), projector(url))


async def _last_position(client: AsyncClient, names: list[str]) -> int:
    """Post the named example scenarios; the position of the last record."""
    return (await post_examples(client, names))[-1]["position"]


async def _wait_for(database_url: str, position: int, timeout: float = 15) -> None:
    with storage(database_url) as s:
        view = s.read_model.get()
        deadline = time.monotonic() + timeout
        while view.position() < position:
            assert time.monotonic() < deadline, f"read model stuck at {view.position()} < {position}"
            await asyncio.sleep(0.05)


def _dump(database_url: str) -> tuple[int, dict]:
    with storage(database_url) as s:
        view = s.read_model.get()
        return view.position(), view.all_records()


async def test_read_your_writes_with_min_position(system: AsyncClient, clock) -> None:
    clock.set("2026-09-22T10:05:00+08:00")
    record = (await system.post("/v1/events", content=body(received("GR-P1")), headers=CE)).json()
    answer = await system.get("/v1/cases/GR-P1", params={"min_position": record["position"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["case_id"] == "GR-P1"
    health = (await system.get("/v1/projections/health")).json()
    assert health["position"] >= record["position"] and health["lag"] == 0 and health["head"] == record["position"]


async def test_min_position_not_reached_answers_503_with_the_current_position(settings: Settings, clock) -> None:
    """Nothing follows: the wait is bounded (here briefly, so the test is quick), then the answer says where
    the read model is; a position beyond the ledger's head, which no write gave, is refused at once."""
    brief = settings.model_copy(update={"max_wait_seconds": 0.3})
    clock.set("2026-09-22T10:05:00+08:00")
    async with asgi_client(bootstrap(brief, clock=clock, follow=False)) as system:
        position = (await system.post("/v1/events", content=body(received("GR-BEHIND")), headers=CE)).json()["position"]
        response = await system.get("/v1/cases", params={"min_position": position})
        started = time.monotonic()
        beyond = await system.get("/v1/cases/GR-BEHIND", params={"min_position": position + 1000})
        refused_in = time.monotonic() - started
    assert response.status_code == 503 and response.headers["Retry-After"] == str(settings.retry_after_seconds)
    doc = response.json()
    assert doc["type"] == "/problems/projection-behind" and doc["position"] < position
    assert beyond.status_code == 400 and refused_in < 0.3, beyond.text
    assert beyond.json()["errors"] == [{"parameter": "min_position", "rule": "at-most-head"}]


async def test_waiting_reads_hold_no_worker_thread_and_are_bounded(settings: Settings, clock) -> None:
    """40 queries wait for a position the read model does not reach (more than the worker threads a process
    has): other reads still answer at once, and one waiter over the bound is answered 503 at once."""
    waits = settings.model_copy(update={"max_wait_seconds": 3, "max_waiting_reads": 40})
    clock.set("2026-09-22T10:05:00+08:00")
    async with asgi_client(bootstrap(waits, clock=clock, follow=False)) as system:
        position = (await system.post("/v1/events", content=body(received("GR-WAIT")), headers=CE)).json()["position"]
        waiting = [
            asyncio.create_task(system.get(path, params={"min_position": position}))
            for path in ["/v1/cases", "/v1/deadlines", "/v1/findings", "/v1/cases/GR-WAIT"] * 10
        ]
        await asyncio.sleep(0.5)
        started = time.monotonic()
        others = [await system.get(path) for path in ("/v1/cases", "/v1/events", "/v1/cases/GR-WAIT/events")]
        over = await system.get("/v1/statistics", params={"min_position": position})
        answered_in = time.monotonic() - started
        assert not any(task.done() for task in waiting)
        waited = await asyncio.gather(*waiting)
    assert [r.status_code for r in others] == [200] * 3 and answered_in < 1, answered_in
    assert over.status_code == 503 and over.headers["Retry-After"] == str(settings.retry_after_seconds)
    assert "already wait" in over.json()["detail"]
    assert {(r.status_code, r.json()["type"]) for r in waited} == {(503, "/problems/projection-behind")}


async def test_readers_polling_while_the_follower_catches_up_see_every_acknowledged_write(
    system: AsyncClient, clock
) -> None:
    """Writers post while readers poll, all at once (the app runs storage work in its thread pool), so the
    follower catches up under reads: every answer with ``min_position`` holds every write acknowledged before
    it was asked and nothing that was never posted, and the read model's position only moves forward, never
    past the ledger's head."""
    clock.set("2026-09-22T10:05:00+08:00")
    writers, per_writer, readers = 4, 20, 4
    subjects = {f"GR-RW-{w}-{n}" for w in range(writers) for n in range(per_writer)}
    acknowledged: dict[str, int] = {}
    first_write = asyncio.Event()

    async def write(w: int) -> None:
        for n in range(per_writer):
            response = await system.post("/v1/events", content=body(received(f"GR-RW-{w}-{n}")), headers=CE)
            assert response.status_code == 201, response.text
            acknowledged[f"GR-RW-{w}-{n}"] = response.json()["position"]
            first_write.set()

    async def read() -> None:
        await first_write.wait()
        seen = 0
        while True:
            done = len(acknowledged) == len(subjects)  # one more round after the last write
            known = dict(acknowledged)
            newest = max(known, key=known.__getitem__)
            case = await system.get(f"/v1/cases/{newest}", params={"min_position": known[newest]})
            assert case.status_code == 200 and case.json()["case_id"] == newest, case.text
            listed = await system.get("/v1/cases", params={"min_position": known[newest]})
            assert listed.status_code == 200, listed.text
            assert known.keys() <= {c["case_id"] for c in listed.json()["cases"]} <= subjects
            health = (await system.get("/v1/projections/health")).json()
            assert max(seen, known[newest]) <= health["position"] <= health["head"], health
            seen = health["position"]
            if done:
                return

    async with asyncio.timeout(60), asyncio.TaskGroup() as tasks:  # a failure cancels the others
        for w in range(writers):
            tasks.create_task(write(w))
        for _ in range(readers):
            tasks.create_task(read())
    final = await system.get("/v1/cases", params={"min_position": max(acknowledged.values())})
    assert {c["case_id"] for c in final.json()["cases"]} == subjects


async def test_restart_mid_stream_resumes_exactly(settings: Settings) -> None:
    url = settings.database_url
    async with ledger_only(settings) as ledger:
        with following(url):
            first = await _last_position(ledger, ["grievance.jsonl", "major_penalty.jsonl"])
            await _wait_for(url, first)
        last = await _last_position(ledger, ["inspection.jsonl", "record_filing.jsonl"])
        assert _dump(url)[0] == first  # nothing followed while stopped
        with following(url):
            await _wait_for(url, last)
    position, followed = _dump(url)
    assert position == last
    assert sum(len(v) for v in followed.values() if v[0]["case_kind"] != "principal") == sum(
        len(examples()[n])
        for n in ["grievance.jsonl", "major_penalty.jsonl", "inspection.jsonl", "record_filing.jsonl"]
    )
    assert rebuilt(url) == last
    assert _dump(url) == (position, followed)


async def test_duplicate_delivery_changes_nothing(settings: Settings) -> None:
    url = settings.database_url
    async with ledger_only(settings) as ledger:
        last = await _last_position(ledger, ["major_penalty.jsonl"])
    assert rebuilt(url) == last
    before = _dump(url)
    with storage(url) as s:
        read_model, names = s.read_model.get(), s.read_model.get().names()
        for start in (0, 3):  # the whole range again, and part of it
            new = [r.to_json() for r in s.store.get().feed(start, 100)]
            rows = projector(url).recompute(read_model, names, (), new, projector(url).clock())
            assert read_model.write(names, start, new[-1]["position"], new, rows, scope_rows(new)) is False
    assert _dump(url) == before


async def test_rebuild_gives_identical_answers(
    system: AsyncClient, posted_examples: list[dict], settings: Settings
) -> None:
    last = posted_examples[-1]["position"]
    live = (await system.get("/v1/cases", params={"min_position": last})).json()
    findings = (await system.get("/v1/findings")).json()
    rebuilt(settings.database_url)
    assert (await system.get("/v1/cases")).json() == live
    assert (await system.get("/v1/findings")).json() == findings


async def test_rebuild_command_reports_progress_and_the_position(settings: Settings) -> None:
    async with ledger_only(settings) as ledger:
        last = await _last_position(ledger, ["grievance.jsonl"])
    result = CliRunner().invoke(cli, ["projections", "rebuild", "--database", settings.database_url])
    assert result.exit_code == 0, result.output
    assert f"read model rebuilt up to ledger position {last}" in result.output
    assert _dump(settings.database_url)[0] == last


@postgres_only
async def test_a_lost_connection_restarts_the_runner_instead_of_stalling(
    system: AsyncClient, clock, database_url: str
) -> None:
    """Every connection to the database is killed (as a server restart or a network cut would): the
    LISTEN/NOTIFY runner fails, its supervisor restarts it, and the read model catches up."""
    clock.set("2026-09-22T12:00:00+08:00")
    first = (await system.post("/v1/events", content=body(received("GR-LOST-1")), headers=CE)).json()
    assert (await system.get("/v1/cases/GR-LOST-1", params={"min_position": first["position"]})).status_code == 200
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    second = await system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    if second.status_code == 503:  # the pool noticed first; the client retries as Retry-After says
        second = await system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    assert second.status_code == 201, second.text
    answer = await system.get("/v1/cases/GR-LOST-2", params={"min_position": second.json()["position"]})
    assert answer.status_code == 200, answer.text
    assert (await system.get("/v1/projections/health")).json()["restarts"] >= 1
