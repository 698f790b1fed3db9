"""Following the ledger exactly once: read-your-writes, lag, restarts, duplicate delivery, rebuild."""

from __future__ import annotations

import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.ledger.api import create_app as ledger_app
from services.ledger.settings import Settings
from eventsourcing.persistence import Tracking

from services.ledger.store import ENTRY_TOPICS, entry_record, open_store
from services.projections.follower import follower_for, open_view
from services.projections.rebuild import rebuild
from tests.helpers import CE, body, examples, received


def _post_examples(client: TestClient, names: list[str]) -> int:
    position = 0
    for name in names:
        for event in examples()[name]:
            response = client.post("/v1/events", content=body(event), headers=CE)
            assert response.status_code == 201, response.text
            position = response.json()["position"]
    return position


def _wait_for(database_url: str, position: int, timeout: float = 15) -> None:
    view = open_view(database_url)
    try:
        deadline = time.monotonic() + timeout
        while view.position() < position:
            assert time.monotonic() < deadline, f"read model stuck at {view.position()} < {position}"
            time.sleep(0.05)
    finally:
        view.close()


def _dump(database_url: str) -> tuple[int, dict]:
    view = open_view(database_url)
    try:
        return view.position(), view.all_records()
    finally:
        view.close()


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
    with TestClient(ledger_app(settings)) as ledger:
        follower = follower_for(url)
        follower.start()
        first = _post_examples(ledger, ["grievance.jsonl", "major_penalty.jsonl"])
        _wait_for(url, first)
        follower.stop()
        last = _post_examples(ledger, ["inspection.jsonl", "record_filing.jsonl"])
        assert _dump(url)[0] == first  # nothing followed while stopped
        follower = follower_for(url)
        follower.start()
        _wait_for(url, last)
        follower.stop()
        ledger.app.state.ledger.close()
    position, followed = _dump(url)
    assert position == last
    assert sum(len(v) for v in followed.values()) == sum(
        len(examples()[n]) for n in ["grievance.jsonl", "major_penalty.jsonl", "inspection.jsonl",
                                     "record_filing.jsonl"])
    assert rebuild(url) == last
    assert _dump(url) == (position, followed)


def test_duplicate_delivery_changes_nothing(settings: Settings) -> None:
    url = settings.database_url
    with TestClient(ledger_app(settings)) as ledger:
        last = _post_examples(ledger, ["major_penalty.jsonl"])
        ledger.app.state.ledger.close()
    assert rebuild(url) == last
    before = _dump(url)
    store, view = open_store(url), open_view(url)
    try:
        for n in store.recorder.select_notifications(start=0, limit=100, topics=ENTRY_TOPICS):
            again = entry_record(store.mapper.to_domain_event(n), n.id).to_json()
            assert view.apply(again, Tracking("Ledger", n.id)) is False
    finally:
        store.close()
        view.close()
    assert _dump(url) == before


def test_rebuild_gives_identical_answers(system: TestClient, clock, settings: Settings) -> None:
    clock.set("2026-11-27T12:00:00+08:00")
    last = _post_examples(system, list(examples()))
    live = system.get("/v1/cases", params={"min_position": last}).json()
    findings = system.get("/v1/findings").json()
    rebuild(settings.database_url)
    assert system.get("/v1/cases").json() == live
    assert system.get("/v1/findings").json() == findings


def test_rebuild_command_reports_progress_and_the_position(settings: Settings) -> None:
    from typer.testing import CliRunner

    from services.cli import app as cli

    with TestClient(ledger_app(settings)) as ledger:
        last = _post_examples(ledger, ["grievance.jsonl"])
        ledger.app.state.ledger.close()
    result = CliRunner().invoke(cli, ["projections", "rebuild", "--database", settings.database_url])
    assert result.exit_code == 0, result.output
    assert f"read model rebuilt up to ledger position {last}" in result.output
    assert _dump(settings.database_url)[0] == last


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_lost_connection_restarts_the_runner_instead_of_stalling(system: TestClient, clock,
                                                                   database_url: str) -> None:
    """Every connection to the database is killed (as a server restart or a network cut would): the
    LISTEN/NOTIFY runner fails, its supervisor restarts it, and the read model catches up."""
    clock.set("2026-09-22T12:00:00+08:00")
    first = system.post("/v1/events", content=body(received("GR-LOST-1")), headers=CE).json()
    assert system.get("/v1/cases/GR-LOST-1", params={"min_position": first["position"]}).status_code == 200
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    second = system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    if second.status_code == 503:  # the pool noticed first; the client retries as Retry-After says
        second = system.post("/v1/events", content=body(received("GR-LOST-2")), headers=CE)
    assert second.status_code == 201, second.text
    answer = system.get("/v1/cases/GR-LOST-2", params={"min_position": second.json()["position"]})
    assert answer.status_code == 200, answer.text
    assert system.get("/v1/projections/health").json()["restarts"] >= 1
