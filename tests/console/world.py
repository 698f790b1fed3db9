"""The console's test world: the published example scenarios recorded as they happened (each act an hour
after it occurred), up to 2026-10-09, and the clock then set to 2026-10-10 12:00 Beijing time, when the
inspection case IN-2026-0042 is red (its 第十一条 correction period ended on 2026-09-30 and nothing was
corrected); and a principal of each kind of user the console serves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx

from esledger.bootstrap import System
from tests.helpers import CE, bearer, body, examples, key_for

UNTIL = "2026-10-09T23:59:00+08:00"
NOW = "2026-10-10T12:00:00+08:00"
RED_CASE = "IN-2026-0042"
"""Red at NOW: the 第十一条 notice (version 6) set correction by 2026-09-30; nothing corrected by then."""
BREACHED = "art11.correct"
GRIEVANCE = "GR-2026-0917"
RESPONDENT_UNIT = "421002-ZSJ"
"""The unit GR-2026-0917 complains about."""

PEOPLE: dict[str, list[dict[str, Any]]] = {
    "inspector": [{"role": "inspector", "units": ["421000-ZSJ"]}],
    "supervisor": [{"role": "supervisor", "units": ["421000-ZSJ"]}],
    "respondent": [{"role": "respondent", "units": [RESPONDENT_UNIT]}],
    "reviewer": [{"role": "reviewer"}],
    "admin": [{"role": "admin"}],
}


def happened() -> Iterator[tuple[datetime, dict[str, Any]]]:
    """Every example act that occurred before UNTIL, in the order it occurred, with its recording instant."""
    events = [e for scenario in examples().values() for e in scenario]
    for event in sorted(events, key=lambda e: datetime.fromisoformat(e["time"])):
        occurred = datetime.fromisoformat(event["time"])
        if occurred <= datetime.fromisoformat(UNTIL):
            yield occurred + timedelta(hours=1), event


async def record_as_happened(client: httpx.AsyncClient, clock: Any, key: str) -> int:
    """Post the acts as the source holding ``key``, with the clock at each one's recording instant, then set
    the clock to NOW and wait for the read side to catch up; the last position."""
    position = 0
    for at, event in happened():
        clock.now = at
        answer = await client.post("/v1/events", content=body(event), headers={**CE, **bearer(key)})
        assert answer.status_code == 201, answer.text
        position = answer.json()["position"]
    clock.set(NOW)
    caught_up = await client.get("/v1/cases", params={"min_position": position, "limit": 1}, headers=bearer(key))
    assert caught_up.status_code == 200, caught_up.text
    return position


def acts_of(case_id: str) -> int:
    """How many acts of the case the world records."""
    return sum(1 for _, event in happened() if event["subject"] == case_id)


def keys(system: System) -> dict[str, str]:
    return {name: key_for(system, name, grants) for name, grants in PEOPLE.items()}


def complainants() -> set[str]:
    """Every complainant's name, identity number, contact and address in the examples: none may reach a
    respondent unit."""
    found = set()
    for scenario in examples().values():
        for event in scenario:
            person = (event.get("data") or {}).get("complainant")
            if isinstance(person, dict):
                found |= {v for k, v in person.items() if k != "kind" and isinstance(v, str) and len(v) >= 2}
    return found


def token(html: str) -> str:
    """The anti-forgery token of a console page's forms."""
    match = re.search(r'name="form_token" value="([0-9a-f]{64})"', html)
    assert match, "the page has no form token"
    return match.group(1)
