"""Replay equality: what the live service answered at T is exactly what ``as_of=T`` answers later.

A grievance and an inspection are driven over simulated days across National Day 2026 (第九条, 第十二条);
at several instants the live answers are recorded; after the story goes on, each instant is replayed."""

from __future__ import annotations

from httpx import AsyncClient

from tests.projections.scenario import Scenario

QUERIES = [
    ("/v1/cases", {}),
    ("/v1/cases/GR-RP", {}),
    ("/v1/cases/IN-RP", {}),
    ("/v1/deadlines", {}),
    ("/v1/findings", {}),
    ("/v1/statistics", {}),
    ("/v1/cases", {"warning": "red"}),
]


async def _answers(client: AsyncClient, min_position: int, **extra: str) -> list[object]:
    out = []
    for path, params in QUERIES:
        response = await client.get(path, params={**params, **extra, "min_position": min_position})
        out.append((path, response.status_code, response.json()))
    return out


async def test_live_answers_equal_their_as_of_replays(system: AsyncClient, clock) -> None:
    g = Scenario(system, clock, "GR-RP")
    i = Scenario(system, clock, "IN-RP")
    live: dict[str, list[object]] = {}

    async def snapshot(instant: str) -> None:
        clock.set(instant)
        live[instant] = await _answers(system, max(g.position, i.position))

    await g.act("grievance.received", "2026-09-10")
    await i.act("inspection.opened", "2026-09-10")
    await snapshot("2026-09-15T12:00:00+08:00")
    await g.act("grievance.accepted", "2026-09-16")
    await g.act("grievance.respondent_notified", "2026-09-18")
    await g.act(
        "document.delivered",
        "2026-09-22",
        document_kind="grievance_notification",
        document_number="荆政数法函〔2026〕8号",
        delivered_to={"code": "421002-ZSJ", "name": "沙市区政数局"},
    )
    await i.act("inspection.violation_found", "2026-09-21")
    await i.act("inspection.notice_issued", "2026-09-21", correction_due_date="2026-09-30")
    await snapshot("2026-09-30T18:00:00+08:00")
    await snapshot("2026-10-08T23:59:00+08:00")
    await snapshot("2026-10-09T08:00:00+08:00")
    await g.act("grievance.explanation_submitted", "2026-10-08", recorded="2026-10-12T10:00:00+08:00")
    await snapshot("2026-10-12T11:00:00+08:00")
    await i.act("inspection.execution_report_submitted", "2026-10-20", responds_to="荆政数法通〔2026〕12号")
    await g.act("grievance.fee_charged", "2026-10-21")
    clock.set("2026-11-27T12:00:00+08:00")
    head = max(g.position, i.position)
    now = await _answers(system, head)

    for instant, answers in live.items():
        assert await _answers(system, head, as_of=instant) == answers, instant
    assert list(live.values())[-1] != now  # the story went on after the last snapshot
    breached = [d for d in live["2026-10-09T08:00:00+08:00"][3][2]["deadlines"] if d["status"] == "breached"]
    assert {d["rule_id"] for d in breached} >= {"art9.explain"}
    assert all(
        d["status"] != "breached"
        for d in live["2026-10-08T23:59:00+08:00"][3][2]["deadlines"]
        if d["rule_id"] == "art9.explain"
    )


async def test_a_review_steps_through_a_case(system: AsyncClient, clock) -> None:
    g = Scenario(system, clock, "GR-STEP")
    await g.act("grievance.received", "2026-09-10")
    await g.act("grievance.accepted", "2026-09-11")
    await g.act("grievance.fee_charged", "2026-09-12")
    steps = (await system.get("/v1/cases/GR-STEP/replay", params={"min_position": g.position})).json()["steps"]
    assert [s["view"]["status"] for s in steps] == ["received", "accepted", "accepted"]
    assert [len(s["view"]["findings"]) for s in steps] == [0, 0, 1]
    for step in steps:
        assert (await system.get("/v1/cases/GR-STEP", params={"as_of": step["as_of"]})).json() == step["view"]
