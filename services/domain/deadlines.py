"""Evaluating every deadline rule against a case, as the ledger knew it at `as_of`.

Pure: records, rule sets, a calendar and `as_of` in; Deadline views out. No clock but `as_of`.

Readings the regulation leaves open, made here once:
- A deadline belongs to one trigger occurrence, and only acts that occur after its trigger (in occurred
  order, ties by case version) fulfil, cancel or supersede it: a transfer made before a grievance was
  accepted does not cancel the duty to notify that the acceptance started.
- A fulfilment is the earliest such matching record that occurred on or after the day the period counts
  from (the anchor's day, else the trigger's) and that no earlier trigger of the rule has claimed; recording
  order plays no part, so a fulfilment recorded before its trigger's record still counts. Where the rule
  names the fulfilment's own date field (``at``: the day a report says the unit corrected), that day is
  when it was done; absent that field (an older schema), a fulfilment reported after the due instant is
  taken as met — the day it was done is unknown, and a breach that cannot be proven is not claimed.
- A later trigger replaces an earlier one only when it says so (the rule's ``superseded_by``: a re-delivery
  of the same document, a notice naming the notice it replaces); two notices about two violations are two
  sets of deadlines. A cancelling act (e.g. the grievance was transferred) works the same way. Neither
  undoes a breach that had already happened, nor a fulfilment that came first.
- A document delivered after the last day it sets (the rule's ``delivery``) sets a period that cannot have
  run: the deadline is not applicable and flagged ``defective`` for the reviewer, never a breach. A document
  that names no date, where the rule has a default, gets the default counted from its delivery (else from
  its issue), so a late delivery never shortens it.
- A trigger document amended, after its deadline had passed, to a later date keeps that deadline's breach
  visible as of before the amendment, and the deadline is flagged ``moved`` (the amendment's version).
- A provisional deadline is never breached: past due it is `provisional` (and a fulfilment after its
  provisional due is `provisional`, not `met_late`); before its due it is `pending` with provisional set.
- Backdated: the fulfilment occurred before the due instant but the ledger learned of it (its record or
  the amendment that dated it) only after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from esledger.core.pointers import MISSING, resolve
from esledger.domain.acts import KnownAct, cases_as_of
from esledger.domain.calendar import BEIJING, Calendar, beijing_date
from esledger.domain.organisations import Organisations
from esledger.domain.periods import Period, Step, count_period, latest, period_after, period_ending_on
from esledger.domain.rules import (
    Count,
    FieldRef,
    LastDayFrom,
    LatestOf,
    OnBreach,
    Overdue,
    PeriodSpec,
    Rule,
    RuleSet,
    field_refs,
    ruleset_in_force,
)


class Status(StrEnum):
    PENDING = "pending"
    MET = "met"
    MET_LATE = "met_late"
    BREACHED = "breached"
    PROVISIONAL = "provisional"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Deadline:
    """One rule applied to one trigger: when it is due, and what became of it as of `as_of`.

    The *_version fields are case versions: the trigger, the fulfilment, and the record that made the
    deadline not applicable (`reason` says how). Days left (pending only) count the days after as_of's
    Beijing date up to the last day, so both are 0 on the last day itself. `candidate_finding` is the
    rule's finding when the deadline was breached or met late; the period carries its calendar sources.
    """

    rule_id: str
    article: int
    paragraph: int
    title: str
    case_id: str
    trigger_version: int
    responsible: str
    status: Status
    period: Period | None
    provisional: bool = False
    fulfilment_version: int | None = None
    fulfilled_at: datetime | None = None
    backdated: bool = False
    calendar_days_left: int | None = None
    working_days_left: int | None = None
    reason: str | None = None
    reason_version: int | None = None
    candidate_finding: OnBreach | None = None
    defective: bool = False
    moved: tuple[int, Period] | None = None
    """The amendment (case version) that moved the due instant after it had passed, and the period before."""
    rule_set: str | None = None
    """The id of the rule set governing the trigger (the one in force on its Beijing day)."""
    law: str | None = None
    """The text `article` belongs to (rules.Rule.law; None: the seed)."""

    @property
    def due(self) -> datetime | None:
        return self.period.due if self.period else None

    @property
    def last_day(self) -> date | None:
        return self.period.last_day if self.period else None


def evaluate(
    records: Iterable[Mapping[str, Any]],
    rulesets: RuleSet | Sequence[RuleSet],
    calendar: Calendar,
    as_of: datetime,
    organisations: Organisations | None = None,
) -> list[Deadline]:
    """Every deadline of every case in the stored records, as known at `as_of` (an aware instant);
    `organisations` (the unit registry) decides rules that bind only some kinds of unit."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    sets = (rulesets,) if isinstance(rulesets, RuleSet) else tuple(rulesets)
    units = organisations or Organisations()
    deadlines: list[Deadline] = []
    for records_of_case in cases_as_of(records, as_of).values():
        case = sorted(records_of_case, key=lambda r: (r.occurred, r.version))
        for ruleset in sets:
            done: dict[str, list[Deadline]] = {}
            for rule in ruleset.rules:
                triggers = _triggers(rule, ruleset, sets, case, done, as_of, units)
                done[rule.id] = _rule_deadlines(rule, ruleset, triggers, case, calendar, as_of)
                deadlines += done[rule.id]
    return deadlines


@dataclass(frozen=True)
class _Trigger:
    """A trigger record, the record its period counts from (None: the anchor is missing) and that start;
    `excluded` says why the rule does not bind this trigger (e.g. the unit is not of a kind it binds)."""

    record: KnownAct
    origin: KnownAct | None
    start: datetime | date
    provisional: bool
    excluded: str | None = None


def _triggers(
    rule: Rule,
    ruleset: RuleSet,
    sets: Sequence[RuleSet],
    case: list[KnownAct],
    done: Mapping[str, list[Deadline]],
    as_of: datetime,
    organisations: Organisations,
) -> list[_Trigger]:
    """The rule's triggers in the case (in occurred order) that this rule set governs."""
    if isinstance(rule.trigger, Overdue):
        by_version = {r.version: r for r in case}
        overdue = [
            _Trigger(by_version[d.trigger_version], by_version[d.trigger_version], d.period.last_day, d.provisional)
            for rule_id in rule.trigger.rule_ids
            for d in done[rule_id]
            if d.period and as_of >= d.period.due and d.status in (Status.BREACHED, Status.MET_LATE, Status.PROVISIONAL)
        ]
        return sorted(overdue, key=lambda t: (t.record.occurred, t.record.version))
    found = []
    for r in case:
        if (
            rule.trigger.matches(r.act, r.event, r.event)
            and r.day >= rule.effective_from
            and ruleset_in_force(sets, r.day) is ruleset
        ):
            origin = next((a for a in case if a.act == rule.anchor), None) if rule.anchor else r
            start = origin.occurred if origin else r.occurred
            found.append(_Trigger(r, origin, start, False, _exclusion(rule, r, organisations)))
    return found


def _exclusion(rule: Rule, trigger: KnownAct, organisations: Organisations) -> str | None:
    """Why a rule that binds only some kinds of unit does not bind this trigger's unit (None: it does)."""
    if rule.unit_kinds is None:
        return None
    code = resolve(trigger.event, rule.unit_kinds.pointer)
    unit = organisations.get(code) if isinstance(code, str) else None
    kinds = "、".join(rule.unit_kinds.kinds)
    if unit is None:
        return f"单位 {code} 不在单位名录中，无从确定其是否属于本条约束的单位（{kinds}）"
    if unit.kind not in rule.unit_kinds.kinds:
        return f"{unit.name}（{unit.kind}）不属于本条约束的单位（{kinds}）"
    return None


def _rule_deadlines(
    rule: Rule,
    ruleset: RuleSet,
    triggers: list[_Trigger],
    case: list[KnownAct],
    calendar: Calendar,
    as_of: datetime,
) -> list[Deadline]:
    """One deadline per trigger; each fulfilment answers one trigger only, unless the rule shares fulfilments."""
    claimed: set[int] = set()
    out = []
    for i, t in enumerate(triggers):
        deadline, fulfilment = _deadline(
            rule, ruleset, t, _replacement(rule, t, triggers[i + 1 :]), case, claimed, calendar, as_of
        )
        if fulfilment and not rule.shared_fulfilment:
            claimed.add(fulfilment.version)
        out.append(deadline)
    return out


def _replacement(rule: Rule, t: _Trigger, later: Sequence[_Trigger]) -> KnownAct | None:
    """The first later trigger that says it replaces this one (the rule's superseded_by), if any."""
    if rule.superseded_by is None:
        return None
    return next(
        (u.record for u in later if rule.superseded_by.matches(u.record.act, u.record.event, t.record.event)), None
    )


def _after(r: KnownAct, trigger: KnownAct) -> bool:
    return (r.occurred, r.version) > (trigger.occurred, trigger.version)


def _done_at(rule: Rule, r: KnownAct, trigger: KnownAct) -> datetime:
    """When the fulfilment was done: the day its own date field states (start of that Beijing day), else when
    it occurred."""
    pattern = next(p for p in rule.fulfilled_by if p.matches(r.act, r.event, trigger.event))
    stated = resolve(r.event, pattern.at) if pattern.at else MISSING
    if isinstance(stated, str):
        try:
            return datetime.combine(date.fromisoformat(stated), time(0), tzinfo=BEIJING)
        except ValueError:
            pass
    return r.occurred


OUT_OF_RANGE = "期限末日超出可计算的日期范围（晚于 9999-12-30）：文书载明的日期或天数不合理，文书有瑕疵"
"""Why a deadline whose period cannot be represented is not applicable (flagged defective, never a breach)."""


def _deadline(
    rule: Rule,
    ruleset: RuleSet,
    t: _Trigger,
    later: KnownAct | None,
    case: list[KnownAct],
    claimed: set[int],
    calendar: Calendar,
    as_of: datetime,
) -> tuple[Deadline, KnownAct | None]:
    """The deadline for one trigger, and the fulfilment it claims (if it claims one)."""
    base = Deadline(
        rule_id=rule.id,
        article=rule.article,
        paragraph=rule.paragraph,
        title=rule.title,
        case_id=t.record.case_id,
        trigger_version=t.record.version,
        responsible=rule.responsible,
        status=Status.NOT_APPLICABLE,
        period=None,
        rule_set=ruleset.id,
        law=rule.law,
    )
    if t.excluded is not None:
        return replace(base, reason=t.excluded), None
    if t.origin is None:
        return replace(base, reason=f"no {rule.anchor} record to count from"), None
    related = _related(rule, t.record, case)
    delivered = next((r for r in case if rule.delivery and rule.delivery.matches(r.act, r.event, t.record.event)), None)
    try:
        period = _period(rule.period, t.start, t.record, related, calendar, delivered)
    except OverflowError:  # a schema-valid date such as 9999-12-31, or a count of days past it
        return replace(base, defective=True, reason=OUT_OF_RANGE), None
    if period is None:
        absent = ", ".join(sorted({f.pointer for f in field_refs(rule.period)}))
        return replace(base, reason=f"no period: {absent} not set"), None
    base = replace(
        base,
        period=period,
        provisional=period.provisional or t.provisional,
        moved=_moved(rule, t, related, delivered, period, calendar),
    )
    if delivered is not None and delivered.day > period.last_day:
        return replace(
            base,
            defective=True,
            reason=f"{delivered.act}（第{delivered.version}版）{delivered.day} 送达，晚于本文书载明的期限末日 "
            f"{period.last_day}：期限无从起算，文书有瑕疵",
            reason_version=delivered.version,
        ), None
    fulfilment = next(
        (
            r
            for r in case
            if r.version not in claimed
            and _after(r, t.record)
            and r.day >= t.origin.day
            and any(p.matches(r.act, r.event, t.record.event) for p in rule.fulfilled_by)
        ),
        None,
    )
    done_at = _done_at(rule, fulfilment, t.record) if fulfilment else None
    if later and later.occurred < period.due and (done_at is None or done_at >= later.occurred):
        return replace(
            base, reason=f"superseded by {later.act} (version {later.version})", reason_version=later.version
        ), None
    for r in case:
        if not _after(r, t.record):
            continue
        if r.occurred >= period.due or (done_at and r.occurred >= done_at):
            break
        cancellation = next(
            (c for c in rule.not_applicable_when if c.pattern.matches(r.act, r.event, t.record.event)), None
        )
        if cancellation:
            return replace(base, reason=cancellation.reason, reason_version=r.version), None
    return _judged(rule, base, period, fulfilment, done_at, calendar, as_of), fulfilment


def _moved(
    rule: Rule,
    t: _Trigger,
    related: KnownAct | None,
    delivered: KnownAct | None,
    period: Period,
    calendar: Calendar,
) -> tuple[int, Period] | None:
    """The amendment that moved the due instant later after it had passed, with the period it replaced."""
    for version, learned, event in t.record.before:
        try:
            earlier = _period(rule.period, t.start, replace(t.record, event=event), related, calendar, delivered)
        except OverflowError:
            continue
        if earlier is not None and earlier.due <= learned and earlier.due < period.due:
            return version, earlier
    return None


def _judged(
    rule: Rule,
    base: Deadline,
    period: Period,
    fulfilment: KnownAct | None,
    done_at: datetime | None,
    calendar: Calendar,
    as_of: datetime,
) -> Deadline:
    """Status of a deadline that applies: met, late, breached, pending, or provisional where data is lacking."""
    due = period.due
    if fulfilment and done_at:
        undated = done_at == fulfilment.occurred and any(p.at for p in rule.fulfilled_by)
        in_time = done_at < due or undated
        status = Status.MET if in_time else Status.PROVISIONAL if base.provisional else Status.MET_LATE
        return replace(
            base,
            status=status,
            fulfilment_version=fulfilment.version,
            fulfilled_at=done_at,
            # the record itself claims to predate the due instant the ledger learned it after; a report stating
            # an earlier correction day (fulfilled_by.at) is judged on that day but dates only itself
            backdated=in_time and not undated and fulfilment.occurred < due < fulfilment.known,
            reason="履行记录未载明履行日期，且晚于期限报告：逾期无从认定" if undated and done_at >= due else None,
            candidate_finding=rule.on_breach if status is Status.MET_LATE else None,
        )
    if as_of < due:
        days, working = days_left(period.last_day, as_of, calendar)
        return replace(base, status=Status.PENDING, calendar_days_left=days, working_days_left=working)
    if base.provisional:
        return replace(base, status=Status.PROVISIONAL)
    return replace(base, status=Status.BREACHED, candidate_finding=rule.on_breach)


def days_left(last_day: date, as_of: datetime, calendar: Calendar) -> tuple[int, int]:
    """Calendar and working days after as_of's Beijing date up to the last day (both 0 on the last day): the
    only part of a pending deadline that changes from one day to the next."""
    today = beijing_date(as_of)
    days = (last_day - today).days
    return days, sum(calendar.is_working_day(today + timedelta(days=n)) for n in range(1, days + 1))


def _related(rule: Rule, trigger: KnownAct, by_occurrence: list[KnownAct]) -> KnownAct | None:
    if rule.related is None:
        return None
    matching = [r for r in by_occurrence if rule.related.matches(r.act, r.event, trigger.event)]
    return matching[-1] if matching else None


def _period(
    spec: PeriodSpec,
    start: datetime | date,
    trigger: KnownAct,
    related: KnownAct | None,
    calendar: Calendar,
    delivered: KnownAct | None = None,
) -> Period | None:
    """The period a spec gives for this trigger, or None where a field it needs is absent; `delivered` is
    the delivery of the trigger's document, which a default period counts from."""
    match spec:
        case LatestOf(options):
            found = [p for o in options if (p := _period(o, start, trigger, related, calendar)) is not None]
            return latest(found) if found else None
        case LastDayFrom(ref, default):
            source, value = _read(ref, trigger, related)
            if source is not None and isinstance(value, str):
                set_by = f"{ref.pointer} of {source.act} (version {source.version})"
                return period_ending_on(start, date.fromisoformat(value), calendar, set_by)
            if default is None:
                return None
            counted = _period(default, delivered.occurred if delivered else start, trigger, related, calendar)
            return _by_default(counted, ref, delivered) if counted else None
        case Count(days, counting, after):
            n = days if isinstance(days, int) else _read(days, trigger, related)[1]
            if type(n) is not int or n < 1:
                return None
            if after is None:
                return count_period(start, n, calendar, counting)
            first = _period(after, start, trigger, related, calendar)
            return period_after(first, n, calendar, counting) if first else None


def _by_default(period: Period, ref: FieldRef, delivered: KnownAct | None) -> Period:
    """A default period, saying that the document named no date and what the count starts from."""
    source = f"its delivery (version {delivered.version})" if delivered else "the document's issue"
    note = Step(
        period.start_day, "default", f"{ref.pointer} not stated: the default period applies, counted from {source}"
    )
    return replace(period, label=f"{period.label} ({ref.pointer} not stated: default)", steps=(note, *period.steps))


def _read(ref: FieldRef, trigger: KnownAct, related: KnownAct | None) -> tuple[KnownAct | None, Any]:
    source = related if ref.of == "related" else trigger
    value = resolve(source.event, ref.pointer) if source else MISSING
    return (source, value) if value is not MISSING else (None, MISSING)
