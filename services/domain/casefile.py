"""A case as an inspector or reviewer sees it at an instant: status, units, last act, deadlines with warning
levels and the unit answering for each, findings with determinations and sanctions.

Pure: stored records, a Policy and `as_of` in; a CaseView out. Only records recorded at or before `as_of` are
seen and no clock but `as_of` is read, so the answer for an instant is the same whenever it is asked.

Readings made here:
- Warning level of a deadline: `red` when breached, or provisional and unfulfilled past its (provisional)
  due instant — overdue, though never the basis of a finding; `yellow` when pending with at most
  `Policy.yellow_working_days` working days left; otherwise `none`. A case's `warning` is its highest level.
- `has_breach`: a deadline is breached or was met late. `open_deadlines`: deadlines not yet fulfilled that
  still apply (pending, breached, or provisional without a fulfilment).
- Once a case is in a terminal status (grievance concluded or withdrawn, document revoked, inspection
  closed), nothing is outstanding any more: its deadlines keep their status (a breach stays a breach, and
  its finding stays) but are not open and carry no warning level.
- 17(二): `Policy.violation_notice_days` (local policy, default 30 calendar days) adds the deadline rule
  `art11.notice` to every rule set that has no rule of that id: a violation found (inspection.violation_found)
  is to be followed by a supervision notice (inspection.notice_issued) within the period — or, under the
  条例, by a 督办函 or 意见书 (27, 28), or for a 重大问题 a 处理建议 to the government (29); one answers every
  violation found before it. A problem corrected on the spot (26②, naming the same target act) needs none.
  Breached, it is the candidate finding 17(二). Set it to None to drop it.
- 第十五条: `Policy.referral_days` (local policy, default 30 calendar days) adds `art15.refer` the same way
  (referrals.py): a confirmed determination stating referral grounds is to be referred within the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from esledger.core.instants import parse_instant
from esledger.domain.calendar import BEIJING, Calendar, beijing_date
from esledger.domain.deadlines import Deadline, Status, days_left, evaluate
from esledger.domain.findings import (
    Finding,
    Sanction,
    backdated_finding_id,
    breach_finding_id,
    case_findings,
    unattached_sanctions,
)
from esledger.domain.organisations import Organisations
from esledger.domain.periods import Counting
from esledger.domain.presentation import Titles, date_json, instant_json
from esledger.domain.qualifications import Register, qualification_findings, qualification_register
from esledger.domain.referrals import referral_rule
from esledger.domain.rules import ActPattern, Basis, Cancellation, Count, OnBreach, Rule, RuleSet
from esledger.domain.snapshot import CaseSnapshot, snapshots
from esledger.domain.status import CaseStatus, LastAct, case_status, is_terminal, last_act
from esledger.domain.units import UnitInvolvement, party_title, responsible_unit, unit_json, units_involved

LEVELS = ("none", "yellow", "red")
ART11_NOTICE = "art11.notice"
CORRECTION_STEPS = (
    "inspection.notice_issued",
    "inspection.supervision_letter_issued",
    "inspection.opinion_issued",
    "inspection.handling_proposal_submitted",
)
"""How the supervision body takes a violation found towards correction: the seed's 通知书 (11); the 条例's 督办函 (27)
and 意见书 (28), or for a 重大问题 a 处理建议 to the government (29)."""


def violation_notice_rule(days: int, counting: Counting, effective_from: date) -> Rule:
    """17(二) as a deadline: a violation found is to be followed by a supervision notice (or, under the 条例, another
    step towards its correction) within `days`, unless it was corrected on the spot."""
    return Rule(
        id=ART11_NOTICE,
        article=11,
        paragraph=1,
        title="发现违法违规问题后通知限期履行或纠正",
        quote="行政执法监督检查中发现的违法违规问题，应当通知限期履行或纠正。",
        trigger=ActPattern("inspection.violation_found"),
        anchor=None,
        related=None,
        period=Count(days, counting),
        fulfilled_by=tuple(ActPattern(act) for act in CORRECTION_STEPS),
        not_applicable_when=(
            Cancellation(
                ActPattern("inspection.corrected_on_the_spot", match=(("/data/target_act", "/data/target_act"),)),
                "问题已当场纠正（条例第二十六条第二款），无须制发通知书",
            ),
        ),
        superseded_by=None,
        responsible="supervision_body",
        on_breach=OnBreach(
            "17",
            ("二",),
            "发现违法违规问题后未在期限内制发《行政执法监督通知书》或督办函、意见书等（明知有执法违法行为而放任）",
        ),
        basis=Basis.LOCAL_POLICY,
        basis_note=f"第十一条未规定制发通知书的期限；{days}日为本地政策（Policy.violation_notice_days），部署可调整。",
        effective_from=effective_from,
        shared_fulfilment=True,
    )


@dataclass(frozen=True)
class Policy:
    """What a deployment decides: rule sets (with local-policy overrides), the calendar, warning thresholds,
    the 17(二) and 第十五条 periods (None: no such rule), and the catalog's titles that views and reasons name
    acts by."""

    rulesets: tuple[RuleSet, ...]
    calendar: Calendar = field(default_factory=Calendar)
    titles: Titles = field(default_factory=Titles)
    organisations: Organisations = field(default_factory=Organisations)
    yellow_working_days: int = 3
    violation_notice_days: int | None = 30
    violation_notice_counting: Counting = Counting.CALENDAR
    referral_days: int | None = 30
    referral_counting: Counting = Counting.CALENDAR

    def __post_init__(self) -> None:
        if isinstance(self.rulesets, RuleSet):
            object.__setattr__(self, "rulesets", (self.rulesets,))
        else:
            object.__setattr__(self, "rulesets", tuple(self.rulesets))
        for name in ("violation_notice_days", "referral_days"):
            days = getattr(self, name)
            if days is not None and days < 1:
                raise ValueError(f"{name} must be at least 1, not {days}")

    def effective_rulesets(self) -> tuple[RuleSet, ...]:
        """The rule sets with the policy's own rules (art11.notice, art15.refer) added to each set that has
        no rule of that id."""
        return self._effective_rulesets

    @cached_property
    def _effective_rulesets(self) -> tuple[RuleSet, ...]:
        """Built once per policy: every view evaluates them."""
        return tuple(replace(s, rules=(*s.rules, *self._missing_rules(s))) for s in self.rulesets)

    def _missing_rules(self, ruleset: RuleSet) -> list[Rule]:
        own = []
        if self.violation_notice_days is not None:
            own.append(
                violation_notice_rule(
                    self.violation_notice_days, self.violation_notice_counting, ruleset.effective_from
                )
            )
        if self.referral_days is not None:
            own.append(referral_rule(self.referral_days, self.referral_counting, ruleset.effective_from))
        defined = {r.id for r in ruleset.rules}
        return [r for r in own if r.id not in defined]


def warning_level(deadline: Deadline, yellow_working_days: int, as_of: datetime) -> str:
    """red: breached, or overdue on a provisional calendar; yellow: pending with few working days left."""
    if deadline.status is Status.BREACHED:
        return "red"
    overdue = deadline.due is not None and as_of >= deadline.due
    if deadline.status is Status.PROVISIONAL and deadline.fulfilment_version is None and overdue:
        return "red"
    if deadline.status is Status.PENDING and (deadline.working_days_left or 0) <= yellow_working_days:
        return "yellow"
    return "none"


def is_open(deadline: Deadline) -> bool:
    """Not yet fulfilled and still applicable."""
    return deadline.status in (Status.PENDING, Status.BREACHED) or (
        deadline.status is Status.PROVISIONAL and deadline.fulfilment_version is None
    )


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with its warning level, the unit answering for it and the findings it gave."""

    deadline: Deadline
    level: str
    responsible_unit: Mapping[str, Any] | None
    trigger_act: str | None
    trigger_title: str | None
    finding_ids: tuple[str, ...] = ()
    open: bool = False

    def to_json(self) -> dict[str, Any]:
        d, period = self.deadline, self.deadline.period
        finding = d.candidate_finding
        return {
            "rule_id": d.rule_id,
            "rule_set": d.rule_set,
            "law": d.law,
            "article": d.article,
            "paragraph": d.paragraph,
            "title": d.title,
            "trigger_version": d.trigger_version,
            "trigger_act": self.trigger_act,
            "trigger_title": self.trigger_title,
            "responsible": d.responsible,
            "responsible_title": party_title(d.responsible),
            "responsible_unit": unit_json(self.responsible_unit),
            "status": str(d.status),
            "level": self.level,
            "open": self.open,
            "period": period.label if period else None,
            "start_day": date_json(period.start_day) if period else None,
            "raw_last_day": date_json(period.raw_last_day) if period else None,
            "last_day": date_json(d.last_day),
            "due": instant_json(d.due),
            "calendar_days_left": d.calendar_days_left,
            "working_days_left": d.working_days_left,
            "fulfilment_version": d.fulfilment_version,
            "fulfilled_at": instant_json(d.fulfilled_at),
            "backdated": d.backdated,
            "provisional": d.provisional,
            "calendar_sources": [str(s) for s in period.sources] if period else [],
            "steps": [s.text for s in period.steps] if period else [],
            "reason": d.reason,
            "reason_version": d.reason_version,
            "defective": d.defective,
            "moved": {
                "by_version": d.moved[0],
                "from_last_day": date_json(d.moved[1].last_day),
                "from_due": instant_json(d.moved[1].due),
            }
            if d.moved
            else None,
            "candidate_finding": (
                {"article": finding.article, "items": list(finding.items), "description": finding.description}
                if finding
                else None
            ),
            "finding_ids": list(self.finding_ids),
        }


@dataclass(frozen=True)
class CaseView:
    """Everything about one case as known at `as_of`. `snapshot` (the acts behind it) is not in the JSON."""

    case_id: str
    case_kind: str
    case_kind_title: str
    status: CaseStatus
    units: tuple[UnitInvolvement, ...]
    last_act: LastAct | None
    deadlines: tuple[DeadlineView, ...]
    findings: tuple[Finding, ...]
    unattached_sanctions: tuple[Sanction, ...]
    as_of: datetime
    snapshot: CaseSnapshot = field(repr=False, compare=False)

    @property
    def has_breach(self) -> bool:
        return any(v.deadline.status in (Status.BREACHED, Status.MET_LATE) for v in self.deadlines)

    @property
    def open_deadlines(self) -> int:
        return sum(v.open for v in self.deadlines)

    @property
    def warning(self) -> str:
        return max((v.level for v in self.deadlines), key=LEVELS.index, default="none")

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(f.status == s for f in self.findings) for s in ("candidate", "confirmed", "dismissed")}
        return {
            "case_id": self.case_id,
            "case_kind": self.case_kind,
            "case_kind_title": self.case_kind_title,
            "as_of": instant_json(self.as_of),
            "status": self.status.status,
            "status_title": self.status.title,
            "status_since_version": self.status.since_version,
            "status_since": instant_json(self.status.since),
            "irregular_acts": [i.to_json() for i in self.status.irregular],
            "units": [u.to_json() for u in self.units],
            "last_act": self.last_act.to_json() if self.last_act else None,
            "has_breach": self.has_breach,
            "open_deadlines": self.open_deadlines,
            "warning": self.warning,
            "deadlines": [v.to_json() for v in self.deadlines],
            "finding_counts": counts,
            "findings": [f.to_json() for f in self.findings],
            "unattached_sanctions": [s.to_json() for s in self.unattached_sanctions],
        }


def view_cases(
    records: Iterable[Mapping[str, Any]],
    policy: Policy,
    as_of: datetime,
    context: Iterable[Mapping[str, Any]] = (),
) -> list[CaseView]:
    """A view of every case with a record recorded at or before `as_of`, ordered by case id. `context` holds
    records of other cases, not viewed themselves, that findings may read: the qualification register reads
    those register_records selects (qualifications.py)."""
    stored = list(records)
    cases = snapshots(stored, as_of)
    register = qualification_register([*stored, *context], as_of)
    by_case: dict[str, list[Deadline]] = {case_id: [] for case_id in cases}
    for d in evaluate(stored, policy.effective_rulesets(), policy.calendar, as_of, policy.organisations):
        by_case[d.case_id].append(d)
    return [_view(case, by_case[case_id], policy, as_of, register) for case_id, case in cases.items()]


def view_case(
    records: Iterable[Mapping[str, Any]],
    policy: Policy,
    as_of: datetime,
    context: Iterable[Mapping[str, Any]] = (),
) -> CaseView | None:
    """The view of the one case the records belong to, or None when none was recorded by `as_of`."""
    views = view_cases(records, policy, as_of, context)
    if len(views) > 1:
        raise ValueError(f"records of more than one case: {', '.join(v.case_id for v in views)}")
    return views[0] if views else None


def _view(
    case: CaseSnapshot, deadlines: Sequence[Deadline], policy: Policy, as_of: datetime, register: Register
) -> CaseView:
    rulesets = policy.rulesets
    more = qualification_findings(case, register, policy.titles)
    findings = case_findings(case, deadlines, policy.titles, rulesets, more)
    status = case_status(case.kind, case.acts)
    ended = is_terminal(case.kind, status.status)
    views = []
    for d in sorted(deadlines, key=lambda d: (d.due is None, d.due or as_of, d.rule_id, d.trigger_version)):
        trigger = case.act(d.trigger_version)
        own = (breach_finding_id(d), backdated_finding_id(d))
        views.append(
            DeadlineView(
                deadline=d,
                level="none" if ended else warning_level(d, policy.yellow_working_days, as_of),
                responsible_unit=responsible_unit(d.responsible, trigger, case.acts),
                trigger_act=trigger.act if trigger else None,
                trigger_title=policy.titles.act(trigger.act) if trigger else None,
                finding_ids=tuple(f.id for f in findings if f.id in own),
                open=not ended and is_open(d),
            )
        )
    return CaseView(
        case_id=case.case_id,
        case_kind=case.kind,
        case_kind_title=policy.titles.kind(case.kind),
        status=status,
        units=tuple(units_involved(case.acts)),
        last_act=last_act(case.acts, policy.titles),
        deadlines=tuple(views),
        findings=tuple(findings),
        unattached_sanctions=tuple(unattached_sanctions(case, findings, rulesets)),
        as_of=as_of,
        snapshot=case,
    )


def present(view: Mapping[str, Any], at: datetime, calendar: Calendar) -> dict[str, Any]:
    """The JSON of a case's view at `at`, from the JSON of its view at an earlier instant whose `next_change`
    is after `at`: only the instant and the days left of pending deadlines differ between the two."""
    return {
        **view,
        "as_of": instant_json(at),
        "deadlines": [present_deadline(d, at, calendar) for d in view["deadlines"]],
    }


def present_deadline(deadline: Mapping[str, Any], at: datetime, calendar: Calendar) -> dict[str, Any]:
    """A deadline's JSON at `at` (see `present`): a pending one counts its days left from `at`."""
    if deadline["status"] != Status.PENDING:
        return dict(deadline)
    days, working = days_left(date.fromisoformat(deadline["last_day"]), at, calendar)
    return {**deadline, "calendar_days_left": days, "working_days_left": working}


def next_change(
    view: CaseView | None, records: Iterable[Mapping[str, Any]], policy: Policy, at: datetime
) -> datetime | None:
    """The earliest instant after `at` at which the case's view, as `present` shows it, may differ from its
    view at `at` by the clock alone (None: never): a record recorded after `at` becomes known (`records` are
    the case's and those of the cases its findings read), a pending deadline falls due (breached, or red when
    provisional; an escalation it triggers starts), or one comes within the yellow warning.

    Nothing else in a view depends on the instant: acts, statuses, units and findings are read from the
    records known at it, and a deadline is judged against its due instant."""
    changes = [t for r in records if (t := parse_instant(r["recorded_at"])) > at]
    for v in view.deadlines if view is not None else ():
        d = v.deadline
        if d.status is Status.PENDING and d.period is not None:
            changes.append(d.period.due)
            yellow = yellow_from(d.period.last_day, policy.yellow_working_days, at, policy.calendar)
            if yellow is not None:
                changes.append(yellow)
    return min(changes, default=None)


def yellow_from(last_day: date, yellow_working_days: int, at: datetime, calendar: Calendar) -> datetime | None:
    """The instant (a Beijing midnight after `at`) from which a deadline pending until `last_day` has at most
    `yellow_working_days` working days left; None when it has no more than that at `at` already."""
    today = beijing_date(at)
    day, left = last_day, 0  # left: working days after `day` up to the last day
    while day > today and left + calendar.is_working_day(day) <= yellow_working_days:
        left += calendar.is_working_day(day)
        day -= timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=BEIJING) if day > today else None
