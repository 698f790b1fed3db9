"""Monthly statistics per unit (第十条第（四）项) over a small multi-case scenario, computed by hand."""

from __future__ import annotations

import csv
import io

from esledger.domain.statistics import COLUMNS, REPORTED, monthly_statistics, statistics_csv

from .builders import BODY, COUNTY, Case, grievance, inspection, issue, utc
from .scenarios import POLICY, determine, fee, refuse, violation
from .test_art9 import accept, inform, notify, transfer

OTHER = {"code": "114210000000000003", "name": "荆州区政务数据局"}
PROVINCE = {"code": "114200000000000000", "name": "湖北省政务服务和大数据管理局"}
AS_OF = utc("2026-11-01")


def scenario() -> dict[str, list[dict]]:
    # G1: received 09-01, accepted 09-02 (disposition met, last day 09-11), notified 09-03 (notify met, last day
    #     09-14), a fee charged 09-02 (art18, subject BODY)
    g1 = grievance("2026-09-01")
    accept(g1, "2026-09-02")
    fee(g1, "2026-09-02")
    notify(g1, "2026-09-03")
    # G2: against OTHER, received 09-25 (last day 09-25 + 10 = 10-05 国庆 -> 10-08), transferred 10-12 and the
    #     complainant informed 10-13: disposition and inform both met late (last day 10-08), two 17 findings
    g2 = Case("grievance-2")
    g2.add(
        "grievance.received",
        "2026-09-25",
        respondent_unit=OTHER,
        supervision_body=BODY,
        summary="申诉",
        complainant={"kind": "natural_person", "name": "某人"},
    )
    transfer(g2, "2026-10-12")
    inform(g2, "2026-10-13")
    # I1: opened 09-01, cooperation refused 09-03 (dismissed later), violation 09-04 (notice rule met by the
    #     09-07 notice, last day 09-04 + 30 = 10-04 国庆 -> 10-08), notice due 09-18 never corrected (breached,
    #     art11, COUNTY), escalation 09-18 + 30 = 10-18 (Sun) -> 10-19 never done (breached, 17(二), BODY)
    i1 = inspection("2026-09-01")
    refuse(i1, "2026-09-03")
    violation(i1, "2026-09-04")
    issue(i1, "2026-09-07", "2026-09-18")
    determine(i1, "2026-09-20", "inspection-1:art16.cooperation_refused:2", "dismissed")
    # S1: COUNTY's own report for 2026-09
    s1 = Case("STAT-COUNTY-2026-09", "unit_statistics")
    counts = dict.fromkeys(REPORTED, 0)
    s1.add(
        "statistics.monthly_report_submitted",
        "2026-10-09",
        reporting_unit=COUNTY,
        period="2026-09",
        counts=counts | {"grievances_received": 2},
    )
    return {c.case_id: c.records for c in (g1, g2, i1, s1)}


def assigned(case_id: str, opened: str, origin: str = "assigned_by_superior") -> Case:
    case = Case(case_id, "inspection")
    case.add(
        "inspection.opened",
        opened,
        origin=origin,
        supervised_unit=COUNTY,
        supervision_body=BODY,
        scope="交办案件核查",
        inspectors=[{"name": "李某"}],
        assigned_by=PROVINCE,
    )
    return case


def review(case: Case, when: str, score: int, unit: dict = COUNTY) -> int:
    return case.add(
        "inspection.case_file_reviewed",
        when,
        reviewed_unit=unit,
        case_file=f"沙政数罚〔2026〕{score}号案卷",
        score=score,
        reviewer={"name": "王某", "role": "法规科科员"},
    )


def article10() -> dict[str, list[dict]]:
    """第十条: A1 assigned 09-03 and closed 10-12 (one case file scored 95 on 09-10, one 58 on 09-28, and a
    post-evaluation 10-10); A2 urged 09-15 and still open; A3 self-initiated 10-02, reviewed 84 on 10-05; a
    commendation of COUNTY's officer in A1 on 10-20; COUNTY's report for 2026-09 says 1 inspection opened."""
    a1 = assigned("assigned-1", "2026-09-03")
    review(a1, "2026-09-10", 95)
    review(a1, "2026-09-28", 58)
    a1.add(
        "inspection.post_evaluation_completed",
        "2026-10-10",
        evaluator="body",
        evaluator_name="法规科",
        conclusion="整改到位",
    )
    a1.add("inspection.closed", "2026-10-12", result="已办结")
    a1.add(
        "case.commendation_granted",
        "2026-10-20",
        recipient_person={"name": "赵某", "unit": COUNTY},
        reason="整改迅速",
        granted_by=BODY,
    )
    a2 = assigned("assigned-2", "2026-09-15", origin="urged")
    a3 = assigned("self-3", "2026-10-02", origin="self_initiated")
    review(a3, "2026-10-05", 84)
    report = Case("STAT-BODY-2026-09", "unit_statistics")
    counts = dict.fromkeys(REPORTED, 0) | {"inspections_opened": 1}
    report.add(
        "statistics.monthly_report_submitted", "2026-10-09", reporting_unit=BODY, period="2026-09", counts=counts
    )
    return {c.case_id: c.records for c in (a1, a2, a3, report)}


def nonzero(row) -> dict:
    skipped = {"unit", "month", "reported", "report_differences", "case_file_scores"}
    return {k: v for k, v in row.to_json().items() if k not in skipped and v}


def test_monthly_statistics_per_unit_counted_by_hand() -> None:
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(scenario(), POLICY, AS_OF)}
    assert sorted(rows) == [
        (BODY["code"], "2026-09"),
        (BODY["code"], "2026-10"),
        (COUNTY["code"], "2026-09"),
        (OTHER["code"], "2026-09"),
    ]
    assert nonzero(rows[(BODY["code"], "2026-09")]) == {
        "grievances_received": 2,
        "grievances_accepted": 1,
        "inspections_opened": 1,
        "inspections_self_handled": 1,
        "notices_issued": 1,
        "deadlines_met": 2,
        "findings_by_article": {"18": 1},
    }
    assert nonzero(rows[(BODY["code"], "2026-10")]) == {
        "grievances_transferred": 1,
        "deadlines_met": 1,
        "deadlines_met_late": 2,
        "deadlines_breached": 1,
        "findings_by_article": {"17": 3},
    }
    county = rows[(COUNTY["code"], "2026-09")]
    assert nonzero(county) == {
        "grievances_against_unit": 1,
        "inspections_of_unit": 1,
        "deadlines_breached": 1,
        "findings_by_article": {"11": 1},  # the dismissed art16 finding is not counted
    }
    assert county.reported["grievances_received"] == 2 and sum(county.reported.values()) == 2
    # 第十条（四）: COUNTY reported 2 grievances received; the ledger counts none received by COUNTY
    assert county.to_json()["report_differences"] == [{"column": "grievances_received", "reported": 2, "computed": 0}]
    assert nonzero(rows[(OTHER["code"], "2026-09")]) == {"grievances_against_unit": 1}
    assert rows[(OTHER["code"], "2026-09")].to_json()["unit"] == OTHER


def test_statistics_as_of_an_earlier_instant_see_less() -> None:
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(scenario(), POLICY, utc("2026-09-10"))}
    assert nonzero(rows[(BODY["code"], "2026-09")]) == {
        "grievances_received": 1,
        "grievances_accepted": 1,
        "inspections_opened": 1,
        "inspections_self_handled": 1,
        "notices_issued": 1,
        "deadlines_met": 2,  # met already, counted in the month of their last days (09-11, 09-14)
        "findings_by_article": {"18": 1},
    }
    assert (COUNTY["code"], "2026-09") in rows and rows[(COUNTY["code"], "2026-09")].reported is None


def test_statistics_csv_header_and_rows_in_a_stable_column_order() -> None:
    rows = monthly_statistics(scenario(), POLICY, AS_OF)
    text = statistics_csv(rows)
    header = text.splitlines()[0]
    assert header == (
        "unit_code,unit_name,month,grievances_received,grievances_accepted,grievances_transferred,"
        "grievances_concluded,grievances_against_unit,inspections_opened,inspections_of_unit,notices_issued,"
        "decisions_issued,major_penalties_filed,normative_documents_filed,inspections_assigned,"
        "inspections_assigned_closed,inspections_assigned_open,inspections_self_handled,case_files_reviewed,"
        "case_files_scored_90_100,case_files_scored_80_89,case_files_scored_60_79,case_files_scored_0_59,"
        "post_evaluations,commendations,deadlines_met,deadlines_met_late,deadlines_breached,findings_art5,"
        "findings_art7,findings_art8,findings_art11,findings_art16,findings_art17,findings_art18,"
        "findings_integrity,findings_other,case_file_scores,reported_grievances_received,"
        "reported_grievances_accepted,reported_grievances_transferred,reported_grievances_concluded,"
        "reported_inspections_opened,reported_notices_issued,reported_decisions_issued,"
        "reported_major_penalties_filed,reported_normative_documents_filed,report_differences"
    )
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == len(rows) == 4 and tuple(parsed[0]) == COLUMNS
    county = next(p for p in parsed if p["unit_code"] == COUNTY["code"])
    assert (county["findings_art11"], county["findings_art16"], county["reported_grievances_received"]) == (
        "1",
        "0",
        "2",
    )
    assert county["report_differences"] == "grievances_received"
    body = next(p for p in parsed if p["unit_code"] == BODY["code"])
    assert (body["month"], body["grievances_received"], body["reported_grievances_received"]) == ("2026-09", "2", "")
    assert (body["report_differences"], body["case_file_scores"]) == ("", "")
    assert statistics_csv([]) == header + "\n"


def test_article_10_assigned_and_self_handled_cases_scores_reports_and_article_13_14() -> None:
    """第十条（一）–（四）, 第十三条, 第十四条 (rule set jingzhou-zfjd-2020-11-17), counted by hand."""
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(article10(), POLICY, AS_OF)}
    september, october = rows[(BODY["code"], "2026-09")], rows[(BODY["code"], "2026-10")]
    # (一) two cases came from superiors in September (assigned and urged); one was closed in October, the
    # other is still open as of AS_OF; (二) the self-initiated one of October is self-handled
    assert nonzero(september) == {
        "inspections_opened": 2,
        "inspections_assigned": 2,
        "inspections_assigned_open": 1,
    }
    assert nonzero(october) == {
        "inspections_opened": 1,
        "inspections_self_handled": 1,
        "inspections_assigned_closed": 1,
    }
    # (三) the scores go to the unit whose case files were reviewed, by month, in bands and listed
    county_sept, county_oct = rows[(COUNTY["code"], "2026-09")], rows[(COUNTY["code"], "2026-10")]
    assert (county_sept.counts["case_files_reviewed"], county_sept.scores) == (2, (58, 95))
    assert county_sept.counts["case_files_scored_90_100"] == county_sept.counts["case_files_scored_0_59"] == 1
    assert (county_oct.counts["case_files_scored_80_89"], county_oct.to_json()["case_file_scores"]) == (1, [84])
    # 第十三条 the post-evaluation of COUNTY's correction, 第十四条 the commendation of COUNTY's officer
    assert (county_oct.counts["post_evaluations"], county_oct.counts["commendations"]) == (1, 1)
    # (四) BODY reported 1 inspection opened in September; the ledger counted 2: flagged, nothing else
    assert september.to_json()["report_differences"] == [{"column": "inspections_opened", "reported": 1, "computed": 2}]
    assert october.reported is None and october.to_json()["report_differences"] == []


def test_an_assigned_case_closed_later_is_no_longer_open_as_of_then() -> None:
    """第十条（一）: assigned-2 (opened 2026-09-15) is open as of AS_OF; closed 11-05, it is not as of 11-06."""
    records = article10()
    closing = Case("assigned-2", "inspection")
    closing.records = list(records["assigned-2"])
    closing.add("inspection.closed", "2026-11-05", result="已办结")
    records["assigned-2"] = closing.records
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(records, POLICY, utc("2026-11-06"))}
    assert "inspections_assigned_open" not in rows[(BODY["code"], "2026-09")].counts
    assert rows[(BODY["code"], "2026-11")].counts["inspections_assigned_closed"] == 1
