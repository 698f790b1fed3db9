"""Building events, serving the app to an async client and reading the ledger in tests."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from esledger.bootstrap import System
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


@asynccontextmanager
async def asgi_client(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """The system's app over ASGI in this event loop. ASGITransport does not run the lifespan, so it is entered
    here: the system starts before the first request and closes after the last."""
    app = create_app(system)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


async def head(client: httpx.AsyncClient) -> int:
    """The ledger's head position (0: nothing stored)."""
    return (await client.get("/healthz")).json()["head"]


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
