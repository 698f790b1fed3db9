"""Timelines, single records and the global feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient

from esledger.core.chain import GENESIS_HASH
from tests.helpers import BATCH, CE, accepted, body, head, received


async def test_timeline_in_version_order_with_a_valid_chain(client: AsyncClient) -> None:
    await client.post("/v1/events:batch", content=body([received("GR-R1"), accepted("GR-R1")]), headers=BATCH)
    response = await client.get("/v1/cases/GR-R1/events")
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    doc = response.json()
    assert doc["case_kind"] == "grievance" and doc["version"] == 2
    first, second = doc["records"]
    assert first["prev_hash"] == GENESIS_HASH and second["prev_hash"] == first["hash"]
    assert doc["chain"] == {"valid": True, "head": second["hash"]}
    assert first["recorded_by"] == "key:tester"
    assert first["event"]["type"].endswith("grievance.received")


async def test_one_record_by_version(client: AsyncClient) -> None:
    """As stored (the answer to the post), with the confidential values beside it for a reviewer."""
    created = (await client.post("/v1/events", content=body(received("GR-R2")), headers=CE)).json()
    read = (await client.get("/v1/cases/GR-R2/events/1")).json()
    assert read.pop("confidential")["/data/complainant"]["value"]["name"] == "张某"
    assert read == created
    assert (await client.get("/v1/cases/GR-R2/events/2")).status_code == 404


async def test_recorded_before_shows_the_timeline_as_the_ledger_knew_it(client: AsyncClient) -> None:
    first = (await client.post("/v1/events", content=body(received("GR-R3")), headers=CE)).json()
    second = (await client.post("/v1/events", content=body(accepted("GR-R3")), headers=CE)).json()
    cut = datetime.fromisoformat(second["recorded_at"])
    earlier = (await client.get("/v1/cases/GR-R3/events", params={"recorded_before": cut.isoformat()})).json()
    assert [r["case_version"] for r in earlier["records"]] == [1]
    assert {k: v for k, v in earlier["records"][0].items() if k != "confidential"} == first
    later = (cut + timedelta(microseconds=1)).astimezone(UTC).isoformat()
    assert (await client.get("/v1/cases/GR-R3/events", params={"recorded_before": later})).json()["version"] == 2


async def test_global_feed_pages_in_commit_order(client: AsyncClient) -> None:
    subjects = [f"GR-F{i}" for i in range(5)]
    for s in subjects:
        await client.post("/v1/events", content=body(received(s)), headers=CE)
    start = client.start_head  # type: ignore[attr-defined]  # after the principals the test set up
    page1 = (await client.get("/v1/events", params={"after": start, "limit": 2})).json()
    page2 = (await client.get("/v1/events", params={"after": page1["next_after"], "limit": 2})).json()
    page3 = (await client.get("/v1/events", params={"after": page2["next_after"], "limit": 2})).json()
    seen = [r["case_id"] for p in (page1, page2, page3) for r in p["records"]]
    assert seen == subjects
    assert page3["next_after"] == page3["head"] == await head(client)
    empty = (await client.get("/v1/events", params={"after": page3["next_after"]})).json()
    assert empty["records"] == [] and empty["next_after"] == page3["next_after"]


async def test_case_ids_with_chinese_and_punctuation(client: AsyncClient) -> None:
    subject = "荆政数法〔2026〕12号-申诉"
    assert (await client.post("/v1/events", content=body(received(subject)), headers=CE)).status_code == 201
    doc = (await client.get(f"/v1/cases/{subject}/events")).json()
    assert doc["case_id"] == subject and doc["chain"]["valid"]


async def test_catalog_and_schemas_are_served(client: AsyncClient) -> None:
    catalog = (await client.get("/v1/schemas")).json()
    # 51 acts upstream systems post; the ledger records 4 of its principals, 2 of its access log, 1 erasure
    assert len(catalog["acts"]) == 58
    act = catalog["acts"]["grievance.received"]
    assert act["opens_case_kind"] == "grievance"
    schema = await client.get(act["schemas"]["1"])
    assert schema.status_code == 200 and schema.json()["$id"] == "urn:zfjd:schema:grievance.received:1"


async def test_openapi_describes_the_cloudevents_bodies(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/v1/events"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/cloudevents+json", "application/json"}
    assert "application/cloudevents-batch+json" in spec["paths"]["/v1/events:batch"]["post"]["requestBody"]["content"]
