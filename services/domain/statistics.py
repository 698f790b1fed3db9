"""Monthly statistics per unit (第十条 行政执法案件监督检查), computed from the ledger as known at `as_of`.

One row per (unit code, Beijing month "YYYY-MM") that has anything to count; COLUMNS lists the CSV columns.
第十条's four items, and where each is counted:
- (一) 交办案件办理情况: `inspections_assigned` (inspection.opened from a superior: origin assigned_by_superior
  or urged — both come down with a superior's document), `inspections_assigned_closed` (closed, in the month
  of closing) and `inspections_assigned_open` (opened that month, not closed as of `as_of`).
- (二) 自办案件情况: complaints received, accepted and transferred (`grievances_*`), and the inspections the
  body opened itself (`inspections_self_handled`: every other origin).
- (三) 案件办理质量考核: `case_files_reviewed` and the distribution of their scores (inspection.case_file_reviewed,
  0–100) in SCORE_BANDS, for the unit whose case file was reviewed; the JSON row lists every score too.
- (四) 案件统计月报: `reported_*` from a unit's own statistics.monthly_report_submitted (the latest for a
  month, its `period`, counted for its reporting_unit), beside what the ledger computed for the same unit
  and month; `report_differences` names every column where the two differ.
第十三条 post-evaluations (`post_evaluations`, for the supervised unit) and 第十四条 commendations
(`commendations`, for the recipient unit, else the recipient person's unit) are counted too.

Attribution — which unit and month a count goes to:
- An act counted in ACTIVITY goes to the unit at its fields, looked up on the act itself, else on the case's
  acts (units.unit_for), in the month the act occurred. A column REPORTED also names counts for the unit
  that performed the act, the way a unit's own monthly report does, so the two can be set side by side;
  `grievances_against_unit` and `inspections_of_unit` count the same acts for the unit they concern.
- A deadline met, met late or breached at `as_of` (DEADLINES; pending, provisional and not-applicable ones
  are not counted) goes to its responsible unit (units.py), in the month of its last day.
- A finding not dismissed goes, by article, to its subject unit, in the month of its day (a breach's last
  day, else when it arose); articles outside FINDING_ARTICLES count as `findings_other`.

A count whose unit cannot be found (a finding recorded without a subject unit) is left out. A finding a
person recorded under an id of their own (findings.py, source `recorded`) is counted as a finding of its own,
even when it lists in `may_concern` an inferred finding it probably is: merging them would be a guess.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from esledger.core.spreadsheet import cells
from esledger.domain.acts import KnownAct
from esledger.domain.casefile import CaseView, Policy, view_cases
from esledger.domain.deadlines import Status
from esledger.domain.units import unit_for

FROM_SUPERIOR = ("assigned_by_superior", "urged")
"""inspection.opened origins that make an inspection a case assigned by a superior (第十条（一）)."""
SCORE_BANDS = ((90, 100), (80, 89), (60, 79), (0, 59))
"""Case-file review scores counted in bands (the seed grades none; these are the usual 优秀, 良好, 合格, 不合格)."""


def _opening_origin(acts: Sequence[KnownAct]) -> Any:
    return next((a.event.get("data", {}).get("origin") for a in acts if a.act == "inspection.opened"), None)


def _assigned(record: KnownAct, acts: Sequence[KnownAct]) -> bool:
    return _opening_origin(acts) in FROM_SUPERIOR


def _self_handled(record: KnownAct, acts: Sequence[KnownAct]) -> bool:
    return not _assigned(record, acts)


def _assigned_open(record: KnownAct, acts: Sequence[KnownAct]) -> bool:
    return _assigned(record, acts) and not any(a.act == "inspection.closed" for a in acts)


def _scored(low: int, high: int) -> Callable[[KnownAct, Sequence[KnownAct]], bool]:
    def within(record: KnownAct, acts: Sequence[KnownAct]) -> bool:
        score = record.event.get("data", {}).get("score")
        return isinstance(score, int) and low <= score <= high

    return within


@dataclass(frozen=True)
class Activity:
    """A column counting an act (those `when` admits, given the record and its case's acts) for the unit at
    the first of `fields` found."""

    column: str
    act: str
    fields: tuple[str, ...]
    when: Callable[[KnownAct, Sequence[KnownAct]], bool] | None = None


ACTIVITY: tuple[Activity, ...] = (
    Activity("grievances_received", "grievance.received", ("supervision_body",)),
    Activity("grievances_accepted", "grievance.accepted", ("supervision_body",)),
    Activity("grievances_transferred", "grievance.transferred", ("supervision_body",)),
    Activity("grievances_concluded", "grievance.concluded", ("supervision_body",)),
    Activity("grievances_against_unit", "grievance.received", ("respondent_unit",)),
    Activity("inspections_opened", "inspection.opened", ("supervision_body",)),
    Activity("inspections_of_unit", "inspection.opened", ("supervised_unit",)),
    Activity("notices_issued", "inspection.notice_issued", ("supervision_body",)),
    Activity("decisions_issued", "inspection.decision_issued", ("supervision_body",)),
    Activity("major_penalties_filed", "major_penalty.filed", ("filing_unit",)),
    Activity("normative_documents_filed", "normative_document.filed", ("filing_unit",)),
    Activity("inspections_assigned", "inspection.opened", ("supervision_body",), _assigned),
    Activity("inspections_assigned_closed", "inspection.closed", ("supervision_body",), _assigned),
    Activity("inspections_assigned_open", "inspection.opened", ("supervision_body",), _assigned_open),
    Activity("inspections_self_handled", "inspection.opened", ("supervision_body",), _self_handled),
    Activity("case_files_reviewed", "inspection.case_file_reviewed", ("reviewed_unit",)),
    *(
        Activity(
            f"case_files_scored_{low}_{high}", "inspection.case_file_reviewed", ("reviewed_unit",), _scored(low, high)
        )
        for low, high in SCORE_BANDS
    ),
    Activity("post_evaluations", "inspection.post_evaluation_completed", ("supervised_unit",)),
    Activity("commendations", "case.commendation_granted", ("recipient_unit", "recipient_person/unit")),
)
DEADLINES = {Status.MET: "deadlines_met", Status.MET_LATE: "deadlines_met_late", Status.BREACHED: "deadlines_breached"}
FINDING_ARTICLES = ("5", "7", "8", "11", "16", "17", "18", "integrity")
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
COUNT_COLUMNS = (*(a.column for a in ACTIVITY), *DEADLINES.values())
FINDING_COLUMNS = (*ARTICLE_COLUMNS.values(), "findings_other")
COLUMNS = (
    "unit_code",
    "unit_name",
    "month",
    *COUNT_COLUMNS,
    *FINDING_COLUMNS,
    "case_file_scores",
    *(f"reported_{c}" for c in REPORTED),
    "report_differences",
)
"""CSV columns: `case_file_scores` lists the scores, ";"-separated; `report_differences` the REPORTED columns
where the unit's report and the ledger differ, ";"-separated (empty when no report)."""


@dataclass(frozen=True)
class StatRow:
    """One unit's month: act counts, deadline outcomes, findings by article, case-file scores, and what the
    unit reported."""

    unit_code: str
    unit_name: str
    month: str
    counts: Mapping[str, int]
    findings_by_article: Mapping[str, int]
    reported: Mapping[str, int] | None = None
    scores: tuple[int, ...] = ()

    def finding_columns(self) -> dict[str, int]:
        known = {c: self.findings_by_article.get(a, 0) for a, c in ARTICLE_COLUMNS.items()}
        other = sum(n for a, n in self.findings_by_article.items() if a not in FINDING_ARTICLES)
        return {**known, "findings_other": other}

    def differences(self) -> list[dict[str, Any]]:
        """Each REPORTED column where the unit's own report differs from what the ledger counted."""
        if self.reported is None:
            return []
        return [
            {"column": c, "reported": self.reported.get(c, 0), "computed": self.counts.get(c, 0)}
            for c in REPORTED
            if self.reported.get(c, 0) != self.counts.get(c, 0)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": {"code": self.unit_code, "name": self.unit_name},
            "month": self.month,
            **{c: self.counts.get(c, 0) for c in COUNT_COLUMNS},
            "findings_by_article": dict(sorted(self.findings_by_article.items(), key=lambda kv: _article_order(kv[0]))),
            "case_file_scores": list(self.scores),
            "reported": {c: self.reported.get(c, 0) for c in REPORTED} if self.reported is not None else None,
            "report_differences": self.differences(),
        }

    def csv_values(self) -> list[str | int]:
        reported = [self.reported.get(c, 0) if self.reported is not None else "" for c in REPORTED]
        counts = [self.counts.get(c, 0) for c in COUNT_COLUMNS]
        scores = ";".join(str(s) for s in self.scores)
        differences = ";".join(d["column"] for d in self.differences())
        findings = self.finding_columns().values()
        return [self.unit_code, self.unit_name, self.month, *counts, *findings, scores, *reported, differences]


@dataclass
class Tally:
    """What some cases count for one (unit, month): the counts, findings by article and scores they add, the
    unit's name as the last of them (in case id order) names it, and its latest report.

    A case's tally (`case_tally`) depends only on its view, so it can be kept with the view and tallies
    summed later (`merge`) in any order: the name comes from the greatest case id (`named_by`), the report
    from the latest (occurred, version), the first case in id order on a tie — as counting the views one by one
    in case id order gives."""

    name: str = ""
    named_by: str = ""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scores: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    """Each score and how many reviews gave it."""
    reported: Report | None = None

    def add(self, other: Tally) -> None:
        if other.named_by >= self.named_by:
            self.name, self.named_by = other.name, other.named_by
        for column, n in other.counts.items():
            self.counts[column] += n
        for article, n in other.findings.items():
            self.findings[article] += n
        for score, n in other.scores.items():
            self.scores[score] += n
        if other.reported is not None and (self.reported is None or other.reported.follows(self.reported)):
            self.reported = other.reported


@dataclass(frozen=True)
class Report:
    """A unit's own monthly report (statistics.monthly_report_submitted): when it occurred, its case and
    version, and the counts it states."""

    occurred: datetime
    case_id: str
    version: int
    counts: Mapping[str, int]

    def follows(self, other: Report) -> bool:
        """Whether this report replaces `other`: it occurred later (then by version); of two alike, the one of
        the smaller case id stands."""
        return (self.occurred, self.version) > (other.occurred, other.version) or (
            (self.occurred, self.version) == (other.occurred, other.version) and self.case_id < other.case_id
        )


Tallies = dict[tuple[str, str], Tally]
"""Tallies by (unit code, month)."""


def monthly_statistics(
    records_by_case: Mapping[str, Sequence[Mapping[str, Any]]],
    policy: Policy,
    as_of: datetime,
    context: Iterable[Mapping[str, Any]] = (),
) -> list[StatRow]:
    """Rows for every (unit, month) with a count, ordered by unit code then month; `context` holds the records
    of other cases the findings read (casefile.view_cases)."""
    views = view_cases((r for records in records_by_case.values() for r in records), policy, as_of, context)
    return statistics_rows(merge(case_tally(view) for view in views))


def merge(tallies: Iterable[Tallies]) -> Tallies:
    """The tallies of several cases summed (see Tally)."""
    out: Tallies = defaultdict(Tally)
    for tally in tallies:
        for key, one in tally.items():
            out[key].add(one)
    return out


def statistics_rows(tallies: Tallies) -> list[StatRow]:
    """The rows of summed tallies, ordered by unit code then month."""
    return [
        StatRow(
            code,
            t.name,
            month,
            {c: n for c, n in t.counts.items() if n},
            {a: n for a, n in t.findings.items() if n},
            t.reported.counts if t.reported else None,
            tuple(score for score, n in sorted(t.scores.items()) for _ in range(n)),
        )
        for (code, month), t in sorted(tallies.items())
    ]


def statistics_csv(rows: Iterable[StatRow]) -> str:
    """CSV with a header row, columns in the order of COLUMNS, one line per row, "\\n" line endings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(cells(row.csv_values() for row in rows))
    return out.getvalue()


def case_tally(view: CaseView) -> Tallies:
    """What one case counts, by (unit code, month): its acts (ACTIVITY), case-file scores, deadline outcomes,
    findings not dismissed and the reports it holds."""
    rows: Tallies = defaultdict(Tally)
    acts = view.snapshot.acts
    for activity in ACTIVITY:
        for record in (r for r in acts if r.act == activity.act):
            if activity.when is None or activity.when(record, acts):
                _add(rows, view, unit_for(activity.fields, record, acts), _month(record.day), activity.column)
    for record in (r for r in acts if r.act == "inspection.case_file_reviewed"):
        score = record.event.get("data", {}).get("score")
        if isinstance(score, int):
            _add(rows, view, unit_for(("reviewed_unit",), record, acts), _month(record.day)).scores[score] += 1
    for v in view.deadlines:
        if v.deadline.status in DEADLINES and v.deadline.last_day:
            _add(rows, view, v.responsible_unit, _month(v.deadline.last_day), DEADLINES[v.deadline.status])
    for f in view.findings:
        if f.status != "dismissed" and f.subject.unit:
            _add(rows, view, f.subject.unit, _month(f.day)).findings[f.article] += 1
    for record in (r for r in acts if r.act == "statistics.monthly_report_submitted"):
        data = record.event.get("data", {})
        unit, period = data.get("reporting_unit"), data.get("period")
        if unit and isinstance(period, str):
            row = _add(rows, view, unit, period)
            report = Report(record.occurred, view.case_id, record.version, dict(data.get("counts", {})))
            if row.reported is None or report.follows(row.reported):
                row.reported = report
    return dict(rows)


def _add(rows: Tallies, view: CaseView, unit: Mapping[str, Any] | None, month: str, column: str = "") -> Tally:
    if unit is None:
        return Tally()
    row = rows[(unit["code"], month)]
    row.name, row.named_by = unit["name"], view.case_id
    if column:
        row.counts[column] += 1
    return row


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _article_order(article: str) -> tuple[int, int, str]:
    return (0, int(article), "") if article.isdigit() else (1, 0, article)
