"""evaluate(): what the ledger knew at as_of — recording order, amendments, retractions, backdating,
rule sets in force — and its property: nothing is due before its trigger is known."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esledger.domain.deadlines import Status, evaluate
from esledger.domain.rules import parse_ruleset

from .builders import (
    CALENDAR,
    COUNTY,
    ORGANISATIONS,
    RULE_SCHEMAS,
    RULESETS,
    SCHEMAS,
    Case,
    deadlines,
    deliver_notification,
    due,
    explain,
    grievance,
    inspection,
    issue,
    only,
    utc,
)


def test_art9_explain_fulfilment_recorded_before_its_trigger_still_counts() -> None:
    # the clerk records the explanation (occurred 09-30) before the delivery it answers (occurred 09-22)
    case = grievance("2026-09-01")
    v = explain(case, "2026-09-30", recorded="2026-10-02")
    deliver_notification(case, "2026-09-22", recorded="2026-10-03")
    d = only(case, "art9.explain")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art9_explain_as_of_sees_only_records_recorded_by_then() -> None:
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    explain(case, "2026-10-08", recorded="2026-10-20")
    assert only(case, "art9.explain", as_of="2026-10-10").status is Status.BREACHED
    assert only(case, "art9.explain", as_of="2026-10-21").status is Status.MET


def test_art9_explain_recorded_after_the_due_instant_but_dated_before_is_backdated() -> None:
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    explain(case, "2026-10-05", recorded="2026-10-20")
    d = only(case, "art9.explain")
    assert (d.status, d.backdated) == (Status.MET, True)
    assert not only(grievance_with_timely_explanation(), "art9.explain").backdated


def grievance_with_timely_explanation() -> Case:
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    explain(case, "2026-10-05")
    return case


def test_art11_correct_amended_due_date_applies_from_when_the_amendment_was_recorded() -> None:
    case = inspection()
    n = issue(case, "2026-09-01", "2026-09-15")
    case.add(
        "case.record_amended",
        "2026-09-20",
        target_version=n,
        reason="笔误",
        amendments=[{"pointer": "/data/correction_due_date", "value": "2026-10-30"}],
    )
    assert only(case, "art11.correct", as_of="2026-09-18").status is Status.BREACHED
    d = only(case, "art11.correct", as_of="2026-09-21")
    assert (d.status, d.due) == (Status.PENDING, due("2026-10-30"))


def test_art8_file_amended_trigger_time_moves_the_deadline() -> None:
    case = Case("penalty-1", "major_penalty_filing")
    v = case.add(
        "major_penalty.decided",
        "2026-09-22",
        deciding_unit=COUNTY,
        decision_document={"number": "罚1"},
        penalty_kinds=["large_fine"],
    )
    case.add(
        "case.record_amended",
        "2026-09-23",
        target_version=v,
        reason="决定日期录错",
        amendments=[{"pointer": "/time", "value": "2026-09-05T10:00:00+08:00"}],
    )
    assert only(case, "art8.file").due == due("2026-09-20")


def test_art9_explain_amendment_dating_a_fulfilment_before_its_due_after_the_fact_is_backdated() -> None:
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    v = explain(case, "2026-10-12")
    case.add(
        "case.record_amended",
        "2026-10-15",
        target_version=v,
        reason="日期更正",
        amendments=[{"pointer": "/time", "value": "2026-10-06T10:00:00+08:00"}],
    )
    assert only(case, "art9.explain", as_of="2026-10-13").status is Status.MET_LATE
    d = only(case, "art9.explain", as_of="2026-10-16")
    assert (d.status, d.backdated) == (Status.MET, True)


def test_art9_explain_retracted_fulfilment_is_ignored_and_a_retracted_retraction_restores_it() -> None:
    case = grievance("2026-09-01")
    deliver_notification(case, "2026-09-22")
    v = explain(case, "2026-10-05")
    r = case.add("case.record_retracted", "2026-10-06", target_version=v, reason="误录")
    assert only(case, "art9.explain", as_of="2026-10-20").status is Status.BREACHED
    case.add("case.record_retracted", "2026-10-21", target_version=r, reason="撤回错误")
    assert only(case, "art9.explain", as_of="2026-10-22").status is Status.MET


def test_art9_disposition_retracted_trigger_gives_no_deadline() -> None:
    case = grievance("2026-09-01")
    case.add("case.record_retracted", "2026-09-02", target_version=1, reason="重复登记")
    assert deadlines(case, "art9.disposition") == []


def test_art9_inform_without_a_receipt_to_count_from_is_not_applicable() -> None:
    case = Case()
    case.add("grievance.transferred", "2026-09-10", to_unit={"code": "1", "name": "x"}, reason="r")
    d = only(case, "art9.inform")
    assert (d.status, d.reason) == (Status.NOT_APPLICABLE, "no grievance.received record to count from")


def test_amendment_of_a_version_not_in_the_case_is_an_error() -> None:
    case = grievance("2026-09-01")
    case.add(
        "case.record_amended",
        "2026-09-02",
        target_version=9,
        reason="x",
        amendments=[{"pointer": "/time", "value": "x"}],
    )
    with pytest.raises(ValueError, match="amends version 9, which is not in the case"):
        deadlines(case, "art9.disposition")


def test_each_case_is_evaluated_on_its_own() -> None:
    a, b = Case("g-a"), Case("g-b")
    a.add("grievance.received", "2026-09-01")
    b.add("grievance.received", "2026-09-02")
    b.add("case.record_retracted", "2026-09-03", target_version=1, reason="x")
    found = evaluate(a.records + b.records, RULESETS, CALENDAR, utc("2026-09-05"))
    assert [(d.case_id, d.rule_id) for d in found] == [("g-a", "art9.disposition")]


def later_ruleset(effective_from: str, art8_days: int):
    document = copy.deepcopy(SCHEMAS.read_json("rules/ruleset-2020-11-17.json"))
    document["id"] = f"test-{effective_from}"
    document["effective_from"] = effective_from
    for rule in document["rules"]:
        rule["effective_from"] = effective_from
        if rule["id"] == "art8.file":
            rule["period"] = {"days": art8_days}
    return parse_ruleset(document, RULE_SCHEMAS, "test rule set")


def test_art8_file_rule_set_is_selected_by_the_trigger_occurred_date() -> None:
    # a hypothetical later rule set (from 2026-02-01, in place of the 条例's) shortens art8.file to 10 days; older
    # decisions keep 15
    rulesets = (RULESETS[0], later_ruleset("2026-02-01", 10))
    old, new = Case("p-old"), Case("p-new")
    old.add("major_penalty.decided", "2026-01-29", recorded="2026-02-03", deciding_unit=COUNTY)
    new.add("major_penalty.decided", "2026-09-01", deciding_unit=COUNTY)
    found = {
        d.case_id: d for d in evaluate(old.records + new.records, rulesets, CALENDAR, utc("2026-12-01"), ORGANISATIONS)
    }
    assert found["p-old"].due == due("2026-02-13")  # 01-29 + 15 = 02-13 (Fri)
    assert found["p-new"].due == due("2026-09-11")  # 09-01 + 10 = 09-11 (Fri)


def test_a_trigger_before_any_rule_set_was_in_force_has_no_deadline() -> None:
    case = Case("p-2019", "major_penalty_filing")
    case.add("major_penalty.decided", "2020-11-16T23:59:00+08:00")
    case.add("major_penalty.decided", "2020-11-16T16:30:00Z")  # 2020-11-17 00:30 Beijing: in force
    assert [d.trigger_version for d in deadlines(case, "art8.file")] == [2]


def test_as_of_must_be_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate([], RULESETS, CALENDAR, datetime(2026, 9, 1))


TRIGGERS = [
    ("grievance.received", {}),
    ("grievance.transferred", {}),
    ("grievance.accepted", {}),
    ("document.delivered", {"document_kind": "grievance_notification", "document_number": "N"}),
    ("document.delivered", {"document_kind": "supervision_decision", "document_number": "N"}),
    ("normative_document.published", {"document": {"number": "D"}}),
    (
        "normative_document.review_concluded",
        {"document_number": "D", "outcome": "correct", "correction_period_days": 5},
    ),
    ("major_penalty.decided", {"decision_document": {"number": "P"}}),
    ("inspection.notice_issued", {"notice_document": {"number": "N"}, "correction_due_date": "2026-09-30"}),
]


@settings(max_examples=200)
@given(
    trigger=st.sampled_from(TRIGGERS),
    occurred=st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)),
    delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    before=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
)
def test_property_as_of_before_the_trigger_is_recorded_yields_no_deadline(trigger, occurred, delay, before) -> None:
    act, data = trigger
    case = Case()
    recorded = occurred + delay
    case.add(act, occurred.isoformat(), recorded=recorded.isoformat(), **data)
    assert evaluate(case.records, RULESETS, CALENDAR, recorded - before) == []
    assert evaluate(case.records, RULESETS, CALENDAR, recorded) != []
