"""第十一条 (correct by the notice's due date; escalate when overdue — local policy, 30 days by default) and
第十二条 (report execution within 15 days of delivery, or 15 days after the correction period ends: the
later of the two) — worked by hand on the 2026 calendar."""

from __future__ import annotations

from datetime import date

from esledger.domain.deadlines import Status
from esledger.rulefiles import load_rulesets

from .builders import COUNTY, NOTICE, Case, deadlines, due, inspection, issue, notice, only, report

DECISION = "荆政数法决〔2026〕1号"


def deliver(case: Case, when: str, number: str = NOTICE, kind: str = "supervision_notice") -> int:
    return case.add(
        "document.delivered", when, document_kind=kind, document_number=number, delivered_to=COUNTY, method="direct"
    )


def decide(case: Case, when: str) -> int:
    return case.add(
        "inspection.decision_issued",
        when,
        decision_document=notice(DECISION),
        supervised_unit=COUNTY,
        measure="revoke",
        target_act="某处罚决定",
    )


# --- art11.correct: correction by the notice's correction due date ---


def test_art11_correct_due_1001_rolls_past_national_day_corrected_1008_met() -> None:
    case = inspection()
    issue(case, "2026-09-10", "2026-10-01")
    v = report(case, "2026-10-08")
    d = only(case, "art11.correct")
    assert (d.period.raw_last_day, d.due) == (date(2026, 10, 1), due("2026-10-08"))
    assert (d.status, d.fulfilment_version, d.responsible) == (Status.MET, v, "supervised_unit")


def test_art11_correct_due_on_make_up_saturday_0214_corrected_after_spring_festival_late() -> None:
    case = inspection()
    issue(case, "2026-01-20", "2026-02-14")
    report(case, "2026-02-24", corrected_on="2026-02-24")
    d = only(case, "art11.correct")
    assert d.due == due("2026-02-14")
    assert d.status is Status.MET_LATE
    assert d.candidate_finding.article == "11"


def test_art11_correct_report_late_on_utc_0930_is_beijing_1001_late_but_an_hour_earlier_in_time() -> None:
    # due 09-30 (Wed) 24:00 Beijing = 2026-09-30T16:00Z
    on_time = inspection()
    issue(on_time, "2026-09-01", "2026-09-30")
    report(on_time, "2026-09-30T15:30:00Z")
    assert only(on_time, "art11.correct").status is Status.MET
    late = inspection()
    issue(late, "2026-09-01", "2026-09-30")
    report(late, "2026-09-30T16:30:00Z", corrected_on="2026-10-01")
    assert only(late, "art11.correct").status is Status.MET_LATE


def test_art11_correct_due_20270102_is_provisional_and_never_breached() -> None:
    # 2027-01-02 Sat, 01-03 Sun (provisional) -> 2027-01-04
    case = inspection()
    issue(case, "2026-12-01", "2027-01-02")
    d = only(case, "art11.correct", as_of="2027-01-10")
    assert d.due == due("2027-01-04")
    assert (d.status, d.provisional, d.candidate_finding) == (Status.PROVISIONAL, True, None)


def test_art11_correct_a_report_saying_not_corrected_does_not_fulfil() -> None:
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    report(case, "2026-09-20", corrected=False)
    assert only(case, "art11.correct", as_of="2026-10-09").status is Status.BREACHED


def test_art11_correct_a_second_notice_naming_the_first_as_replaced_supersedes_it() -> None:
    case = inspection()
    first = issue(case, "2026-09-01", "2026-10-30")
    second = issue(case, "2026-10-10", "2026-11-20", number="荆政数法通〔2026〕4号", replaces_notice=NOTICE)
    v = report(case, "2026-11-18", number="荆政数法通〔2026〕4号")
    old, new = deadlines(case, "art11.correct")
    assert (old.trigger_version, old.status, old.reason_version) == (first, Status.NOT_APPLICABLE, second)
    assert old.reason.startswith("superseded")
    assert (new.trigger_version, new.status, new.fulfilment_version) == (second, Status.MET, v)
    assert new.due == due("2026-11-20")


def test_art11_correct_a_notice_reissued_after_the_first_was_breached_leaves_the_breach() -> None:
    case = inspection()
    issue(case, "2026-09-01", "2026-09-15")
    issue(case, "2026-09-25", "2026-10-30", number="荆政数法通〔2026〕4号")
    old, new = deadlines(case, "art11.correct", as_of="2026-10-12")
    assert (old.status, new.status) == (Status.BREACHED, Status.PENDING)


# --- art11.escalate: overdue correction -> change/revocation within 30 days (local policy) ---


def test_art11_escalate_correction_due_0905_saturday_escalation_rolls_past_national_day_met() -> None:
    # correction due 09-05 (Sat) -> 09-07 (Mon); escalate from 09-07: + 30 = 10-07 (国庆) -> 10-08
    case = inspection()
    n = issue(case, "2026-08-20", "2026-09-05")
    v = decide(case, "2026-10-08")
    d = only(case, "art11.escalate")
    assert d.period.start_day == date(2026, 9, 7)
    assert d.due == due("2026-10-08")
    assert (d.trigger_version, d.status, d.fulfilment_version) == (n, Status.MET, v)


def test_art11_escalate_correction_due_0119_escalation_rolls_past_spring_festival_pending() -> None:
    # 01-19 (Mon) + 30 = 02-18 (春节) -> 02-24
    case = inspection()
    issue(case, "2026-01-06", "2026-01-19")
    d = only(case, "art11.escalate", as_of="2026-02-20")
    assert d.due == due("2026-02-24")
    assert (d.status, d.calendar_days_left, d.working_days_left) == (Status.PENDING, 4, 1)


def test_art11_escalate_decision_at_utc_1030_is_beijing_1031_late() -> None:
    # correction due 09-30; + 30 = 10-30 (Fri); decision 2026-10-30T16:30Z = 10-31 00:30 Beijing
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    decide(case, "2026-10-30T16:30:00Z")
    d = only(case, "art11.escalate")
    assert d.due == due("2026-10-30")
    assert d.status is Status.MET_LATE
    assert (d.candidate_finding.article, d.candidate_finding.items) == ("17", ("二",))


def test_art11_escalate_from_1210_reaches_2027_provisional() -> None:
    # correction due 12-10 (Thu); + 30 = 2027-01-09 (Sat, provisional) -> 2027-01-11
    case = inspection()
    issue(case, "2026-11-20", "2026-12-10")
    d = only(case, "art11.escalate", as_of="2027-02-01")
    assert d.due == due("2027-01-11")
    assert (d.status, d.provisional) == (Status.PROVISIONAL, True)


def test_art11_escalate_arises_only_once_the_correction_is_overdue() -> None:
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    assert deadlines(case, "art11.escalate", as_of="2026-09-30T23:59:00+08:00") == []
    assert only(case, "art11.escalate", as_of="2026-10-01T00:00:00+08:00").status is Status.PENDING


def test_art11_escalate_not_applicable_when_the_unit_corrects_late() -> None:
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    v = report(case, "2026-10-15", corrected_on="2026-10-15")
    assert only(case, "art11.correct").status is Status.MET_LATE
    d = only(case, "art11.escalate")
    assert (d.status, d.reason_version, d.reason) == (Status.NOT_APPLICABLE, v, "被监督单位已（逾期）纠正")


def test_art11_escalate_local_policy_override_to_10_working_days() -> None:
    # correction due 09-22 (Tue); 10 working days: 09-23..09-24 (2), 09-25..09-27 中秋, 09-28..09-30 (5),
    # 10-01..10-07 国庆, 10-08 (6), 10-09 (7), 10-10 make-up Saturday (8), 10-12 (9), 10-13 (10)
    case = inspection()
    issue(case, "2026-09-01", "2026-09-22")
    rulesets = load_rulesets(overrides={"art11.escalate": {"days": 10, "counting": "working"}})
    d = only(case, "art11.escalate", as_of="2026-09-23T12:00:00+08:00", rulesets=rulesets)
    assert d.due == due("2026-10-13")


# --- art12.report: execution report within 15 days of delivery, or 15 days after the correction period ---


def test_art12_report_delivered_0922_rolls_past_national_day() -> None:
    # a decision (no correction period): 09-22 + 15 = 10-07 (国庆) -> 10-08
    case = inspection()
    deliver(case, "2026-09-22", number=DECISION, kind="supervision_decision")
    v = report(case, "2026-10-08", number=DECISION)
    d = only(case, "art12.report")
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art12_report_notice_with_correction_period_the_later_reading_applies() -> None:
    # delivery 09-12 + 15 = 09-27 (中秋) -> 09-28; correction due 10-03 -> 10-08, + 15 = 10-23 (Fri): later
    case = inspection()
    issue(case, "2026-09-10", "2026-10-03")
    deliver(case, "2026-09-12")
    report(case, "2026-10-20")
    d = only(case, "art12.report")
    assert d.due == due("2026-10-23")
    assert d.status is Status.MET
    chosen = d.period.steps[-1]
    assert chosen.kind == "chosen" and "15 calendar days from 2026-09-12: due 2026-09-28 24:00" in chosen.text


def test_art12_report_decision_delivered_0206_rolls_past_spring_festival_pending() -> None:
    # 02-06 + 15 = 02-21 (春节) -> 02-24
    case = inspection()
    deliver(case, "2026-02-06", number=DECISION, kind="supervision_decision")
    d = only(case, "art12.report", as_of="2026-02-22")
    assert d.due == due("2026-02-24")
    assert (d.status, d.calendar_days_left, d.working_days_left) == (Status.PENDING, 2, 1)


def test_art12_report_delivered_late_utc_0920_is_beijing_0921_reported_2300_beijing_1008_met() -> None:
    # 2026-09-20T17:30Z = 09-21; + 15 = 10-06 (国庆) -> 10-08; report 2026-10-08T15:00Z = 10-08 23:00
    case = inspection()
    deliver(case, "2026-09-20T17:30:00Z", number=DECISION, kind="supervision_decision")
    report(case, "2026-10-08T15:00:00Z", number=DECISION)
    d = only(case, "art12.report")
    assert d.due == due("2026-10-08")
    assert d.status is Status.MET


def test_art12_report_delivered_1222_reaches_2027_provisional() -> None:
    # 12-22 + 15 = 2027-01-06 (Wed, provisional)
    case = inspection()
    deliver(case, "2026-12-22", number=DECISION, kind="supervision_decision")
    d = only(case, "art12.report", as_of="2027-01-10")
    assert d.due == due("2027-01-06")
    assert (d.status, d.provisional) == (Status.PROVISIONAL, True)


def test_art12_report_correction_period_in_2026_but_report_period_reaching_2027_is_provisional() -> None:
    # correction due 12-18 (Fri) + 15 = 2027-01-02 (Sat, provisional) -> 2027-01-04
    case = inspection()
    issue(case, "2026-12-01", "2026-12-18")
    deliver(case, "2026-12-02")
    d = only(case, "art12.report", as_of="2026-12-20")
    assert d.due == due("2027-01-04")
    assert (d.status, d.provisional) == (Status.PENDING, True)


def test_art12_report_a_notice_naming_the_delivered_one_as_replaced_cancels_its_report() -> None:
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    first = deliver(case, "2026-09-02")
    replacing = issue(case, "2026-09-10", "2026-10-20", number="荆政数法通〔2026〕4号", replaces_notice=NOTICE)
    second = deliver(case, "2026-09-11", number="荆政数法通〔2026〕4号")
    old, new = deadlines(case, "art12.report", as_of="2026-09-12")
    assert (old.trigger_version, old.status, old.reason_version) == (first, Status.NOT_APPLICABLE, replacing)
    # 10-20 (Tue) + 15 = 11-04 (Wed)
    assert (new.trigger_version, new.status, new.due) == (second, Status.PENDING, due("2026-11-04"))


# --- readings confirmed against the seed (issue 10), rule set jingzhou-zfjd-2020-11-17 ---


def test_art11_two_notices_about_two_violations_each_keep_their_deadlines() -> None:
    """第十一条: two notices, two violations, only the second answered: the first notice's correction and report
    deadlines stay (breached), and escalation is due for it; neither notice replaced the other."""
    case = inspection()
    first = issue(case, "2026-09-01", "2026-09-15")
    deliver(case, "2026-09-02")
    second = issue(case, "2026-09-03", "2026-09-30", number="荆政数法通〔2026〕4号")
    deliver(case, "2026-09-04", number="荆政数法通〔2026〕4号")
    report(case, "2026-09-20", number="荆政数法通〔2026〕4号", corrected_on="2026-09-18")
    corrections = {d.trigger_version: d for d in deadlines(case, "art11.correct", as_of="2026-10-30")}
    assert corrections[first].status is Status.BREACHED
    assert corrections[second].status is Status.MET
    reports = deadlines(case, "art12.report", as_of="2026-10-30")
    assert sorted(d.status for d in reports) == [Status.BREACHED, Status.MET]
    escalations = deadlines(case, "art11.escalate", as_of="2026-10-30")
    assert [d.trigger_version for d in escalations] == [first]


def test_art11_correct_counts_the_correction_date_the_report_states_not_the_reports_own_date() -> None:
    """第十一条 / 第十二条: corrected 09-14, before the notice's date 09-15, and reported 09-25 — within the 15
    days after the correction period 第十二条 allows: not a breach of 第十一条; the report is on time too, and
    a report recorded when it was made is no backdating signal (it states the day; it does not pretend to it)."""
    case = inspection()
    issue(case, "2026-09-01", "2026-09-15")
    deliver(case, "2026-09-02")
    v = report(case, "2026-09-25", corrected_on="2026-09-14")
    d = only(case, "art11.correct", as_of="2026-10-30")
    assert (d.status, d.fulfilment_version, d.candidate_finding, d.backdated) == (Status.MET, v, None, False)
    assert only(case, "art12.report", as_of="2026-10-30").status is Status.MET
    assert deadlines(case, "art11.escalate", as_of="2026-10-30") == []


def test_art11_correct_a_report_without_a_correction_date_after_the_due_date_is_no_provable_breach() -> None:
    """An execution report of the first schema version has no correction date: reported 10-05 after the due
    date 09-30, when the unit corrected is unknown — met, with the reason, never an accusation."""
    case = inspection()
    issue(case, "2026-09-01", "2026-09-30")
    report(case, "2026-10-05")
    d = only(case, "art11.correct", as_of="2026-10-30")
    assert (d.status, d.candidate_finding) == (Status.MET, None)
    assert "未载明履行日期" in (d.reason or "")


def test_art11_correct_a_date_moved_by_an_amendment_after_it_passed_is_an_integrity_signal() -> None:
    """An amendment recorded 09-20 moves the notice's correction date from 09-15 (passed) to 09-30: the
    deadline keeps the breach as the ledger knew it before the amendment, and is flagged as moved."""
    case = inspection()
    notice_version = issue(case, "2026-09-01", "2026-09-15")
    before = only(case, "art11.correct", as_of="2026-09-19")
    assert before.status is Status.BREACHED
    amendment = case.add(
        "case.record_amended",
        "2026-09-20",
        target_version=notice_version,
        reason="更正期限",
        amendments=[{"pointer": "/data/correction_due_date", "value": "2026-09-30"}],
    )
    report(case, "2026-09-25", corrected_on="2026-09-25")
    after = only(case, "art11.correct", as_of="2026-10-30")
    assert after.status is Status.MET and after.moved is not None
    assert after.moved[0] == amendment and after.moved[1].last_day == date(2026, 9, 15)
    assert only(case, "art11.correct", as_of="2026-09-19").status is Status.BREACHED


def test_art11_correct_a_notice_delivered_after_its_own_correction_date_is_defective_not_a_breach() -> None:
    """The period runs from delivery at the earliest: a notice dated to be corrected by 09-10 but delivered
    09-12 could not have been complied with — no 第十一条 breach; the notice is flagged defective."""
    case = inspection()
    issue(case, "2026-09-01", "2026-09-10")
    delivered = deliver(case, "2026-09-12")
    d = only(case, "art11.correct", as_of="2026-10-30")
    assert (d.status, d.defective, d.reason_version, d.candidate_finding) == (
        Status.NOT_APPLICABLE,
        True,
        delivered,
        None,
    )
    assert deadlines(case, "art11.escalate", as_of="2026-10-30") == []


def test_art11_correct_a_correction_date_past_the_calendars_end_is_defective_never_an_error() -> None:
    """第十一条/第十二条, rule set jingzhou-zfjd-2020-11-17: 9999-12-31 is a schema-valid date, but its 24:00 is
    no representable instant. Once it made every answer "as of" an instant fail for every reader of the case;
    now the notice's deadlines are not applicable and flagged defective for the reviewer, the rest of the case
    is judged as usual."""
    case = inspection("2026-09-01")
    issue(case, "2026-09-03", "9999-12-31")
    correct = only(case, "art11.correct", as_of="2026-11-27")
    assert (correct.status, correct.defective, correct.candidate_finding) == (Status.NOT_APPLICABLE, True, None)
    assert "9999-12-30" in (correct.reason or "")
    assert all(d.status is Status.NOT_APPLICABLE for d in deadlines(case, "art11.escalate", as_of="2026-11-27"))
