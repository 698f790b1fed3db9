"""第九条: disposition (受理/移送), inform (告知), notify (通知), explain (书面说明) — worked by hand.

2026 calendar (State Council notice, via chinesecalendar): 春节 02-15..02-23 off, Saturdays 02-14 and
02-28 worked; 中秋 09-25..09-27 off; 国庆 10-01..10-07 off, Sunday 09-20 and Saturday 10-10 worked.
2027 has no notice yet: provisional (weekends, 元旦 01-01, 劳动节 05-01..02, 国庆 10-01..03).
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from esledger.core.errors import ConfigurationError
from esledger.domain.deadlines import Status
from esledger.rulefiles import load_rulesets

from .builders import BODY, COUNTY, Case, deadlines, deliver_notification, due, explain, grievance, only


def accept(case: Case, when: str) -> int:
    return case.add("grievance.accepted", when, supervision_body=BODY, jurisdiction_basis="第九条第一款")


def transfer(case: Case, when: str) -> int:
    return case.add("grievance.transferred", when, to_unit=COUNTY, reason="不属于本机关管辖")


def inform(case: Case, when: str, of: str = "transfer") -> int:
    return case.add("grievance.complainant_informed", when, informed_of=of, method="letter")


def notify(case: Case, when: str) -> int:
    return case.add(
        "grievance.respondent_notified",
        when,
        respondent_unit=COUNTY,
        notice_document={"number": "荆政数法通〔2026〕1号"},
    )


# --- art9.disposition: 10 days from receipt to accept or transfer (local policy for acceptance) ---


def test_art9_disposition_received_0925_rolls_past_national_day_accepted_1008_met() -> None:
    # 09-25 + 10 = 10-05 (国庆); 10-06, 10-07 国庆 -> last day 10-08 (Thu), due 10-08 24:00
    case = grievance("2026-09-25")
    v = accept(case, "2026-10-08T16:00:00+08:00")
    d = only(case, "art9.disposition")
    assert d.period.raw_last_day == date(2026, 10, 5)
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version, d.responsible) == (Status.MET, v, "supervision_body")


def test_art9_disposition_received_0205_rolls_past_spring_festival_pending_on_0220() -> None:
    # 02-05 + 10 = 02-15 (春节); 02-16..02-23 春节 -> last day 02-24 (Tue)
    d = only(grievance("2026-02-05"), "art9.disposition", as_of="2026-02-20T12:00:00+08:00")
    assert d.due == due("2026-02-24")
    assert d.status is Status.PENDING
    assert d.calendar_days_left == 4  # 02-21 .. 02-24
    assert d.working_days_left == 1  # only 02-24: 02-21..02-23 are 春节
    assert not d.provisional


def test_art9_disposition_received_late_utc_0920_is_beijing_0921_transfer_at_beijing_1009_is_late() -> None:
    # 2026-09-20T17:30Z = 09-21 01:30 Beijing; 09-21 + 10 = 10-01 (国庆) .. 10-07 -> due 10-08 24:00.
    # Transferred 2026-10-08T16:30Z, still 10-08 in UTC, but 10-09 00:30 in Beijing: late.
    case = grievance("2026-09-20T17:30:00Z")
    transfer(case, "2026-10-08T16:30:00Z")
    d = only(case, "art9.disposition")
    assert d.period.start_day == date(2026, 9, 21)
    assert d.due == due("2026-10-08")
    assert d.status is Status.MET_LATE
    assert (d.candidate_finding.article, d.candidate_finding.items) == ("17", ("一", "四"))


def test_art9_disposition_received_1222_reaches_2027_provisional_never_breached() -> None:
    # 12-22 + 10 = 2027-01-01 (元旦, provisional) -> 01-02 Sat, 01-03 Sun -> 2027-01-04
    case = grievance("2026-12-22")
    d = only(case, "art9.disposition", as_of="2027-01-10")
    assert d.due == due("2027-01-04")
    assert d.provisional
    assert d.status is Status.PROVISIONAL
    assert d.candidate_finding is None
    assert only(case, "art9.disposition", as_of="2026-12-30").status is Status.PENDING


def test_art9_disposition_local_policy_override_of_7_days() -> None:
    # a deployment sets 7 days: 09-22 + 7 = 09-29 (Tue)
    rulesets = load_rulesets(overrides={"art9.disposition": {"days": 7}})
    d = only(grievance("2026-09-22"), "art9.disposition", as_of="2026-09-25", rulesets=rulesets)
    assert d.due == due("2026-09-29")
    assert d.period.label == "7 calendar days from 2026-09-22"


def test_art9_disposition_withdrawn_before_due_is_not_applicable() -> None:
    case = grievance("2026-09-01")
    v = case.add("grievance.concluded", "2026-09-03", outcome="withdrawn", conclusion="申诉人撤回")
    d = only(case, "art9.disposition")
    assert (d.status, d.reason_version) == (Status.NOT_APPLICABLE, v)
    assert d.reason == "申诉、控告、检举已撤回"


# --- art9.inform: after a transfer, inform the complainant by receipt + 10 days ---


def test_art9_inform_counts_from_receipt_0923_not_transfer_rolls_past_national_day() -> None:
    # received 09-23 + 10 = 10-03 (国庆) -> 10-08; the transfer on 09-30 does not restart the count
    case = grievance("2026-09-23")
    transfer(case, "2026-09-30")
    v = inform(case, "2026-10-08")
    d = only(case, "art9.inform")
    assert d.period.start_day == date(2026, 9, 23)
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art9_inform_received_0204_due_on_make_up_saturday_0214_informed_after_spring_festival_is_late() -> None:
    # 02-04 + 10 = 02-14, a Saturday made a working day: not rolled; informed 02-24 -> met late
    case = grievance("2026-02-04")
    transfer(case, "2026-02-10")
    inform(case, "2026-02-24")
    d = only(case, "art9.inform")
    assert d.due == due("2026-02-14")
    assert d.status is Status.MET_LATE
    assert d.candidate_finding.items == ("四",)


def test_art9_inform_received_late_utc_0909_is_beijing_0910_due_make_up_sunday_0920() -> None:
    # 2026-09-09T16:30Z = 09-10 00:30 Beijing; 09-10 + 10 = 09-20 (Sunday worked) -> due 09-20 24:00.
    # Informed 2026-09-20T15:59Z = 09-20 23:59 Beijing: in time. Informing of acceptance does not count.
    case = grievance("2026-09-09T16:30:00Z")
    transfer(case, "2026-09-15")
    inform(case, "2026-09-16", of="acceptance")
    v = inform(case, "2026-09-20T15:59:00Z")
    d = only(case, "art9.inform")
    assert d.due == due("2026-09-20")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art9_inform_received_1224_reaches_2027_pending_provisional() -> None:
    # 12-24 + 10 = 2027-01-03 (Sunday, provisional) -> 2027-01-04
    case = grievance("2026-12-24")
    transfer(case, "2026-12-30")
    d = only(case, "art9.inform", as_of="2027-01-02")
    assert d.due == due("2027-01-04")
    assert (d.status, d.provisional) == (Status.PENDING, True)
    assert (d.calendar_days_left, d.working_days_left) == (2, 1)


# --- art9.notify: notify the respondent within 10 days of acceptance ---


def test_art9_notify_accepted_0924_rolls_past_national_day_notified_1009_late() -> None:
    # 09-24 + 10 = 10-04 (国庆) -> 10-08; notified 10-09 -> met late
    case = grievance("2026-09-22")
    accept(case, "2026-09-24")
    v = notify(case, "2026-10-09")
    d = only(case, "art9.notify")
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version) == (Status.MET_LATE, v)


def test_art9_notify_accepted_0210_rolls_past_spring_festival_notified_0213_met() -> None:
    # 02-10 + 10 = 02-20 (春节) -> 02-24
    case = grievance("2026-02-09")
    accept(case, "2026-02-10")
    notify(case, "2026-02-13")
    d = only(case, "art9.notify")
    assert d.due == due("2026-02-24")
    assert d.status is Status.MET


def test_art9_notify_accepted_late_utc_0920_pending_on_1001() -> None:
    # accepted 2026-09-20T17:30Z = 09-21 Beijing; + 10 = 10-01 -> rolled to 10-08
    case = grievance("2026-09-18")
    accept(case, "2026-09-20T17:30:00Z")
    d = only(case, "art9.notify", as_of="2026-10-01T00:00:00Z")
    assert d.due == due("2026-10-08")
    assert d.status is Status.PENDING
    assert (d.calendar_days_left, d.working_days_left) == (7, 1)


def test_art9_notify_accepted_1228_reaches_2027_provisional() -> None:
    # 12-28 + 10 = 2027-01-07 (Thu, provisional)
    case = grievance("2026-12-21")
    accept(case, "2026-12-28")
    d = only(case, "art9.notify", as_of="2027-02-01")
    assert d.due == due("2027-01-07")
    assert (d.status, d.provisional, d.candidate_finding) == (Status.PROVISIONAL, True, None)


def test_art9_notify_not_applicable_once_the_grievance_is_transferred() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    v = transfer(case, "2026-09-05")
    d = only(case, "art9.notify")
    assert (d.status, d.reason_version) == (Status.NOT_APPLICABLE, v)
    assert "移送" in d.reason


def test_art9_notify_transfer_after_a_breach_does_not_undo_it() -> None:
    # accepted 08-03 + 10 = 08-13 (Thu); transferred 08-20, after the deadline had passed
    case = grievance("2026-08-01")
    accept(case, "2026-08-03")
    transfer(case, "2026-08-20")
    assert only(case, "art9.notify").status is Status.BREACHED


# --- art9.explain: the respondent explains in writing within 15 days of the notification's delivery ---


def test_art9_explain_delivered_0922_raw_1007_holiday_due_1008() -> None:
    # DOMAIN.md: delivered 2026-09-22, 15 days: raw last day 10-07 is a holiday, so due 2026-10-08 24:00
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    v = explain(case, "2026-10-08T20:00:00+08:00")
    d = only(case, "art9.explain")
    assert d.period.raw_last_day == date(2026, 10, 7)
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version, d.responsible) == (Status.MET, v, "respondent_unit")


def test_art9_explain_delivered_0905_due_make_up_sunday_0920_explained_0921_late() -> None:
    # DOMAIN.md: delivered 2026-09-05, 15 days: 09-20 is a Sunday made a working day, so due 2026-09-20 24:00
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-05")
    explain(case, "2026-09-21T09:00:00+08:00")
    d = only(case, "art9.explain")
    assert d.due == due("2026-09-20")
    assert d.status is Status.MET_LATE
    assert d.candidate_finding.article == "16"


def test_art9_explain_delivered_0201_rolls_past_spring_festival_pending_0223() -> None:
    # 02-01 + 15 = 02-16 (春节) -> 02-24
    case = grievance("2026-01-20")
    deliver_notification(case, "2026-02-01")
    d = only(case, "art9.explain", as_of="2026-02-23T12:00:00+08:00")
    assert d.due == due("2026-02-24")
    assert (d.status, d.calendar_days_left, d.working_days_left) == (Status.PENDING, 1, 1)


def test_art9_explain_delivered_late_utc_0920_is_beijing_0921_breached() -> None:
    # 2026-09-20T17:30Z = 09-21; + 15 = 10-06 (国庆) -> 10-08; nothing by 10-12
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-20T17:30:00Z")
    d = only(case, "art9.explain", as_of="2026-10-12")
    assert d.due == due("2026-10-08")
    assert d.status is Status.BREACHED


def test_art9_explain_delivered_1220_reaches_2027_explained_after_provisional_due_is_provisional() -> None:
    # 12-20 + 15 = 2027-01-04 (Mon, provisional); explained 01-05: not judged late without real data
    case = grievance("2026-12-01")
    deliver_notification(case, "2026-12-20")
    explain(case, "2027-01-05")
    d = only(case, "art9.explain")
    assert d.due == due("2027-01-04")
    assert (d.status, d.candidate_finding) == (Status.PROVISIONAL, None)


def test_art9_explain_redelivered_notification_supersedes_the_first() -> None:
    # first 09-01 (+15 = 09-16); re-delivered 09-10 (+15 = 09-25 中秋 .. 09-27 -> 09-28)
    case = grievance("2026-08-25")
    first = deliver_notification(case, "2026-09-01")
    second = deliver_notification(case, "2026-09-10")
    v = explain(case, "2026-09-20")
    superseded, current = deadlines(case, "art9.explain")
    assert (superseded.trigger_version, superseded.status, superseded.reason_version) == (
        first,
        Status.NOT_APPLICABLE,
        second,
    )
    assert superseded.reason == f"superseded by document.delivered (version {second})"
    assert (current.trigger_version, current.status, current.fulfilment_version) == (second, Status.MET, v)
    assert current.due == due("2026-09-28")


# --- readings confirmed against the seed (issue 10), rule set jingzhou-zfjd-2020-11-17 ---


def test_art9_notify_a_transfer_before_the_acceptance_does_not_cancel_the_duty_it_started() -> None:
    """第九条第二款: received 09-01, transferred 09-03, bounced back and accepted 09-08: the duty to notify the
    respondent within 10 days of acceptance (09-18) runs; the earlier transfer cannot cancel it."""
    case = grievance("2026-09-01")
    transfer(case, "2026-09-03")
    accepted = accept(case, "2026-09-08")
    d = only(case, "art9.notify", as_of="2026-09-21")
    assert (d.trigger_version, d.status, d.due) == (accepted, Status.BREACHED, due("2026-09-18"))
    assert d.candidate_finding is not None and d.candidate_finding.article == "17"
    v = notify(case, "2026-09-10")
    assert only(case, "art9.notify", as_of="2026-09-21").fulfilment_version == v


def test_art9_disposition_override_may_shorten_but_never_lengthen_the_statutory_transfer_limit() -> None:
    """第九条第一款 (rule sets jingzhou-zfjd-2020-11-17 and tiaoli-2026-02-01): 对不属于本机关管辖的，应当在10日内
    移送 — the 10 days for a transfer are statute; only applying them to acceptance is local policy. The rule
    carries both, so an override lengthening it (or counting working days) would excuse a late transfer."""
    for override in ({"days": 20}, {"days": 11}, {"days": 10, "counting": "working"}):
        with pytest.raises(ConfigurationError, match=re.escape("/art9.disposition: at most 10 calendar days")):
            load_rulesets(overrides={"art9.disposition": override})
    # shortening stands, and a transfer on day 15 stays late under the default
    case = grievance("2026-03-02")
    case.add("grievance.transferred", "2026-03-17", to_unit=COUNTY, reason="不属于本机关管辖")
    d = only(case, "art9.disposition", as_of="2026-04-01")
    assert (d.status, d.due) == (Status.MET_LATE, due("2026-03-12"))
    assert d.candidate_finding is not None and d.candidate_finding.items == ("一", "四")
