"""The rule set as data: every DOMAIN.md deadline rule present, validated, overridable where local policy."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest

from esledger.domain.periods import Counting
from esledger.domain.rules import Basis, Count, Overdue, parse_ruleset, ruleset_in_force, rulesets_from
from esledger.domain.validation import RuleDataError

from .builders import RULE_SCHEMAS, RULESETS, SCHEMAS

DOCUMENT = SCHEMAS.read_json("rules/ruleset-2020-11-17.json")


def load_rulesets(overrides: dict | None = None) -> tuple:
    """The published rule set with overrides, through the domain's own loader."""
    return rulesets_from([("ruleset-2020-11-17.json", DOCUMENT)], RULE_SCHEMAS, overrides)


EXPECTED = {
    # id: (article, paragraph, trigger act, fulfilling acts, basis, finding)
    "art9.disposition": (
        9,
        1,
        "grievance.received",
        {"grievance.accepted", "grievance.transferred"},
        Basis.LOCAL_POLICY,
        ("17", ("一", "四")),
    ),
    "art9.inform": (9, 1, "grievance.transferred", {"grievance.complainant_informed"}, Basis.STATUTE, ("17", ("四",))),
    "art9.notify": (9, 2, "grievance.accepted", {"grievance.respondent_notified"}, Basis.STATUTE, ("17", ("一", "四"))),
    "art9.explain": (9, 2, "document.delivered", {"grievance.explanation_submitted"}, Basis.STATUTE, ("16", ())),
    "art7.file": (7, 1, "normative_document.published", {"normative_document.filed"}, Basis.STATUTE, ("7", ())),
    "art7.correct": (
        7,
        1,
        "normative_document.review_concluded",
        {"normative_document.corrected", "normative_document.revoked"},
        Basis.STATUTE,
        ("7", ()),
    ),
    "art8.file": (8, 1, "major_penalty.decided", {"major_penalty.filed"}, Basis.STATUTE, ("8", ())),
    "art11.correct": (
        11,
        1,
        "inspection.notice_issued",
        {"inspection.execution_report_submitted"},
        Basis.STATUTE,
        ("11", ()),
    ),
    "art11.escalate": (
        11,
        1,
        None,
        {"inspection.change_revocation_approved", "inspection.decision_issued"},
        Basis.LOCAL_POLICY,
        ("17", ("二",)),
    ),
    "art12.report": (12, 2, "document.delivered", {"inspection.execution_report_submitted"}, Basis.STATUTE, ("16", ())),
}


def test_every_deadline_rule_of_domain_md_is_in_the_2020_rule_set() -> None:
    ruleset = RULESETS[0]
    assert (ruleset.id, ruleset.effective_from, ruleset.law) == ("jingzhou-zfjd-2020-11-17", date(2020, 11, 17), None)
    assert [r.id for r in ruleset.rules] == list(EXPECTED)
    for rule in ruleset.rules:
        article, paragraph, act, fulfilling, basis, finding = EXPECTED[rule.id]
        assert (rule.article, rule.paragraph, rule.basis) == (article, paragraph, basis), rule.id
        assert (getattr(rule.trigger, "act", None)) == act, rule.id
        assert {f.act for f in rule.fulfilled_by} == fulfilling, rule.id
        assert (rule.on_breach.article, rule.on_breach.items) == finding, rule.id
        assert rule.effective_from == date(2020, 11, 17)
        assert rule.quote and rule.title


def test_art11_escalate_is_triggered_by_art11_correct_being_overdue() -> None:
    assert RULESETS[0].rule("art11.escalate").trigger == Overdue(("art11.correct",))


def test_art9_inform_counts_from_the_receipt() -> None:
    assert RULESETS[0].rule("art9.inform").anchor == "grievance.received"


def test_art9_notify_is_cancelled_by_a_transfer() -> None:
    assert "grievance.transferred" in {c.pattern.act for c in RULESETS[0].rule("art9.notify").not_applicable_when}


def test_the_rule_set_in_force_is_the_latest_already_effective() -> None:
    later = parse_ruleset({**DOCUMENT, "id": "later", "effective_from": "2026-02-01"}, RULE_SCHEMAS, "later")
    sets = (RULESETS[0], later)
    assert ruleset_in_force(sets, date(2020, 11, 16)) is None
    assert ruleset_in_force(sets, date(2020, 11, 17)) is RULESETS[0]
    assert ruleset_in_force(sets, date(2026, 1, 31)) is RULESETS[0]
    assert ruleset_in_force(sets, date(2026, 2, 1)) is later


def test_a_local_policy_period_can_be_overridden() -> None:
    (ruleset,) = load_rulesets(overrides={"art11.escalate": {"days": 5, "counting": "working"}})
    assert ruleset.rule("art11.escalate").period == Count(5, Counting.WORKING)
    assert ruleset.overrides == {"art11.escalate": {"days": 5, "counting": "working"}}


def test_a_statutory_period_cannot_be_overridden() -> None:
    with pytest.raises(RuleDataError, match=re.escape("/art8.file: the period is set by statute, not local policy")):
        load_rulesets(overrides={"art8.file": {"days": 30}})


def test_an_override_of_an_unknown_rule_or_with_a_bad_value_is_refused() -> None:
    with pytest.raises(RuleDataError, match=re.escape("/art99.file: no rule set has this rule")):
        load_rulesets(overrides={"art99.file": {"days": 30}})
    with pytest.raises(RuleDataError, match=re.escape("/art9.disposition: expected")):
        load_rulesets(overrides={"art9.disposition": {"days": 0}})
    with pytest.raises(RuleDataError, match=re.escape("/art9.disposition: expected")):
        load_rulesets(overrides={"art9.disposition": {"days": 7, "counting": "lunar"}})


def test_a_rule_set_failing_its_schema_is_refused_with_locations() -> None:
    bad = copy.deepcopy(DOCUMENT)
    bad["rules"][3]["period"] = {"days": "15"}
    del bad["rules"][0]["basis"]
    with pytest.raises(RuleDataError) as e:
        parse_ruleset(bad, RULE_SCHEMAS, "ruleset-bad.json")
    assert "ruleset-bad.json: invalid" in str(e.value)
    assert "/rules/0: 'basis' is a required property" in str(e.value)
    assert "/rules/3/period:" in str(e.value)


def test_a_rule_set_with_broken_cross_references_is_refused() -> None:
    bad = copy.deepcopy(DOCUMENT)
    bad["rules"][1]["id"] = "art9.disposition"
    bad["rules"][8]["trigger"] = {"overdue": "art12.report"}
    del bad["rules"][9]["related"]
    with pytest.raises(RuleDataError) as e:
        parse_ruleset(bad, RULE_SCHEMAS, "ruleset-bad.json")
    message = str(e.value)
    assert "/rules/1/id: art9.disposition is defined twice" in message
    assert "/rules/8/trigger/overdue: art12.report is not an earlier act-triggered rule" in message
    assert "/rules/9/period: reads a related record but the rule defines no 'related'" in message
