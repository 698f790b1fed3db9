"""A complainant's identity is sealed at append: the stored event holds a salted digest of it, the value is
kept apart, and it is shown only to reviewers and to supervisors within their jurisdiction — each such read
logged in the access log, in the ledger itself. Idempotency compares sealed events. Records stored before
sealing keep verifying."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from httpx import AsyncClient
from starlette.concurrency import run_in_threadpool

from esledger.bootstrap import System
from esledger.core.canonical import canonical_bytes, sha256_hex
from esledger.core.chain import GENESIS_HASH, entry_hash
from esledger.core.encoding import unb64
from esledger.core.instants import format_instant
from esledger.ledger.case import Case, IdempotencyKey
from esledger.transparency import merkle
from esledger.transparency.leaf import record_leaf_hash
from tests.conftest import FakeClock
from tests.helpers import BATCH, CE, UNIT, body, ce, database, holding, received, signed_in

NAME = "张某"
COMPLAINANT = {"kind": "natural_person", "name": NAME}
BEIJING_DAY = "2026-11-27"  # AFTER_EXAMPLES, in Beijing


def marker(salt: bytes, value: Any) -> dict[str, str]:
    return {"x-confidential": "sha256:" + hashlib.sha256(salt + canonical_bytes(value)).hexdigest()}


async def log(client: AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/access-log", params=params)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


# -- sealing ----------------------------------------------------------------------------------------------------
async def test_the_stored_event_holds_a_salted_digest_and_the_value_is_kept_apart(ledger, settings) -> None:
    client, _ = ledger
    event = received("GR-C1")
    created = (await client.post("/v1/events", content=body(event), headers=CE)).json()
    assert created["format"] == "zfjd-record/2" and "confidential" not in created
    sealed = created["event"]["data"]["complainant"]

    with database(settings.database_url) as (run, tables):
        [(version, salt, text)] = run(
            "SELECT case_version, salt, value FROM confidential_values WHERE case_id = %s AND pointer = %s",
            ("GR-C1", "/data/complainant"),
        )
        assert holding(run, tables, NAME) == ["confidential_values"]
        # No unsalted digest of the value, nor of the event as posted, is stored anywhere.
        for unsalted in (hashlib.sha256(canonical_bytes(COMPLAINANT)).hexdigest(), sha256_hex(event)):
            assert holding(run, tables, unsalted) == []
    salt = bytes(salt)
    assert version == 1 and len(salt) == 16 and json.loads(text) == COMPLAINANT
    assert text == canonical_bytes(COMPLAINANT).decode()
    assert sealed == marker(salt, COMPLAINANT)

    record = (await client.get("/v1/cases/GR-C1/events/1")).json()
    assert record.pop("confidential") == {
        "/data/complainant": {"value": COMPLAINANT, "salt": base64.b64encode(salt).decode()}
    }
    assert record == created
    fields = {k: record[k] for k in ("case_id", "case_kind", "case_version", "recorded_at", "recorded_by")}
    assert record["hash"] == entry_hash(
        **fields, prev_hash=GENESIS_HASH, event=record["event"], record_format="zfjd-record/2"
    )
    checkpoint = (await client.post("/v1/checkpoints")).json()
    proof = (await client.get("/v1/proofs/inclusion", params={"position": record["position"]})).json()
    leaf = record_leaf_hash(record)
    assert unb64(proof["leaf_hash"], "leaf") == leaf
    merkle.verify_inclusion(
        leaf,
        proof["leaf_index"],
        proof["tree_size"],
        [unb64(h, "proof") for h in proof["inclusion_path"]],
        unb64(checkpoint["root_hash"], "root"),
    )


async def test_every_value_of_a_batch_gets_its_own_salt(ledger) -> None:
    client, _ = ledger
    batch = [received("GR-C2"), received("GR-C3")]
    records = [
        item["record"] for item in (await client.post("/v1/events:batch", content=body(batch), headers=BATCH)).json()
    ]
    markers = [r["event"]["data"]["complainant"]["x-confidential"] for r in records]
    assert len(set(markers)) == 2  # the same name, two salts: equal values cannot be told apart


async def test_an_amendment_writing_a_confidential_place_is_sealed_too(ledger, settings) -> None:
    client, system = ledger
    await client.post("/v1/events", content=body(received("GR-C4")), headers=CE)
    amendment = ce(
        "case.record_amended",
        "GR-C4",
        {"target_version": 1, "reason": "笔误", "amendments": [{"pointer": "/data/complainant/name", "value": "李某"}]},
        time="2026-11-27T09:00:00+08:00",
    )
    stored = (await client.post("/v1/events", content=body(amendment), headers=CE)).json()
    assert "李某" not in json.dumps(stored, ensure_ascii=False)
    assert set(stored["event"]["data"]["amendments"][0]["value"]) == {"x-confidential"}
    inspector = await signed_in(system, "c4-inspector", [{"role": "inspector", "units": [UNIT["code"]]}])
    seen = await client.get("/v1/cases/GR-C4/events", headers=inspector)
    assert seen.status_code == 200 and "李某" not in seen.text and NAME not in seen.text
    shown = (await client.get("/v1/cases/GR-C4/events/2")).json()
    assert shown["confidential"]["/data/amendments/0/value"]["value"] == "李某"
    with database(settings.database_url) as (run, tables):
        assert holding(run, tables, "李某") == ["confidential_values"]


async def test_the_values_table_refuses_updates_and_deletes_that_no_erasure_records(ledger, settings) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-C5")), headers=CE)
    refused = (sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege)
    with database(settings.database_url) as (run, _):
        for statement in ("UPDATE confidential_values SET value = '{}'", "DELETE FROM confidential_values"):
            with pytest.raises(refused, match="never updated, and deleted only by a recorded erasure"):
                run(statement)
        assert run("SELECT COUNT(*) FROM confidential_values") == [(1,)]


# -- who sees what, and the access log ---------------------------------------------------------------------------
async def test_a_reviewer_sees_the_complainant_and_the_read_is_logged_with_its_purpose(ledger) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-C6")), headers=CE)
    assert await log(client) == []
    purpose = "复核申诉处理（第十八条）"
    timeline = await client.get("/v1/cases/GR-C6/events", headers={"X-Purpose": quote(purpose)})
    assert timeline.json()["records"][0]["confidential"]["/data/complainant"]["value"] == COMPLAINANT
    await client.get("/v1/cases/GR-C6/events/1")

    first, second = await log(client, case_id="GR-C6")
    assert first["recorded_by"] == second["recorded_by"] == "key:tester"
    assert first["revealed"] == [{"case_id": "GR-C6", "case_version": 1, "pointer": "/data/complainant"}]
    assert (first["endpoint"], first["purpose"]) == ("GET /v1/cases/GR-C6/events", purpose)
    assert (second["endpoint"], second["purpose"]) == ("GET /v1/cases/GR-C6/events/1", "(not stated)")
    assert first["record"]["case_id"] == f"ACCESS-{BEIJING_DAY}"
    for bad in ("a%00b", "%E2%80%AEabc", "a%7Fb", "%FF%FE", "a%0Ab"):  # a purpose is text: 400 naming the header
        refused = await client.get("/v1/cases/GR-C6/events", headers={"X-Purpose": bad})
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["errors"] == [{"header": "X-Purpose", "rule": "character"}]
    assert len(await log(client, case_id="GR-C6")) == 2  # and nothing was shown or logged
    assert await log(client, case_id="GR-NONE") == []
    assert await log(client, principal="key:someone-else") == []
    assert len(await log(client, after="2026-11-27T00:00:00+08:00", before="2026-11-28T00:00:00+08:00")) == 2
    assert await log(client, before="2026-11-27T00:00:00+08:00") == []

    day = (await client.get(f"/v1/cases/ACCESS-{BEIJING_DAY}/events")).json()
    assert day["chain"]["valid"] and day["case_kind"] == "access_log"
    acts = [r["event"]["type"].rsplit(".", 2)[-2:] for r in day["records"]]
    assert acts == [["access", "log_opened"], ["access", "confidential_revealed"], ["access", "confidential_revealed"]]
    assert NAME not in json.dumps(day, ensure_ascii=False)
    listed = (await client.get("/v1/cases", params={"min_position": second["record"]["position"]})).json()
    assert "access_log" not in {c["case_kind"] for c in listed["cases"]}


async def test_reads_racing_to_open_the_day_s_log_are_each_logged_once(ledger) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-C12")), headers=CE)
    async with asyncio.timeout(60):
        answers = await asyncio.gather(*(client.get("/v1/cases/GR-C12/events/1") for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert len(await log(client, case_id="GR-C12")) == 8
    day = (await client.get(f"/v1/cases/ACCESS-{BEIJING_DAY}/events")).json()
    assert [r["event"]["type"].endswith("log_opened") for r in day["records"]] == [True] + [False] * 8


async def test_the_feed_shows_values_only_when_asked_and_then_logs_the_read(ledger) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-C7")), headers=CE)
    plain = await client.get("/v1/events", params={"limit": 1000})
    assert NAME not in plain.text and await log(client) == []
    shown = await client.get("/v1/events", params={"limit": 1000, "reveal": "true"}, headers={"X-Purpose": "audit"})
    assert NAME in shown.text
    [entry] = await log(client)
    assert (entry["endpoint"], entry["purpose"]) == ("GET /v1/events", "audit")


async def test_others_see_the_marker_and_nothing_is_logged(ledger) -> None:
    client, system = ledger
    created = (await client.post("/v1/events", content=body(received("GR-C8")), headers=CE)).json()
    readers = {
        "inspector": await signed_in(system, "c8-inspector", [{"role": "inspector", "units": [UNIT["code"]]}]),
        "observer": await signed_in(system, "c8-observer", [{"role": "observer", "cases": ["GR-C8"]}]),
        "outside": await signed_in(system, "c8-supervisor", [{"role": "supervisor", "units": ["421024-ZSJ"]}]),
    }
    for who, headers in readers.items():
        for url in ("/v1/cases/GR-C8/events", "/v1/cases/GR-C8/events/1"):
            answer = await client.get(url, headers=headers)
            if who == "outside":
                assert answer.status_code == 404, who
                continue
            assert answer.status_code == 200 and NAME not in answer.text, who
            records = answer.json().get("records", [answer.json()])
            assert [r["event"] for r in records] == [created["event"]] and all("confidential" not in r for r in records)
    respondent = await signed_in(system, "c8-respondent", [{"role": "respondent", "units": [UNIT["code"]]}])
    for url in ("/v1/cases/GR-C8", "/v1/cases", "/v1/deadlines", "/v1/findings"):
        answer = await client.get(url, headers=respondent, params={"min_position": created["position"]})
        assert answer.status_code == 200 and NAME not in answer.text, url
    for url in ("/v1/cases/GR-C8/events", "/v1/cases/GR-C8/events/1", "/v1/events", "/v1/access-log"):
        assert (await client.get(url, headers=respondent)).status_code in (403, 404), url
    assert await log(client) == []


async def test_a_supervisor_within_jurisdiction_sees_the_value_and_is_logged(ledger) -> None:
    client, system = ledger
    await client.post("/v1/events", content=body(received("GR-C9")), headers=CE)
    supervisor = await signed_in(system, "c9-supervisor", [{"role": "supervisor", "units": [UNIT["code"]]}])
    answer = await client.get("/v1/cases/GR-C9/events/1", headers=supervisor | {"X-Purpose": "supervision"})
    assert answer.json()["confidential"]["/data/complainant"]["value"] == COMPLAINANT
    [entry] = await log(client)
    assert (entry["recorded_by"], entry["purpose"]) == ("key:c9-supervisor", "supervision")
    assert (await client.get("/v1/access-log", headers=supervisor)).status_code == 403


# -- idempotency ----------------------------------------------------------------------------------------------------
async def test_a_repost_is_compared_sealed_with_the_original_salts(ledger) -> None:
    client, _ = ledger
    event = received("GR-C10", id="c10")
    first = (await client.post("/v1/events", content=body(event), headers=CE)).json()
    again = await client.post("/v1/events", content=body(event), headers=CE)
    assert again.status_code == 200 and again.json() == first
    other = event | {"data": event["data"] | {"complainant": {"kind": "natural_person", "name": "王某"}}}
    conflict = await client.post("/v1/events", content=body(other), headers=CE)
    assert conflict.status_code == 409 and conflict.json()["type"] == "/problems/idempotency-conflict"
    assert "王某" not in conflict.text
    repeated = received("GR-C11")
    twice = await client.post("/v1/events:batch", content=body([repeated, repeated]), headers=BATCH)
    assert [i["outcome"] for i in twice.json()] == ["created", "duplicate"]


# -- records stored before sealing -------------------------------------------------------------------------------
def _store_unsealed(system: System, clock: FakeClock, event: dict[str, Any]) -> None:
    """An entry and its idempotency key as the ledger stored them before sealing: the entry zfjd-record/1 with
    the value inline and no format, the key holding the digest of the event as posted (both without the
    attributes later class versions added)."""
    store = system.storage.store.get()
    case_id = event["subject"]
    at, by = clock(), "key:tester"
    case = Case.open(case_id=case_id, case_kind="grievance", cloudevent=event, recorded_at=at, recorded_by=by)
    key = IdempotencyKey.claim(
        source=event["source"], event_id=event["id"], digest=sha256_hex(event), case_id=case_id, case_version=1,
        recorded_at=at,
    )  # fmt: skip
    v1_hash = entry_hash(
        case_id=case_id, case_kind="grievance", case_version=1, recorded_at=format_instant(at), recorded_by=by,
        prev_hash=GENESIS_HASH, event=event,
    )  # fmt: skip
    rows = []
    for new in (*key.collect_events(), *case.collect_events()):
        stored = store.mapper.to_stored_event(new)
        state = json.loads(stored.state)
        for added in ("record_format", "sealed", "class_version"):
            state.pop(added, None)
        if isinstance(new, Case.Entry):
            state["hash"] = v1_hash
        rows.append(StoredEvent(stored.originator_id, 1, stored.topic, json.dumps(state).encode()))
    store.recorder.insert_events(rows)


async def test_a_record_stored_before_sealing_still_verifies_and_is_redacted(ledger, clock) -> None:
    client, system = ledger
    event = received("GR-V1")
    await run_in_threadpool(_store_unsealed, system, clock, event)
    timeline = (await client.get("/v1/cases/GR-V1/events")).json()
    [record] = timeline["records"]
    assert "format" not in record and "confidential" not in record and timeline["chain"]["valid"]
    assert record["event"]["data"]["complainant"] == COMPLAINANT
    [entry] = await log(client, case_id="GR-V1")
    assert entry["revealed"] == [{"case_id": "GR-V1", "case_version": 1, "pointer": "/data/complainant"}]

    inspector = await signed_in(system, "v1-inspector", [{"role": "inspector", "units": [UNIT["code"]]}])
    seen = (await client.get("/v1/cases/GR-V1/events", headers=inspector)).json()
    assert seen["records"][0]["event"]["data"]["complainant"] == {"x-confidential": "redacted"}
    assert seen["chain"]["valid"]  # checked on the record as stored

    checkpoint = (await client.post("/v1/checkpoints")).json()
    proof = (await client.get("/v1/proofs/inclusion", params={"position": record["position"]})).json()
    assert unb64(proof["leaf_hash"], "leaf") == record_leaf_hash(record)
    assert proof["tree_size"] == checkpoint["tree_size"]
    erasure = {"target_version": 1, "pointer": "/data/complainant", "reason": "court order"}
    refused = await client.post("/v1/cases/GR-V1/erasures", json=erasure)
    assert refused.status_code == 404 and "before sealing" in refused.json()["detail"]
    again = await client.post("/v1/events", content=body(event), headers=CE)  # its key holds the unsealed digest
    assert again.status_code == 200 and again.json() == {k: v for k, v in record.items() if k != "confidential"}
    other = event | {"data": event["data"] | {"summary": "另一内容"}}
    assert (await client.post("/v1/events", content=body(other), headers=CE)).status_code == 409


async def test_a_record_stored_before_sealing_leaves_no_path_around_its_redaction(ledger, clock) -> None:
    """A zfjd-record/1 record holds the complainant inside its hash. The timeline redacted it; the global feed
    read without ``reveal`` and the case bundle once gave it as stored, unlogged. Now the feed redacts it (the
    value only with reveal=true, logged), and no bundle of the case is served (redacted it would not verify)."""
    client, system = ledger
    await run_in_threadpool(_store_unsealed, system, clock, received("GR-V1B"))
    feed = (await client.get("/v1/events", params={"after": 0, "limit": 1000})).json()["records"]
    [stored] = [r for r in feed if r["case_id"] == "GR-V1B"]
    assert stored["event"]["data"]["complainant"] == {"x-confidential": "redacted"}
    assert await log(client, case_id="GR-V1B") == []
    await client.post("/v1/checkpoints")
    inspector = await signed_in(system, "v1b-inspector", [{"role": "inspector", "units": [UNIT["code"]]}])
    for who in (inspector, {}):  # the inspector, and the tester (a reviewer) alike
        refused = await client.get("/v1/cases/GR-V1B/bundle", headers=who)
        assert refused.status_code == 403 and "before sealing" in refused.json()["detail"], refused.text
        assert NAME not in refused.text
    sealed = await client.post("/v1/events", content=body(received("GR-V1C")), headers=CE)
    assert sealed.status_code == 201
    await client.post("/v1/checkpoints")
    assert (await client.get("/v1/cases/GR-V1C/bundle", headers=inspector)).status_code == 200
