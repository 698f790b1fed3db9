"""A scenario per candidate finding of DOMAIN.md, posted through the ledger API and read from the
projections API, each named by its article. Clocks are simulated: the ledger records at the test's time and
the projections evaluate at it."""

from __future__ import annotations

from httpx import AsyncClient

from tests.projections.scenario import Scenario

COUNTY = {"code": "421002-ZSJ", "name": "荆州市沙市区政务服务和大数据管理局"}
NOTIFICATION = "荆政数法函〔2026〕8号"


async def _notified_grievance(s: Scenario, received: str = "2026-09-10", delivered: str = "2026-09-22") -> None:
    await s.act("grievance.received", received)
    await s.act("grievance.accepted", received)
    await s.act("grievance.respondent_notified", received)
    await s.act(
        "document.delivered",
        delivered,
        document_kind="grievance_notification",
        document_number=NOTIFICATION,
        delivered_to=COUNTY,
    )


async def test_art9_grievance_neither_accepted_nor_transferred_in_10_days_is_17_1_and_4(
    system: AsyncClient, clock
) -> None:
    """第九条: received 2026-09-22; 10 days end 10-02, a National Day holiday, so due 2026-10-08 24:00."""
    s = Scenario(system, clock, "GR-A9-1")
    await s.act("grievance.received", "2026-09-22")
    s.at("2026-10-08T23:00:00+08:00")
    assert (await s.deadline("art9.disposition"))["status"] == "pending" and await s.findings("art9.disposition") == []
    s.at("2026-10-09T00:00:01+08:00")
    [finding] = await s.findings("art9.disposition")
    assert finding["article"] == "17" and finding["items"] == ["一", "四"] and finding["status"] == "candidate"
    assert finding["id"] == "GR-A9-1:art9.disposition:1"


async def test_art9_explanation_not_submitted_in_15_days_is_16(system: AsyncClient, clock) -> None:
    """第九条第二款: notification delivered 2026-09-22, 15 days → 10-07 holiday → due 2026-10-08 24:00."""
    s = Scenario(system, clock, "GR-A9-2")
    await _notified_grievance(s)
    s.at("2026-10-08T12:00:00+08:00")
    pending = await s.deadline("art9.explain")
    assert pending["status"] == "pending" and pending["due"] == "2026-10-09T00:00:00+08:00"
    assert pending["level"] == "yellow" and pending["responsible_unit"]["code"] == COUNTY["code"]
    s.at("2026-10-09T09:00:00+08:00")
    assert (await s.deadline("art9.explain"))["level"] == "red"
    [finding] = await s.findings("art9.explain")
    assert finding["article"] == "16" and finding["subject"]["unit"]["code"] == COUNTY["code"]


async def test_integrity_explanation_recorded_late_but_dated_in_time_is_backdated(system: AsyncClient, clock) -> None:
    """Integrity: the explanation is dated 2026-10-08 (in time) but reaches the ledger on 10-12."""
    s = Scenario(system, clock, "GR-INT-1")
    await _notified_grievance(s)
    await s.act("grievance.explanation_submitted", "2026-10-08", recorded="2026-10-12T09:00:00+08:00")
    explain = await s.deadline("art9.explain")
    assert explain["status"] == "met" and explain["backdated"] is True
    [finding] = [f for f in await s.findings() if f["article"] == "integrity"]
    assert "art9.explain" in finding["key"]


async def test_art16_explanation_without_evidence_or_legal_basis(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-A16-1")
    await _notified_grievance(s)
    await s.act("grievance.explanation_submitted", "2026-09-25", evidence=[], legal_basis=[])
    [finding] = await s.findings("art16.explanation_incomplete")
    assert finding["article"] == "16" and finding["evidence"][0]["act"] == "grievance.explanation_submitted"


async def test_art17_4_grievance_transferred_twice_is_buck_passing(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-A17-4")
    await s.act("grievance.received", "2026-09-01")
    await s.act("grievance.transferred", "2026-09-03")
    await s.act("grievance.transferred", "2026-09-08", to_unit={"code": "421000-ZFB", "name": "荆州市政府法制办"})
    [finding] = await s.findings("art17_4.transferred_again")
    assert finding["article"] == "17" and finding["items"] == ["四"]


async def test_art18_fee_charged_for_a_grievance(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-A18")
    await s.act("grievance.received", "2026-09-01")
    fee = await s.act("grievance.fee_charged", "2026-09-01")
    [finding] = await s.findings("art18.fee_charged")
    assert finding["article"] == "18" and finding["evidence"][0]["position"] == fee["position"]
    assert {tuple(x["items"]) for x in finding["see_also"]} == {("三", "六")}


async def test_a_determination_and_a_sanction_attach_to_the_finding_by_its_id(system: AsyncClient, clock) -> None:
    """第十六—十七条: a person confirms the fee finding and imposes circulated criticism."""
    s = Scenario(system, clock, "GR-DET")
    await s.act("grievance.received", "2026-09-01")
    await s.act("grievance.fee_charged", "2026-09-01")
    [finding] = await s.findings("art18.fee_charged")
    await s.act("case.finding_determined", "2026-09-15", finding_id=finding["id"], article="18")
    await s.act("case.sanction_imposed", "2026-09-20", finding_id=finding["id"])
    [after] = await s.findings("art18.fee_charged")
    assert after["id"] == finding["id"] and after["status"] == "confirmed"
    assert [x["sanction"] for x in after["sanctions"]] == ["circulated_criticism"]
    assert (await s.client.get("/v1/findings", params={"determination": "confirmed"})).json()["findings"][0][
        "id"
    ] == after["id"]


async def test_art17_3_exists_only_when_recorded_by_a_person(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-A17-3")
    await s.act("grievance.received", "2026-09-01")
    await s.act("case.finding_determined", "2026-09-05", finding_id="FND-2026-17-3", article="17", item="三")
    [finding] = [f for f in await s.findings() if f["id"] == "FND-2026-17-3"]
    assert finding["source"] == "recorded" and finding["article"] == "17" and finding["status"] == "confirmed"


async def test_art16_cooperation_refused(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "IN-A16-1")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.case_file_requested", "2026-08-21")
    await s.act("inspection.cooperation_refused", "2026-08-28")
    [finding] = await s.findings("art16.cooperation_refused")
    assert finding["article"] == "16" and finding["subject"]["person"]["name"] == "黄建国"


async def test_art12_report_overdue_after_the_notice_is_16(system: AsyncClient, clock) -> None:
    """第十二条: notice delivered 2026-09-22 with correction due 09-30; the later reading governs:
    15 days after 09-30 → 10-15 (a Thursday), due 2026-10-15 24:00."""
    s = Scenario(system, clock, "IN-A12")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.violation_found", "2026-09-10")
    await s.act("inspection.notice_issued", "2026-09-21", correction_due_date="2026-09-30")
    await s.act(
        "document.delivered",
        "2026-09-22",
        document_kind="supervision_notice",
        document_number="荆政数法通〔2026〕12号",
        delivered_to={"code": "421003-ZSJ", "name": "荆州区政数局"},
    )
    s.at("2026-10-16T08:00:00+08:00")
    [report] = [d for d in (await s.case())["deadlines"] if d["rule_id"] == "art12.report"]
    assert report["status"] == "breached" and report["due"] == "2026-10-16T00:00:00+08:00"
    assert any(f["key"] == "art12.report" and f["article"] == "16" for f in await s.findings())


async def test_art17_2_violation_found_and_no_notice_within_30_days(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "IN-A17-2")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.violation_found", "2026-09-01")
    s.at("2026-09-30T12:00:00+08:00")
    assert await s.findings("art11.notice") == []
    s.at("2026-10-10T12:00:00+08:00")
    [finding] = await s.findings("art11.notice")
    assert finding["article"] == "17" and "二" in finding["items"]


async def test_art16_enforcing_an_act_that_a_decision_revoked(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "IN-A16-3")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.decision_issued", "2026-10-16")
    await s.act(
        "inspection.execution_report_submitted", "2026-10-20", responds_to="荆政数法决〔2026〕3号", corrected=False
    )
    [finding] = await s.findings("art16.enforcing_revoked_act")
    assert finding["article"] == "16"


async def test_art7_normative_document_not_filed_within_30_days(system: AsyncClient, clock) -> None:
    """第七条: published 2026-04-08; 30 days → 05-08 (a Friday), due 2026-05-08 24:00."""
    s = Scenario(system, clock, "RF-A7")
    await s.act("normative_document.published", "2026-04-08")
    s.at("2026-05-09T09:00:00+08:00")
    assert (await s.deadline("art7.file"))["status"] == "breached"
    assert (await s.findings("art7.file"))[0]["article"] == "7"


async def test_art8_major_penalty_not_filed_within_15_days(system: AsyncClient, clock) -> None:
    """第八条: decided 2026-09-22; 15 days → 10-07 holiday → due 2026-10-08 24:00."""
    s = Scenario(system, clock, "MP-A8")
    await s.act("major_penalty.decided", "2026-09-22")
    s.at("2026-10-09T09:00:00+08:00")
    deadline = await s.deadline("art8.file")
    assert deadline["status"] == "breached" and deadline["due"] == "2026-10-09T00:00:00+08:00"
    assert (await s.findings("art8.file"))[0]["article"] == "8"


async def test_listing_cases_with_warnings_and_filters(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-LIST")
    await s.act("grievance.received", "2026-09-22")
    s.at("2026-10-12T09:00:00+08:00")
    red = (await system.get("/v1/cases", params={"warning": "red", "min_position": s.position})).json()
    assert [c["case_id"] for c in red["cases"]] == ["GR-LIST"]
    assert (await system.get("/v1/cases", params={"kind": "inspection"})).json()["count"] == 0
    assert (await system.get("/v1/cases", params={"has_breach": True, "unit": COUNTY["code"]})).json()["count"] == 1
    deadlines = (await system.get("/v1/deadlines", params={"level": "red"})).json()["deadlines"]
    assert [(d["case_id"], d["rule_id"]) for d in deadlines] == [("GR-LIST", "art9.disposition")]
    stats = (await system.get("/v1/statistics", params={"month": "2026-09"})).json()["rows"]
    assert sum(r["grievances_received"] for r in stats) == 1
    csv = await system.get("/v1/statistics", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("unit_code,unit_name,month")


async def test_art9_complainant_not_informed_of_the_transfer_is_17_4(system: AsyncClient, clock) -> None:
    """第九条第一款: received 2026-09-22, transferred 09-25; informing is due by receipt + 10 days → 10-02,
    a National Day holiday → 2026-10-08 24:00."""
    s = Scenario(system, clock, "GR-INFORM")
    await s.act("grievance.received", "2026-09-22")
    await s.act("grievance.transferred", "2026-09-25")
    s.at("2026-10-08T20:00:00+08:00")
    assert (await s.deadline("art9.inform"))["status"] == "pending"
    s.at("2026-10-09T08:00:00+08:00")
    [finding] = await s.findings("art9.inform")
    assert (finding["article"], finding["items"]) == ("17", ["四"])


async def test_art9_respondent_not_notified_within_10_days_of_acceptance_is_17_1_and_4(
    system: AsyncClient, clock
) -> None:
    """第九条第二款: accepted 2026-09-22; 10 days → 10-02 holiday → due 2026-10-08 24:00."""
    s = Scenario(system, clock, "GR-NOTIFY")
    await s.act("grievance.received", "2026-09-21")
    await s.act("grievance.accepted", "2026-09-22")
    s.at("2026-10-09T08:00:00+08:00")
    deadline = await s.deadline("art9.notify")
    assert deadline["status"] == "breached" and deadline["due"] == "2026-10-09T00:00:00+08:00"
    assert (await s.findings("art9.notify"))[0]["items"] == ["一", "四"]


async def test_art17_4_grievance_bounced_back_after_transfer(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "GR-BOUNCE")
    await s.act("grievance.received", "2026-09-01")
    await s.act("grievance.transferred", "2026-09-03")
    await s.act("grievance.accepted", "2026-09-10")
    [finding] = await s.findings("art17_4.bounced_back")
    assert (finding["article"], finding["items"]) == ("17", ["四"])


async def test_art7_review_opinion_not_complied_with_in_its_period(system: AsyncClient, clock) -> None:
    """第七条: the review opinion of 2026-09-22 orders correction within 15 days → 10-07 holiday → due
    2026-10-08 24:00."""
    s = Scenario(system, clock, "RF-CORRECT")
    await s.act("normative_document.published", "2026-08-20")
    await s.act("normative_document.filed", "2026-08-25", document_number="沙政数规〔2026〕1号")
    await s.act(
        "normative_document.review_concluded",
        "2026-09-22",
        document_number="沙政数规〔2026〕1号",
        outcome="correct",
        correction_period_days=15,
    )
    s.at("2026-10-09T08:00:00+08:00")
    deadline = await s.deadline("art7.correct")
    assert deadline["status"] == "breached" and deadline["due"] == "2026-10-09T00:00:00+08:00"
    assert (await s.findings("art7.correct"))[0]["article"] == "7"


async def test_art11_correction_overdue_and_not_escalated_is_17_2(system: AsyncClient, clock) -> None:
    """第十一条: the notice sets correction by 2026-09-15 (a Tuesday); nothing corrected; escalation (local
    policy, 30 days from that last day) is due 2026-10-15 24:00; none came → 第十七条（二）."""
    s = Scenario(system, clock, "IN-ESCALATE")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.violation_found", "2026-08-28")
    await s.act("inspection.notice_issued", "2026-09-01", correction_due_date="2026-09-15")
    s.at("2026-09-16T08:00:00+08:00")
    assert (await s.deadline("art11.correct"))["status"] == "breached"
    assert (await s.deadline("art11.escalate"))["status"] == "pending"
    s.at("2026-10-16T08:00:00+08:00")
    escalate = await s.deadline("art11.escalate")
    assert escalate["status"] == "breached" and escalate["due"] == "2026-10-16T00:00:00+08:00"
    assert (await s.findings("art11.escalate"))[0]["items"] == ["二"]
