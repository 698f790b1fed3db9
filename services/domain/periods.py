"""Counting a statutory period (民法典 第200-204条 by analogy; 民事诉讼法 第85条).

The trigger's instant becomes a Beijing date; that start day is not counted; the last day is the start day
plus N calendar days, rolled forward while it is a rest day (a statutory holiday, or a weekend that 调休
did not make a working day). A working-day period counts working days only, so it never rolls.

The period ends at 24:00 Beijing time of its last day. That instant is represented as the aware datetime
00:00 of the next day at +08:00 (Asia/Shanghai): an act is in time iff it occurred strictly before it.

Every period keeps the steps a clerk would write down, and the calendar data each consulted day came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from esledger.domain.calendar import BEIJING, Calendar, DataSource, Day, beijing_date


class Counting(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class Step:
    """One line of the reckoning; `kind` is default, start, raw_last_day, rolled, skipped, counted, last_day, chosen or
    due."""

    day: date
    kind: str
    text: str


@dataclass(frozen=True)
class Period:
    """A computed period: its due instant and how it was reached."""

    label: str
    start_day: date
    raw_last_day: date
    last_day: date
    due: datetime
    provisional: bool
    sources: tuple[DataSource, ...]
    steps: tuple[Step, ...]


def due_instant(last_day: date) -> datetime:
    """24:00 Beijing time of the last day, as 00:00 +08:00 of the next day."""
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=BEIJING)


def describe_due(last_day: date) -> str:
    return f"{last_day.isoformat()} 24:00 Beijing time ({due_instant(last_day).isoformat()})"


def count_period(
    start: datetime | date, days: int, calendar: Calendar, counting: Counting = Counting.CALENDAR
) -> Period:
    """N calendar or working days from a trigger instant (or a Beijing date), the start day not counted."""
    if days < 1:
        raise ValueError(f"a period has at least one day, not {days}")
    start_day, start_step = _start(start)
    if counting is Counting.WORKING:
        consulted, steps = _count_working(start_day, days, calendar)
        raw = consulted[-1].day
    else:
        raw = start_day + timedelta(days=days)
        consulted, rolled = _roll(raw, calendar)
        steps = [Step(raw, "raw_last_day", f"{start_day} + {days} calendar days = {raw} (raw last day)"), *rolled]
    label = f"{days} {counting} days from {start_day}"
    return _period(label, start_day, raw, consulted, (start_step, *steps))


def period_ending_on(start: datetime | date, last_day: date, calendar: Calendar, set_by: str) -> Period:
    """A period whose last day a document names (e.g. a correction due date), rolled off rest days like any
    other last day (民法典 第203条), so a unit is never late for a date that fell on a holiday."""
    start_day, start_step = _start(start)
    consulted, steps = _roll(last_day, calendar)
    named = Step(last_day, "raw_last_day", f"last day {last_day} set by {set_by}")
    return _period(
        f"the period until {last_day} set by {set_by}", start_day, last_day, consulted, (start_step, named, *steps)
    )


def period_after(first: Period, days: int, calendar: Calendar, counting: Counting = Counting.CALENDAR) -> Period:
    """N days after another period ends: its last day is the start day, not counted."""
    then = count_period(first.last_day, days, calendar, counting)
    steps = (
        *first.steps,
        Step(first.last_day, "start", f"{first.label} ends on {first.last_day}: start day, not counted"),
        *then.steps[1:],
    )
    return Period(
        label=f"{days} {counting} days after {first.label}",
        start_day=then.start_day,
        raw_last_day=then.raw_last_day,
        last_day=then.last_day,
        due=then.due,
        provisional=first.provisional or then.provisional,
        sources=_unique((*first.sources, *then.sources)),
        steps=steps,
    )


def latest(periods: Sequence[Period]) -> Period:
    """The later of alternative readings; provisional if any of them is, since real data could reorder them."""
    chosen = max(periods, key=lambda p: p.due)
    if len(periods) == 1:
        return chosen
    compared = "; ".join(f"{p.label}: due {describe_due(p.last_day)}" for p in periods)
    return Period(
        label=chosen.label,
        start_day=chosen.start_day,
        raw_last_day=chosen.raw_last_day,
        last_day=chosen.last_day,
        due=chosen.due,
        provisional=any(p.provisional for p in periods),
        sources=_unique(s for p in periods for s in p.sources),
        steps=(
            *(s for p in periods for s in p.steps),
            Step(chosen.last_day, "chosen", f"the later one applies: {compared} -> {chosen.label}"),
        ),
    )


def _start(start: datetime | date) -> tuple[date, Step]:
    if isinstance(start, datetime):
        day = beijing_date(start)
        local = start.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return day, Step(day, "start", f"{start.isoformat()} is {local} Beijing time: start day {day}, not counted")
    return start, Step(start, "start", f"start day {start}, not counted")


def _roll(day: date, calendar: Calendar) -> tuple[list[Day], list[Step]]:
    consulted = [calendar.day(day)]
    steps = []
    while not consulted[-1].working:
        steps.append(Step(consulted[-1].day, "rolled", f"{consulted[-1].describe()}: rolled to the next day"))
        consulted.append(calendar.day(consulted[-1].day + timedelta(days=1)))
    last = consulted[-1]
    verdict = ", not rolled: the last day" if last.makeup else ": the last day"
    steps.append(Step(last.day, "last_day", last.describe() + verdict))
    return consulted, steps


def _count_working(start_day: date, days: int, calendar: Calendar) -> tuple[list[Day], list[Step]]:
    consulted: list[Day] = []
    steps = []
    counted = 0
    while counted < days:
        d = calendar.day((consulted[-1].day if consulted else start_day) + timedelta(days=1))
        consulted.append(d)
        if not d.working:
            steps.append(Step(d.day, "skipped", f"{d.describe()}: not counted"))
            continue
        counted += 1
        if d.makeup and counted < days:
            steps.append(Step(d.day, "counted", f"{d.describe()}: counted as working day {counted}"))
    steps.append(Step(consulted[-1].day, "last_day", f"{consulted[-1].describe()}: working day {days}, the last day"))
    return consulted, steps


def _period(label: str, start_day: date, raw: date, consulted: list[Day], steps: tuple[Step, ...]) -> Period:
    last = consulted[-1].day
    sources = _unique(d.source for d in consulted)
    return Period(
        label=label,
        start_day=start_day,
        raw_last_day=raw,
        last_day=last,
        due=due_instant(last),
        provisional=any(s.provisional for s in sources),
        sources=sources,
        steps=(*steps, Step(last, "due", f"due {describe_due(last)}")),
    )


def _unique(sources: Iterable[DataSource]) -> tuple[DataSource, ...]:
    return tuple(dict.fromkeys(sources))
