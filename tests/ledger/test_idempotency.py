"""(source, id) is the idempotency key: a repeat returns the original record and stores nothing."""

from __future__ import annotations

import asyncio

from httpx import AsyncClient

from tests.helpers import CE, accepted, body, head, received


async def test_same_content_returns_the_original_record_and_stores_nothing(client: AsyncClient) -> None:
    event = received("GR-I1")
    first = await client.post("/v1/events", content=body(event), headers=CE)
    assert first.status_code == 201
    before = await head(client)
    again = await client.post("/v1/events", content=body(event), headers=CE)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert await head(client) == before
    assert (await client.get("/v1/cases/GR-I1/events")).json()["version"] == 1


async def test_key_order_and_spacing_do_not_make_a_different_event(client: AsyncClient) -> None:
    event = received("GR-I2")
    assert (await client.post("/v1/events", content=body(event), headers=CE)).status_code == 201
    reordered = dict(reversed(list(event.items())))
    text = body(reordered).replace(b",", b", ")
    assert (await client.post("/v1/events", content=text, headers=CE)).status_code == 200


async def test_same_key_different_content_is_a_conflict(client: AsyncClient) -> None:
    event = received("GR-I3", id="fixed-id")
    assert (await client.post("/v1/events", content=body(event), headers=CE)).status_code == 201
    changed = event | {"data": event["data"] | {"summary": "改写后的内容"}}
    response = await client.post("/v1/events", content=body(changed), headers=CE)
    assert response.status_code == 409
    doc = response.json()
    assert doc["type"] == "/problems/idempotency-conflict" and doc["case_id"] == "GR-I3"
    assert (await client.get("/v1/cases/GR-I3/events")).json()["version"] == 1


async def test_same_id_from_another_source_is_another_event(client: AsyncClient) -> None:
    assert (await client.post("/v1/events", content=body(received("GR-I4", id="n1")), headers=CE)).status_code == 201
    other = accepted("GR-I4", id="n1", source="urn:zfjd:source:another-system")
    assert (await client.post("/v1/events", content=body(other), headers=CE)).status_code == 201


async def test_concurrent_duplicates_store_exactly_one(client: AsyncClient) -> None:
    """24 posts of one event at once: the ledger does its storage work in a thread pool, so they really race."""
    assert (await client.post("/v1/events", content=body(received("GR-I5")), headers=CE)).status_code == 201
    duplicate = body(accepted("GR-I5"))
    async with asyncio.timeout(60):
        answers = await asyncio.gather(*(client.post("/v1/events", content=duplicate, headers=CE) for _ in range(24)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and statuses.count(200) == 23, statuses
    assert len({(a.json()["case_version"], a.json()["position"], a.json()["hash"]) for a in answers}) == 1
    timeline = (await client.get("/v1/cases/GR-I5/events")).json()
    assert timeline["version"] == 2 and timeline["chain"]["valid"]
