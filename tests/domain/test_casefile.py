"""view_case: warning levels, the unit answering for each deadline, the JSON the API returns verbatim, and every
published example scenario."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esledger.domain.casefile import Policy, view_case, view_cases
from esledger.domain.deadlines import Status
from esledger.rulefiles import load_rulesets

from .builders import (
    BODY,
    CALENDAR,
    COUNTY,
    RULESETS,
    TITLES,
    Case,
    deliver_notification,
    grievance,
    inspection,
    issue,
    utc,
)
from .scenarios import COMPLAINANT_NAME, POLICY, example_records, refuse, view
from .test_art7_art8 import published, review
from .test_art9 import accept, notify
from .test_art11_art12 import deliver


def deadline(case: Case, rule_id: str, as_of: str):
    (found,) = [d for d in view(case, as_of).deadlines if d.deadline.rule_id == rule_id]
    return found


# --- warning levels ---


def test_disposition_due_0911_is_none_with_4_working_days_left_yellow_with_3_red_once_breached() -> None:
    case = grievance("2026-09-01")  # last day 09-11 (Fri)
    assert deadline(case, "art9.disposition", "2026-09-07T12:00:00+08:00").level == "none"  # 09-08..09-11: 4 left
    assert view(case, "2026-09-07T12:00:00+08:00").warning == "none"
    d = deadline(case, "art9.disposition", "2026-09-08T12:00:00+08:00")
    assert (d.deadline.working_days_left, d.level, d.open) == (3, "yellow", True)
    d = deadline(case, "art9.disposition", "2026-09-12T00:00:00+08:00")
    assert (d.deadline.status, d.level, d.open) == (Status.BREACHED, "red", True)
    v = view(case, "2026-09-12T00:00:00+08:00")
    assert (v.warning, v.has_breach, v.open_deadlines) == ("red", True, 1)


def test_yellow_threshold_is_policy() -> None:
    case = grievance("2026-09-01")
    wide = Policy(RULESETS, titles=TITLES, yellow_working_days=5)
    (d,) = view(case, "2026-09-04T12:00:00+08:00", wide).deadlines  # 09-07..09-11: 5 working days
    assert (d.deadline.working_days_left, d.level) == (5, "yellow")


def test_met_late_is_a_breach_but_not_open_and_not_red() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-14")
    notify(case, "2026-09-15")
    v = view(case, "2026-09-16")
    assert [(d.deadline.rule_id, d.deadline.status, d.level, d.open) for d in v.deadlines] == [
        ("art9.disposition", Status.MET_LATE, "none", False),
        ("art9.notify", Status.MET, "none", False),
    ]
    assert (v.has_breach, v.open_deadlines, v.warning) == (True, 0, "none")


def test_provisional_deadline_overdue_is_red_and_open_but_no_breach_and_no_finding() -> None:
    case = grievance("2026-12-22")  # due 2027-01-04, on the provisional calendar
    v = view(case, "2027-01-10")
    (d,) = v.deadlines
    assert (d.deadline.status, d.level, d.open, v.has_breach, v.findings) == (
        Status.PROVISIONAL,
        "red",
        True,
        False,
        (),
    )


def test_a_concluded_case_has_no_open_deadline_and_no_warning_but_keeps_its_breach_and_finding() -> None:
    case = grievance("2026-09-01")
    accept(case, "2026-09-02")  # art9.notify due 09-14, never done
    case.add("grievance.concluded", "2026-09-30", outcome="rejected", conclusion="不成立")
    v = view(case, "2026-10-10")
    (notify_deadline,) = [d for d in v.deadlines if d.deadline.rule_id == "art9.notify"]
    assert (notify_deadline.deadline.status, notify_deadline.level, notify_deadline.open) == ("breached", "none", False)
    assert (v.warning, v.open_deadlines, v.has_breach) == ("none", 0, True)
    assert [f.id for f in v.findings] == ["grievance-1:art9.notify:2"]
    assert notify_deadline.finding_ids == ("grievance-1:art9.notify:2",)


# --- the responsible party and unit ---


def parties(case: Case) -> dict:
    return {d.deadline.rule_id: (d.deadline.responsible, d.responsible_unit) for d in view(case).deadlines}


def test_responsible_unit_is_resolved_for_every_party() -> None:
    g = grievance("2026-09-01")
    accept(g, "2026-09-02")
    notify(g, "2026-09-03")
    deliver_notification(g, "2026-09-04")
    assert parties(g) == {
        "art9.disposition": ("supervision_body", BODY),
        "art9.notify": ("supervision_body", BODY),
        "art9.explain": ("respondent_unit", COUNTY),
    }
    r = published("2026-09-01")
    review(r, "2026-09-10", correction_period_days=5)
    assert {d.responsible_unit["code"] for d in view(r).deadlines} == {COUNTY["code"]}  # the issuing unit
    i = inspection("2026-09-01")
    issue(i, "2026-09-02", "2026-09-10")
    deliver(i, "2026-09-03")
    assert parties(i) == {
        "art11.correct": ("supervised_unit", COUNTY),
        "art11.escalate": ("supervision_body", BODY),
        "art12.report": ("supervised_unit", COUNTY),
    }


# --- the JSON ---

CASE_KEYS = {
    "case_id",
    "case_kind",
    "case_kind_title",
    "as_of",
    "status",
    "status_title",
    "status_since_version",
    "status_since",
    "irregular_acts",
    "units",
    "last_act",
    "has_breach",
    "open_deadlines",
    "warning",
    "deadlines",
    "finding_counts",
    "findings",
    "unattached_sanctions",
}
DEADLINE_KEYS = {
    "defective",
    "moved",
    "rule_id",
    "rule_set",
    "law",
    "article",
    "paragraph",
    "title",
    "trigger_version",
    "trigger_act",
    "trigger_title",
    "responsible",
    "responsible_title",
    "responsible_unit",
    "status",
    "level",
    "open",
    "period",
    "start_day",
    "raw_last_day",
    "last_day",
    "due",
    "calendar_days_left",
    "working_days_left",
    "fulfilment_version",
    "fulfilled_at",
    "backdated",
    "provisional",
    "calendar_sources",
    "steps",
    "reason",
    "reason_version",
    "candidate_finding",
    "finding_ids",
}
FINDING_KEYS = {
    "id",
    "source",
    "key",
    "rule_set",
    "law",
    "article",
    "items",
    "article_text",
    "title",
    "reason",
    "subject",
    "evidence",
    "arose_at",
    "day",
    "see_also",
    "status",
    "determination",
    "determinations",
    "sanctions",
    "may_concern",
}


def instants(value, found: list[str]) -> list[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in {"as_of", "status_since", "occurred", "recorded", "known", "due", "fulfilled_at", "arose_at"}:
                if v is not None:
                    found.append(v)
            else:
                instants(v, found)
    elif isinstance(value, list):
        for v in value:
            instants(v, found)
    return found


def test_case_json_is_plain_json_with_beijing_instants_and_every_field() -> None:
    case = inspection("2026-09-01")
    refuse(case, "2026-09-03T01:00:00Z")
    issue(case, "2026-09-04", "2026-09-10")
    j = view(case, "2026-09-20T00:00:00Z").to_json()
    assert json.loads(json.dumps(j, ensure_ascii=False)) == j
    assert set(j) == CASE_KEYS
    assert j["as_of"] == "2026-09-20T08:00:00+08:00"
    assert all(set(d) == DEADLINE_KEYS for d in j["deadlines"])
    assert all(set(f) == FINDING_KEYS for f in j["findings"])
    found = instants(j, [])
    assert found and all(i.endswith("+08:00") and datetime.fromisoformat(i).tzinfo for i in found)
    (refusal,) = [f for f in j["findings"] if f["key"] == "art16.cooperation_refused"]
    assert refusal["evidence"][0]["occurred"] == "2026-09-03T09:00:00+08:00"
    assert refusal["evidence"][0]["position"] == 102 and refusal["evidence"][0]["recorded_by"] == "clerk-1"
    (correct,) = [d for d in j["deadlines"] if d["rule_id"] == "art11.correct"]
    assert correct["steps"][-1] == "due 2026-09-10 24:00 Beijing time (2026-09-11T00:00:00+08:00)"
    assert correct["calendar_sources"] == [d for d in correct["calendar_sources"] if d.startswith("chinesecalendar")]
    assert (correct["status"], correct["level"]) == ("breached", "red")
    assert correct["finding_ids"] == ["inspection-1:art11.correct:3"]


def test_view_case_sees_nothing_before_the_first_record_and_refuses_two_cases() -> None:
    case = grievance("2026-09-01")
    assert view_case(case.records, POLICY, utc("2026-09-01")) is None  # recorded 11:00, as_of 10:00
    other = Case("grievance-2")
    other.records = [{**r, "case_id": "grievance-2"} for r in case.records]
    with pytest.raises(ValueError, match="more than one case"):
        view_case(case.records + other.records, POLICY, utc("2026-09-02"))
    assert [v.case_id for v in view_cases(case.records + other.records, POLICY, utc("2026-09-02"))] == [
        "grievance-1",
        "grievance-2",
    ]


def test_policy_load_reads_the_rule_data_and_applies_overrides() -> None:
    policy = Policy(
        load_rulesets(overrides={"art9.disposition": {"days": 7}}), CALENDAR, titles=TITLES, yellow_working_days=2
    )
    assert policy.yellow_working_days == 2
    (rule,) = [r for r in policy.effective_rulesets()[0].rules if r.id == "art9.disposition"]
    assert rule.period.days == 7
    assert [r.id for r in policy.effective_rulesets()[0].rules][-2:] == ["art11.notice", "art15.refer"]
    with pytest.raises(ValueError, match="at least 1"):
        Policy(RULESETS, violation_notice_days=0)
    with pytest.raises(ValueError, match="referral_days must be at least 1"):
        Policy(RULESETS, referral_days=0)


# --- the published examples ---

EXPECTED = {
    "GR-2026-0917": ("grievance", "concluded"),
    "GR-2026-0952": ("grievance", "transferred"),
    "IN-2025-0088": ("inspection", "closed"),  # a notice that replaces another; a report stating corrected_on
    "IN-2026-0042": ("inspection", "closed"),
    "IN-2026-0107": ("inspection", "closed"),  # straddles 2026-02-01: a 通知书, then a 督办函
    "IN-2026-0131": ("inspection", "closed"),  # 意见书, 异议, 当场纠正, 约谈, 32, 31
    "IN-2026-0158": ("inspection", "closed"),  # 重大问题 → 处理建议 → 决定书; 39 order corrected
    "MP-2026-0011": ("major_penalty_filing", "filed"),
    "QL-2024-0031": ("qualification", "revoked"),  # granted, suspended, reinstated, then revoked
    "RF-2026-0003": ("record_filing", "corrected"),
    "RF-2026-0004": ("record_filing", "revoked"),
    "STAT-421002-ZSJ-2026-09": ("unit_statistics", "submitted"),
    "STAT-421002-ZSJ-2026-10": ("unit_statistics", "submitted"),
}
AFTER_ALL = datetime(2027, 1, 1, tzinfo=UTC)


def test_every_example_case_has_its_expected_status_and_plain_json() -> None:
    views = {v.case_id: v for v in view_cases(example_records(), POLICY, AFTER_ALL)}
    assert {k: (v.case_kind, v.status.status) for k, v in views.items()} == EXPECTED
    for v in views.values():
        assert v.status.irregular == (), v.case_id
        text = json.dumps(v.to_json(), ensure_ascii=False)
        for secret in (COMPLAINANT_NAME, "荆州市某建筑工程有限公司", "张某某", "138****5620", "91421002MA4F"):
            assert secret not in text, (v.case_id, secret)


def test_example_findings_candidates_recorded_determinations_and_sanctions() -> None:
    views = {v.case_id: v for v in view_cases(example_records(), POLICY, AFTER_ALL)}
    summary = {k: [(f.id, f.status, len(f.sanctions)) for f in v.findings] for k, v in views.items() if v.findings}
    assert summary == {
        "GR-2026-0917": [("GR-2026-0917:art18.fee_charged:2", "candidate", 0), ("FND-GR-2026-0917-01", "confirmed", 1)],
        "IN-2026-0042": [
            ("IN-2026-0042:art16.cooperation_refused:3", "candidate", 0),
            ("IN-2026-0042:art11.correct:6", "candidate", 0),  # notice due 09-30, the 10-08 report: not corrected
            ("FND-IN-2026-0042-01", "confirmed", 1),
        ],
    }
    (recorded,) = [f for f in views["IN-2026-0042"].findings if f.id == "FND-IN-2026-0042-01"]
    assert recorded.may_concern == ("IN-2026-0042:art16.cooperation_refused:3",)
    assert all(not v.has_breach for k, v in views.items() if k != "IN-2026-0042")


def test_every_example_case_can_be_viewed_at_every_instant_it_was_recorded() -> None:
    stored = example_records()
    by_case = defaultdict(list)
    for r in stored:
        by_case[r["case_id"]].append(r)
    for case_id, records in by_case.items():
        for r in records:
            v = view_case(records, POLICY, datetime.fromisoformat(r["recorded_at"]))
            assert v is not None and v.case_id == case_id
            json.dumps(v.to_json())
    first = by_case["GR-2026-0917"]
    first_day = view_case(first, POLICY, datetime.fromisoformat(first[0]["recorded_at"]))
    assert (first_day.status.status, [d.deadline.status for d in first_day.deadlines]) == ("received", ["pending"])


EXAMPLE_RECORDS = example_records()
FIRST = min(datetime.fromisoformat(r["recorded_at"]) for r in EXAMPLE_RECORDS)


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(range(len(EXAMPLE_RECORDS))),
    earlier=st.integers(min_value=0, max_value=400 * 24),
    later=st.integers(min_value=0, max_value=400 * 24),
)
def test_property_views_do_not_depend_on_record_order_and_findings_only_accrue_on_the_examples(
    order, earlier, later
) -> None:
    # every example act is recorded an hour after it occurred and no evidence is retracted, so a finding seen
    # at one instant is seen, with the same id, at every later one
    t1, t2 = sorted((FIRST + timedelta(hours=earlier), FIRST + timedelta(hours=later)))
    shuffled = [EXAMPLE_RECORDS[i] for i in order]
    assert [v.to_json() for v in view_cases(shuffled, POLICY, t1)] == [
        v.to_json() for v in view_cases(EXAMPLE_RECORDS, POLICY, t1)
    ]
    ids = [{f.id for v in view_cases(EXAMPLE_RECORDS, POLICY, t) for f in v.findings} for t in (t1, t2)]
    assert ids[0] <= ids[1]


def test_example_notice_replaced_and_report_stating_its_correction_day() -> None:
    """examples/notices.jsonl, rule set jingzhou-zfjd-2020-11-17, 第十一条 and 第十二条: 通知书 21号 (correct by
    11-21) is replaced by 23号 (by 12-05), which says so (`replaces_notice`): 21号's deadlines end as replaced,
    not breached; the report of 12-15 states the unit corrected on 12-03, so 第十一条 is met, and 第十二条's
    15 days after 12-05 (rolled to Monday 12-22) are met too — no finding at all."""
    records = [r for r in example_records() if r["case_id"] == "IN-2025-0088"]
    case = view_case(records, POLICY, AFTER_ALL)
    assert case is not None and case.findings == () and not case.has_breach
    by_rule = sorted((d.deadline.rule_id, d.deadline.trigger_version, d.deadline.status.value) for d in case.deadlines)
    assert by_rule == [
        ("art11.correct", 3, "not_applicable"),
        ("art11.correct", 5, "met"),
        ("art11.notice", 2, "met"),
        ("art12.report", 4, "not_applicable"),
        ("art12.report", 6, "met"),
    ]
    (correct,) = [
        d.deadline for d in case.deadlines if d.deadline.rule_id == "art11.correct" and d.deadline.fulfilled_at
    ]
    assert correct.fulfilled_at is not None and correct.fulfilled_at.date().isoformat() == "2025-12-03"
    assert {d.deadline.rule_set for d in case.deadlines} == {"jingzhou-zfjd-2020-11-17"}
