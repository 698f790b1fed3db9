"""Stored case views (issue 11): answers for now come from the views the read model stores and equal the
domain's answers computed from the records; lists page by cursor, stably while events arrive; the projection
applies a batch exactly once and all-or-nothing; a case whose view fails does not take the lists down."""

from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from httpx import AsyncClient

import esledger.projections.projection as projection
from esledger.projections.projection import catch_up
from esledger.settings import Settings
from tests.helpers import AFTER_EXAMPLES, CE, body, received
from tests.projections.test_following import _dump, _last_position, ledger_only, projector, storage

LISTS = {"/v1/cases": "cases", "/v1/deadlines": "deadlines", "/v1/findings": "findings"}


async def _all(client: AsyncClient, path: str, limit: int, **params: Any) -> list[dict]:
    """Every row of a list, walking its pages."""
    rows: list[dict] = []
    cursor = None
    while True:
        answer = await client.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["count"] == len(page[LISTS[path]]) <= limit
        rows += page[LISTS[path]]
        if page["next"] is None:
            return rows
        cursor = page["next"]


async def test_stored_answers_equal_answers_computed_from_the_records(
    system: AsyncClient, posted_examples: list[dict], clock
) -> None:
    """At random instants, before, among and long after the examples (the clock moving both ways), every
    list and the statistics answered from the stored views equal the domain's answers as_of that instant."""
    await followed(system, posted_examples)
    recorded = sorted(datetime.fromisoformat(r["recorded_at"]) for r in posted_examples)
    span = (recorded[-1] + timedelta(days=400) - recorded[0]).total_seconds()
    rng = random.Random(11)
    instants = sorted(recorded[0] + timedelta(seconds=rng.uniform(-86400, span)) for _ in range(4))
    rng.shuffle(instants)
    compared = 0
    for at in [*instants, datetime.fromisoformat(AFTER_EXAMPLES)]:
        clock.now = at
        past = {"as_of": at.isoformat()}
        for path, name in LISTS.items():
            stored = (await client_get(system, path, limit=1000))[name]
            computed = (await client_get(system, path, limit=1000, **past))[name]
            assert stored == computed, (path, at)
            compared += len(stored)
        for month in (None, "2026-10"):
            query = {"month": month} if month else {}
            stored_stats = await client_get(system, "/v1/statistics", **query)
            assert stored_stats == await client_get(system, "/v1/statistics", **query, **past)
            csv = (await system.get("/v1/statistics", params={**query, "format": "csv"})).text
            assert csv == (await system.get("/v1/statistics", params={**query, "format": "csv", **past})).text
        some = (await client_get(system, "/v1/cases", limit=3))["cases"]
        for case in some:
            one = await client_get(system, f"/v1/cases/{case['case_id']}")
            assert one == await client_get(system, f"/v1/cases/{case['case_id']}", **past) == case
    assert compared > 100  # the instants were not all before the examples


async def client_get(client: AsyncClient, path: str, **params: Any) -> Any:
    answer = await client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def followed(client: AsyncClient, records: list[dict]) -> None:
    """Wait until the read model holds these records."""
    await client_get(client, "/v1/cases", limit=1, min_position=records[-1]["position"])


async def test_walking_the_pages_gives_every_row_once_in_order(system: AsyncClient, posted_examples: list) -> None:
    await followed(system, posted_examples)
    for path, name in LISTS.items():
        whole = (await client_get(system, path, limit=1000))[name]
        assert len(whole) > 3
        for limit in (1, 2, 7):
            assert await _all(system, path, limit) == whole
    cases = [c["case_id"] for c in (await client_get(system, "/v1/cases", limit=1000))["cases"]]
    assert cases == sorted(cases)
    deadlines = (await client_get(system, "/v1/deadlines", limit=1000))["deadlines"]
    dues = [datetime.fromisoformat(d["due"]) for d in deadlines if d["due"]]
    assert dues == sorted(dues)  # most urgent first
    assert [d for d in deadlines if not d["due"]] == deadlines[len(dues) :]  # no due instant: last
    findings = [f["id"] for f in (await client_get(system, "/v1/findings", limit=1000))["findings"]]
    assert findings == sorted(findings)


async def test_a_cursor_of_another_list_or_none_of_ours_is_refused(system: AsyncClient, posted_examples: list) -> None:
    cursor = (await client_get(system, "/v1/cases", limit=1))["next"]
    beyond = base64.urlsafe_b64encode(orjson.dumps(["findings", "a", "b", 2**63])).decode().rstrip("=")
    for path, bad in (
        ("/v1/deadlines", cursor),
        ("/v1/cases", "not-a-cursor"),
        ("/v1/findings", "W10"),
        ("/v1/findings", beyond),  # an integer no key column holds (it failed in SQLite's driver: 500)
    ):
        answer = await system.get(path, params={"cursor": bad})
        assert answer.status_code == 400, answer.text
    assert (await system.get("/v1/cases", params={"limit": 1001})).status_code == 400


async def test_pages_stay_stable_while_events_arrive(system: AsyncClient, posted_examples: list, clock) -> None:
    """Cases opened between page requests, before and after the cursor, neither repeat nor hide a case that
    was there at the start."""
    await followed(system, posted_examples)
    before = [c["case_id"] for c in (await client_get(system, "/v1/cases", limit=1000))["cases"]]
    seen: list[str] = []
    cursor = None
    for n in range(100):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client_get(system, "/v1/cases", **params)
        seen += [c["case_id"] for c in page["cases"]]
        for subject in (f"AAA-NEW-{n}", f"zzz-NEW-{n}", f"{seen[-1]}-NEW"):
            posted = await system.post("/v1/events", content=body(received(subject)), headers=CE)
            assert posted.status_code == 201, posted.text
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert seen == sorted(seen)


async def test_a_batch_is_applied_whole_or_not_at_all(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after the batch's records are written and before its views are: neither the records nor the
    position moved; the next attempt applies the batch as if nothing had happened."""
    url = settings.database_url
    async with ledger_only(settings) as ledger:
        last = await _last_position(ledger, ["major_penalty.jsonl", "grievance.jsonl"])
    with storage(url) as s:
        store, read_model = s.store.get(), s.read_model.get()
        before = _dump(url)
        write_rows = read_model.write_rows

        def crash(c: Any, names: Any, records: Any, cases: Any, scope: Any) -> None:
            write_rows(c, names, records, [], scope)
            raise RuntimeError("the process died mid-batch")

        monkeypatch.setattr(read_model, "write_rows", crash)
        with pytest.raises(RuntimeError):
            catch_up(store, read_model, projector(url))
        assert _dump(url) == before
        monkeypatch.undo()
        while catch_up(store, read_model, projector(url)):
            pass
        assert read_model.position() == last
        with read_model.reading() as c:
            stored = read_model.query(c, f"SELECT case_id, version FROM {read_model.views} ORDER BY case_id")
    records = _dump(url)[1]
    assert stored == [(case_id, rs[-1]["case_version"]) for case_id, rs in sorted(records.items())]


async def test_a_case_whose_view_fails_does_not_take_the_lists_down(
    system: AsyncClient, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    view_case = projection.view_case

    def failing(records: Any, *args: Any) -> Any:
        if records[0]["case_id"] == "GR-BROKEN":
            raise ZeroDivisionError("a rule that divides by zero")
        return view_case(records, *args)

    monkeypatch.setattr(projection, "view_case", failing)
    clock.set("2026-09-22T10:05:00+08:00")
    for subject in ("GR-BROKEN", "GR-FINE"):
        posted = await system.post("/v1/events", content=body(received(subject)), headers=CE)
        assert posted.status_code == 201, posted.text
    position = posted.json()["position"]
    cases = {c["case_id"]: c for c in (await client_get(system, "/v1/cases", min_position=position))["cases"]}
    assert cases["GR-BROKEN"]["status"] == "error"
    assert "ZeroDivisionError: a rule that divides by zero" in cases["GR-BROKEN"]["error"]
    assert cases["GR-FINE"]["status"] != "error" and cases["GR-FINE"]["deadlines"]
    deadlines = (await client_get(system, "/v1/deadlines"))["deadlines"]
    assert {d["case_id"] for d in deadlines} == {"GR-FINE"}
    assert (await client_get(system, "/v1/cases/GR-BROKEN"))["status"] == "error"
    assert (await system.get("/v1/statistics")).status_code == 200
    assert (await system.get("/v1/findings")).status_code == 200
