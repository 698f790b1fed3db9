"""Fixtures of the ledger's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from esledger.bootstrap import System, bootstrap
from esledger.settings import Settings
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, asgi_client


@pytest.fixture
async def ledger(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[AsyncClient, System]]:
    """The embedded arrangement signed in as the tester (a reviewer), its clock after the examples, and the
    system itself, to register other principals."""
    clock.set(AFTER_EXAMPLES)
    system = bootstrap(settings.model_copy(update={"max_wait_seconds": 4}), clock=clock)
    async with asgi_client(system) as client:
        yield client, system
