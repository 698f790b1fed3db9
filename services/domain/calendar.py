"""Which Beijing days are working days, and on whose authority.

Periods are counted in the Asia/Shanghai calendar as the State Council's yearly holiday notice arranges it
(statutory holidays and 调休 make-up working days). `chinesecalendar` carries those notices through the
year it was released for; a deployment adds or overrides a year with a holiday data file citing its
notice (format: schemas/rules/holiday-data.schema.json). A year that neither covers is *provisional*:
weekends plus the fixed-date holidays of 《全国年节及纪念日放假办法》 (2024年修订) 第二条 only —
元旦 01-01, 劳动节 05-01 and 05-02, 国庆节 10-01 to 10-03. The lunar holidays (春节, 清明, 端午, 中秋),
compensation days for a holiday falling on a weekend and 调休 cannot be known before the notice, so a
provisional answer may be wrong and is marked so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from esledger.domain.validation import RuleDataError, RuleSchemas, raise_if_problems

BEIJING = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PROVISIONAL_HOLIDAYS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "元旦"),
    (5, 1, "劳动节"),
    (5, 2, "劳动节"),
    (10, 1, "国庆节"),
    (10, 2, "国庆节"),
    (10, 3, "国庆节"),
)


def beijing_date(instant: datetime) -> date:
    """The Beijing calendar day an instant falls on: the day a period's count starts from."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no timezone offset: an instant must be unambiguous")
    return instant.astimezone(BEIJING).date()


@dataclass(frozen=True)
class DataSource:
    """Where a year's holiday arrangement came from, so a clerk can check it against the notice."""

    name: str
    version: str
    provisional: bool = False

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


CHINESECALENDAR = DataSource("chinesecalendar", chinese_calendar.__version__)
PROVISIONAL = DataSource(
    "provisional calendar", "(no holiday notice: weekends, 元旦 01-01, 劳动节 05-01..05-02, 国庆节 10-01..10-03)", True
)
_CHINESECALENDAR_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


@dataclass(frozen=True)
class YearData:
    """One year's arrangement: named rest days from the notice and the weekend days it makes working days."""

    year: int
    holidays: Mapping[date, str]
    makeup_workdays: frozenset[date]
    source: DataSource


@dataclass(frozen=True)
class Day:
    """One Beijing day as the calendar sees it, with the reason a clerk would give.

    `holiday` is the holiday the notice names for the day; on a make-up working day, the holiday it serves.
    """

    day: date
    working: bool
    holiday: str | None
    makeup: bool
    source: DataSource

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    def describe(self) -> str:
        """The reason a clerk writes, e.g. '2026-10-07 国庆节 holiday (Wednesday)'."""
        return self._reason() + (" [provisional calendar]" if self.source.provisional else "")

    def _reason(self) -> str:
        d = self.day.isoformat()
        if self.makeup:
            return f"{d} is a {self.weekday} make-up working day ({self.holiday + ' ' if self.holiday else ''}调休)"
        if self.holiday:
            return f"{d} {self.holiday} holiday ({self.weekday})"
        if not self.working:
            return f"{d} is a {self.weekday}, a rest day"
        return f"{d} is a {self.weekday}, a working day"


@dataclass(frozen=True)
class Calendar:
    """Working days in Beijing: a deployment's year files first, then chinesecalendar, else provisional."""

    years: Mapping[int, YearData] = field(default_factory=dict)
    _days: dict[date, Day] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Days already classified: the data never changes, and every deadline of every case consults it."""

    def source(self, year: int) -> DataSource:
        """The data a year's answers rest on."""
        if year in self.years:
            return self.years[year].source
        return CHINESECALENDAR if year in _CHINESECALENDAR_YEARS else PROVISIONAL

    def coverage(self) -> dict[int, DataSource]:
        """Every year with final (non-provisional) data, and its source."""
        return {y: self.source(y) for y in sorted({*_CHINESECALENDAR_YEARS, *self.years})}

    def day(self, d: date) -> Day:
        """How the year's data classifies a day."""
        found = self._days.get(d)
        if found is None:
            found = self._days[d] = self._classify(d)
        return found

    def _classify(self, d: date) -> Day:
        source = self.source(d.year)
        weekend = d.weekday() >= 5
        if d.year in self.years:
            data = self.years[d.year]
            if d in data.makeup_workdays:
                return Day(d, True, None, True, source)
            name = data.holidays.get(d)
            return Day(d, not (name or weekend), name, False, source)
        if source is CHINESECALENDAR:
            rest, name = chinese_calendar.get_holiday_detail(d)
            chinese = chinese_calendar.Holiday(name).chinese if name else None
            return Day(d, not rest, chinese, bool(weekend and not rest), source)
        name = next((n for m, dd, n in PROVISIONAL_HOLIDAYS if (d.month, d.day) == (m, dd)), None)
        return Day(d, not (name or weekend), name, False, source)

    def is_working_day(self, d: date) -> bool:
        """A weekday that is no holiday, or a weekend day made a working day by 调休."""
        return self.day(d).working

    def with_year(self, data: YearData) -> Calendar:
        """This calendar with one year's data added, or replacing the year's chinesecalendar data."""
        return Calendar({**self.years, data.year: data})


def parse_holiday_data(document: Any, schemas: RuleSchemas, origin: str = "holiday data") -> YearData:
    """Check a holiday data document against its schema and itself, and read it."""
    raise_if_problems(origin, schemas.problems("holiday_data", document))
    year = document["year"]
    holidays: dict[date, str] = {}
    problems: list[str] = []
    for i, entry in enumerate(document["holidays"]):
        first = date.fromisoformat(entry.get("date") or entry["from"])
        last = date.fromisoformat(entry.get("date") or entry["to"])
        if last < first:
            problems.append(f"/holidays/{i}: 'to' {last} is before 'from' {first}")
        for n in range((last - first).days + 1):
            d = first + timedelta(days=n)
            if d in holidays:
                problems.append(f"/holidays/{i}: {d} is listed twice")
            holidays[d] = entry["name"]
    makeup = frozenset(date.fromisoformat(s) for s in document["makeup_workdays"])
    for i, s in enumerate(document["makeup_workdays"]):
        d = date.fromisoformat(s)
        if d.weekday() < 5:
            problems.append(f"/makeup_workdays/{i}: {d} is a {WEEKDAYS[d.weekday()]}, not a weekend day")
        if d in holidays:
            problems.append(f"/makeup_workdays/{i}: {d} is also listed as a holiday")
    problems += [f"/holidays: {d} is not in {year}" for d in sorted(holidays) if d.year != year]
    problems += [f"/makeup_workdays: {d} is not in {year}" for d in sorted(makeup) if d.year != year]
    raise_if_problems(origin, problems)
    n = document["notice"]
    published = f"published {n['published_on']}" + (f", {n['url']}" if "url" in n else "")
    return YearData(year, holidays, makeup, DataSource(f"{n['title']}（{n['number']}）", published))


def calendar_from(documents: Iterable[tuple[str, Any]], schemas: RuleSchemas) -> Calendar:
    """The chinesecalendar calendar extended by a deployment's holiday data documents (origin, document), one
    year each."""
    calendar = Calendar()
    for origin, document in documents:
        data = parse_holiday_data(document, schemas, origin)
        if data.year in calendar.years:
            raise RuleDataError(f"{origin}: a second file for {data.year}; keep one file per year")
        calendar = calendar.with_year(data)
    return calendar
