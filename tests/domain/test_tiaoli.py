"""The rule set in force from 2026-02-01 (tiaoli-2026-02-01): 《行政执法监督条例》 (国务院令第825号) with the seed's
rules carried forward under its 第十九条 — worked by hand on the 2026 calendar (春节: 02-15..02-23 off, the
Saturdays 02-14 and 02-28 worked; 清明: 04-04..04-06 off).

Each test names the 条例's article (tiaoli27 = 条例第二十七条) or the seed's (art11 = 第十一条) and the rule set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from esledger.domain.deadlines import Status, evaluate
from esledger.domain.organisations import organisations_from
from esledger.domain.rules import Basis
from esledger.ledger.catalog import Catalog
from esledger.rulefiles import load_rulesets

from .builders import (
    BODY,
    CALENDAR,
    CITY,
    COUNTY,
    ORGANISATIONS,
    RULE_SCHEMAS,
    RULESETS,
    SCHEMAS,
    Case,
    deadlines,
    due,
    inspection,
    issue,
    only,
    report,
    utc,
)
from .scenarios import POLICY, determine, fee, findings, one, sanction, view, violation

SEED, TIAOLI = "jingzhou-zfjd-2020-11-17", "tiaoli-2026-02-01"
LAW = "《行政执法监督条例》"
LETTER, OPINION, ORDER = "荆政数法督〔2026〕1号", "荆政数法意〔2026〕2号", "荆政督改〔2026〕2号"
GOVERNMENT = {"code": "114210000000000009", "name": "荆州市人民政府"}


def letter(case: Case, when: str, report_due_date: str | None = None, number: str = LETTER, **kw: Any) -> int:
    dated = {"report_due_date": report_due_date} if report_due_date else {}
    return case.add(
        "inspection.supervision_letter_issued",
        when,
        letter_document={"number": number, "title": "行政执法监督督办函"},
        supervision_body=BODY,
        supervised_unit=COUNTY,
        duty="依法处理投诉",
        **dated,
        **kw,
    )


def opinion(case: Case, when: str, report_due_date: str | None = None, number: str = OPINION) -> int:
    dated = {"report_due_date": report_due_date} if report_due_date else {}
    return case.add(
        "inspection.opinion_issued",
        when,
        opinion_document={"number": number, "title": "行政执法监督意见书"},
        supervision_body=BODY,
        supervised_unit=COUNTY,
        ground="illegal",
        problem="对同一违法行为两次罚款",
        **dated,
    )


def deliver(case: Case, when: str, number: str, to: dict[str, str] = COUNTY) -> int:
    return case.add("document.delivered", when, document_kind="other", document_number=number, delivered_to=to)


def object_to(case: Case, when: str, number: str = OPINION) -> int:
    return case.add("inspection.objection_raised", when, raising_unit=COUNTY, objects_to=number, grounds="认定有误")


def handle(case: Case, when: str, outcome: str = "rejected", number: str = OPINION, **kw: Any) -> int:
    return case.add(
        "inspection.objection_handled",
        when,
        supervision_body=BODY,
        objects_to=number,
        outcome=outcome,
        reasons="经复核",
        **kw,
    )


def propose(case: Case, when: str, responds_to: str | None = LETTER) -> int:
    answering = {"responds_to": responds_to} if responds_to else {}
    return case.add(
        "inspection.handling_proposal_submitted",
        when,
        proposal_document={"number": "荆政数法建〔2026〕1号"},
        supervision_body=BODY,
        government=GOVERNMENT,
        grounds="letter_not_complied" if responds_to else "major_problem",
        proposal="建议责令履行",
        **answering,
    )


def order(case: Case, when: str, correction_due_date: str, body: dict[str, str] = BODY) -> int:
    return case.add(
        "case.body_ordered_to_correct",
        when,
        ordered_by=GOVERNMENT,
        supervision_body=body,
        order_document={"number": ORDER},
        failures="未及时提出处理建议",
        correction_due_date=correction_due_date,
    )


def corrected_body(case: Case, when: str, corrected_on: str | None = None, corrected: bool = True) -> int:
    dated = {"corrected_on": corrected_on} if corrected_on else {}
    return case.add(
        "case.body_correction_reported",
        when,
        supervision_body=BODY,
        responds_to=ORDER,
        corrected=corrected,
        report="已改正",
        **dated,
    )


# --- the acts: closed schemas citing the 条例, registered with their articles ---

TIAOLI_ACTS = {
    "inspection.corrected_on_the_spot": ("26",),
    "inspection.interview_held": ("22",),
    "inspection.supervision_letter_issued": ("27",),
    "inspection.opinion_issued": ("28",),
    "inspection.objection_raised": ("30",),
    "inspection.objection_handled": ("30",),
    "inspection.handling_proposal_submitted": ("29",),
    "inspection.government_decision_issued": ("29",),
    "case.circulated": ("31",),
    "case.personnel_handling_recommended": ("32",),
    "case.body_ordered_to_correct": ("39",),
    "case.body_correction_reported": ("39",),
}


def refs_and_types(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "type"):
                yield key, value
            yield from refs_and_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_and_types(value)


def test_tiaoli_acts_are_closed_schemas_citing_the_tiaoli_and_registered_with_its_articles() -> None:
    catalog = Catalog.load(SCHEMAS)
    registered = {a.name: a.tiaoli_articles for a in catalog.acts.values() if a.tiaoli_articles}
    assert registered == TIAOLI_ACTS
    for name in TIAOLI_ACTS:
        act = catalog.acts[name]
        schema = SCHEMAS.read_json(f"events/{name}.v1.schema.json")
        assert (schema["$id"], act.current_version, schema["additionalProperties"]) == (
            f"urn:zfjd:schema:{name}:1",
            1,
            False,
        )
        assert "《行政执法监督条例》第" in schema["description"] and act.articles == ()
        found = list(refs_and_types(schema))
        assert all(v.startswith("urn:zfjd:schema:common:1#/$defs/") for k, v in found if k == "$ref"), name
        assert not any("number" in (v if isinstance(v, list) else [v]) for k, v in found if k == "type"), name
    inspection_only = {n for n in TIAOLI_ACTS if n.startswith("inspection.")}
    assert all(catalog.acts[n].case_kinds == {"inspection"} for n in inspection_only)
    assert all("grievance" in catalog.acts[n].case_kinds for n in set(TIAOLI_ACTS) - inspection_only)


def test_tiaoli29_a_government_decision_to_correct_must_carry_its_juedingshu() -> None:
    check = Catalog.load(SCHEMAS).validator("urn:zfjd:schema:inspection.government_decision_issued:1")
    decided = {"government": GOVERNMENT, "proposal": "荆政数法建〔2026〕1号", "decision": "correct"}
    assert [e.message for e in check.iter_errors(decided)] == ["'decision_document' is a required property"]
    assert list(check.iter_errors({**decided, "decision": "not_corrected"})) == []


# --- the rule set itself ---


def test_tiaoli_rule_set_carries_every_seed_rule_forward_under_seed_19_and_adds_the_tiaolis() -> None:
    seed, tiaoli = RULESETS
    assert (tiaoli.id, tiaoli.effective_from, tiaoli.law) == (TIAOLI, date(2026, 2, 1), LAW)
    assert "国务院令第825号" in tiaoli.title and (seed.id, seed.law, tiaoli.carries_forward) == (SEED, None, SEED)
    for old in seed.rules:
        new = tiaoli.rule(old.id)
        assert (new.trigger, new.period, new.fulfilled_by, new.on_breach, new.basis, new.law) == (
            old.trigger,
            old.period,
            old.fulfilled_by,
            old.on_breach,
            old.basis,
            None,
        ), old.id
        assert "第十九条" in new.basis_note, old.id
    added = {r.id: (r.article, r.on_breach.article, r.basis, r.law) for r in tiaoli.rules if r.law}
    assert added == {
        "art27.report": (27, "29", Basis.LOCAL_POLICY, LAW),
        "art28.report": (28, "29", Basis.LOCAL_POLICY, LAW),
        "art30.handle": (30, "39", Basis.LOCAL_POLICY, LAW),
        "art30.report": (30, "29", Basis.LOCAL_POLICY, LAW),
        "art29.escalate": (29, "39", Basis.LOCAL_POLICY, LAW),
        "art39.correct": (39, "39", Basis.STATUTE, LAW),
    }


# --- 条例第二十七条: the 督办函 and the report-back date it states ---


def test_tiaoli27_letter_answered_by_its_date_is_met_under_the_tiaoli_rule_set() -> None:
    case = inspection("2026-03-02")
    letter(case, "2026-03-05", "2026-03-20")
    v = report(case, "2026-03-19", number=LETTER)
    d = only(case, "art27.report")
    assert (d.rule_set, d.law, d.article, d.paragraph) == (TIAOLI, LAW, 27, 2)
    assert (d.due, d.status, d.fulfilment_version, d.responsible) == (
        due("2026-03-20"),
        Status.MET,
        v,
        "supervised_unit",
    )
    assert deadlines(case, "art29.escalate") == []


def test_tiaoli27_letter_date_in_spring_festival_rolls_to_0224_and_a_makeup_saturday_does_not_roll() -> None:
    # 02-16 is in 春节 (02-15..02-23 off): the last day is 02-24; 02-14 (Sat) and 02-28 (Sat) are working days
    holiday = inspection("2026-02-02")
    letter(holiday, "2026-02-03", "2026-02-16")
    report(holiday, "2026-02-24T23:00:00+08:00", number=LETTER)
    d = only(holiday, "art27.report")
    assert (d.period.raw_last_day, d.due, d.status) == (date(2026, 2, 16), due("2026-02-24"), Status.MET)
    for day, next_day in (("2026-02-14", "2026-02-15"), ("2026-02-28", "2026-03-01")):
        worked = inspection("2026-02-02")
        letter(worked, "2026-02-03", day)
        report(worked, next_day, number=LETTER)
        d = only(worked, "art27.report")
        assert (d.due, d.status) == (due(day), Status.MET_LATE), day


def test_tiaoli27_letter_answered_late_is_a_29_candidate_and_ends_the_escalation() -> None:
    case = inspection("2026-03-02")
    v = letter(case, "2026-03-05", "2026-03-20")
    r = report(case, "2026-03-25", number=LETTER)
    d = only(case, "art27.report")
    assert (d.status, d.candidate_finding.article) == (Status.MET_LATE, "29")
    e = only(case, "art29.escalate")
    assert (e.trigger_version, e.status, e.reason_version) == (v, Status.NOT_APPLICABLE, r)
    (f,) = [f for f in findings(case) if f.key == "art27.report"]
    assert (f.rule_set, f.law, f.to_json()["article_text"]) == (TIAOLI, LAW, "《行政执法监督条例》第二十九条")
    assert f.subject.unit == COUNTY and "规则集 tiaoli-2026-02-01 规则 art27.report" in f.reason
    assert "《行政执法监督条例》第二十七条第二款" in f.reason


def test_tiaoli27_a_report_saying_not_corrected_does_not_answer_the_letter() -> None:
    case = inspection("2026-03-02")
    letter(case, "2026-03-05", "2026-03-20")
    report(case, "2026-03-18", number=LETTER, corrected=False)
    assert only(case, "art27.report", as_of="2026-03-21").status is Status.BREACHED


def test_tiaoli27_letter_unanswered_by_its_date_escalates_under_29() -> None:
    # due 03-20 (Fri); the 处理建议 is due 30 days later: 04-19 (Sun) → 04-20 (local policy)
    case = inspection("2026-03-02")
    v = letter(case, "2026-03-05", "2026-03-20")
    assert only(case, "art27.report", as_of="2026-03-21").status is Status.BREACHED
    e = only(case, "art29.escalate", as_of="2026-03-21")
    assert (e.trigger_version, e.rule_set, e.responsible, e.status) == (v, TIAOLI, "supervision_body", Status.PENDING)
    assert (e.period.start_day, e.due) == (date(2026, 3, 20), due("2026-04-20"))
    p = propose(case, "2026-04-20")
    e = only(case, "art29.escalate")
    assert (e.status, e.fulfilment_version) == (Status.MET, p)


def test_tiaoli29_escalation_that_lapses_is_a_candidate_under_39_against_the_supervision_body() -> None:
    case = inspection("2026-03-02")
    v = letter(case, "2026-03-05", "2026-03-20")
    propose(case, "2026-04-20", responds_to="荆政数法督〔2026〕9号")  # another letter's proposal: not this one's
    assert only(case, "art29.escalate", as_of="2026-04-21").status is Status.BREACHED
    f = one(case, "art29.escalate", as_of="2026-04-21")
    assert (f.id, f.rule_set, f.law, f.article, f.items) == (f"inspection-1:art29.escalate:{v}", TIAOLI, LAW, "39", ())
    assert f.to_json()["article_text"] == "《行政执法监督条例》第三十九条"
    assert (f.subject.unit, f.day) == (BODY, date(2026, 4, 20))


def test_tiaoli27_a_later_letter_naming_the_first_supersedes_it_and_two_letters_are_two_deadlines() -> None:
    case = inspection("2026-03-02")
    first = letter(case, "2026-03-05", "2026-03-20")
    second = letter(case, "2026-03-10", "2026-04-10", number="荆政数法督〔2026〕2号", replaces_letter=LETTER)
    other = letter(case, "2026-03-11", "2026-03-25", number="荆政数法督〔2026〕3号")
    old, new, third = deadlines(case, "art27.report", as_of="2026-03-30")
    assert (old.trigger_version, old.status, old.reason_version) == (first, Status.NOT_APPLICABLE, second)
    assert (new.trigger_version, new.status) == (second, Status.PENDING)
    assert (third.trigger_version, third.status) == (other, Status.BREACHED)


def test_tiaoli27_letter_delivered_after_its_own_date_is_defective_never_a_breach() -> None:
    case = inspection("2026-03-02")
    letter(case, "2026-03-05", "2026-03-10")
    deliver(case, "2026-03-11", LETTER)
    d = only(case, "art27.report")
    assert (d.status, d.defective) == (Status.NOT_APPLICABLE, True)
    assert [f.key for f in findings(case)] == ["integrity.defective.art27.report"]


# --- 条例第二十八条: the 意见书, and the local-policy default where it states no date ---


def test_tiaoli28_opinion_without_a_date_gets_15_days_from_its_delivery_through_spring_festival() -> None:
    # delivered 02-03: + 15 = 02-18, in 春节 → 02-24 (local policy default, counted from delivery)
    case = inspection("2026-02-02")
    opinion(case, "2026-02-02")
    deliver(case, "2026-02-03", OPINION)
    d = only(case, "art28.report", as_of="2026-02-10")
    assert (d.rule_set, d.period.start_day, d.due, d.status) == (TIAOLI, date(2026, 2, 3), due("2026-02-24"), "pending")
    assert d.period.steps[0].text.startswith("/data/report_due_date not stated: the default period applies")
    assert "not stated: default" in d.period.label


def test_tiaoli28_opinion_without_a_date_or_a_delivery_counts_the_default_from_its_issue() -> None:
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05")
    d = only(case, "art28.report", as_of="2026-03-06")
    assert (d.period.start_day, d.due) == (date(2026, 3, 5), due("2026-03-20"))
    assert "the document's issue" in d.period.steps[0].text


def test_tiaoli28_a_deployment_overrides_the_default_never_the_date_an_opinion_states() -> None:
    sets = load_rulesets(SCHEMAS, {"art28.report": {"days": 5, "counting": "working"}})
    undated, dated = inspection("2026-03-02"), Case("inspection-2", "inspection")
    opinion(undated, "2026-03-05")  # Thu: 5 working days → 03-12 (Thu)
    opinion(dated, "2026-03-05", "2026-03-31")
    assert only(undated, "art28.report", rulesets=sets).due == due("2026-03-12")
    assert only(dated, "art28.report", rulesets=sets).due == due("2026-03-31")
    assert sets[1].overrides == {"art28.report": {"days": 5, "counting": "working"}}


# --- 条例第三十条: 异议 (local policy: an objection in time suspends, a rejection restarts) ---


def test_tiaoli30_objection_in_time_suspends_the_opinions_date_and_a_rejection_sets_a_new_one() -> None:
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    o = object_to(case, "2026-03-12")
    h = handle(case, "2026-03-18", report_due_date="2026-04-10")
    d = only(case, "art28.report")
    assert (d.status, d.reason_version) == (Status.NOT_APPLICABLE, o) and "异议处理前不计逾期" in d.reason
    assert only(case, "art30.handle").status is Status.MET
    r = only(case, "art30.report", as_of="2026-04-01")
    assert (r.trigger_version, r.due, r.status, r.responsible) == (h, due("2026-04-10"), "pending", "supervised_unit")
    v = report(case, "2026-04-09", number=OPINION)
    assert only(case, "art30.report").fulfilment_version == v


def test_tiaoli30_rejection_stating_no_date_gets_the_default_from_the_handling_past_qingming() -> None:
    # handled 03-20: + 15 = 04-04, 清明 (04-04..04-06 off) → 04-07
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    object_to(case, "2026-03-12")
    handle(case, "2026-03-20", outcome="partially_upheld")
    assert only(case, "art30.report", as_of="2026-03-21").due == due("2026-04-07")


def test_tiaoli30_objection_upheld_ends_the_duty_to_report() -> None:
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    object_to(case, "2026-03-12")
    handle(case, "2026-03-18", outcome="upheld")
    assert only(case, "art28.report").status is Status.NOT_APPLICABLE
    assert deadlines(case, "art30.report") == [] and deadlines(case, "art29.escalate") == []


def test_tiaoli30_an_objection_after_the_date_does_not_undo_the_breach() -> None:
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    object_to(case, "2026-03-23")
    assert only(case, "art28.report").status is Status.BREACHED


def test_tiaoli30_objection_not_handled_in_15_days_is_a_candidate_under_39() -> None:
    # raised 03-12: + 15 = 03-27 (Fri), local policy
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    o = object_to(case, "2026-03-12")
    d = only(case, "art30.handle", as_of="2026-03-28")
    assert (d.due, d.status, d.responsible) == (due("2026-03-27"), Status.BREACHED, "supervision_body")
    f = one(case, "art30.handle", as_of="2026-03-28")
    assert (f.id, f.rule_set, f.article, f.subject.unit) == (f"inspection-1:art30.handle:{o}", TIAOLI, "39", BODY)


def test_tiaoli30_a_new_date_after_rejection_left_unanswered_escalates_under_29() -> None:
    case = inspection("2026-03-02")
    opinion(case, "2026-03-05", "2026-03-20")
    object_to(case, "2026-03-12")
    h = handle(case, "2026-03-18", report_due_date="2026-04-10")
    e = only(case, "art29.escalate", as_of="2026-04-11")
    assert (e.trigger_version, e.status, e.due) == (h, Status.PENDING, due("2026-05-11"))  # 04-10 + 30 = 05-10 (Sun)
    propose(case, "2026-04-30", responds_to=OPINION)
    assert only(case, "art29.escalate").status is Status.MET


# --- 条例第三十九条: the supervision body ordered to correct within a limit ---


def test_tiaoli39_order_ignored_is_a_candidate_for_chufen() -> None:
    case = inspection("2026-03-02")
    o = order(case, "2026-04-01", "2026-04-30")
    d = only(case, "art39.correct", as_of="2026-05-01")
    assert (d.rule_set, d.status, d.responsible) == (TIAOLI, Status.BREACHED, "supervision_body")
    f = one(case, "art39.correct", as_of="2026-05-01")
    assert (f.id, f.article, f.law, f.subject.unit) == (f"inspection-1:art39.correct:{o}", "39", LAW, BODY)
    assert "处分" in f.title and f.to_json()["article_text"] == "《行政执法监督条例》第三十九条"


def test_tiaoli39_correction_by_the_limit_is_met_by_its_stated_day_even_when_reported_later() -> None:
    case = inspection("2026-03-02")
    order(case, "2026-04-01", "2026-04-30")
    v = corrected_body(case, "2026-05-06", corrected_on="2026-04-29")
    d = only(case, "art39.correct")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)
    late = inspection("2026-03-02")
    order(late, "2026-04-01", "2026-04-30")
    corrected_body(late, "2026-05-06", corrected_on="2026-05-06")
    assert only(late, "art39.correct").status is Status.MET_LATE


def test_tiaoli39_binds_supervision_bodies_by_kind_the_legal_office_and_the_justice_bureau() -> None:
    justice = {"code": "114210000000000008", "name": "荆州市司法局"}
    units = organisations_from(
        {
            "units": [
                {**CITY, "kind": "city_bureau", "level": "city", "parent": None},
                {**BODY, "kind": "supervision_body", "level": "city", "parent": CITY["code"]},
                {**COUNTY, "kind": "county_bureau", "level": "county", "parent": CITY["code"]},
                {**justice, "kind": "justice_bureau", "level": "city", "parent": None},
            ]
        },
        RULE_SCHEMAS,
    )
    case = inspection("2026-03-02")
    order(case, "2026-04-01", "2026-04-30", body=justice)
    order(case, "2026-04-02", "2026-04-30", body=COUNTY)
    found = [
        d for d in evaluate(case.records, RULESETS, CALENDAR, utc("2026-05-01"), units) if d.rule_id.startswith("art39")
    ]
    assert [d.status for d in found] == [Status.BREACHED, Status.NOT_APPLICABLE]
    assert "county_bureau" in found[1].reason and "supervision_body、justice_bureau" in found[1].reason


# --- a case straddling 2026-02-01: each deadline under the rule set in force at its trigger ---


def straddling() -> Case:
    """A notice on 01-30 (the seed), a 督办函 on 02-02 (the 条例), a fee charged on each side of the boundary."""
    case = inspection("2026-01-12")
    violation(case, "2026-01-20")
    issue(case, "2026-01-30", "2026-02-10")  # 02-10: unanswered
    fee(case, "2026-01-31T23:30:00+08:00", recorded="2026-01-31T23:40:00+08:00")
    fee(case, "2026-01-31T16:30:00Z")  # 02-01 00:30 in Beijing
    letter(case, "2026-02-02", "2026-02-13")
    return case


def test_straddling_case_each_deadline_is_evaluated_under_the_rule_set_in_force_at_its_trigger() -> None:
    case = straddling()
    found = {
        (d.rule_id, d.trigger_version): (d.rule_set, d.status, d.due)
        for d in evaluate(case.records, POLICY.effective_rulesets(), CALENDAR, utc("2026-04-01"), ORGANISATIONS)
    }
    assert found == {
        ("art11.notice", 2): (SEED, Status.MET, due("2026-02-24")),  # 01-20 + 30 = 02-19, in 春节 → 02-24
        ("art11.correct", 3): (SEED, Status.BREACHED, due("2026-02-10")),
        ("art11.escalate", 3): (SEED, Status.BREACHED, due("2026-03-12")),  # runs after 02-01, still the seed's
        ("art27.report", 6): (TIAOLI, Status.BREACHED, due("2026-02-13")),
        ("art29.escalate", 6): (TIAOLI, Status.BREACHED, due("2026-03-16")),  # 02-13 + 30 = 03-15 (Sun)
    }
    by_key = {(f.key, f.rule_set): f.to_json()["article_text"] for f in findings(case, as_of="2026-04-01")}
    assert by_key == {
        ("art18.fee_charged", SEED): "第十八条",  # 01-31 23:30 Beijing
        ("art18.fee_charged", TIAOLI): "第十八条",  # 02-01 00:30 Beijing: the seed's article, carried forward
        ("art11.correct", SEED): "第十一条",
        ("art11.escalate", SEED): "第十七条第（二）项",
        ("art27.report", TIAOLI): "《行政执法监督条例》第二十九条",
        ("art29.escalate", TIAOLI): "《行政执法监督条例》第三十九条",
    }


def test_straddling_case_replayed_as_of_0131_shows_the_old_rule_sets_answers_only() -> None:
    case = straddling()
    then = view(case, "2026-01-31T23:59:00+08:00")
    assert {(d.deadline.rule_id, d.deadline.rule_set, d.deadline.status) for d in then.deadlines} == {
        ("art11.notice", SEED, Status.MET),
        ("art11.correct", SEED, Status.PENDING),
    }
    assert [(f.key, f.rule_set) for f in then.findings] == [("art18.fee_charged", SEED)]
    now = view(case, "2026-04-01")
    assert {d.deadline.rule_set for d in now.deadlines} == {SEED, TIAOLI}


# --- findings name their rule set: patterns, determinations and sanctions ---


def test_a_determination_naming_the_tiaoli_rule_set_cites_the_tiaoli_and_one_naming_none_cites_the_seed() -> None:
    case = inspection("2026-03-02")
    determine(case, "2026-03-10", "FND-1", article="39", rule_set=TIAOLI)
    determine(case, "2026-03-11", "FND-2", article="17", item="二")
    sanction(case, "2026-03-12", "FND-1", sanction="disciplinary_sanction", article="39", rule_set=TIAOLI)
    first, second = findings(case)
    assert (first.rule_set, first.law, first.title) == (TIAOLI, LAW, "人工认定的问题（《行政执法监督条例》第三十九条）")
    assert (second.rule_set, second.law, second.to_json()["article_text"]) == (TIAOLI, None, "第十七条第（二）项")
    (s,) = first.sanctions
    assert (s.rule_set, s.law, s.to_json()["article_text"]) == (TIAOLI, LAW, "《行政执法监督条例》第三十九条")


def test_a_sanction_before_2026_names_the_seed_rule_set() -> None:
    case = inspection("2026-01-05")
    sanction(case, "2026-01-20")
    (s,) = view(case).unattached_sanctions
    assert (s.rule_set, s.law, s.to_json()["article_text"]) == (SEED, None, "第十六条")


# --- 第十七条（二） (art11.notice) under the 条例: its instruments answer a violation; 26② needs none ---


def test_art11_notice_under_tiaoli_is_answered_by_a_letter_an_opinion_or_a_proposal() -> None:
    for answer in (letter, opinion, lambda case, when: propose(case, when, responds_to=None)):
        case = inspection("2026-03-02")
        violation(case, "2026-03-03")
        v = answer(case, "2026-03-20")
        d = only(case, "art11.notice", as_of="2026-05-01", rulesets=POLICY.effective_rulesets())
        assert (d.rule_set, d.status, d.fulfilment_version) == (TIAOLI, Status.MET, v)


def test_tiaoli26_a_problem_corrected_on_the_spot_needs_no_notice() -> None:
    case = inspection("2026-03-02")
    violation(case, "2026-03-03", target_act="某现场检查")
    v = case.add(
        "inspection.corrected_on_the_spot",
        "2026-03-03T15:00:00+08:00",
        supervised_unit=COUNTY,
        problem="未出示执法证件",
        target_act="某现场检查",
        correction="当场出示",
    )
    d = only(case, "art11.notice", as_of="2026-05-01", rulesets=POLICY.effective_rulesets())
    assert (d.status, d.reason_version) == (Status.NOT_APPLICABLE, v)
    assert view(case).status.status == "corrected"


# --- the inspection's status under the 条例 ---


def test_inspection_status_through_the_tiaolis_instruments() -> None:
    case = inspection("2026-03-02")
    violation(case, "2026-03-03")
    letter(case, "2026-03-05", "2026-03-20")
    propose(case, "2026-04-01")
    case.add(
        "inspection.government_decision_issued",
        "2026-04-10",
        government=GOVERNMENT,
        proposal="荆政数法建〔2026〕1号",
        decision="correct",
        decision_document={"number": "荆政监决〔2026〕1号"},
    )
    report(case, "2026-04-20", number="荆政监决〔2026〕1号")
    days = ("2026-03-03", "2026-03-05", "2026-04-01", "2026-04-10", "2026-04-20")
    statuses = [view(case, f"{d}T23:00:00+08:00").status.status for d in days]
    assert statuses == ["violation_found", "instrument_issued", "proposal_submitted", "government_decided", "corrected"]
    assert view(case).status.irregular == ()
