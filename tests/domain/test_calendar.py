"""The calendar: chinesecalendar's 2026 arrangement, provisional years, and a deployment's holiday files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from esledger.core.errors import ConfigurationError
from esledger.domain.calendar import CHINESECALENDAR, PROVISIONAL, Calendar, parse_holiday_data
from esledger.domain.validation import RuleDataError
from esledger.rulefiles import load_calendar

from .builders import HOLIDAYS_2027, RULE_SCHEMAS

CAL = Calendar()


def write(tmp_path: Path, document: object, name: str = "holidays-2027.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_national_day_2026_is_off_1001_to_1007_with_sunday_0920_and_saturday_1010_worked() -> None:
    assert [CAL.is_working_day(date(2026, 10, d)) for d in range(1, 11)] == [False] * 7 + [True, True, True]
    assert CAL.is_working_day(date(2026, 9, 20))
    assert CAL.day(date(2026, 10, 7)).describe() == "2026-10-07 国庆节 holiday (Wednesday)"
    assert CAL.day(date(2026, 10, 10)).describe() == "2026-10-10 is a Saturday make-up working day (国庆节 调休)"


def test_spring_festival_2026_is_off_0215_to_0223_with_saturdays_0214_and_0228_worked() -> None:
    off = [date(2026, 2, d) for d in range(15, 24)]
    assert not any(CAL.is_working_day(d) for d in off)
    assert all(CAL.day(d).holiday == "春节" for d in off)
    assert CAL.is_working_day(date(2026, 2, 14)) and CAL.day(date(2026, 2, 14)).makeup
    assert CAL.is_working_day(date(2026, 2, 28)) and CAL.day(date(2026, 2, 28)).makeup
    assert CAL.is_working_day(date(2026, 2, 24))


def test_ordinary_weekend_and_weekday() -> None:
    assert CAL.day(date(2026, 9, 19)).describe() == "2026-09-19 is a Saturday, a rest day"
    assert CAL.day(date(2026, 9, 22)).describe() == "2026-09-22 is a Tuesday, a working day"


def test_each_answer_names_its_data_source() -> None:
    assert str(CAL.day(date(2026, 10, 7)).source) == "chinesecalendar 1.11.0"
    assert CAL.source(2027) is PROVISIONAL and PROVISIONAL.provisional
    assert CAL.source(2003) is PROVISIONAL


def test_coverage_is_chinesecalendar_2004_through_2026() -> None:
    coverage = CAL.coverage()
    assert min(coverage) == 2004 and max(coverage) == 2026
    assert set(coverage.values()) == {CHINESECALENDAR}


def test_provisional_2027_is_weekends_plus_fixed_date_holidays_only() -> None:
    rest = {
        d: CAL.day(d)
        for d in (
            date(2027, 1, 1),
            date(2027, 5, 1),
            date(2027, 5, 2),
            date(2027, 10, 1),
            date(2027, 10, 2),
            date(2027, 10, 3),
        )
    }
    assert [d.holiday for d in rest.values()] == ["元旦", "劳动节", "劳动节", "国庆节", "国庆节", "国庆节"]
    assert not any(d.working for d in rest.values())
    # the lunar holidays cannot be known without the notice: 2027-02-08 (正月初二) is an ordinary Monday
    assert CAL.is_working_day(date(2027, 2, 8))
    assert CAL.is_working_day(date(2027, 10, 4))
    assert not CAL.is_working_day(date(2027, 1, 9))  # Saturday
    assert all(CAL.day(d).source.provisional for d in rest)


def test_holiday_file_makes_2027_final(tmp_path: Path) -> None:
    calendar = load_calendar([write(tmp_path, HOLIDAYS_2027)])
    assert not calendar.source(2027).provisional
    assert "国办发明电〔2026〕99号" in str(calendar.source(2027))
    assert 2027 in calendar.coverage()
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.day(date(2027, 2, 8)).holiday == "春节"
    assert calendar.is_working_day(date(2027, 2, 20)) and calendar.day(date(2027, 2, 20)).makeup
    assert calendar.is_working_day(date(2027, 10, 8))
    assert not calendar.is_working_day(date(2027, 10, 7))
    assert calendar.source(2026) is CHINESECALENDAR


def test_holiday_file_overrides_a_year_chinesecalendar_has(tmp_path: Path) -> None:
    override = {
        **HOLIDAYS_2027,
        "year": 2026,
        "holidays": [{"name": "国庆节", "from": "2026-10-01", "to": "2026-10-08"}],
        "makeup_workdays": [],
    }
    calendar = load_calendar([write(tmp_path, override, "holidays-2026.json")])
    assert not calendar.is_working_day(date(2026, 10, 8))
    assert not calendar.is_working_day(date(2026, 9, 20))  # no make-up day in this file: an ordinary Sunday
    assert calendar.is_working_day(date(2026, 2, 16))  # the file replaces the whole year
    assert calendar.source(2026).name.startswith("国务院办公厅")


def test_holiday_file_with_a_bad_date_is_refused_with_its_location(tmp_path: Path) -> None:
    bad = {**HOLIDAYS_2027, "makeup_workdays": ["2027-13-01"]}
    with pytest.raises(ConfigurationError) as e:
        load_calendar([write(tmp_path, bad)])
    assert "holidays-2027.json" in str(e.value)
    assert "/makeup_workdays/0: '2027-13-01' is not a 'date'" in str(e.value)


def test_holiday_file_missing_its_notice_is_refused(tmp_path: Path) -> None:
    bad = {k: v for k, v in HOLIDAYS_2027.items() if k != "notice"}
    with pytest.raises(ConfigurationError, match="'notice' is a required property"):
        load_calendar([write(tmp_path, bad)])


def test_holiday_file_contradictions_are_each_reported() -> None:
    bad = {
        **HOLIDAYS_2027,
        "holidays": [
            {"name": "国庆节", "from": "2027-10-07", "to": "2027-10-01"},
            {"name": "元旦", "date": "2028-01-01"},
            {"name": "春节", "date": "2027-02-20"},
        ],
        "makeup_workdays": ["2027-02-20", "2027-02-22"],
    }
    with pytest.raises(RuleDataError) as e:
        parse_holiday_data(bad, RULE_SCHEMAS, "holidays-2027.json")
    message = str(e.value)
    assert "/holidays/0: 'to' 2027-10-01 is before 'from' 2027-10-07" in message
    assert "/holidays: 2028-01-01 is not in 2027" in message
    assert "/makeup_workdays/0: 2027-02-20 is also listed as a holiday" in message
    assert "/makeup_workdays/1: 2027-02-22 is a Monday, not a weekend day" in message


def test_holiday_file_that_is_not_json_is_refused_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"year": 2027,\n  oops}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken.json: not JSON: .* line 2 column 3"):
        load_calendar([path])


def test_two_files_for_one_year_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="a second file for 2027"):
        load_calendar([write(tmp_path, HOLIDAYS_2027, "a.json"), write(tmp_path, HOLIDAYS_2027, "b.json")])
