"""A batch is all or nothing."""

from __future__ import annotations

from httpx import AsyncClient

from tests.helpers import BATCH, CE, accepted, body, ce, head, nothing_stored, received


async def test_batch_stores_every_event_in_order(client: AsyncClient) -> None:
    events = [received("GR-B1"), accepted("GR-B1"), received("GR-B2")]
    response = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert response.status_code == 201
    items = response.json()
    assert [i["outcome"] for i in items] == ["created"] * 3
    assert [(i["record"]["case_id"], i["record"]["case_version"]) for i in items] == [
        ("GR-B1", 1),
        ("GR-B1", 2),
        ("GR-B2", 1),
    ]
    positions = [i["record"]["position"] for i in items]
    assert positions == sorted(positions)


async def test_one_bad_event_in_the_middle_stores_none(client: AsyncClient) -> None:
    bad = accepted("GR-B3")
    del bad["data"]["supervision_body"]
    events = [received("GR-B3"), received("GR-B4"), bad, received("GR-B5")]
    response = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "#/2/data/supervision_body", "rule": "required", "detail": "'supervision_body' is required"}
    ]
    assert await nothing_stored(client)
    for case in ("GR-B3", "GR-B4", "GR-B5"):
        assert (await client.get(f"/v1/cases/{case}/events")).status_code == 404


async def test_a_rule_failure_late_in_the_batch_stores_none(client: AsyncClient) -> None:
    events = [received("GR-B6"), accepted("GR-B6"), accepted("GR-NO-SUCH-CASE")]
    response = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert response.status_code == 422
    assert response.json()["pointer"] == "#/2/subject"
    assert await nothing_stored(client)


async def test_unknown_type_in_a_batch_names_its_index(client: AsyncClient) -> None:
    events = [received("GR-B7"), ce("grievance.vanished", "GR-B7", {})]
    response = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "#/1/type"


async def test_retried_batch_returns_the_originals(client: AsyncClient) -> None:
    events = [received("GR-B8"), accepted("GR-B8")]
    first = (await client.post("/v1/events:batch", content=body(events), headers=BATCH)).json()
    before = await head(client)
    again = await client.post("/v1/events:batch", content=body(events), headers=BATCH)
    assert again.status_code == 200
    assert [i["outcome"] for i in again.json()] == ["duplicate", "duplicate"]
    assert [i["record"] for i in again.json()] == [i["record"] for i in first]
    assert await head(client) == before


async def test_repeat_inside_one_batch_is_stored_once(client: AsyncClient) -> None:
    opening = received("GR-B9")
    response = await client.post("/v1/events:batch", content=body([opening, opening]), headers=BATCH)
    assert [i["outcome"] for i in response.json()] == ["created", "duplicate"]
    assert (await client.get("/v1/cases/GR-B9/events")).json()["version"] == 1


async def test_batch_shape_is_checked(client: AsyncClient) -> None:
    for payload in ([], {"not": "an array"}):
        response = await client.post("/v1/events:batch", content=body(payload), headers=BATCH)
        assert response.status_code == 422 and response.json()["errors"][0]["rule"] == "batch"
    assert (await client.post("/v1/events", content=body(received("GR-B10")), headers=CE)).status_code == 201
