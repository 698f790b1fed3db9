"""Posting a case's acts through the ledger API at simulated times, and reading the projections back.

Event data starts from the published example of the act (so it is valid against the schemas) and the test
overrides what its worked example is about."""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta
from typing import Any

from httpx import AsyncClient

from tests.helpers import CE, PREFIX, body, examples

_ids = itertools.count(1)


def template(act: str) -> dict[str, Any]:
    for events in examples().values():
        for event in events:
            if event["type"] == PREFIX + act:
                return copy.deepcopy(event["data"])
    raise KeyError(act)


class Scenario:
    """One case. Each act is recorded ``lag`` after it occurred unless the test says when."""

    def __init__(self, client: AsyncClient, clock: Any, subject: str, lag: timedelta = timedelta(hours=1)) -> None:
        self.client, self.clock, self.subject, self.lag = client, clock, subject, lag
        self.position = 0

    async def act(self, act: str, when: str, recorded: str | None = None, **data: Any) -> dict[str, Any]:
        occurred = datetime.fromisoformat(when if "T" in when else f"{when}T10:00:00+08:00")
        self.clock.now = datetime.fromisoformat(recorded) if recorded else occurred + self.lag
        event = {
            "specversion": "1.0",
            "id": f"sc-{next(_ids)}",
            "source": "urn:zfjd:source:scenario-test",
            "type": PREFIX + act,
            "subject": self.subject,
            "time": occurred.isoformat(),
            "datacontenttype": "application/json",
            "data": template(act) | data,
        }
        response = await self.client.post("/v1/events", content=body(event), headers=CE)
        assert response.status_code == 201, response.text
        record = response.json()
        self.position = record["position"]
        return record

    def at(self, instant: str) -> None:
        self.clock.now = datetime.fromisoformat(instant)

    async def case(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get(f"/v1/cases/{self.subject}", params={"min_position": self.position, **params})
        assert response.status_code == 200, response.text
        return response.json()

    async def findings(self, key: str | None = None, **params: Any) -> list[dict[str, Any]]:
        found = (await self.case(**params))["findings"]
        return [f for f in found if key is None or f["key"] == key]

    async def deadline(self, rule_id: str, **params: Any) -> dict[str, Any]:
        [d] = [d for d in (await self.case(**params))["deadlines"] if d["rule_id"] == rule_id]
        return d
