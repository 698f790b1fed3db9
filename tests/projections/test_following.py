"""Following the ledger exactly once: read-your-writes, lag, restarts, duplicate delivery, rebuild."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from esledger.bootstrap import Storage, bootstrap
from esledger.core.following import Follower
from esledger.projections.projection import catch_up
from esledger.projections.rebuild import rebuild
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import CE, body, examples, received


def ledger_app(settings: Settings) -> TestClient:
    """The ledger's role alone: nothing follows into the read model but what the test starts."""
    return TestClient(create_app(bootstrap(settings, role="ledger")))


@contextmanager
def storage(url: str) -> Iterator[Storage]:
    opened = Storage(Settings(database_url=url))
    try:
        yield opened
    finally:
        opened.close()


def follower_for(url: str) -> tuple[Follower, Storage]:
    opened = Storage(Settings(database_url=url))
    follower = Follower("projection", lambda: catch_up(opened.store.get(), opened.read_model.get()))
    return follower, opened


def rebuilt(url: str) -> int:
    with storage(url) as s:
        return rebuild(s.store.get(), s.read_model.get())


def _post_examples(client: TestClient, names: list[str]) -> int:
    position = 0
    for name in names:
        for event in examples()[name]:
            response = client.post("/v1/events", content=body(event), headers=CE)
            assert response.status_code == 201, response.text
            position = response.json()["position"]
    return position


def _wait_for(database_url: str, position: int, timeout: float = 15) -> None:
    with storage(database_url) as s:
        view = s.read_model.get()
        deadline = time.monotonic() + timeout
        while view.position() < position:
            assert time.monotonic() < deadline, f"read model stuck at {view.position()} < {position}"
            time.sleep(0.05)


def _dump(database_url: str) -> tuple[int, dict]:
    with storage(database_url) as s:
        view = s.read_model.get()
        return view.position(), view.all_records()


def test_read_your_writes_with_min_position(system: TestClient, clock) -> None:
    clock.set("2026-09-22T10:05:00+08:00")
    record = system.post("/v1/events", content=body(received("GR-P1")), headers=CE).json()
    answer = system.get("/v1/cases/GR-P1", params={"min_position": record["position"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["case_id"] == "GR-P1"
    health = system.get("/v1/projections/health").json()
    assert health["position"] >= record["position"] and health["lag"] == 0 and health["head"] == record["position"]


def test_min_position_not_reached_answers_503_with_the_current_position(system: TestClient) -> None:
    head = system.get("/healthz").json()["head"]
    response = system.get("/v1/cases", params={"min_position": head + 1000})
    assert response.status_code == 503 and "Retry-After" in response.headers
    doc = response.json()
    assert doc["type"] == "/problems/projection-behind" and doc["position"] == head


def test_restart_mid_stream_resumes_exactly(settings: Settings) -> None:
    url = settings.database_url
    with ledger_app(settings) as ledger:
        follower, opened = follower_for(url)
        follower.start()
        first = _post_examples(ledger, ["grievance.jsonl", "major_penalty.jsonl"])
        _wait_for(url, first)
        follower.stop()
        opened.close()
        last = _post_examples(ledger, ["inspection.jsonl", "record_filing.jsonl"])
        assert _dump(url)[0] == first  # nothing followed while stopped
        follower, opened = follower_for(url)
        follower.start()
        _wait_for(url, last)
        follower.stop()
        opened.close()
    position, followed = _dump(url)
    assert position == last
    assert sum(len(v) for v in followed.values()) == sum(
        len(examples()[n])
        for n in ["grievance.jsonl", "major_penalty.jsonl", "inspection.jsonl", "record_filing.jsonl"]
    )
    assert rebuilt(url) == last
    assert _dump(url) == (position, followed)


def test_duplicate_delivery_changes_nothing(settings: Settings) -> None:
    url = settings.database_url
    with ledger_app(settings) as ledger:
        last = _post_examples(ledger, ["major_penalty.jsonl"])
    assert rebuilt(url) == last
    before = _dump(url)
    with storage(url) as s:
        for record in s.store.get().feed(0, 100):
            assert s.read_model.get().apply(record.to_json(), Tracking("Ledger", record.position)) is False
    assert _dump(url) == before


def test_rebuild_gives_identical_answers(system: TestClient, clock, settings: Settings) -> None:
    clock.set("2026-11-27T12:00:00+08:00")
    last = _post_examples(system, list(examples()))
    live = system.get("/v1/cases", params={"min_position": last}).json()
    findings = system.get("/v1/findings").json()
    rebuilt(settings.database_url)
    assert system.get("/v1/cases").json() == live
    assert system.get("/v1/findings").json() == findings


def test_rebuild_command_reports_progress_and_the_position(settings: Settings) -> None:
    from typer.testing import CliRunner

    from esledger.cli import app as cli

    with ledger_app(settings) as ledger:
        last = _post_examples(ledger, ["grievance.jsonl"])
    result = CliRunner().invoke(cli, ["projections", "rebuild", "--database", settings.database_url])
    assert result.exit_code == 0, result.output
    assert f"read model rebuilt up to ledger position {last}" in result.output
    assert _dump(settings.database_url)[0] == last


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_lost_connection_restarts_the_runner_instead_of_stalling(
    system: TestClient, clock, database_url: str
) -> None:
    """Every connection to the database is killed (as a server restart or a network cut would): the
    LISTEN/NOTIFY runner fails, its supervisor restarts it, and the read model catches up."""
    clock.set("2026-09-22T12:00:00+08:00")
    first = system.post("/v1/events", content=body(received("GR-LOST-1")), headers=CE).json()
    assert system.get("/v1/cases/GR-LOST-1", params={"min_position": first["position"]}).status_code == 200
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    second = system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    if second.status_code == 503:  # the pool noticed first; the client retries as Retry-After says
        second = system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    assert second.status_code == 201, second.text
    answer = system.get("/v1/cases/GR-LOST-2", params={"min_position": second.json()["position"]})
    assert answer.status_code == 200, answer.text
    assert system.get("/v1/projections/health").json()["restarts"] >= 1
