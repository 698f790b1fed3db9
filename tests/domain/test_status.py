"""The status machine per case kind, the last act and the units a case involves — stepped through with as_of."""

from __future__ import annotations

import json

from esledger.domain.status import MACHINES, NOT_OPENED, case_status, status_titles

from .builders import BODY, COUNTY, Case, deliver_notification, explain, grievance, inspection, issue, report
from .scenarios import COMPLAINANT_NAME, decide, retract, view, violation
from .test_art7_art8 import corrected, file_document, published, review, revoked
from .test_art9 import accept, inform, notify, transfer
from .test_art11_art12 import deliver


def status(case: Case, as_of: str) -> str:
    return view(case, as_of).status.status


def test_grievance_received_accepted_notified_explained_concluded_step_by_step() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    notify(case, "2026-09-04")
    deliver_notification(case, "2026-09-05")
    explain(case, "2026-09-15")
    case.add("grievance.concluded", "2026-09-30", outcome="upheld", conclusion="申诉成立")
    steps = [
        "2026-09-01T12:00:00+08:00",
        "2026-09-02T12:00:00+08:00",
        "2026-09-04T12:00:00+08:00",
        "2026-09-05T12:00:00+08:00",
        "2026-09-15T12:00:00+08:00",
        "2026-09-30T12:00:00+08:00",
    ]
    assert [status(case, s) for s in steps] == [
        "received",
        "accepted",
        "respondent_notified",
        "respondent_notified",  # a delivery does not move the case
        "explanation_received",
        "concluded",
    ]
    final = view(case)
    assert (final.status.since_version, final.status.title, final.status.irregular) == (6, "已办结", ())


def test_grievance_transferred_then_complainant_informed_stays_transferred() -> None:
    case = grievance("2026-09-01")
    transfer(case, "2026-09-03")
    inform(case, "2026-09-04")
    assert view(case).status.status == "transferred"


def test_grievance_withdrawn_is_its_own_terminal_status() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    case.add("grievance.concluded", "2026-09-03", outcome="withdrawn", conclusion="申诉人撤回")
    assert view(case).status.status == "withdrawn"


def test_grievance_explanation_before_notification_moves_the_case_but_is_irregular() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    v = explain(case, "2026-09-03")
    s = view(case).status
    assert s.status == "explanation_received"
    ((irregular),) = s.irregular
    assert (irregular.version, irregular.status_before, irregular.status_after) == (
        v,
        "accepted",
        "explanation_received",
    )


def test_grievance_an_act_after_conclusion_leaves_it_concluded_and_is_irregular() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    case.add("grievance.concluded", "2026-09-10", outcome="rejected", conclusion="不成立")
    notify(case, "2026-09-11")
    s = view(case).status
    assert (s.status, s.since_version) == ("concluded", 3)
    assert [(i.version, i.status_after) for i in s.irregular] == [(4, "concluded")]


def test_status_follows_occurred_order_not_recording_order() -> None:
    # the acceptance (occurred 09-02) is recorded after the notification (occurred 09-04)
    case = grievance("2026-09-01")
    notify(case, "2026-09-04")
    case.add("grievance.accepted", "2026-09-02", recorded="2026-09-05", supervision_body=BODY, jurisdiction_basis="-")
    assert status(case, "2026-09-04T12:00:00+08:00") == "respondent_notified"  # irregular: not yet accepted
    s = view(case).status
    assert (s.status, s.irregular) == ("respondent_notified", ())


def test_record_filing_published_filed_correction_required_corrected() -> None:
    case = published("2026-09-01")
    file_document(case, "2026-09-10")
    review(case, "2026-09-20", correction_period_days=20)
    assert status(case, "2026-09-21") == "correction_required"
    corrected(case, "2026-10-09")
    days = ("2026-09-01T23:00:00+08:00", "2026-09-10T23:00:00+08:00", LATE_DAY)
    assert [status(case, d) for d in days] == ["published", "filed", "corrected"]


LATE_DAY = "2026-12-01"


def test_record_filing_no_objection_is_closed_and_revocation_is_revoked() -> None:
    closed = published("2026-09-01")
    file_document(closed, "2026-09-10")
    review(closed, "2026-09-20", outcome="no_objection")
    assert status(closed, LATE_DAY) == "closed"
    gone = published("2026-09-01")
    file_document(gone, "2026-09-10")
    review(gone, "2026-09-20", outcome="revoke", correction_due_date="2026-10-20")
    revoked(gone, "2026-10-15")
    assert status(gone, LATE_DAY) == "revoked"


def test_major_penalty_filing_decided_then_filed() -> None:
    case = Case("penalty-1", "major_penalty_filing")
    case.add("major_penalty.decided", "2026-09-01", deciding_unit=COUNTY, decision_document={"number": "罚1"})
    assert status(case, "2026-09-02") == "decided"
    case.add("major_penalty.filed", "2026-09-10", filing_unit=COUNTY, decision_document_number="罚1", filed_with=BODY)
    assert status(case, LATE_DAY) == "filed"


def test_inspection_from_opening_to_closing() -> None:
    case = inspection("2026-08-03")
    case.add("inspection.case_file_requested", "2026-08-04", requested_from=COUNTY, case_files=["案卷1"])
    case.add("inspection.case_file_provided", "2026-08-06", provided_by=COUNTY, case_files=["案卷1"])
    violation(case, "2026-08-10")
    issue(case, "2026-08-12", "2026-08-31")
    deliver(case, "2026-08-13")
    report(case, "2026-09-01", corrected=False)
    case.add(
        "inspection.change_revocation_approved",
        "2026-09-05",
        approved_by={"name": "张某某"},
        measure="revoke",
        target_act="某处罚决定",
    )
    decide(case, "2026-09-07", "荆政数法决〔2026〕1号")
    report(case, "2026-09-15", number="荆政数法决〔2026〕1号")
    case.add(
        "inspection.post_evaluation_completed",
        "2026-10-10",
        evaluator="body",
        evaluator_name="法规科",
        conclusion="整改到位",
    )
    case.add("inspection.closed", "2026-10-20", result="结案")
    days = [
        "2026-08-03",
        "2026-08-04",
        "2026-08-06",
        "2026-08-10",
        "2026-08-13",
        "2026-09-01",
        "2026-09-05",
        "2026-09-07",
        "2026-09-15",
        "2026-10-10",
        "2026-10-20",
    ]
    assert [status(case, d + "T23:00:00+08:00") for d in days] == [
        "opened",
        "case_file_requested",
        "case_file_provided",
        "violation_found",
        "notice_issued",
        "report_submitted",
        "change_revocation_approved",
        "decision_issued",
        "corrected",
        "post_evaluated",
        "closed",
    ]
    assert view(case).status.irregular == ()


def test_unit_statistics_submitted() -> None:
    case = Case("STAT-X-2026-09", "unit_statistics")
    case.add("statistics.monthly_report_submitted", "2026-10-09", reporting_unit=COUNTY, period="2026-09", counts={})
    assert status(case, LATE_DAY) == "submitted"


def test_a_case_whose_opening_act_is_retracted_is_not_opened() -> None:
    case = grievance("2026-09-01")
    retract(case, "2026-09-02", 1)
    v = view(case)
    assert (v.status.status, v.last_act) == (NOT_OPENED, None)


def test_every_status_of_every_machine_has_a_title_and_a_kind_without_a_machine_is_not_opened() -> None:
    for kind, machine in MACHINES.items():
        assert {t.to for t in machine.transitions} == set(machine.titles), kind
        assert set(status_titles(kind)) == {NOT_OPENED, *machine.titles}
    assert case_status("unknown_kind", []).status == NOT_OPENED


def test_last_act_is_the_latest_occurred_with_its_recorded_instant() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-05")
    notify(case, "2026-09-04")
    last = view(case).last_act
    assert (last.act, last.version) == ("grievance.accepted", 2)
    assert last.to_json()["occurred"] == "2026-09-05T10:00:00+08:00"
    assert last.to_json()["recorded"] == "2026-09-05T11:00:00+08:00"


def test_units_with_their_roles_and_never_the_complainant() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    transfer(case, "2026-09-03")
    v = view(case)
    units = {u.code: u for u in v.units}
    assert units[COUNTY["code"]].roles == ("respondent_unit", "to_unit")
    assert units[COUNTY["code"]].versions == (1, 3)
    assert units[BODY["code"]].roles == ("supervision_body",)
    assert COMPLAINANT_NAME not in json.dumps(v.to_json(), ensure_ascii=False)


def test_inspection_unit_roles_include_units_of_persons_and_documents() -> None:
    case = inspection("2026-09-01")
    violation(case, "2026-09-02")
    issue(case, "2026-09-03", "2026-09-30")
    roles = {u.code: u.roles for u in view(case).units}
    assert roles[COUNTY["code"]] == ("supervised_unit", "unit", "person.unit")
