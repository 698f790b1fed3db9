"""Building events, serving the app to an async client and reading the ledger in tests."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.concurrency import run_in_threadpool

from esledger.access.principals import Grant, Principal
from esledger.bootstrap import System
from esledger.core.database import connect, is_postgres, persistence_env, schema_of
from esledger.web.app import create_app

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
PREFIX = "cn.gov.jingzhou.zfjd."
CE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
_ids = itertools.count(1)
AFTER_EXAMPLES = "2026-11-27T12:00:00+08:00"
"""A simulated time after every example event (the ledger refuses events from its future)."""

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
"""The PostgreSQL backend of the ``database_url`` fixture: ``-m "not postgres"`` deselects it."""
postgres_only = pytest.mark.parametrize("database_url", [POSTGRES], indirect=True)
"""For a test of what only PostgreSQL has (LISTEN/NOTIFY, roles and grants)."""

UNIT = {"code": "JZ-SS-ZWSJ", "name": "荆州市沙市区政务服务和大数据管理局"}
BODY = {"code": "JZ-ZWSJ-FG", "name": "荆州市政务服务和大数据管理局法规科"}


def examples() -> dict[str, list[dict[str, Any]]]:
    """The published example scenarios, by file name."""
    return {
        p.name: [orjson.loads(line) for line in p.read_bytes().splitlines() if line.strip()]
        for p in sorted((SCHEMAS / "examples").glob("*.jsonl"))
    }


def ce(
    act: str,
    subject: str,
    data: dict[str, Any],
    *,
    time: str = "2026-09-22T10:00:00+08:00",
    source: str = "urn:zfjd:source:test",
    id: str | None = None,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id or f"t-{next(_ids)}",
        "source": source,
        "type": PREFIX + act,
        "subject": subject,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


def received(subject: str, **kw: Any) -> dict[str, Any]:
    """A valid grievance.received (opens a grievance case)."""
    return ce(
        "grievance.received",
        subject,
        {
            "grievance_kind": "complaint",
            "channel": "letter",
            "complainant": {"kind": "natural_person", "name": "张某"},
            "respondent_unit": UNIT,
            "supervision_body": BODY,
            "summary": "对行政处罚决定不服提出申诉",
        },
        **kw,
    )


def accepted(subject: str, **kw: Any) -> dict[str, Any]:
    return ce(
        "grievance.accepted",
        subject,
        {"supervision_body": BODY, "jurisdiction_basis": "《行政执法监督制度》第九条"},
        **kw,
    )


def body(event: Any) -> bytes:
    return orjson.dumps(event)


TESTER = "tester"
TESTER_GRANTS = [{"role": "source", "source": "*"}, {"role": "reviewer"}, {"role": "admin"}]
"""The principal API tests act as unless they say otherwise: posts anything, reads everything, administers."""
TEST_ADMIN = Principal("test:setup", "the test's own setup", (Grant("admin"),))


def key_for(system: System, name: str, grants: list[dict[str, Any]]) -> str:
    """Register a principal directly in the system's registry (as the test's setup); its API key."""
    return system.access.registry.register(TEST_ADMIN, name, grants)[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def signed_in(system: System, name: str, grants: list[dict[str, Any]]) -> dict[str, str]:
    """The headers of a principal registered with these grants (from an async test)."""
    return bearer(await run_in_threadpool(key_for, system, name, grants))


SOME_KEY = bearer("esl_someone.1_" + "A" * 43)
"""A well-formed API key no principal holds: checking it needs the database."""


def live_headers() -> dict[str, str]:
    """The tester's credentials for a client of the ``live_url`` server."""
    return bearer(os.environ["ESLEDGER_API_KEY"])


@asynccontextmanager
async def asgi_client(system: System, authenticated: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The system's app over ASGI in this event loop, signed in as the tester unless ``authenticated`` is
    False. ASGITransport does not run the lifespan, so it is entered here: the system starts before the first
    request and closes after the last."""
    app = create_app(system)
    async with app.router.lifespan_context(app):
        headers = bearer(await run_in_threadpool(key_for, system, TESTER, TESTER_GRANTS)) if authenticated else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
        ) as client:
            feed = (await client.get("/v1/events", params={"limit": 1000})).json() if authenticated else None
            client.start_head = feed["head"] if feed else 0  # type: ignore[attr-defined]
            client.start_head_entries = len(feed["records"]) if feed else 0  # type: ignore[attr-defined]
            yield client


async def head(client: httpx.AsyncClient) -> int:
    """The ledger's head position, as a reviewer reads it from the feed."""
    return (await client.get("/v1/events", params={"limit": 1})).json()["head"]


async def nothing_stored(client: httpx.AsyncClient) -> bool:
    """Whether the ledger holds nothing beyond what it held when the client was made (its principals)."""
    return await head(client) == client.start_head  # type: ignore[attr-defined]


async def post_examples(client: httpx.AsyncClient, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Post the published example scenarios (every file, or the named ones) in order; the records created."""
    scenarios = examples()
    records = []
    for name in scenarios if names is None else names:
        for event in scenarios[name]:
            response = await client.post("/v1/events", content=body(event), headers=CE)
            assert response.status_code == 201, response.text
            records.append(response.json())
    return records


Run = Callable[..., list[tuple[Any, ...]]]


@contextmanager
def database(database_url: str) -> Iterator[tuple[Run, list[str]]]:
    """SQL straight to the ledger's database, as its administrator (triggers in place; ``%s`` marks on both
    backends), and the names of every table there."""
    if is_postgres(database_url):
        with connect(database_url, autocommit=True) as conn:
            conn.execute(f"SET search_path = {schema_of(database_url)}")

            def run(query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
                cursor = conn.execute(query, params)  # type: ignore[arg-type]
                return cursor.fetchall() if cursor.description else []

            tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            yield run, [t for (t,) in run(tables, (schema_of(database_url),))]
        return
    with closing(sqlite3.connect(persistence_env(database_url)["SQLITE_DBNAME"], isolation_level=None)) as lite:

        def run(query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return lite.execute(query.replace("%s", "?"), params).fetchall()

        yield run, [t for (t,) in run("SELECT name FROM sqlite_master WHERE type = 'table'")]


def holding(run: Run, tables: Iterable[str], text: str) -> list[str]:
    """The tables any of whose values (text, or UTF-8 bytes) contains ``text``."""
    return [t for t in tables if any(text in _text(v) for row in run(f'SELECT * FROM "{t}"') for v in row)]


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
