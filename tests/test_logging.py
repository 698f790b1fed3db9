"""Structured logs: faults are logged with their cause, in JSON lines when asked, never silently."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import httpx
import orjson
import pytest

from esledger.access.principals import Grant, Principal
from esledger.bootstrap import bootstrap
from esledger.core.following import Follower
from esledger.core.logs import JSONLines, Text, configure_logging
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import CE, SOME_KEY, TESTER, TESTER_GRANTS, accepted, asgi_client, bearer, body, key_for, received


def test_json_lines_carry_the_message_and_every_attached_field() -> None:
    record = logging.LogRecord("esledger.storage", logging.WARNING, __file__, 1, "storage unavailable", (), None)
    record.cause = "OperationalError: connection refused"
    entry = orjson.loads(JSONLines().format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "esledger.storage"
    assert entry["message"] == "storage unavailable" and entry["cause"] == "OperationalError: connection refused"


def test_text_lines_carry_the_fields_and_the_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("esledger.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    record.follower = "projection"
    text = Text("%(levelname)s %(name)s: %(message)s").format(record)
    assert text.startswith("ERROR esledger.x: failed follower=projection")
    assert "RuntimeError: boom" in text


def test_configure_logging_routes_every_logger_to_one_json_handler(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("json", "INFO")
        logging.getLogger("uvicorn.error").info("started", extra={"port": 8000})
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert orjson.loads(line) | {"time": None} == {
            "time": None,
            "level": "INFO",
            "logger": "uvicorn.error",
            "message": "started",
            "port": 8000,
        }
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


@pytest.mark.postgres
async def test_a_database_that_does_not_answer_is_logged_with_its_cause(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", dev_key_file=tmp_path / "k")
    with caplog.at_level(logging.WARNING):
        async with asgi_client(bootstrap(settings, role="ledger"), authenticated=False) as client:
            answer = await client.post("/v1/events", content=body(received("GR-LOG-1")), headers=CE | SOME_KEY)
    assert answer.status_code == 503
    causes = [r for r in caplog.records if r.name == "esledger.storage"]
    assert causes and "connect" in causes[-1].cause.lower()
    assert any(r.name == "esledger.http" and "503" in r.getMessage() for r in caplog.records)


async def test_an_unexpected_error_answers_500_and_is_logged_with_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.sqlite3", dev_key_file=tmp_path / "k")
    system = bootstrap(settings, role="ledger")
    app = create_app(system)

    def broken(*_: object, **__: object) -> int:
        raise RuntimeError("a bug")

    # The server error middleware re-raises after answering; the client must not re-raise it here.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        headers = bearer(key_for(system, TESTER, TESTER_GRANTS))
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            system.storage.store.get().head = broken  # type: ignore[method-assign]
            answer = await client.get("/v1/events")
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/internal-error" and "a bug" not in answer.text
    logged = [r for r in caplog.records if r.name == "esledger.http" and r.exc_info]
    assert logged and "a bug" in str(logged[0].exc_info[1])


def test_a_follower_that_fails_is_restarted_and_each_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    calls = io.StringIO()

    def advance() -> int:
        calls.write("x")
        if len(calls.getvalue()) <= 2:
            raise ConnectionError(f"lost the database (attempt {len(calls.getvalue())})")
        return 0

    follower = Follower("test-follower", advance, interval=0.01)
    with caplog.at_level(logging.WARNING):
        follower.start()
        deadline = time.monotonic() + 5
        while follower.restarts < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        follower.stop()
    assert follower.restarts == 2 and follower.last_error == "ConnectionError: lost the database (attempt 2)"
    failures = [r for r in caplog.records if r.name == "esledger.following"]
    assert [r.cause for r in failures] == [
        "ConnectionError: lost the database (attempt 1)",
        "ConnectionError: lost the database (attempt 2)",
    ]
    assert all(r.follower == "test-follower" for r in failures)


def test_an_append_that_loses_a_race_is_retried_and_the_retry_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A second writer (its own process's parts, on the same database) appends to the case after this process
    cached it: this process trusts its cached case, its save conflicts on the (case, version) key, is logged,
    and succeeds on a fresh read."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/l.sqlite3", dev_key_file=tmp_path / "k")
    mine, theirs = bootstrap(settings, role="ledger", follow=False), bootstrap(settings, role="ledger", follow=False)
    assert mine.ledger is not None and theirs.ledger is not None
    writer = mine.access.scope(Principal("key:tester", "tester", (Grant("source", source="*"),)))
    try:
        mine.ledger.post([received("GR-RACE")], writer, batch=False)
        theirs.ledger.post([accepted("GR-RACE", id="their-act")], writer, batch=False)
        with caplog.at_level(logging.INFO):
            [outcome] = mine.ledger.post([accepted("GR-RACE", id="my-act")], writer, batch=False)
    finally:
        mine.close()
        theirs.close()
    assert outcome.created and outcome.record.case_version == 3
    retries = [r for r in caplog.records if r.name == "esledger.ledger" and "retrying" in r.getMessage()]
    assert len(retries) == 1 and retries[0].attempt == 1 and retries[0].cause
