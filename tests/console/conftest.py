"""Fixtures of the console's tests: the world of ``world.py`` on each backend, behind the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.concurrency import run_in_threadpool

from esledger.bootstrap import System, bootstrap
from esledger.settings import Settings
from tests.conftest import FakeClock
from tests.console.world import keys, record_as_happened
from tests.helpers import TESTER, TESTER_GRANTS, asgi_client, key_for


@dataclass
class Console:
    """The app over ASGI (no credential of its own: each test signs in), its system, clock and the keys of
    the world's people (and the tester's, a source that recorded the acts)."""

    client: httpx.AsyncClient
    system: System
    clock: FakeClock
    keys: dict[str, str]
    position: int

    async def sign_in(self, who: str) -> None:
        self.client.cookies.clear()
        answer = await self.client.post("/console/signin", data={"credential": self.keys[who], "next": "/console/"})
        assert answer.status_code == 303, answer.text


@pytest.fixture
async def console(settings: Settings) -> AsyncIterator[Console]:
    clock = FakeClock()
    system = bootstrap(settings.model_copy(update={"max_wait_seconds": 8}), clock=clock)
    async with asgi_client(system, authenticated=False) as client:
        people = await run_in_threadpool(keys, system)
        tester = await run_in_threadpool(key_for, system, TESTER, TESTER_GRANTS)
        position = await record_as_happened(client, clock, tester)
        yield Console(client, system, clock, {**people, "tester": tester}, position)
