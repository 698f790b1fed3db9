"""`esledger deadline`: the clerk's answer, through a Typer app built with register()."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from esledger.cli.deadline import register

from .builders import HOLIDAYS_2027

app = typer.Typer()
register(app)


@app.callback()
def root() -> None:
    """A stand-in for services/cli.py, so `deadline` is a subcommand as it will be there."""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["deadline", *args])
    return result.exit_code, result.output


def test_cli_art12_delivered_0922_15_days_is_due_1008_with_its_steps() -> None:
    code, out = run("--from", "2026-09-22", "--days", "15")
    assert code == 0
    assert out.splitlines() == [
        "Period: 15 calendar days from 2026-09-22",
        "Due: 2026-10-08 24:00 Beijing time (2026-10-09T00:00:00+08:00)",
        "Provisional: no",
        "Calendar data: chinesecalendar 1.11.0",
        "Steps:",
        "  1. start day 2026-09-22, not counted",
        "  2. 2026-09-22 + 15 calendar days = 2026-10-07 (raw last day)",
        "  3. 2026-10-07 国庆节 holiday (Wednesday): rolled to the next day",
        "  4. 2026-10-08 is a Thursday, a working day: the last day",
        "  5. due 2026-10-08 24:00 Beijing time (2026-10-09T00:00:00+08:00)",
    ]


def test_cli_instant_late_on_a_utc_day_counts_from_the_beijing_date() -> None:
    code, out = run("--from", "2026-09-20T17:30Z", "--days", "15")
    assert code == 0
    assert "2026-09-20T17:30:00+00:00 is 2026-09-21 01:30 Beijing time: start day 2026-09-21, not counted" in out
    assert "Due: 2026-10-08 24:00 Beijing time" in out


def test_cli_working_days_count_the_make_up_saturday() -> None:
    code, out = run("--from", "2026-09-28", "--days", "5", "--working")
    assert code == 0
    assert "Due: 2026-10-10 24:00 Beijing time" in out
    assert "2026-10-10 is a Saturday make-up working day (国庆节 调休): working day 5, the last day" in out


def test_cli_count_into_2027_says_provisional_and_which_data() -> None:
    code, out = run("--from", "2026-12-22", "--days", "10")
    assert code == 0
    assert "Due: 2027-01-04 24:00 Beijing time" in out
    assert "Provisional: YES" in out
    assert "Calendar data: provisional calendar" in out


def test_cli_with_a_holiday_file_2027_is_final_and_cites_the_notice(tmp_path: Path) -> None:
    path = tmp_path / "holidays-2027.json"
    path.write_text(json.dumps(HOLIDAYS_2027, ensure_ascii=False), encoding="utf-8")
    code, out = run("--from", "2027-01-25", "--days", "15", "--holidays", str(path))
    # 01-25 + 15 = 02-09 (春节 per the file, 02-05..02-13) -> 02-14 (Sunday) -> 02-15 (Monday)
    assert code == 0
    assert "Due: 2027-02-15 24:00 Beijing time" in out
    assert "Provisional: no" in out
    assert "国办发明电〔2026〕99号" in out


def test_cli_refuses_a_time_without_offset_and_a_bad_holiday_file(tmp_path: Path) -> None:
    code, out = run("--from", "2026-09-22T10:00", "--days", "15")
    assert code == 2 and "has no timezone offset" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**HOLIDAYS_2027, "year": "2027"}), encoding="utf-8")
    code, out = run("--from", "2026-09-22", "--days", "15", "--holidays", str(bad))
    assert code == 2 and "'2027' is not of type 'integer'" in out
