"""第十五条 (seed, carried forward by rule set tiaoli-2026-02-01): a confirmed suspected violation, breach of
discipline or crime is to be referred; with no referral within the local-policy period (30 calendar days by
default) it is the candidate finding 17(二). Dates on the 2026 calendar (国庆 10-01..10-07 off)."""

from __future__ import annotations

from dataclasses import replace

from esledger.domain.casefile import Policy
from esledger.domain.deadlines import Status
from esledger.domain.periods import Counting
from esledger.domain.referrals import ART15_REFER, referral_rule

from .builders import BODY, CALENDAR, ORGANISATIONS, RULESETS, TITLES, Case, deadlines, due, inspection, only
from .scenarios import POLICY, determine, one

FINDING = "FND-2026-001"
VIOLATION = "suspected_violation_of_law_or_discipline"
EFFECTIVE = POLICY.effective_rulesets()


def confirmed(case: Case, when: str, grounds: str | None = VIOLATION, **kw: str) -> int:
    extra = {"referral_grounds": grounds} if grounds else {}
    return determine(case, when, FINDING, "confirmed", **extra, **kw)


def refer(case: Case, when: str, grounds: str = VIOLATION) -> int:
    return case.add(
        "case.referral_made",
        when,
        referred_to="supervisory_commission" if grounds == VIOLATION else "judicial_organ",
        to_unit={"code": "421002-JW", "name": "沙市区监察委员会"},
        grounds=grounds,
        subjects=["周某"],
        description="移送问题线索",
    )


def test_art15_confirmed_on_0902_not_referred_by_1008_is_17_2_for_the_supervision_body() -> None:
    """09-02 + 30 = 10-02, a National Day holiday: the period ends 2026-10-08 24:00."""
    case = inspection("2026-08-20")
    trigger = confirmed(case, "2026-09-02")
    pending = only(case, ART15_REFER, as_of="2026-10-08T20:00:00+08:00", rulesets=EFFECTIVE)
    assert (pending.status, pending.due, pending.period.raw_last_day.isoformat()) == (
        Status.PENDING,
        due("2026-10-08"),
        "2026-10-02",
    )
    d = only(case, ART15_REFER, as_of="2026-10-09T08:00:00+08:00", rulesets=EFFECTIVE)
    assert (d.status, d.trigger_version, d.article, d.rule_set) == (Status.BREACHED, trigger, 15, "tiaoli-2026-02-01")
    finding = one(case, ART15_REFER)
    assert (finding.article, finding.items, finding.subject.unit) == ("17", ("二",), BODY)
    assert "第十五条第一款" in finding.reason


def test_art15_a_referral_on_the_same_grounds_in_time_meets_it_others_do_not() -> None:
    case = inspection("2026-08-20")
    confirmed(case, "2026-09-02")
    refer(case, "2026-09-20", grounds="suspected_crime")  # another ground: not this duty
    v = refer(case, "2026-10-08")
    d = only(case, ART15_REFER, rulesets=EFFECTIVE)
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art15_one_referral_answers_every_confirmation_before_it() -> None:
    case = inspection("2026-08-20")
    confirmed(case, "2026-09-02")
    determine(case, "2026-09-03", "FND-2026-002", "confirmed", referral_grounds=VIOLATION)
    refer(case, "2026-09-10")
    assert [d.status for d in deadlines(case, ART15_REFER, rulesets=EFFECTIVE)] == [Status.MET, Status.MET]


def test_art15_only_a_confirmation_stating_referral_grounds_starts_it() -> None:
    case = inspection("2026-08-20")
    confirmed(case, "2026-09-02", grounds=None)
    determine(case, "2026-09-03", FINDING, "dismissed", referral_grounds=VIOLATION)
    assert deadlines(case, ART15_REFER, rulesets=EFFECTIVE) == []


def test_art15_a_later_dismissal_of_the_finding_ends_the_duty_a_later_confirmation_does_not_restart_it() -> None:
    dismissed = inspection("2026-08-20")
    confirmed(dismissed, "2026-09-02")
    v = determine(dismissed, "2026-09-10", FINDING, "dismissed")
    d = only(dismissed, ART15_REFER, rulesets=EFFECTIVE)
    assert (d.status, d.reason_version) == (Status.NOT_APPLICABLE, v) and "排除" in (d.reason or "")
    again = inspection("2026-08-20")
    confirmed(again, "2026-09-02")
    confirmed(again, "2026-09-30")
    first, second = deadlines(again, ART15_REFER, as_of="2026-10-09T08:00:00+08:00", rulesets=EFFECTIVE)
    assert (first.status, second.status) == (Status.BREACHED, Status.PENDING)


def test_art15_the_period_is_local_policy() -> None:
    """10 calendar days from 2025-06-03 (rule set jingzhou-zfjd-2020-11-17): 06-13 is a Friday."""
    policy = Policy(RULESETS, CALENDAR, titles=TITLES, organisations=ORGANISATIONS, referral_days=10)
    case = inspection("2025-05-20")
    confirmed(case, "2025-06-03")
    d = only(case, ART15_REFER, rulesets=policy.effective_rulesets())
    assert (d.due, d.rule_set, d.candidate_finding.article) == (due("2025-06-13"), "jingzhou-zfjd-2020-11-17", "17")
    assert "本地政策" in policy.effective_rulesets()[0].rule(ART15_REFER).basis_note
    assert all(
        ART15_REFER not in {r.id for r in s.rules} for s in replace(policy, referral_days=None).effective_rulesets()
    )


def test_art15_a_rule_set_defining_its_own_rule_keeps_it() -> None:
    """A rule set may cite another article for the same duty (the 条例's 39) by defining art15.refer itself."""
    own = replace(referral_rule(5, Counting.WORKING, RULESETS[0].effective_from), title="本规则集自己的移送规则")
    policy = Policy((replace(RULESETS[0], rules=(*RULESETS[0].rules, own)),))
    [rule] = [r for r in policy.effective_rulesets()[0].rules if r.id == ART15_REFER]
    assert rule.title == "本规则集自己的移送规则"
