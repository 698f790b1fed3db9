"""Counting a period as DOMAIN.md "Computing a period" says, with its worked examples verbatim."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esledger.domain.calendar import BEIJING, PROVISIONAL, Calendar
from esledger.domain.periods import Counting, count_period, latest, period_after, period_ending_on
from esledger.rulefiles import load_calendar

from .builders import HOLIDAYS_2027

CAL = Calendar()


def texts(period) -> list[str]:
    return [s.text for s in period.steps]


def test_domain_example_delivered_0922_15_days_raw_last_day_1007_holiday_due_1008_2400() -> None:
    p = count_period(date(2026, 9, 22), 15, CAL)
    assert p.raw_last_day == date(2026, 10, 7)
    assert p.last_day == date(2026, 10, 8)
    assert p.due == datetime(2026, 10, 9, 0, 0, tzinfo=BEIJING)
    assert p.due.isoformat() == "2026-10-09T00:00:00+08:00"
    assert not p.provisional
    assert [str(s) for s in p.sources] == ["chinesecalendar 1.11.0"]
    assert texts(p) == [
        "start day 2026-09-22, not counted",
        "2026-09-22 + 15 calendar days = 2026-10-07 (raw last day)",
        "2026-10-07 国庆节 holiday (Wednesday): rolled to the next day",
        "2026-10-08 is a Thursday, a working day: the last day",
        "due 2026-10-08 24:00 Beijing time (2026-10-09T00:00:00+08:00)",
    ]


def test_domain_example_delivered_0905_15_days_sunday_0920_made_working_due_0920_2400() -> None:
    p = count_period(date(2026, 9, 5), 15, CAL)
    assert p.raw_last_day == p.last_day == date(2026, 9, 20)
    assert p.due == datetime(2026, 9, 21, tzinfo=BEIJING)
    assert "2026-09-20 is a Sunday make-up working day (国庆节 调休), not rolled: the last day" in texts(p)
    assert not any(s.kind == "rolled" for s in p.steps)


def test_domain_example_2026_09_20T17_30Z_happened_on_0921_in_beijing() -> None:
    p = count_period(datetime(2026, 9, 20, 17, 30, tzinfo=UTC), 15, CAL)
    assert p.start_day == date(2026, 9, 21)
    assert (
        texts(p)[0] == "2026-09-20T17:30:00+00:00 is 2026-09-21 01:30 Beijing time: start day 2026-09-21, not counted"
    )
    # 09-21 + 15 = 10-06, a holiday; 10-07 too; due 10-08 24:00
    assert p.raw_last_day == date(2026, 10, 6)
    assert p.last_day == date(2026, 10, 8)
    assert [s.day for s in p.steps if s.kind == "rolled"] == [date(2026, 10, 6), date(2026, 10, 7)]


def test_spring_festival_2026_delivered_0201_15_days_rolls_0216_to_0224() -> None:
    p = count_period(date(2026, 2, 1), 15, CAL)
    assert p.raw_last_day == date(2026, 2, 16)
    assert p.last_day == date(2026, 2, 24)
    assert len([s for s in p.steps if s.kind == "rolled"]) == 8  # 02-16 .. 02-23


def test_spring_festival_2026_make_up_saturday_0214_is_not_rolled() -> None:
    p = count_period(date(2026, 2, 4), 10, CAL)
    assert p.last_day == date(2026, 2, 14)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone offset"):
        count_period(datetime(2026, 9, 22, 10, 0), 15, CAL)


def test_working_days_skip_national_day_and_count_saturday_1010() -> None:
    # 2026-09-28 + 5 working days: 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, 10-10 (make-up Saturday)
    p = count_period(date(2026, 9, 28), 5, CAL, Counting.WORKING)
    assert p.last_day == date(2026, 10, 10)
    assert len([s for s in p.steps if s.kind == "skipped"]) == 7
    assert texts(p)[-2] == "2026-10-10 is a Saturday make-up working day (国庆节 调休): working day 5, the last day"
    assert p.label == "5 working days from 2026-09-28"


def test_working_days_across_spring_festival_2026() -> None:
    # 2026-02-12 (Thu) + 3 working days: 02-13 (Fri), 02-14 (make-up Sat), (02-15..02-23 off), 02-24
    p = count_period(date(2026, 2, 12), 3, CAL, Counting.WORKING)
    assert p.last_day == date(2026, 2, 24)
    assert "2026-02-14 is a Saturday make-up working day (春节 调休): counted as working day 2" in texts(p)


def test_count_reaching_2027_is_provisional_and_says_so() -> None:
    # 2026-12-22 + 10 = 2027-01-01 (元旦, a fixed-date holiday), 01-02 Sat, 01-03 Sun -> 2027-01-04
    p = count_period(date(2026, 12, 22), 10, CAL)
    assert p.last_day == date(2027, 1, 4)
    assert p.provisional
    assert p.sources == (PROVISIONAL,)
    assert texts(p)[2] == "2027-01-01 元旦 holiday (Friday) [provisional calendar]: rolled to the next day"


def test_count_within_2026_from_december_is_final() -> None:
    p = count_period(date(2026, 12, 1), 15, CAL)
    assert p.last_day == date(2026, 12, 16) and not p.provisional


def test_count_reaching_2027_becomes_final_once_a_holiday_file_is_added(tmp_path: Path) -> None:
    path = tmp_path / "holidays-2027.json"
    path.write_text(json.dumps(HOLIDAYS_2027, ensure_ascii=False), encoding="utf-8")
    p = count_period(date(2026, 12, 22), 10, load_calendar([path]))
    assert p.last_day == date(2027, 1, 4)
    assert not p.provisional
    assert p.sources[0].name.startswith("国务院办公厅关于2027年部分节假日安排的通知")


def test_working_count_from_2026_into_2027_uses_both_sources() -> None:
    p = count_period(date(2026, 12, 30), 3, CAL, Counting.WORKING)
    # 12-31 (Thu, 2026 data), 2027-01-01 off (provisional 元旦), 01-04, 01-05
    assert p.last_day == date(2027, 1, 5)
    assert [s.name for s in p.sources] == ["chinesecalendar", "provisional calendar"]
    assert p.provisional


def test_date_named_by_a_document_rolls_like_a_period() -> None:
    p = period_ending_on(date(2026, 9, 10), date(2026, 10, 3), CAL, "the notice")
    assert p.raw_last_day == date(2026, 10, 3) and p.last_day == date(2026, 10, 8)
    assert texts(p)[1] == "last day 2026-10-03 set by the notice"


def test_period_after_another_counts_from_its_last_day() -> None:
    first = period_ending_on(date(2026, 9, 10), date(2026, 10, 3), CAL, "the notice")
    p = period_after(first, 15, CAL)
    assert p.start_day == date(2026, 10, 8) and p.last_day == date(2026, 10, 23)
    assert "the period until 2026-10-03 set by the notice ends on 2026-10-08: start day, not counted" in texts(p)


def test_latest_of_two_readings_says_which_applies() -> None:
    a = count_period(date(2026, 9, 12), 15, CAL)
    b = period_after(period_ending_on(date(2026, 9, 10), date(2026, 10, 3), CAL, "the notice"), 15, CAL)
    p = latest([a, b])
    assert p.last_day == date(2026, 10, 23)
    assert p.steps[-1].kind == "chosen"
    assert "-> 15 calendar days after the period until 2026-10-03 set by the notice" in p.steps[-1].text


days_2004_to_2027 = st.dates(min_value=date(2004, 1, 1), max_value=date(2027, 12, 1))
instants = st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC))


@settings(max_examples=300)
@given(start=instants, days=st.integers(1, 60), counting=st.sampled_from(list(Counting)))
def test_property_due_day_is_never_a_rest_day(start: datetime, days: int, counting: Counting) -> None:
    p = count_period(start, days, CAL, counting)
    assert CAL.is_working_day(p.last_day)
    assert p.due == datetime.combine(p.last_day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)


@settings(max_examples=300)
@given(start=instants, days=st.integers(1, 60), counting=st.sampled_from(list(Counting)))
def test_property_due_is_at_least_start_day_plus_n_days(start: datetime, days: int, counting: Counting) -> None:
    p = count_period(start, days, CAL, counting)
    start_day = start.astimezone(BEIJING).date()
    assert p.last_day >= start_day + timedelta(days=days)
    assert p.due >= datetime.combine(start_day + timedelta(days=days + 1), datetime.min.time(), tzinfo=BEIJING)


@settings(max_examples=300)
@given(
    start=days_2004_to_2027, days=st.integers(1, 60), more=st.integers(1, 30), counting=st.sampled_from(list(Counting))
)
def test_property_a_longer_period_never_ends_earlier(start: date, days: int, more: int, counting: Counting) -> None:
    assert count_period(start, days + more, CAL, counting).due >= count_period(start, days, CAL, counting).due


@settings(max_examples=200)
@given(start=days_2004_to_2027, days=st.integers(1, 60))
def test_property_provisional_exactly_when_a_consulted_day_lacks_data(start: date, days: int) -> None:
    p = count_period(start, days, CAL)
    assert p.provisional == (p.last_day.year >= 2027)
