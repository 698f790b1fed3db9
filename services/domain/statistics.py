"""Monthly statistics per unit (第十条第（四）项 案件统计月报), computed from the ledger as known at `as_of`.

One row per (unit code, Beijing month "YYYY-MM") that has anything to count; COLUMNS lists the CSV columns.
Attribution — which unit and month a count goes to:
- An act counted in ACTIVITY goes to the unit at its fields, looked up on the act itself, else on the case's
  acts (units.unit_for), in the month the act occurred. A column REPORTED also names counts for the unit
  that performed the act, the way a unit's own monthly report does, so the two can be set side by side;
  `grievances_against_unit` and `inspections_of_unit` count the same acts for the unit they concern.
- A deadline met, met late or breached at `as_of` (DEADLINES; pending, provisional and not-applicable ones
  are not counted) goes to its responsible unit (units.py), in the month of its last day.
- A finding not dismissed goes, by article, to its subject unit, in the month of its day (a breach's last
  day, else when it arose); articles outside FINDING_ARTICLES count as `findings_other`.
- `reported_*` come from a unit's own statistics.monthly_report_submitted: the latest one for a month (its
  `period`), counted for its reporting_unit.

A count whose unit cannot be found (a finding recorded without a subject unit) is left out. A finding a
person recorded under an id of their own (findings.py, source `recorded`) is counted as a finding of its own,
even when it lists in `may_concern` an inferred finding it probably is: merging them would be a guess.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from esledger.domain.casefile import CaseView, Policy, view_cases
from esledger.domain.deadlines import Status
from esledger.domain.units import unit_for

ACTIVITY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # column, the act counted, the fields naming the unit it counts for
    ("grievances_received", "grievance.received", ("supervision_body",)),
    ("grievances_accepted", "grievance.accepted", ("supervision_body",)),
    ("grievances_transferred", "grievance.transferred", ("supervision_body",)),
    ("grievances_concluded", "grievance.concluded", ("supervision_body",)),
    ("grievances_against_unit", "grievance.received", ("respondent_unit",)),
    ("inspections_opened", "inspection.opened", ("supervision_body",)),
    ("inspections_of_unit", "inspection.opened", ("supervised_unit",)),
    ("notices_issued", "inspection.notice_issued", ("supervision_body",)),
    ("decisions_issued", "inspection.decision_issued", ("supervision_body",)),
    ("major_penalties_filed", "major_penalty.filed", ("filing_unit",)),
    ("normative_documents_filed", "normative_document.filed", ("filing_unit",)),
)
DEADLINES = {Status.MET: "deadlines_met", Status.MET_LATE: "deadlines_met_late", Status.BREACHED: "deadlines_breached"}
FINDING_ARTICLES = ("7", "8", "11", "16", "17", "18", "integrity")
ARTICLE_COLUMNS = {a: f"findings_art{a}" if a.isdigit() else f"findings_{a}" for a in FINDING_ARTICLES}
REPORTED = (
    "grievances_received",
    "grievances_accepted",
    "grievances_transferred",
    "grievances_concluded",
    "inspections_opened",
    "notices_issued",
    "decisions_issued",
    "major_penalties_filed",
    "normative_documents_filed",
)
COUNT_COLUMNS = (*(name for name, _, _ in ACTIVITY), *DEADLINES.values())
FINDING_COLUMNS = (*ARTICLE_COLUMNS.values(), "findings_other")
COLUMNS = ("unit_code", "unit_name", "month", *COUNT_COLUMNS, *FINDING_COLUMNS, *(f"reported_{c}" for c in REPORTED))


@dataclass(frozen=True)
class StatRow:
    """One unit's month: act counts, deadline outcomes, findings by article, and what the unit reported."""

    unit_code: str
    unit_name: str
    month: str
    counts: Mapping[str, int]
    findings_by_article: Mapping[str, int]
    reported: Mapping[str, int] | None = None

    def finding_columns(self) -> dict[str, int]:
        known = {c: self.findings_by_article.get(a, 0) for a, c in ARTICLE_COLUMNS.items()}
        other = sum(n for a, n in self.findings_by_article.items() if a not in FINDING_ARTICLES)
        return {**known, "findings_other": other}

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": {"code": self.unit_code, "name": self.unit_name},
            "month": self.month,
            **{c: self.counts.get(c, 0) for c in COUNT_COLUMNS},
            "findings_by_article": dict(sorted(self.findings_by_article.items(), key=lambda kv: _article_order(kv[0]))),
            "reported": {c: self.reported.get(c, 0) for c in REPORTED} if self.reported is not None else None,
        }

    def csv_values(self) -> list[str | int]:
        reported = [self.reported.get(c, 0) if self.reported is not None else "" for c in REPORTED]
        counts = [self.counts.get(c, 0) for c in COUNT_COLUMNS]
        return [self.unit_code, self.unit_name, self.month, *counts, *self.finding_columns().values(), *reported]


@dataclass
class _Row:
    name: str = ""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reported: tuple[tuple[datetime, int], Mapping[str, int]] | None = None


def monthly_statistics(
    records_by_case: Mapping[str, Sequence[Mapping[str, Any]]], policy: Policy, as_of: datetime
) -> list[StatRow]:
    """Rows for every (unit, month) with a count, ordered by unit code then month."""
    rows: dict[tuple[str, str], _Row] = defaultdict(_Row)
    views = view_cases((r for records in records_by_case.values() for r in records), policy, as_of)
    for view in views:
        _count(view, rows)
    return [
        StatRow(
            code,
            row.name,
            month,
            {c: n for c, n in row.counts.items() if n},
            {a: n for a, n in row.findings.items() if n},
            row.reported[1] if row.reported else None,
        )
        for (code, month), row in sorted(rows.items())
    ]


def statistics_csv(rows: Iterable[StatRow]) -> str:
    """CSV with a header row, columns in the order of COLUMNS, one line per row, "\\n" line endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.csv_values())
    return out.getvalue()


def _count(view: CaseView, rows: dict[tuple[str, str], _Row]) -> None:
    acts = view.snapshot.acts
    for column, act, fields in ACTIVITY:
        for record in (r for r in acts if r.act == act):
            _add(rows, unit_for(fields, record, acts), _month(record.day), column)
    for v in view.deadlines:
        if v.deadline.status in DEADLINES and v.deadline.last_day:
            _add(rows, v.responsible_unit, _month(v.deadline.last_day), DEADLINES[v.deadline.status])
    for f in view.findings:
        if f.status != "dismissed" and f.subject.unit:
            row = _add(rows, f.subject.unit, _month(f.day))
            row.findings[f.article] += 1
    for record in (r for r in acts if r.act == "statistics.monthly_report_submitted"):
        data = record.event.get("data", {})
        unit, period = data.get("reporting_unit"), data.get("period")
        if unit and isinstance(period, str):
            row = _add(rows, unit, period)
            order = (record.occurred, record.version)
            if row.reported is None or row.reported[0] < order:
                row.reported = (order, dict(data.get("counts", {})))


def _add(rows: dict[tuple[str, str], _Row], unit: Mapping[str, Any] | None, month: str, column: str = "") -> _Row:
    if unit is None:
        return _Row()
    row = rows[(unit["code"], month)]
    row.name = unit["name"]
    if column:
        row.counts[column] += 1
    return row


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _article_order(article: str) -> tuple[int, int, str]:
    return (0, int(article), "") if article.isdigit() else (1, 0, article)
