"""Deadline rules as data: loading, validating and selecting the rule set in force.

Rules live in schemas/rules/ruleset-<effective date>.json, checked by ruleset.schema.json and by the
cross-references a schema cannot see. A rule set applies to triggers that occurred (Beijing date) on or
after its effective date and before the next set's, so old cases replay under the rules of their time.
Periods a rule marks `local_policy` can be changed per deployment by an override mapping
{rule id: {"days": N, "counting": "calendar" | "working"}}; statutory periods cannot. The overridable
count is the rule's fixed number of days, or the default of a date a document names (the 条例's
instruments state their own report-back date; the default where one states none is local policy).

A rule set may carry rules of more than one text: the 2026 set carries the seed's rules forward under its
第十九条 beside the 条例's own. `law` names the text a rule's (and its finding's) article belongs to; none
means the seed, 《行政执法监督制度》, whose articles this project writes bare (第N条). A rule set's own `law`
is the text whose numbering a person's determination naming that rule set cites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from esledger.core.pointers import MISSING, resolve
from esledger.domain.periods import Counting
from esledger.domain.validation import RuleDataError, RuleSchemas, raise_if_problems


class Basis(StrEnum):
    STATUTE = "statute"
    LOCAL_POLICY = "local_policy"


@dataclass(frozen=True)
class Condition:
    """The value at `pointer` is one of `values` (same JSON type: true is not 1); with `non_empty`, it is
    present and not an empty string, list or object."""

    pointer: str
    values: tuple[Any, ...] = ()
    non_empty: bool = False

    def holds(self, event: Mapping[str, Any]) -> bool:
        value = resolve(event, self.pointer)
        if value is MISSING:
            return False
        if self.non_empty:
            return value not in ("", [], {}) and value is not None
        return any(type(value) is type(v) and value == v for v in self.values)


@dataclass(frozen=True)
class ActPattern:
    """Which records count: an act, conditions on the record and on the trigger, and fields equal to the trigger's."""

    act: str
    when: tuple[Condition, ...] = ()
    trigger_when: tuple[Condition, ...] = ()
    match: tuple[tuple[str, str], ...] = ()
    at: str | None = None
    """A fulfilment's own date field (e.g. the date a report says the unit corrected): when present, the
    fulfilment counts as done that Beijing day, not when the record occurred."""

    def matches(self, act: str, event: Mapping[str, Any], trigger: Mapping[str, Any]) -> bool:
        return (
            act == self.act
            and all(c.holds(event) for c in self.when)
            and all(c.holds(trigger) for c in self.trigger_when)
            and all(_equal_present(resolve(event, mine), resolve(trigger, theirs)) for mine, theirs in self.match)
        )


@dataclass(frozen=True)
class UnitKinds:
    """A trigger counts only when the unit at `pointer` (a unit code) is of one of `kinds` in the unit
    registry; a unit the registry does not list makes the deadline not applicable, saying why."""

    pointer: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Overdue:
    """Triggered when one of other rules' periods ends unfulfilled; counts from that period's last day."""

    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class Cancellation:
    """An act that makes a running deadline no longer applicable."""

    pattern: ActPattern
    reason: str


@dataclass(frozen=True)
class FieldRef:
    """A field of the trigger record or of the rule's related record."""

    of: str
    pointer: str


@dataclass(frozen=True)
class Count:
    """N days (fixed or from a field), from the trigger, the anchor, or the end of another period."""

    days: int | FieldRef
    counting: Counting
    after: PeriodSpec | None = None


@dataclass(frozen=True)
class LastDayFrom:
    """The last day is a date a document names; where it names none, `default` days (None: no period),
    counted from the document's delivery where the rule knows one, else from the trigger."""

    field: FieldRef
    default: Count | None = None


@dataclass(frozen=True)
class LatestOf:
    """Alternative readings; the one ending latest applies."""

    options: tuple[PeriodSpec, ...]


PeriodSpec = Count | LastDayFrom | LatestOf


@dataclass(frozen=True)
class OnBreach:
    """The candidate finding a breach produces: article and items as on case.finding_determined."""

    article: str
    items: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Rule:
    """One deadline rule; triggers that occurred before its effective_from are not governed by it.

    `shared_fulfilment`: one fulfilling record may answer every trigger of the rule (e.g. one supervision notice
    for several violations found), instead of each fulfilment answering one trigger only. Rule data files do
    not set it; rules built in code (casefile.Policy's local-policy rules) may.
    """

    id: str
    article: int
    paragraph: int
    title: str
    quote: str
    trigger: ActPattern | Overdue
    anchor: str | None
    related: ActPattern | None
    period: PeriodSpec
    fulfilled_by: tuple[ActPattern, ...]
    not_applicable_when: tuple[Cancellation, ...]
    superseded_by: ActPattern | None
    responsible: str
    on_breach: OnBreach
    basis: Basis
    basis_note: str
    effective_from: date
    unit_kinds: UnitKinds | None = None
    delivery: ActPattern | None = None
    shared_fulfilment: bool = False
    law: str | None = None
    override_max_days: int | None = None
    """The longest (calendar-day) period an override may set, where the rule also carries a statutory limit."""


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    effective_from: date
    rules: tuple[Rule, ...]
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    law: str | None = None
    carries_forward: str | None = None
    """The earlier rule set whose rules this one carries forward; loading without it is refused."""

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def parse_ruleset(
    document: Any,
    schemas: RuleSchemas,
    origin: str = "rule set",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> RuleSet:
    """Check a rule set document against its schema and its own cross-references, then read it."""
    raise_if_problems(origin, schemas.problems("ruleset", document))
    effective_from = date.fromisoformat(document["effective_from"])
    rules = tuple(_rule(r) for r in document["rules"])
    raise_if_problems(origin, _cross_reference_problems(rules))
    ruleset = RuleSet(
        document["id"],
        document["title"],
        effective_from,
        rules,
        law=document.get("law"),
        carries_forward=document.get("carries_forward"),
    )
    return _with_overrides(ruleset, overrides or {}, origin)


def rulesets_from(
    documents: Iterable[tuple[str, Any]],
    schemas: RuleSchemas,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[RuleSet, ...]:
    """The rule sets of the documents (origin, document), oldest first; each override applies to every set
    having the rule. No rule set at all is refused, and so is one whose predecessor it carries forward is
    missing: every deadline and finding (before its date) would silently vanish."""
    overrides = overrides or {}
    sets = [parse_ruleset(document, schemas, origin) for origin, document in documents]
    if not sets:
        raise RuleDataError("no rule set found: without one no deadline and no finding is computed")
    known = {r.id for s in sets for r in s.rules}
    raise_if_problems("rule overrides", [f"/{k}: no rule set has this rule" for k in overrides if k not in known])
    sets = [
        _with_overrides(s, {k: v for k, v in overrides.items() if k in {r.id for r in s.rules}}, s.id) for s in sets
    ]
    dates = [s.effective_from for s in sets]
    ids = {s.id for s in sets}
    raise_if_problems(
        "rule sets",
        [f"two rule sets take effect on {d}" for d in sorted(set(dates)) if dates.count(d) > 1]
        + [
            f"{s.id} carries forward the rules of {s.carries_forward}, which is not among the rule sets: triggers "
            f"before {s.effective_from} would have no deadline; restore that rule set"
            for s in sets
            if s.carries_forward and s.carries_forward not in ids
        ],
    )
    return tuple(sorted(sets, key=lambda s: s.effective_from))


def ruleset_in_force(rulesets: Sequence[RuleSet], on: date) -> RuleSet | None:
    """The rule set governing a trigger that occurred on this Beijing date: the latest one already in force."""
    candidates = [s for s in rulesets if s.effective_from <= on]
    return max(candidates, key=lambda s: s.effective_from, default=None)


def _rule(r: Mapping[str, Any]) -> Rule:
    trigger = r["trigger"]
    related = r.get("related")
    return Rule(
        id=r["id"],
        article=r["article"],
        paragraph=r["paragraph"],
        title=r["title"],
        quote=r["quote"],
        trigger=_overdue(trigger["overdue"]) if "overdue" in trigger else _pattern(trigger),
        anchor=r["anchor"]["act"] if "anchor" in r else None,
        related=_pattern(related) if related else None,
        period=_period(r["period"]),
        fulfilled_by=tuple(_pattern(f) for f in r["fulfilled_by"]),
        not_applicable_when=tuple(Cancellation(_pattern(c), c["reason"]) for c in r.get("not_applicable_when", [])),
        superseded_by=_pattern({"act": trigger.get("act", ""), **r["superseded_by"]}) if "superseded_by" in r else None,
        responsible=r["responsible"],
        on_breach=OnBreach(
            r["on_breach"]["article"], tuple(r["on_breach"].get("items", [])), r["on_breach"]["description"]
        ),
        basis=Basis(r["basis"]),
        basis_note=r.get("basis_note", ""),
        effective_from=date.fromisoformat(r["effective_from"]),
        unit_kinds=UnitKinds(trigger["unit_kinds"]["pointer"], tuple(trigger["unit_kinds"]["in"]))
        if "unit_kinds" in trigger
        else None,
        delivery=_pattern(r["delivery"]) if "delivery" in r else None,
        law=r.get("law"),
        override_max_days=r.get("override_max_days"),
    )


def _overdue(rule_ids: str | list[str]) -> Overdue:
    return Overdue((rule_ids,) if isinstance(rule_ids, str) else tuple(rule_ids))


def _pattern(p: Mapping[str, Any]) -> ActPattern:
    return ActPattern(
        act=p["act"],
        when=_conditions(p.get("when", [])),
        trigger_when=_conditions(p.get("trigger_when", [])),
        match=tuple(p.get("match", {}).items()),
        at=p.get("at"),
    )


def _conditions(items: Iterable[Mapping[str, Any]]) -> tuple[Condition, ...]:
    return tuple(Condition(c["pointer"], tuple(c.get("in", ())), bool(c.get("non_empty", False))) for c in items)


def _period(p: Mapping[str, Any]) -> PeriodSpec:
    if "latest_of" in p:
        return LatestOf(tuple(_period(o) for o in p["latest_of"]))
    if "last_day_from" in p:
        default = p.get("default")
        return LastDayFrom(_field(p["last_day_from"]), _count(default) if default else None)
    return _count(p)


def _count(p: Mapping[str, Any]) -> Count:
    days = p["days"] if "days" in p else _field(p["days_from"])
    return Count(days, Counting(p.get("counting", "calendar")), _period(p["after"]) if "after" in p else None)


def _field(f: Mapping[str, Any]) -> FieldRef:
    return FieldRef(f.get("of", "trigger"), f["pointer"])


def field_refs(spec: PeriodSpec) -> Iterable[FieldRef]:
    """Every field a period spec reads, so a missing one can be named."""
    match spec:
        case LatestOf(options):
            for o in options:
                yield from field_refs(o)
        case LastDayFrom(f, _):
            yield f
        case Count(days, _, after):
            if isinstance(days, FieldRef):
                yield days
            if after:
                yield from field_refs(after)


def _cross_reference_problems(rules: Sequence[Rule]) -> list[str]:
    problems = []
    seen: dict[str, Rule] = {}
    for i, rule in enumerate(rules):
        at = f"/rules/{i}"
        if rule.id in seen:
            problems.append(f"{at}/id: {rule.id} is defined twice")
        if isinstance(rule.trigger, Overdue):
            for upstream_id in rule.trigger.rule_ids:
                upstream = seen.get(upstream_id)
                if upstream is None or isinstance(upstream.trigger, Overdue):
                    problems.append(f"{at}/trigger/overdue: {upstream_id} is not an earlier act-triggered rule")
        if rule.related is None and any(f.of == "related" for f in field_refs(rule.period)):
            problems.append(f"{at}/period: reads a related record but the rule defines no 'related'")
        seen[rule.id] = rule
    return problems


def _with_overrides(ruleset: RuleSet, overrides: Mapping[str, Mapping[str, Any]], origin: str) -> RuleSet:
    """Replace local-policy periods with a deployment's; an override of a statutory period is refused."""
    problems = []
    rules = {r.id: r for r in ruleset.rules}
    for rule_id, o in overrides.items():
        rule = rules.get(rule_id)
        count = _overridable(rule.period) if rule else None
        if rule is None:
            problems.append(f"/{rule_id}: no such rule")
        elif rule.basis is not Basis.LOCAL_POLICY:
            problems.append(f"/{rule_id}: the period is set by statute, not local policy")
        elif count is None:
            problems.append(f"/{rule_id}: only a fixed number of days can be overridden")
        elif (
            set(o) - {"days", "counting"}
            or not _positive_int(o.get("days", 1))
            or o.get("counting", "calendar") not in ("calendar", "working")
        ):
            problems.append(
                f"/{rule_id}: expected {{'days': integer >= 1, 'counting': 'calendar'|'working'}}, got {dict(o)}"
            )
        elif rule.override_max_days is not None and (
            o.get("days", count.days) > rule.override_max_days or o.get("counting", "calendar") != "calendar"
        ):
            problems.append(
                f"/{rule_id}: at most {rule.override_max_days} calendar days, got {dict(o)}: the rule also carries "
                f"a statutory period ({rule.basis_note})"
            )
        else:
            days = replace(count, days=o.get("days", count.days), counting=Counting(o.get("counting", count.counting)))
            period = replace(rule.period, default=days) if isinstance(rule.period, LastDayFrom) else days
            rules[rule_id] = replace(rule, period=period)
    raise_if_problems(f"{origin} overrides", problems)
    return replace(ruleset, rules=tuple(rules.values()), overrides=dict(overrides))


def _overridable(period: PeriodSpec) -> Count | None:
    """The fixed number of days a deployment may change: the period's own, or the default of a named date."""
    count = period.default if isinstance(period, LastDayFrom) else period
    return count if isinstance(count, Count) and isinstance(count.days, int) else None


def _positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1


def _equal_present(a: Any, b: Any) -> bool:
    return a is not MISSING and b is not MISSING and a == b
