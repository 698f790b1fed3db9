"""The world of ``tests.access.world`` on the backend under test (the scenario posted, every principal signed
in), and the sign-in provider's JWKS served on the loopback interface (``server``, of ``test_oidc``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from esledger.settings import Settings
from tests.access.test_oidc import server  # noqa: F401 - a fixture, for the tests over HTTP too
from tests.access.world import OpenWorld, World, build_world, deployed
from tests.conftest import FakeClock


@pytest.fixture
def open_world(settings: Settings, clock: FakeClock) -> OpenWorld:
    """``async with open_world(**settings_overrides) as world``."""

    @asynccontextmanager
    async def opened(**overrides: Any) -> AsyncIterator[World]:
        async with deployed(settings, clock, **overrides) as (system, client):
            yield await build_world(system, client, clock)

    return opened


@pytest.fixture
async def world(open_world: OpenWorld) -> AsyncIterator[World]:
    """Limits out of the way: many requests per principal at once, many without a valid credential."""
    async with open_world(rate_limit_burst=100_000, failed_auth_per_minute=100_000) as opened:
        yield opened
