"""The duties of DOMAIN.md's "第十条 and other duties" and the version 2 notices and reports, posted through the
ledger API and read from the projections API on both backends, each named by its article and rule set. Dates
on the 2026 calendar (rule set tiaoli-2026-02-01, carrying the seed's rules forward; 国庆 10-01..10-07 off)."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient

from tests.helpers import CE, PREFIX, body, ce
from tests.projections.scenario import Scenario, template

JZQ = {"code": "421003-ZSJ", "name": "荆州市荆州区政务服务和大数据管理局"}
JL = {"code": "421024-ZSJ", "name": "江陵县政务服务和大数据管理局"}
FGK = {"code": "421000-ZSJ-FGK", "name": "荆州市政务服务和大数据管理局法规科"}
A, B = "荆政数法通〔2026〕21号", "荆政数法通〔2026〕22号"


def notice(number: str) -> dict[str, str]:
    return {"number": number, "title": "行政执法监督通知书", "issued_on": "2026-09-01"}


async def rule_deadlines(s: Scenario, rule_id: str) -> list[dict[str, Any]]:
    return [d for d in (await s.case())["deadlines"] if d["rule_id"] == rule_id]


# --- 第十一条, 第十二条: notices (version 2 replaces_notice) and reports (version 2 corrected_on) ---


async def test_art11_two_notices_about_two_violations_keep_two_sets_of_deadlines(system: AsyncClient, clock) -> None:
    """Notice A (correct by 09-15) and notice B (by 09-18) name no notice they replace: A is corrected on
    09-14 (reported 09-20), B never is — B's deadline is breached and escalates, A's is met."""
    s = Scenario(system, clock, "IN-V2-TWO")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.violation_found", "2026-09-01")
    await s.act("inspection.violation_found", "2026-09-02", description="另一违法问题")
    first = await s.act(
        "inspection.notice_issued", "2026-09-03", notice_document=notice(A), correction_due_date="2026-09-15"
    )
    second = await s.act(
        "inspection.notice_issued", "2026-09-04", notice_document=notice(B), correction_due_date="2026-09-18"
    )
    await s.act(
        "inspection.execution_report_submitted", "2026-09-20", responds_to=A, corrected=True, corrected_on="2026-09-14"
    )
    s.at("2026-09-22T09:00:00+08:00")
    correct = {d["trigger_version"]: d for d in await rule_deadlines(s, "art11.correct")}
    assert {v: d["status"] for v, d in correct.items()} == {
        first["case_version"]: "met",
        second["case_version"]: "breached",
    }
    assert correct[first["case_version"]]["fulfilled_at"] == "2026-09-14T00:00:00+08:00"
    [escalate] = await rule_deadlines(s, "art11.escalate")
    assert (escalate["trigger_version"], escalate["status"]) == (second["case_version"], "pending")
    [finding] = await s.findings("art11.correct")
    assert finding["id"] == f"IN-V2-TWO:art11.correct:{second['case_version']}"


async def test_art11_a_notice_naming_the_one_it_replaces_supersedes_it(system: AsyncClient, clock) -> None:
    """Notice B of 09-10 states it replaces A (due 09-15): A's correction and report deadlines are superseded,
    B's (due 09-30) run; nothing about A is ever a breach."""
    s = Scenario(system, clock, "IN-V2-REPLACE")
    await s.act("inspection.opened", "2026-08-20")
    await s.act("inspection.violation_found", "2026-09-01")
    await s.act("inspection.notice_issued", "2026-09-01", notice_document=notice(A), correction_due_date="2026-09-15")
    replacing = await s.act(
        "inspection.notice_issued",
        "2026-09-10",
        notice_document=notice(B),
        correction_due_date="2026-09-30",
        replaces_notice=A,
    )
    assert replacing["event"]["data"]["replaces_notice"] == A
    s.at("2026-09-20T09:00:00+08:00")
    first, second = await rule_deadlines(s, "art11.correct")
    assert first["status"] == "not_applicable" and first["reason_version"] == replacing["case_version"]
    assert first["reason"].startswith("superseded by inspection.notice_issued")
    assert second["status"] == "pending" and await s.findings("art11.correct") == []
    s.at("2026-10-09T09:00:00+08:00")
    [finding] = await s.findings("art11.correct")
    assert finding["id"] == f"IN-V2-REPLACE:art11.correct:{replacing['case_version']}"


async def test_art11_a_correction_made_in_time_reported_later_within_art12_is_no_breach(
    system: AsyncClient, clock
) -> None:
    """Notice of 09-21, correct by 09-30, delivered 09-22; 第十二条: report by 15 days after 09-30 = 10-15. The
    report of 10-14 says the unit corrected on 09-29: 第十一条 met, 第十二条 met. Said 10-02: 第十一条 late."""
    for subject, corrected_on, status in (
        ("IN-V2-INTIME", "2026-09-29", "met"),
        ("IN-V2-LATE", "2026-10-02", "met_late"),
    ):
        s = Scenario(system, clock, subject)
        await s.act("inspection.opened", "2026-08-20")
        await s.act("inspection.violation_found", "2026-09-10")
        await s.act("inspection.notice_issued", "2026-09-21")  # the example's 荆政数法通〔2026〕12号, due 09-30
        await s.act(
            "document.delivered",
            "2026-09-22",
            document_kind="supervision_notice",
            document_number="荆政数法通〔2026〕12号",
            delivered_to=JZQ,
        )
        await s.act(
            "inspection.execution_report_submitted",
            "2026-10-14",
            responds_to="荆政数法通〔2026〕12号",
            corrected=True,
            corrected_on=corrected_on,
        )
        s.at("2026-10-20T09:00:00+08:00")
        [correct], [report] = await rule_deadlines(s, "art11.correct"), await rule_deadlines(s, "art12.report")
        assert (correct["status"], report["status"], report["due"]) == (status, "met", "2026-10-16T00:00:00+08:00")
        assert correct["fulfilled_at"] == f"{corrected_on}T00:00:00+08:00"
        assert bool(await s.findings("art11.correct")) is (status == "met_late")
        assert await s.findings("art12.report") == []


async def test_version_1_notices_and_reports_stay_valid_and_refuse_the_new_fields(system: AsyncClient, clock) -> None:
    s = Scenario(system, clock, "IN-V1")
    await s.act("inspection.opened", "2026-08-20")

    async def post(act: str, **data: Any) -> int:
        event = {
            "specversion": "1.0",
            "id": f"v1-{act}-{len(data)}",
            "source": "urn:zfjd:source:scenario-test",
            "type": PREFIX + act,
            "subject": "IN-V1",
            "time": "2026-08-20T11:00:00+08:00",
            "dataschema": f"urn:zfjd:schema:{act}:1",
            "data": template(act) | data,
        }
        response = await system.post("/v1/events", content=body(event), headers=CE)
        return response.status_code

    assert await post("inspection.notice_issued") == 201
    assert await post("inspection.execution_report_submitted") == 201
    assert await post("inspection.notice_issued", replaces_notice=A) == 422
    assert await post("inspection.execution_report_submitted", corrected_on="2026-09-01") == 422


# --- 第五条（五）: enforcement personnel and their qualification ---

CERT = "鄂执421024-0077"
HOLDER = {"name": "刘某", "role": "执法大队队员", "enforcement_cert_no": CERT, "unit": JL}
OTHER = {"name": "孙某", "role": "执法大队队员", "enforcement_cert_no": "鄂执421024-0078", "unit": JL}


async def test_art5_5_a_decision_by_a_handler_whose_qualification_a_sanction_of_art16_revoked(
    system: AsyncClient, clock
) -> None:
    """刘某's certificate is granted 03-01; 第十六条 取消行政执法资格 is imposed on him 09-15 in an inspection. A
    penalty he decided on 09-10 is fine; one he decided with 孙某 (no certificate on record) on 09-20 gives two
    candidate findings 第五条（五）, in the case's view, the findings list and the statistics."""
    q = Scenario(system, clock, "QL-T-0077")
    await q.act(
        "qualification.granted",
        "2026-03-01",
        certificate_number=CERT,
        holder=HOLDER,
        holder_unit=JL,
        valid_from="2026-03-01",
        valid_until="2029-02-28",
    )
    fine, unqualified = Scenario(system, clock, "MP-T-1"), Scenario(system, clock, "MP-T-2")
    await fine.act("major_penalty.decided", "2026-09-10", handlers=[HOLDER])
    sanction = Scenario(system, clock, "IN-T-16")
    await sanction.act("inspection.opened", "2026-08-20", supervised_unit=JL)
    clock.set("2026-09-15T11:00:00+08:00")
    data = {
        "sanction": "loss_of_enforcement_qualification",
        "article": "16",
        "subject_person": HOLDER,
        "imposed_by": JL,
    }
    event = ce("case.sanction_imposed", "IN-T-16", data, time="2026-09-15T10:00:00+08:00")
    assert (await system.post("/v1/events", content=body(event), headers=CE)).status_code == 201
    decided = await unqualified.act("major_penalty.decided", "2026-09-20", handlers=[HOLDER, OTHER])
    unqualified.at("2026-09-21T12:00:00+08:00")
    fine.at("2026-09-21T12:00:00+08:00")
    assert [f for f in await fine.findings() if f["article"] == "5"] == []
    found = {f["subject"]["person"]["name"]: f for f in await unqualified.findings() if f["article"] == "5"}
    assert set(found) == {"刘某", "孙某"}
    assert found["刘某"]["id"] == f"MP-T-2:art5_5.unqualified.{CERT}:{decided['case_version']}"
    assert found["刘某"]["article_text"] == "第五条第（五）项" and found["刘某"]["status"] == "candidate"
    assert "取消行政执法资格" in found["刘某"]["reason"] and "IN-T-16" not in found["刘某"]["reason"]
    assert "台账中没有该证件的核发记录" in found["孙某"]["reason"]
    assert found["孙某"]["subject"]["unit"]["code"] == JL["code"]
    listed = (await system.get("/v1/findings", params={"article": "5"})).json()["findings"]
    assert sorted(f["id"] for f in listed) == sorted(f["id"] for f in found.values())
    [row] = (await system.get("/v1/statistics", params={"month": "2026-09", "unit": JL["code"]})).json()["rows"]
    assert row["findings_by_article"]["5"] == 2
    assert (await q.case())["status"] == "granted"


# --- 第十五条: referral of a confirmed suspected violation or crime ---


async def test_art15_a_confirmed_suspected_crime_not_referred_in_30_days_is_17_2(system: AsyncClient, clock) -> None:
    """Confirmed 09-02 with referral grounds 涉嫌犯罪: 30 days → 10-02, a holiday → due 2026-10-08 24:00."""
    s = Scenario(system, clock, "IN-T-15")
    await s.act("inspection.opened", "2026-08-20")
    await s.act(
        "case.finding_determined",
        "2026-09-02",
        finding_id="FND-T-15",
        article="17",
        item="三",
        determination="confirmed",
        referral_grounds="suspected_crime",
    )
    s.at("2026-10-08T20:00:00+08:00")
    [pending] = await rule_deadlines(s, "art15.refer")
    assert (pending["status"], pending["due"]) == ("pending", "2026-10-09T00:00:00+08:00")
    s.at("2026-10-09T08:00:00+08:00")
    [finding] = await s.findings("art15.refer")
    assert (finding["article"], finding["items"], finding["subject"]["unit"]["code"]) == ("17", ["二"], FGK["code"])
    await s.act("case.referral_made", "2026-10-12", referred_to="judicial_organ", grounds="suspected_crime")
    [late] = await rule_deadlines(s, "art15.refer")
    assert late["status"] == "met_late"


# --- 第十条（一）–（四）: statistics per unit and month ---


async def test_art10_statistics_assigned_cases_scores_and_the_units_report_with_differences(
    system: AsyncClient, clock
) -> None:
    """An inspection assigned by the province (the example's origin) opened 09-03 and closed 09-25, a case file
    of 荆州区 scored 72; the body reports 2 inspections opened in September: the difference is flagged."""
    s = Scenario(system, clock, "IN-T-10")
    await s.act("inspection.opened", "2026-09-03")
    await s.act("inspection.case_file_reviewed", "2026-09-10", score=72, reviewed_unit=JZQ)
    await s.act("inspection.closed", "2026-09-25")
    report = Scenario(system, clock, "STAT-FGK-2026-09")
    counts = dict.fromkeys(template("statistics.monthly_report_submitted")["counts"], 0) | {"inspections_opened": 2}
    await report.act(
        "statistics.monthly_report_submitted", "2026-10-09", reporting_unit=FGK, period="2026-09", counts=counts
    )
    rows = {
        r["unit"]["code"]: r
        for r in (
            await system.get("/v1/statistics", params={"month": "2026-09", "min_position": report.position})
        ).json()["rows"]
    }
    body_row, unit_row = rows[FGK["code"]], rows[JZQ["code"]]
    assigned = (
        "inspections_assigned",
        "inspections_assigned_closed",
        "inspections_assigned_open",
        "inspections_self_handled",
    )
    assert [body_row[c] for c in assigned] == [1, 1, 0, 0]
    assert body_row["report_differences"] == [{"column": "inspections_opened", "reported": 2, "computed": 1}]
    assert (unit_row["case_files_reviewed"], unit_row["case_files_scored_60_79"], unit_row["case_file_scores"]) == (
        1,
        1,
        [72],
    )
    text = (await system.get("/v1/statistics", params={"month": "2026-09", "format": "csv"})).text
    parsed = {r["unit_code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (parsed[FGK["code"]]["report_differences"], parsed[JZQ["code"]]["case_file_scores"]) == (
        "inspections_opened",
        "72",
    )
