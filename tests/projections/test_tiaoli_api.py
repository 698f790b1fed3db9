"""The rule set in force from 2026-02-01 (tiaoli-2026-02-01, 《行政执法监督条例》) through the API, on both backends:
acts posted through the ledger, deadlines and findings read from the projections at simulated instants."""

from __future__ import annotations

from httpx import AsyncClient

from tests.projections.scenario import Scenario

SEED, TIAOLI = "jingzhou-zfjd-2020-11-17", "tiaoli-2026-02-01"
LAW = "《行政执法监督条例》"
LETTER = "荆政数法督〔2026〕1号"  # the example's 督办函
BODY = "421000-ZSJ-FGK"


async def test_tiaoli27_letter_unanswered_escalates_under_29_and_then_is_a_39_candidate(
    system: AsyncClient, clock
) -> None:
    """条例第二十七条: the letter states 03-20; unanswered, a 处理建议 is due in 30 days (local policy): 04-19 is a
    Sunday, so 04-20 24:00; lapsing, it is a candidate under 第三十九条 against the supervision body."""
    s = Scenario(system, clock, "IN-T27-1")
    await s.act("inspection.opened", "2026-03-02")
    await s.act("inspection.supervision_letter_issued", "2026-03-05", report_due_date="2026-03-20")
    s.at("2026-03-21T09:00:00+08:00")
    report = await s.deadline("art27.report")
    assert (report["rule_set"], report["law"], report["status"]) == (TIAOLI, LAW, "breached")
    [late] = await s.findings("art27.report")
    assert (late["rule_set"], late["article"], late["article_text"]) == (TIAOLI, "29", "《行政执法监督条例》第二十九条")
    escalate = await s.deadline("art29.escalate")
    assert (escalate["status"], escalate["due"], escalate["responsible_unit"]["code"]) == (
        "pending",
        "2026-04-21T00:00:00+08:00",
        BODY,
    )
    s.at("2026-04-21T00:00:01+08:00")
    [lapsed] = await s.findings("art29.escalate")
    assert (lapsed["rule_set"], lapsed["law"], lapsed["article"], lapsed["article_text"]) == (
        TIAOLI,
        LAW,
        "39",
        "《行政执法监督条例》第三十九条",
    )
    assert lapsed["subject"]["unit"]["code"] == BODY and lapsed["status"] == "candidate"


async def test_tiaoli39_order_to_the_supervision_body_ignored_is_a_candidate_for_chufen(
    system: AsyncClient, clock
) -> None:
    """条例第三十九条: 荆州市人民政府 orders the legal office (a supervision body in units.json) to correct by 04-30."""
    s = Scenario(system, clock, "IN-T39-1")
    await s.act("inspection.opened", "2026-03-02")
    await s.act("case.body_ordered_to_correct", "2026-04-01", correction_due_date="2026-04-30")
    assert (await s.deadline("art39.correct"))["status"] == "pending"
    s.at("2026-05-01T09:00:00+08:00")
    [finding] = await s.findings("art39.correct")
    assert (finding["rule_set"], finding["article_text"], finding["subject"]["unit"]["code"]) == (
        TIAOLI,
        "《行政执法监督条例》第三十九条",
        BODY,
    )
    assert "处分" in finding["title"]


async def test_straddling_case_is_judged_per_trigger_and_replays_as_of_0131_under_the_seed(
    system: AsyncClient, clock
) -> None:
    """A notice on 2026-01-30 (the seed's rule set) and a 督办函 on 02-02 (the 条例's); replayed as of 01-31
    the case shows the seed's answers only, exactly as the service answered then."""
    s = Scenario(system, clock, "IN-STRADDLE")
    await s.act("inspection.opened", "2026-01-12")
    await s.act("inspection.notice_issued", "2026-01-30", correction_due_date="2026-02-10")
    s.at("2026-01-31T23:59:00+08:00")
    live_then = await s.case()
    await s.act("inspection.supervision_letter_issued", "2026-02-02", report_due_date="2026-02-13")
    s.at("2026-04-01T09:00:00+08:00")
    replayed = await s.case(as_of="2026-01-31T23:59:00+08:00")
    assert replayed == live_then
    assert {(d["rule_id"], d["rule_set"]) for d in replayed["deadlines"]} == {("art11.correct", SEED)}
    now = await s.case()
    assert {(d["rule_id"], d["rule_set"], d["status"]) for d in now["deadlines"]} == {
        ("art11.correct", SEED, "breached"),
        ("art11.escalate", SEED, "breached"),  # from 02-10 + 30 = 03-12: after 2026-02-01, still the seed's
        ("art27.report", TIAOLI, "breached"),
        ("art29.escalate", TIAOLI, "breached"),  # from 02-13 + 30 = 03-15 (Sun) → 03-16
    }
    assert {(f["key"], f["rule_set"], f["article_text"]) for f in now["findings"]} == {
        ("art11.correct", SEED, "第十一条"),
        ("art11.escalate", SEED, "第十七条第（二）项"),
        ("art27.report", TIAOLI, "《行政执法监督条例》第二十九条"),
        ("art29.escalate", TIAOLI, "《行政执法监督条例》第三十九条"),
    }
