"""Request limits over HTTP (README "Limits"): a principal over its rate, and an address sending bad API keys,
get 429 with ``Retry-After``; another principal is not slowed down by it; refused requests count too."""

from __future__ import annotations

from esledger.settings import Settings
from tests.access.world import PRINCIPALS, deployed, sign_in
from tests.conftest import FakeClock
from tests.helpers import SOME_KEY

BURST = 3


async def test_over_its_rate_a_principal_waits_and_others_do_not(settings: Settings, clock: FakeClock) -> None:
    async with deployed(settings, clock, rate_limit_per_second=0.5, rate_limit_burst=BURST) as (system, client):
        names = ("shashi-inspector", "reviewer", "nobody")
        credentials = await sign_in(system, {name: PRINCIPALS[name] for name in names})

        async def statuses(name: str, n: int) -> list[int]:
            return [(await client.get("/v1/cases", headers=credentials[name])).status_code for _ in range(n)]

        assert await statuses("shashi-inspector", BURST + 1) == [200] * BURST + [429]
        limited = await client.get("/v1/deadlines", headers=credentials["shashi-inspector"])
        assert limited.status_code == 429 and limited.json()["type"] == "/problems/rate-limited"
        assert int(limited.headers["Retry-After"]) in (1, 2)  # a request every two seconds
        assert await statuses("reviewer", BURST) == [200] * BURST
        assert await statuses("nobody", BURST + 1) == [403] * BURST + [429]


async def test_bad_api_keys_from_one_address_are_limited(settings: Settings, clock: FakeClock) -> None:
    async with deployed(settings, clock, failed_auth_per_minute=3) as (_, client):
        answers = [await client.get("/v1/cases", headers=SOME_KEY) for _ in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert answers[0].headers["WWW-Authenticate"].startswith("Bearer")
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert (await client.get("/v1/me")).status_code == 200  # the tester's good key, from the same address
