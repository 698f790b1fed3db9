"""Every candidate finding of DOMAIN.md, one scenario each, named by its article; stable ids; determinations and
sanctions; what as_of knew. Dates worked by hand on the 2026 calendar (中秋 09-25..27 off, 国庆 10-01..07 off,
Sunday 09-20 and Saturday 10-10 worked)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from esledger.domain.casefile import Policy
from esledger.domain.deadlines import evaluate
from esledger.domain.findings import Source, case_findings, finding_id, parse_finding_id
from esledger.domain.snapshot import snapshots

from .builders import (
    BODY,
    CALENDAR,
    COUNTY,
    RULESETS,
    TITLES,
    Case,
    deliver_notification,
    due,
    explain,
    grievance,
    inspection,
    issue,
    report,
    utc,
)
from .scenarios import (
    OFFICER,
    amend,
    decide,
    determine,
    fee,
    findings,
    one,
    refuse,
    retract,
    sanction,
    view,
    violation,
)
from .test_art7_art8 import file_document, published, review
from .test_art9 import accept, notify, transfer
from .test_art11_art12 import deliver

DECISION = "荆政数法决〔2026〕5号"


def keys(case: Case, as_of: str) -> list[str]:
    return [f.key for f in findings(case, as_of=as_of)]


def notified_grievance() -> Case:
    """Received 09-01, accepted 09-02, notified 09-04, notification delivered 09-05 (version 4)."""
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    notify(case, "2026-09-04")
    deliver_notification(case, "2026-09-05")
    return case


# --- (a) breached deadlines: the rule's on_breach article and items ---


def test_art9_notify_breached_is_17_1_4_against_the_supervision_body_once_the_period_has_passed() -> None:
    # accepted 09-02 + 10 = 09-12 (Sat), 09-13 (Sun) -> last day 09-14 (Mon)
    case = grievance("2026-09-01")
    v = accept(case, "2026-09-02")
    assert keys(case, "2026-09-14T23:59:00+08:00") == []
    f = one(case, "art9.notify", as_of="2026-09-15T00:00:00+08:00")
    assert f.id == f"grievance-1:art9.notify:{v}" == "grievance-1:art9.notify:2"
    assert (f.article, f.items, f.source, f.status) == ("17", ("一", "四"), Source.DEADLINE, "candidate")
    assert f.title == "受理后未在期限内通知被申诉、控告、检举机关"
    assert (f.subject.unit, f.arose_at, f.day) == (BODY, due("2026-09-14"), date(2026, 9, 14))
    assert [(e.version, e.role, e.act) for e in f.evidence] == [(2, "trigger", "grievance.accepted")]
    assert "届满时未履行" in f.reason and "北京时间2026-09-14 24:00" in f.reason and "art9.notify" in f.reason


def test_art9_disposition_accepted_late_is_17_1_4_with_the_late_acceptance_as_evidence() -> None:
    # received 09-01 + 10 = 09-11 (Fri); accepted 09-14
    case = grievance("2026-09-01")
    accept(case, "2026-09-14")
    f = one(case, "art9.disposition")
    assert (f.id, f.article, f.items) == ("grievance-1:art9.disposition:1", "17", ("一", "四"))
    assert [(e.version, e.role) for e in f.evidence] == [(1, "trigger"), (2, "late fulfilment")]
    assert "逾期履行" in f.reason


def test_art9_inform_not_done_after_transfer_is_17_4() -> None:
    case = grievance("2026-09-01")
    transfer(case, "2026-09-03")
    f = one(case, "art9.inform", as_of="2026-09-12")
    assert (f.id, f.article, f.items, f.subject.unit) == ("grievance-1:art9.inform:2", "17", ("四",), BODY)


def test_art9_explain_not_submitted_is_art16_against_the_unit_the_notification_was_delivered_to() -> None:
    # delivered 09-05 + 15 = 09-20, a Sunday made a working day: due 09-20 24:00
    case = notified_grievance()
    assert keys(case, "2026-09-20T23:00:00+08:00") == []
    f = one(case, "art9.explain", as_of="2026-09-21T00:00:00+08:00")
    assert (f.id, f.article, f.items, f.subject.unit) == ("grievance-1:art9.explain:4", "16", (), COUNTY)


def test_art7_file_not_filed_in_30_days_is_art7_against_the_issuing_unit() -> None:
    # published 09-01 + 30 = 10-01 (国庆) .. 10-07 -> last day 10-08
    case = published("2026-09-01")
    assert keys(case, "2026-10-08T23:00:00+08:00") == []
    f = one(case, "art7.file", as_of="2026-10-09")
    assert (f.id, f.article, f.subject.unit, f.day) == ("record-filing-1:art7.file:1", "7", COUNTY, date(2026, 10, 8))


def test_art7_correct_not_corrected_in_the_opinion_period_is_art7() -> None:
    # review 09-14, 10 days -> 09-24 (Thu)
    case = published("2026-09-01")
    file_document(case, "2026-09-10")
    v = review(case, "2026-09-14", correction_period_days=10)
    f = one(case, "art7.correct", as_of="2026-09-25")
    assert (f.id, f.article, f.subject.unit) == (f"record-filing-1:art7.correct:{v}", "7", COUNTY)


def test_art8_file_not_filed_in_15_days_is_art8_against_the_deciding_unit() -> None:
    # decided 09-01 + 15 = 09-16 (Wed)
    case = Case("penalty-1", "major_penalty_filing")
    case.add("major_penalty.decided", "2026-09-01", deciding_unit=COUNTY, decision_document={"number": "罚1"})
    assert keys(case, "2026-09-16T23:00:00+08:00") == []
    f = one(case, "art8.file", as_of="2026-09-17")
    assert (f.id, f.article, f.subject.unit) == ("penalty-1:art8.file:1", "8", COUNTY)


def test_art11_correct_overdue_is_art11_and_unescalated_it_becomes_17_2() -> None:
    # notice 08-12 due 08-31 (Mon); escalation 30 days from 08-31 -> 09-30 (Wed)
    case = inspection("2026-08-03")
    violation(case, "2026-08-10")
    n = issue(case, "2026-08-12", "2026-08-31")
    f = one(case, "art11.correct", as_of="2026-09-01")
    assert (f.id, f.article, f.subject.unit) == (f"inspection-1:art11.correct:{n}", "11", COUNTY)
    assert keys(case, "2026-09-30T23:00:00+08:00") == ["art11.correct"]
    g = one(case, "art11.escalate", as_of="2026-10-01T00:00:00+08:00")
    assert (g.id, g.article, g.items, g.subject.unit) == (f"inspection-1:art11.escalate:{n}", "17", ("二",), BODY)


def test_art12_report_not_submitted_is_art16_against_the_supervised_unit() -> None:
    # delivered 09-02: later of 09-02 + 15 = 09-17 and (09-10 + 15 = 09-25 中秋 -> 09-28)
    case = inspection("2026-09-01")
    issue(case, "2026-09-01", "2026-09-10")
    d = deliver(case, "2026-09-02")
    assert "art12.report" not in keys(case, "2026-09-28T23:00:00+08:00")
    f = one(case, "art12.report", as_of="2026-09-29")
    assert (f.id, f.article, f.subject.unit) == (f"inspection-1:art12.report:{d}", "16", COUNTY)


# --- (b) patterns ---


def test_art16_cooperation_refused() -> None:
    case = inspection("2026-09-01")
    v = refuse(case, "2026-09-03", refusing_person=OFFICER)
    f = one(case, "art16.cooperation_refused")
    assert (f.id, f.article, f.items, f.source) == (f"inspection-1:art16.cooperation_refused:{v}", "16", (), "pattern")
    assert (f.subject.unit, f.subject.person) == (COUNTY, OFFICER)
    assert f.arose_at == datetime.fromisoformat("2026-09-03T10:00:00+08:00")
    assert "拒绝" in f.title and "黄某" in f.reason


def test_art16_explanation_without_evidence_or_legal_basis() -> None:
    case = notified_grievance()
    v = explain(case, "2026-09-10")  # evidence [] and legal_basis []
    f = one(case, "art16.explanation_incomplete")
    assert (f.id, f.article, f.subject.unit) == (f"grievance-1:art16.explanation_incomplete:{v}", "16", COUNTY)
    assert f.title == "书面说明未提交作出具体行政行为的证据和依据"


def test_art16_explanation_without_legal_basis_only_and_a_complete_one_gives_none() -> None:
    case = notified_grievance()
    kw = {"respondent_unit": COUNTY, "explanation": "说明", "evidence": [{"title": "案卷"}]}
    case.add("grievance.explanation_submitted", "2026-09-10", legal_basis=[], **kw)
    assert one(case, "art16.explanation_incomplete").title == "书面说明未提交作出具体行政行为的依据"
    complete = notified_grievance()
    complete.add("grievance.explanation_submitted", "2026-09-10", legal_basis=["《行政处罚法》第六十三条"], **kw)
    assert findings(complete, "art16.explanation_incomplete") == []


def revoked_inspection() -> Case:
    """A decision (version 4, 10-12) revoking 罚9 after an unanswered notice."""
    case = inspection("2026-09-01")
    violation(case, "2026-09-02", target_act="罚9")
    issue(case, "2026-09-03", "2026-09-15")
    decide(case, "2026-10-12", DECISION, target_act="罚9")
    return case


def test_art16_enforcing_a_revoked_act_reported_as_not_corrected_after_the_decision() -> None:
    case = revoked_inspection()
    v = report(case, "2026-10-20", number=DECISION, corrected=False)
    f = one(case, "art16.enforcing_revoked_act")
    assert (f.id, f.article, f.subject.unit) == (f"inspection-1:art16.enforcing_revoked_act:4+{v}", "16", COUNTY)
    assert [(e.version, e.role) for e in f.evidence] == [(4, "revoking decision"), (v, "later record")]


def test_art16_enforcing_a_revoked_act_found_again_as_the_target_of_a_violation() -> None:
    case = revoked_inspection()
    v = violation(case, "2026-11-02", target_act=" 罚9 ")
    f = one(case, "art16.enforcing_revoked_act")
    assert (f.id, f.subject.person) == (f"inspection-1:art16.enforcing_revoked_act:4+{v}", OFFICER)


def test_art16_no_enforcing_finding_for_a_change_decision_or_records_before_the_decision() -> None:
    case = inspection("2026-09-01")
    violation(case, "2026-09-02", target_act="罚9")  # before the decision
    decide(case, "2026-10-12", DECISION, measure="change", target_act="罚9")
    report(case, "2026-10-20", number=DECISION, corrected=False)
    assert findings(case, "art16.enforcing_revoked_act") == []
    revoked = revoked_inspection()
    report(revoked, "2026-10-20", number=DECISION, corrected=True)
    assert findings(revoked, "art16.enforcing_revoked_act") == []


def test_art17_4_grievance_transferred_twice_is_buck_passing() -> None:
    case = grievance("2026-09-01")
    transfer(case, "2026-09-03")
    assert findings(case, "art17_4.transferred_again") == []
    second = transfer(case, "2026-09-08")
    f = one(case, "art17_4.transferred_again", as_of="2026-09-10")
    expected = (f"grievance-1:art17_4.transferred_again:{second}", "17", ("四",), BODY)
    assert (f.id, f.article, f.items, f.subject.unit) == expected
    assert [e.version for e in f.evidence] == [2, 3]
    transfer(case, "2026-09-12")
    g = one(case, "art17_4.transferred_again")
    assert g.id == f.id and [e.version for e in g.evidence] == [2, 3, 4]
    assert "已移送3次" in g.reason


def test_art17_4_grievance_bounced_back_after_transfer_is_buck_passing() -> None:
    case = grievance("2026-09-01")
    t = transfer(case, "2026-09-03")
    a = accept(case, "2026-09-08")
    f = one(case, "art17_4.bounced_back")
    assert (f.id, f.article, f.items) == (f"grievance-1:art17_4.bounced_back:{t}+{a}", "17", ("四",))
    assert view(case).status.status == "accepted"


def test_art17_2_violation_without_notice_after_30_days() -> None:
    # violation 09-01 + 30 = 10-01 (国庆) .. 10-07 -> last day 10-08 (Thu): local policy, 30 calendar days
    case = inspection("2026-09-01")
    v = violation(case, "2026-09-01")
    before = view(case, "2026-10-08T23:00:00+08:00")
    assert [f.key for f in before.findings] == []
    (pending,) = [d for d in before.deadlines if d.deadline.rule_id == "art11.notice"]
    assert (pending.deadline.status, pending.deadline.due, pending.level) == ("pending", due("2026-10-08"), "yellow")
    f = one(case, "art11.notice", as_of="2026-10-09T00:00:00+08:00")
    assert (f.id, f.article, f.items, f.subject.unit) == (f"inspection-1:art11.notice:{v}", "17", ("二",), BODY)
    issue(case, "2026-10-12", "2026-10-30")  # a late notice keeps the finding, now with its evidence
    late = one(case, "art11.notice")
    assert late.id == f.id and [e.role for e in late.evidence] == ["trigger", "late fulfilment"]


def test_art17_2_one_notice_answers_every_violation_found_before_it() -> None:
    case = inspection("2026-09-01")
    violation(case, "2026-09-01")
    violation(case, "2026-09-05")
    issue(case, "2026-09-10", "2026-09-30")
    notice_deadlines = [d.deadline for d in view(case).deadlines if d.deadline.rule_id == "art11.notice"]
    assert [(d.status, d.fulfilment_version) for d in notice_deadlines] == [("met", 4), ("met", 4)]


def test_art17_2_period_is_policy_and_can_be_dropped() -> None:
    # 10 days: 09-01 + 10 = 09-11 (Fri)
    case = inspection("2026-09-01")
    violation(case, "2026-09-01")
    short = Policy(RULESETS, titles=TITLES, violation_notice_days=10)
    assert [f.key for f in findings(case, as_of="2026-09-12", policy=short)] == ["art11.notice"]
    none = Policy(short.rulesets, titles=TITLES, violation_notice_days=None)
    assert all(d.deadline.rule_id != "art11.notice" for d in view(case, policy=none).deadlines)


def test_art18_fee_charged_with_see_also_17_3_and_6() -> None:
    case = grievance("2026-09-01")
    v = fee(case, "2026-09-01T11:00:00+08:00", person={"name": "李某", "role": "科员"})
    f = one(case, "art18.fee_charged")
    expected = (f"grievance-1:art18.fee_charged:{v}", "18", (), (("17", ("三", "六")),))
    assert (f.id, f.article, f.items, f.see_also) == expected
    assert (f.subject.unit, f.subject.person["name"]) == (BODY, "李某")
    assert "30.00元" in f.reason
    assert f.to_json()["see_also"] == [
        {"article": "17", "items": ["三", "六"], "article_text": "第十七条第（三）（六）项"}
    ]


def test_integrity_backdated_fulfilment() -> None:
    # explanation due 09-20 24:00; dated 09-18 but recorded 09-25: met, but backdated
    case = notified_grievance()
    v = case.add(
        "grievance.explanation_submitted",
        "2026-09-18",
        recorded="2026-09-25",
        respondent_unit=COUNTY,
        explanation="说明",
        evidence=[{"title": "案卷"}],
        legal_basis=["依据"],
    )
    assert keys(case, "2026-09-22") == ["art9.explain"]  # what the ledger knew on 09-22: a breach
    f = one(case, "integrity.backdated.art9.explain")
    assert f.id == f"grievance-1:integrity.backdated.art9.explain:4+{v}"
    assert (f.article, f.items, f.subject.unit) == ("integrity", (), COUNTY)
    assert f.arose_at == datetime.fromisoformat("2026-09-25T10:00:00+08:00")
    assert [(e.version, e.role) for e in f.evidence] == [(4, "trigger"), (v, "fulfilment")]
    assert keys(case, LATE_AS_OF) == ["integrity.backdated.art9.explain"]  # the breach is gone: it was met


LATE_AS_OF = "2026-12-01"


def test_integrity_backdated_by_an_amendment_cites_the_amendment() -> None:
    case = notified_grievance()
    v = explain(case, "2026-09-24")  # late
    a = amend(case, "2026-09-26", v, "/time", "2026-09-18T10:00:00+08:00")
    f = one(case, "integrity.backdated.art9.explain")
    assert [(e.version, e.role) for e in f.evidence] == [(4, "trigger"), (v, "fulfilment"), (a, "amendment")]
    assert f.evidence[1].amended_by == (a,)
    assert f"第{a}版" in f.reason


def test_art17_3_5_6_exist_only_as_recorded_findings() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")
    assert [f for f in findings(case) if f.article == "17" and set(f.items) & {"三", "五", "六"}] == []
    v = determine(
        case, "2026-09-20", "FND-2026-01", article="17", item="五", subject_unit=BODY, subject_person={"name": "王某"}
    )
    f = one(case, "recorded")
    assert (f.id, f.source, f.article, f.items, f.status) == (
        "FND-2026-01",
        Source.RECORDED,
        "17",
        ("五",),
        "confirmed",
    )
    assert (f.subject.unit, f.subject.person, [e.version for e in f.evidence]) == (BODY, {"name": "王某"}, [v])
    assert f.title == "人工认定的问题（第十七条第（五）项）"


def test_a_recorded_finding_names_the_inferred_findings_it_may_concern() -> None:
    case = grievance("2026-09-01")
    fee(case, "2026-09-01T11:00:00+08:00")
    determine(case, "2026-09-20", "FND-FEE", article="18", subject_unit=BODY)
    recorded, inferred = one(case, "recorded"), one(case, "art18.fee_charged")
    assert recorded.may_concern == (inferred.id,)
    assert inferred.status == "candidate"  # never merged: the determination named another id


# --- stable ids, determinations, sanctions, as_of ---


def test_finding_ids_are_the_same_at_two_instants_and_after_amendments_that_do_not_touch_the_evidence() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-14")
    fee(case, "2026-09-02")
    notify(case, "2026-09-16")
    first = [f.id for f in findings(case, as_of="2026-09-20")]
    assert first == ["grievance-1:art18.fee_charged:3", "grievance-1:art9.disposition:1"]  # by when they arose
    amend(case, "2026-10-01", 1, "/data/summary", "更正后的摘要")
    amend(case, "2026-10-02", 3, "/data/description", "更正后的收费说明")
    assert [f.id for f in findings(case, as_of="2026-12-01")] == first


def test_determination_attaches_by_id_latest_occurred_wins_and_sanctions_attach_by_finding_id() -> None:
    case = inspection("2026-09-01")
    refuse(case, "2026-09-03")
    fid = "inspection-1:art16.cooperation_refused:2"
    determine(case, "2026-09-10", fid)
    s = sanction(case, "2026-09-12", fid, subject_unit=COUNTY)
    assert one(case, "art16.cooperation_refused", as_of="2026-09-11").status == "confirmed"
    determine(case, "2026-09-15", fid, "dismissed", reasons="系正当理由")
    case.add(
        "case.finding_determined",
        "2026-09-14",
        recorded="2026-09-16",
        finding_id=fid,
        article="16",
        determination="confirmed",
        reasons="补录",
        determined_by={"name": "刘某"},
    )
    f = one(case, "art16.cooperation_refused")
    assert (f.status, f.determination.reasons, len(f.determinations)) == ("dismissed", "系正当理由", 3)
    assert [x.version for x in f.sanctions] == [s]
    j = f.to_json()
    assert j["determination"]["determination"] == "dismissed" and j["sanctions"][0]["title"] == "通报批评"
    assert [d["version"] for d in j["determinations"]] == [3, 6, 5]  # by occurred instant


def test_a_sanction_without_a_finding_or_with_an_unknown_id_is_unattached() -> None:
    case = inspection("2026-09-01")
    refuse(case, "2026-09-03")
    a = sanction(case, "2026-09-12")
    b = sanction(case, "2026-09-13", "no-such-finding")
    v = view(case)
    assert [s.version for s in v.unattached_sanctions] == [a, b]
    assert one(case, "art16.cooperation_refused").sanctions == ()


def test_no_finding_as_of_before_its_evidence_was_recorded_and_the_same_id_after() -> None:
    case = grievance("2026-09-01")
    v = fee(case, "2026-09-01T11:00:00+08:00", recorded="2026-09-05")
    assert findings(case, as_of="2026-09-04") == []
    assert one(case, "art18.fee_charged", as_of="2026-09-06").id == f"grievance-1:art18.fee_charged:{v}"


def test_retracted_evidence_takes_the_finding_away() -> None:
    case = grievance("2026-09-01")
    v = fee(case, "2026-09-01T11:00:00+08:00")
    retract(case, "2026-09-03", v)
    assert findings(case, "art18.fee_charged", as_of="2026-09-02") != []
    assert findings(case, "art18.fee_charged") == []


def test_deadlines_naming_a_trigger_the_snapshot_does_not_have_in_force_are_refused() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-14")
    deadlines = evaluate(case.records, RULESETS, CALENDAR, utc("2026-09-20"))
    retract(case, "2026-09-25", 1)
    (later,) = snapshots(case.records, utc("2026-10-01")).values()
    assert any(d.rule_id == "art9.disposition" and d.candidate_finding for d in deadlines)
    with pytest.raises(LookupError, match="version 1 is not an act in force"):
        case_findings(later, deadlines, TITLES)


def test_finding_id_format_round_trips_even_with_colons_in_the_case_id() -> None:
    fid = finding_id("GR:2026:1", "integrity.backdated.art9.explain", 4, 5)
    assert fid == "GR:2026:1:integrity.backdated.art9.explain:4+5"
    assert parse_finding_id(fid) == ("GR:2026:1", "integrity.backdated.art9.explain", (4, 5))
    assert parse_finding_id("FND-GR-2026-0917-01") is None


def test_integrity_a_notice_delivered_after_its_correction_date_is_flagged_against_its_issuer() -> None:
    """A notice due 09-10 delivered 09-12 (rule set jingzhou-zfjd-2020-11-17, 第十一条): an integrity finding
    about the supervision body that issued it, evidenced by the notice and the delivery; no 第十一条 finding."""
    case = inspection()
    notice_version = issue(case, "2026-09-01", "2026-09-10")
    delivered = case.add(
        "document.delivered",
        "2026-09-12",
        document_kind="supervision_notice",
        document_number="荆政数法通〔2026〕3号",
        delivered_to=COUNTY,
        method="direct",
    )
    [found] = findings(case, "integrity.defective.art11.correct")
    assert found.id == finding_id(case.case_id, "integrity.defective.art11.correct", notice_version, delivered)
    assert found.subject.unit == BODY and [e.version for e in found.evidence] == [notice_version, delivered]
    assert findings(case, "art11.correct") == []


def test_integrity_a_correction_date_moved_after_it_passed_is_flagged() -> None:
    case = inspection()
    notice_version = issue(case, "2026-09-01", "2026-09-15")
    amendment = amend(case, "2026-09-20", notice_version, "/data/correction_due_date", "2026-09-30")
    [found] = findings(case, "integrity.moved.art11.correct")
    assert found.id == finding_id(case.case_id, "integrity.moved.art11.correct", notice_version, amendment)
    assert "届满后" in found.reason and found.subject.unit == BODY
