"""Every error class answers RFC 9457 problem+json naming the field and the rule, and stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from tests.helpers import BATCH, CE, SOME_KEY, accepted, asgi_client, body, ce, head, nothing_stored, received


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["type"] == f"/problems/{slug}"
    assert doc["status"] == status and doc["title"] and doc["detail"]
    return doc


async def test_validation_names_each_failing_field_and_rule(client: AsyncClient) -> None:
    event = received("GR-V1")
    del event["data"]["summary"]
    event["data"]["grievance_kind"] = "rumour"
    event["data"]["unexpected"] = 1
    del event["subject"]
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    found = {(e["pointer"], e["rule"]) for e in doc["errors"]}
    assert ("#/subject", "required") in found
    assert ("#/data/summary", "required") in found
    assert ("#/data/grievance_kind", "enum") in found
    assert ("#/data/unexpected", "additionalProperties") in found
    assert await nothing_stored(client)


async def test_time_must_carry_a_timezone(client: AsyncClient) -> None:
    doc = problem(
        await client.post("/v1/events", content=body(received("GR-V2", time="2026-09-22T10:00:00")), headers=CE),
        422,
        "validation-failed",
    )
    assert any(e["pointer"] == "#/time" for e in doc["errors"])
    assert await nothing_stored(client)


async def test_time_more_than_five_minutes_ahead_is_refused(client: AsyncClient) -> None:
    doc = problem(
        await client.post("/v1/events", content=body(received("GR-V3", time="2099-01-01T00:00:00Z")), headers=CE),
        422,
        "validation-failed",
    )
    assert {"pointer": "#/time", "rule": "not-in-future"}.items() <= doc["errors"][0].items()


async def test_floats_are_refused_so_hashes_stay_exact(client: AsyncClient) -> None:
    event = received("GR-V4")
    event["data"]["complainant"]["name"] = 1.5
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    assert ("#/data/complainant/name", "i-json") in {(e["pointer"], e["rule"]) for e in doc["errors"]}


async def test_unknown_dataschema_version_is_refused(client: AsyncClient) -> None:
    event = received("GR-V5") | {"dataschema": "urn:zfjd:schema:grievance.received:9"}
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    assert doc["errors"][0]["pointer"] == "#/dataschema"


async def test_unknown_type(client: AsyncClient) -> None:
    event = ce("grievance.teleported", "GR-U1", {})
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "unknown-event-type")
    assert doc["errors"][0]["pointer"] == "#/type"
    assert await nothing_stored(client)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
async def test_wrong_content_type(client: AsyncClient, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    problem(
        await client.post("/v1/events", content=body(received("GR-C1")), headers=headers), 415, "unsupported-media-type"
    )
    problem(
        await client.post("/v1/events:batch", content=body([received("GR-C1")]), headers=CE),
        415,
        "unsupported-media-type",
    )
    assert await nothing_stored(client)


async def test_plain_application_json_is_accepted_for_one_event(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/events", content=body(received("GR-C2")), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201


async def test_malformed_json(client: AsyncClient) -> None:
    problem(await client.post("/v1/events", content=b'{"specversion": "1.0",', headers=CE), 400, "malformed-json")
    assert await nothing_stored(client)


async def test_body_over_the_limit(settings: Settings) -> None:
    async with asgi_client(bootstrap(settings.model_copy(update={"max_body_bytes": 2000}), role="ledger")) as client:
        event = received("GR-L1")
        event["data"]["summary"] = "很长的申诉内容" * 200
        problem(await client.post("/v1/events", content=body(event), headers=CE), 413, "body-too-large")

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while streaming too
            yield body(event)

        problem(await client.post("/v1/events", content=chunked(), headers=CE), 413, "body-too-large")
        assert await nothing_stored(client)


async def test_act_on_unknown_case_names_the_case(client: AsyncClient) -> None:
    doc = problem(await client.post("/v1/events", content=body(accepted("GR-NOPE")), headers=CE), 422, "unknown-case")
    assert doc["case_id"] == "GR-NOPE"
    assert "grievance.received" in doc["opening_act"]
    assert await nothing_stored(client)


async def test_act_on_a_case_of_another_kind(client: AsyncClient) -> None:
    assert (await client.post("/v1/events", content=body(received("GR-K1")), headers=CE)).status_code == 201
    before = await head(client)
    event = ce(
        "major_penalty.filed",
        "GR-K1",
        {
            "filing_unit": {"code": "X", "name": "沙市区政务数据局"},
            "decision_document_number": "沙政数罚〔2026〕1号",
            "filed_with": {"code": "Y", "name": "荆州市政务数据局"},
            "explanatory_materials": ["说明"],
        },
    )
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "case-kind-mismatch")
    assert doc["case_id"] == "GR-K1" and doc["case_kind"] == "grievance"
    assert await head(client) == before


async def test_opening_act_on_an_existing_case(client: AsyncClient) -> None:
    assert (await client.post("/v1/events", content=body(received("GR-E1")), headers=CE)).status_code == 201
    before = await head(client)
    doc = problem(await client.post("/v1/events", content=body(received("GR-E1")), headers=CE), 409, "case-exists")
    assert doc["case_id"] == "GR-E1"
    assert await head(client) == before


async def test_if_match_optimistic_concurrency(client: AsyncClient) -> None:
    first = await client.post("/v1/events", content=body(received("GR-M1")), headers=CE | {"If-Match": '"0"'})
    assert first.status_code == 201 and first.headers["ETag"] == '"1"'
    stale = await client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": '"0"'})
    doc = problem(stale, 412, "precondition-failed")
    assert doc["current_version"] == 1
    ok = await client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": '"1"'})
    assert ok.status_code == 201 and ok.json()["case_version"] == 2
    # latin-1 superscripts are str.isdigit() but no int(): they once answered 500
    for odd in (b"soon", b'"\xb2"', b"\xb9", b'"99999999999999999999"'):
        problem(
            await client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": odd}),
            400,
            "bad-request",
        )
    problem(
        await client.post("/v1/events:batch", content=body([accepted("GR-M1")]), headers=BATCH | {"If-Match": "2"}),
        400,
        "bad-request",
    )


@pytest.mark.postgres
async def test_database_unavailable_answers_503_with_retry_after(tmp_path: Path) -> None:
    unreachable = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/nowhere",
        retry_after_seconds=7,
        dev_key_file=tmp_path / "dev.key",
    )
    async with asgi_client(bootstrap(unreachable, role="ledger"), authenticated=False) as client:
        post = {"content": body(received("GR-D1")), "headers": CE | SOME_KEY}
        doc = problem(await client.post("/v1/events", **post), 503, "database-unavailable")
        assert "Retry-After" in (await client.post("/v1/events", **post)).headers
        response = await client.get("/v1/cases/GR-D1/events", headers=SOME_KEY)
        assert response.status_code == 503 and response.headers["Retry-After"] == "7"
        assert "retry" in doc["detail"].lower() or doc["retry_after"] == 7


async def test_bad_query_parameters_are_problems(client: AsyncClient) -> None:
    doc = problem(await client.get("/v1/events?after=-1"), 400, "bad-request")
    assert doc["errors"][0]["parameter"] == "query.after"
    problem(await client.get("/v1/cases/X/events?recorded_before=2026-10-01T00:00:00"), 400, "bad-request")
    problem(await client.get("/v1/cases/nothing-here/events"), 404, "not-found")


async def test_problem_types_are_documented(client: AsyncClient) -> None:
    doc = (await client.get("/problems/unknown-case")).json()
    assert doc["status"] == 422 and "opening act" in doc["advice"]


async def test_a_nul_in_the_path_is_a_client_error_not_an_outage(system: AsyncClient) -> None:
    """A NUL byte in a case id is a client error (400, or 404: no such case), on both backends and on every
    side that reads by case id — never a 503 that blames the database."""
    for path in ("/v1/cases/GR%00X/events", "/v1/cases/GR%00X/events/1", "/v1/cases/GR%00X", "/v1/cases/GR%00X/replay"):
        answer = await system.get(path)
        assert answer.status_code in (400, 404), (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await system.get("/v1/events", params={"limit": 1})).status_code == 200  # still answering


@pytest.mark.parametrize("subject", ["ACCESS-2026-11-27", "ACCESS-2099-01-01", "PRINCIPAL-new-auditor"])
async def test_a_client_may_not_claim_the_ledgers_own_case_ids(client: AsyncClient, subject: str) -> None:
    """The access log's days and the principals are cases the ledger records itself: a client claiming one
    ahead would block that day's log of revealed values (or a registration) for good, on an append-only ledger."""
    event = received(subject)
    doc = problem(await client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    assert [(e["pointer"], e["rule"]) for e in doc["errors"]] == [("#/subject", "reserved-subject")]
    doc = problem(await client.post("/v1/events:batch", content=body([event]), headers=BATCH), 422, "validation-failed")
    assert ("#/0/subject", "reserved-subject") in {(e["pointer"], e["rule"]) for e in doc["errors"]}
    assert await nothing_stored(client)
