"""(source, id) is the idempotency key: a repeat returns the original record and stores nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from tests.helpers import CE, accepted, body, received


def test_same_content_returns_the_original_record_and_stores_nothing(client: TestClient) -> None:
    event = received("GR-I1")
    first = client.post("/v1/events", content=body(event), headers=CE)
    assert first.status_code == 201
    head = client.get("/healthz").json()["head"]
    again = client.post("/v1/events", content=body(event), headers=CE)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert client.get("/healthz").json()["head"] == head
    assert client.get("/v1/cases/GR-I1/events").json()["version"] == 1


def test_key_order_and_spacing_do_not_make_a_different_event(client: TestClient) -> None:
    event = received("GR-I2")
    assert client.post("/v1/events", content=body(event), headers=CE).status_code == 201
    reordered = dict(reversed(list(event.items())))
    text = body(reordered).replace(b",", b", ")
    assert client.post("/v1/events", content=text, headers=CE).status_code == 200


def test_same_key_different_content_is_a_conflict(client: TestClient) -> None:
    event = received("GR-I3", id="fixed-id")
    assert client.post("/v1/events", content=body(event), headers=CE).status_code == 201
    changed = event | {"data": event["data"] | {"summary": "改写后的内容"}}
    response = client.post("/v1/events", content=body(changed), headers=CE)
    assert response.status_code == 409
    doc = response.json()
    assert doc["type"] == "/problems/idempotency-conflict" and doc["case_id"] == "GR-I3"
    assert client.get("/v1/cases/GR-I3/events").json()["version"] == 1


def test_same_id_from_another_source_is_another_event(client: TestClient) -> None:
    assert client.post("/v1/events", content=body(received("GR-I4", id="n1")), headers=CE).status_code == 201
    other = accepted("GR-I4", id="n1", source="urn:zfjd:source:another-system")
    assert client.post("/v1/events", content=body(other), headers=CE).status_code == 201


def test_concurrent_duplicates_store_exactly_one(live_url: str) -> None:
    opening = received("GR-I5")
    event = accepted("GR-I5")
    with httpx.Client(base_url=live_url) as c:
        assert c.post("/v1/events", content=body(opening), headers=CE).status_code == 201

    def post(_: int) -> tuple[int, dict]:
        with httpx.Client(base_url=live_url, timeout=60) as c:
            r = c.post("/v1/events", content=body(event), headers=CE)
            return r.status_code, r.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(24)))
    statuses = sorted(s for s, _ in answers)
    assert statuses.count(201) == 1 and statuses.count(200) == 23, statuses
    assert len({(a["case_version"], a["position"], a["hash"]) for _, a in answers}) == 1
    with httpx.Client(base_url=live_url) as c:
        timeline = c.get("/v1/cases/GR-I5/events").json()
    assert timeline["version"] == 2 and timeline["chain"]["valid"]
