"""Faults lose nothing and duplicate nothing: a write that fails inside the database transaction stores
none of its batch, and the client's retry then stores it exactly once."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import OperationalError

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from tests.helpers import BATCH, accepted, asgi_client, body, nothing_stored, received


async def test_a_failure_mid_batch_stores_nothing_and_the_retry_stores_it_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [received("GR-FAULT"), accepted("GR-FAULT"), received("GR-FAULT-2")]
    ledger = bootstrap(settings, role="ledger")
    async with asgi_client(ledger) as client:
        recorder = ledger.storage.store.get().recorder
        # The method that inserts the rows inside the transaction (PostgreSQL: after taking the table lock).
        name = "_insert_stored_events" if hasattr(recorder, "_insert_stored_events") else "_insert_events"
        real_insert = getattr(recorder, name)

        def insert_then_crash(cursor, stored_events, **kwargs):
            real_insert(cursor, stored_events, **kwargs)
            if name == "_insert_stored_events":  # PostgreSQL: the server kills this session before the commit
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            raise OperationalError("the process died before the commit (simulated, rows inserted)")

        monkeypatch.setattr(recorder, name, insert_then_crash)
        failed = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
        assert failed.status_code == 503 and failed.headers["Retry-After"]
        monkeypatch.undo()
        assert await nothing_stored(client)
        assert (await client.get("/v1/cases/GR-FAULT/events")).status_code == 404

        retried = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
        assert retried.status_code == 201
        assert [i["outcome"] for i in retried.json()] == ["created"] * 3
        again = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
        assert [i["outcome"] for i in again.json()] == ["duplicate"] * 3
        assert (await client.get("/v1/cases/GR-FAULT/events")).json()["version"] == 2
