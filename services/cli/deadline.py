"""`esledger deadline`: a clerk's question — when is this due? — answered with the reckoning behind it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from esledger.core.errors import ConfigurationError
from esledger.domain.calendar import Calendar
from esledger.domain.periods import Counting, count_period, describe_due
from esledger.rulefiles import load_calendar


def parse_start(text: str) -> datetime | date:
    """A Beijing date ('2026-09-22') or an instant with its offset ('2026-09-20T17:30Z'); a naive time is refused."""
    if "T" not in text and " " not in text:
        return date.fromisoformat(text)
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone offset: write e.g. {text}+08:00 or {text}Z")
    return instant


def deadline_text(start: datetime | date, days: int, calendar: Calendar, working: bool = False) -> str:
    """The due instant, whether it is provisional, the calendar data used, and each step, for a clerk to check."""
    period = count_period(start, days, calendar, Counting.WORKING if working else Counting.CALENDAR)
    provisional = (
        "YES: a year without a holiday notice was counted on weekends and fixed-date holidays only; "
        "not a basis for a breach until that year's data is added"
        if period.provisional
        else "no"
    )
    lines = [
        f"Period: {period.label}",
        f"Due: {describe_due(period.last_day)}",
        f"Provisional: {provisional}",
        "Calendar data: " + "; ".join(str(s) for s in period.sources),
        "Steps:",
        *(f"  {n}. {step.text}" for n, step in enumerate(period.steps, 1)),
    ]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the `deadline` command to the project's CLI."""

    @app.command("deadline")
    def deadline(
        start: Annotated[
            str, typer.Option("--from", help="trigger: a Beijing date 2026-09-22 or an instant 2026-09-20T17:30Z")
        ],
        days: Annotated[int, typer.Option("--days", min=1, help="length of the period in days")],
        working: Annotated[bool, typer.Option("--working", help="count working days only")] = False,
        holidays: Annotated[
            list[Path] | None, typer.Option("--holidays", help="a year's holiday data file (repeatable)")
        ] = None,
    ) -> None:
        """When a period counted from a trigger is due, and how that was worked out."""
        try:
            parsed = parse_start(start)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--from") from e
        try:
            calendar = load_calendar(holidays or [])
        except ConfigurationError as e:
            raise typer.BadParameter(e.detail, param_hint="--holidays") from e
        typer.echo(deadline_text(parsed, days, calendar, working))
