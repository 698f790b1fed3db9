"""Clients posting at once over real HTTP, each on a connection of its own: nothing lost, nothing duplicated,
every chain intact."""

from __future__ import annotations

import asyncio

import httpx

from tests.helpers import CE, body, ce, live_headers, received

CLIENTS = 8
PER_CLIENT = 12


def _note(subject: str, client: int, n: int) -> dict:
    return ce(
        "case.commendation_granted",
        subject,
        {
            "recipient_unit": {"code": f"U{client}", "name": "沙市区政务数据局"},
            "reason": f"客户端{client}第{n}次",
            "granted_by": {"code": "JZ", "name": "荆州市政务数据局"},
        },
        id=f"c-{subject}-{client}-{n}",
    )


async def _post_all(url: str, events: list[dict]) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=live_headers()) as c:
        return [(await c.post("/v1/events", content=body(e), headers=CE)).status_code for e in events]


async def _post_concurrently(url: str, batches: list[list[dict]]) -> list[int]:
    """Each batch posted in order by a client of its own, all clients at once; every status, in batch order."""
    async with asyncio.timeout(120):
        results = await asyncio.gather(*(_post_all(url, b) for b in batches))
    return [status for statuses in results for status in statuses]


async def _all_records(c: httpx.AsyncClient) -> list[dict]:
    out, after = [], 0
    while True:
        page = (await c.get("/v1/events", params={"after": after, "limit": 1000})).json()
        if not page["records"]:
            return out
        out += page["records"]
        after = page["next_after"]


async def test_clients_posting_to_one_case(live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url, timeout=60, headers=live_headers()) as c:
        assert (await c.post("/v1/events", content=body(received("GR-T1")), headers=CE)).status_code == 201
        batches = [[_note("GR-T1", k, n) for n in range(PER_CLIENT)] for k in range(CLIENTS)]
        assert await _post_concurrently(live_url, batches) == [201] * CLIENTS * PER_CLIENT
        timeline = (await c.get("/v1/cases/GR-T1/events")).json()
    assert timeline["chain"]["valid"]
    records = timeline["records"]
    assert [r["case_version"] for r in records] == list(range(1, 1 + CLIENTS * PER_CLIENT + 1))
    assert len({r["event"]["id"] for r in records}) == len(records)
    assert [r["position"] for r in records] == sorted(r["position"] for r in records)


async def test_clients_posting_to_many_cases(live_url: str) -> None:
    batches = [
        [received(f"GR-T2-{k}")] + [_note(f"GR-T2-{k}", k, n) for n in range(PER_CLIENT)] for k in range(CLIENTS)
    ]
    assert await _post_concurrently(live_url, batches) == [201] * CLIENTS * (PER_CLIENT + 1)
    async with httpx.AsyncClient(base_url=live_url, timeout=60, headers=live_headers()) as c:
        feed = [r for r in await _all_records(c) if r["case_kind"] != "principal"]
        assert len(feed) == CLIENTS * (PER_CLIENT + 1)
        assert len({r["position"] for r in feed}) == len(feed)
        assert [r["position"] for r in feed] == sorted(r["position"] for r in feed)
        for k in range(CLIENTS):
            timeline = (await c.get(f"/v1/cases/GR-T2-{k}/events")).json()
            assert timeline["chain"]["valid"] and timeline["version"] == PER_CLIENT + 1
