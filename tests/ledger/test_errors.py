"""Every error class answers RFC 9457 problem+json naming the field and the rule, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import BATCH, CE, accepted, body, ce, received


def head(client: TestClient) -> int:
    return client.get("/healthz").json()["head"]


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["type"] == f"/problems/{slug}"
    assert doc["status"] == status and doc["title"] and doc["detail"]
    return doc


def test_validation_names_each_failing_field_and_rule(client: TestClient) -> None:
    event = received("GR-V1")
    del event["data"]["summary"]
    event["data"]["grievance_kind"] = "rumour"
    event["data"]["unexpected"] = 1
    del event["subject"]
    doc = problem(client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    found = {(e["pointer"], e["rule"]) for e in doc["errors"]}
    assert ("#/subject", "required") in found
    assert ("#/data/summary", "required") in found
    assert ("#/data/grievance_kind", "enum") in found
    assert ("#/data/unexpected", "additionalProperties") in found
    assert head(client) == 0


def test_time_must_carry_a_timezone(client: TestClient) -> None:
    doc = problem(
        client.post("/v1/events", content=body(received("GR-V2", time="2026-09-22T10:00:00")), headers=CE),
        422,
        "validation-failed",
    )
    assert any(e["pointer"] == "#/time" for e in doc["errors"])
    assert head(client) == 0


def test_time_more_than_five_minutes_ahead_is_refused(client: TestClient) -> None:
    doc = problem(
        client.post("/v1/events", content=body(received("GR-V3", time="2099-01-01T00:00:00Z")), headers=CE),
        422,
        "validation-failed",
    )
    assert {"pointer": "#/time", "rule": "not-in-future"}.items() <= doc["errors"][0].items()


def test_floats_are_refused_so_hashes_stay_exact(client: TestClient) -> None:
    event = received("GR-V4")
    event["data"]["complainant"]["name"] = 1.5
    doc = problem(client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    assert ("#/data/complainant/name", "i-json") in {(e["pointer"], e["rule"]) for e in doc["errors"]}


def test_unknown_dataschema_version_is_refused(client: TestClient) -> None:
    event = received("GR-V5") | {"dataschema": "urn:zfjd:schema:grievance.received:9"}
    doc = problem(client.post("/v1/events", content=body(event), headers=CE), 422, "validation-failed")
    assert doc["errors"][0]["pointer"] == "#/dataschema"


def test_unknown_type(client: TestClient) -> None:
    event = ce("grievance.teleported", "GR-U1", {})
    doc = problem(client.post("/v1/events", content=body(event), headers=CE), 422, "unknown-event-type")
    assert doc["errors"][0]["pointer"] == "#/type"
    assert head(client) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_wrong_content_type(client: TestClient, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    problem(client.post("/v1/events", content=body(received("GR-C1")), headers=headers), 415, "unsupported-media-type")
    problem(
        client.post("/v1/events:batch", content=body([received("GR-C1")]), headers=CE), 415, "unsupported-media-type"
    )
    assert head(client) == 0


def test_plain_application_json_is_accepted_for_one_event(client: TestClient) -> None:
    response = client.post(
        "/v1/events", content=body(received("GR-C2")), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201


def test_malformed_json(client: TestClient) -> None:
    problem(client.post("/v1/events", content=b'{"specversion": "1.0",', headers=CE), 400, "malformed-json")
    assert head(client) == 0


def test_body_over_the_limit(database_url: str) -> None:
    app = create_app(bootstrap(Settings(database_url=database_url, max_body_bytes=2000), role="ledger"))
    with TestClient(app) as client:
        event = received("GR-L1")
        event["data"]["summary"] = "很长的申诉内容" * 200
        problem(client.post("/v1/events", content=body(event), headers=CE), 413, "body-too-large")

        def chunked() -> Any:  # no Content-Length: the limit holds while streaming too
            yield body(event)

        problem(client.post("/v1/events", content=chunked(), headers=CE), 413, "body-too-large")
        assert head(client) == 0


def test_act_on_unknown_case_names_the_case(client: TestClient) -> None:
    doc = problem(client.post("/v1/events", content=body(accepted("GR-NOPE")), headers=CE), 422, "unknown-case")
    assert doc["case_id"] == "GR-NOPE"
    assert "grievance.received" in doc["opening_act"]
    assert head(client) == 0


def test_act_on_a_case_of_another_kind(client: TestClient) -> None:
    assert client.post("/v1/events", content=body(received("GR-K1")), headers=CE).status_code == 201
    before = head(client)
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
    doc = problem(client.post("/v1/events", content=body(event), headers=CE), 422, "case-kind-mismatch")
    assert doc["case_id"] == "GR-K1" and doc["case_kind"] == "grievance"
    assert head(client) == before


def test_opening_act_on_an_existing_case(client: TestClient) -> None:
    assert client.post("/v1/events", content=body(received("GR-E1")), headers=CE).status_code == 201
    before = head(client)
    doc = problem(client.post("/v1/events", content=body(received("GR-E1")), headers=CE), 409, "case-exists")
    assert doc["case_id"] == "GR-E1"
    assert head(client) == before


def test_if_match_optimistic_concurrency(client: TestClient) -> None:
    first = client.post("/v1/events", content=body(received("GR-M1")), headers=CE | {"If-Match": '"0"'})
    assert first.status_code == 201 and first.headers["ETag"] == '"1"'
    stale = client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": '"0"'})
    doc = problem(stale, 412, "precondition-failed")
    assert doc["current_version"] == 1
    ok = client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": '"1"'})
    assert ok.status_code == 201 and ok.json()["case_version"] == 2
    problem(
        client.post("/v1/events", content=body(accepted("GR-M1")), headers=CE | {"If-Match": "soon"}),
        400,
        "bad-request",
    )
    problem(
        client.post("/v1/events:batch", content=body([accepted("GR-M1")]), headers=BATCH | {"If-Match": "2"}),
        400,
        "bad-request",
    )


def test_database_unavailable_answers_503_with_retry_after(tmp_path: Any) -> None:
    app = create_app(
        bootstrap(
            Settings(
                database_url="postgresql://postgres@127.0.0.1:1/nowhere",
                retry_after_seconds=7,
                dev_key_file=tmp_path / "dev.key",
            ),
            role="ledger",
        )
    )
    with TestClient(app) as client:
        doc = problem(
            client.post("/v1/events", content=body(received("GR-D1")), headers=CE), 503, "database-unavailable"
        )
        assert "Retry-After" in client.post("/v1/events", content=body(received("GR-D1")), headers=CE).headers
        response = client.get("/v1/cases/GR-D1/events")
        assert response.status_code == 503 and response.headers["Retry-After"] == "7"
        assert "retry" in doc["detail"].lower() or doc["retry_after"] == 7


def test_bad_query_parameters_are_problems(client: TestClient) -> None:
    doc = problem(client.get("/v1/events?after=-1"), 400, "bad-request")
    assert doc["errors"][0]["parameter"] == "query.after"
    problem(client.get("/v1/cases/X/events?recorded_before=2026-10-01T00:00:00"), 400, "bad-request")
    problem(client.get("/v1/cases/nothing-here/events"), 404, "not-found")


def test_problem_types_are_documented(client: TestClient) -> None:
    doc = client.get("/problems/unknown-case").json()
    assert doc["status"] == 422 and "opening act" in doc["advice"]
