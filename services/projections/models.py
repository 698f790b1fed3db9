"""Documentation of the read side's answers: the case view (``esledger.domain.casefile.CaseView.to_json``,
``DeadlineView.to_json``), findings (``esledger.domain.findings.Finding.to_json``), statistics rows
(``esledger.domain.statistics.StatRow.to_json``) and the router's envelopes; see ``esledger.web.openapi``.
Value sets and column names are taken from the domain, so they cannot drift from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from esledger.domain.casefile import LEVELS
from esledger.domain.deadlines import Status
from esledger.domain.findings import DETERMINATIONS, Source
from esledger.domain.statistics import COUNT_COLUMNS, REPORTED
from esledger.web.openapi import DocModel, omitted


def _one_of(values: Iterable[str], description: str | None = None) -> Any:
    return Field(description=description, json_schema_extra={"enum": [str(v) for v in values]})


Level = Annotated[str, _one_of(LEVELS, "red: breached, or overdue on a provisional calendar; yellow: due soon")]
FindingStatus = Annotated[str, _one_of(("candidate", *DETERMINATIONS), "candidate until a person determines it")]
Count = Annotated[int, Field(ge=0)]


class Unit(DocModel):
    code: str
    name: str


class UnitInvolvement(DocModel):
    """A unit of the case: its latest name, the roles it appears in (dotted data paths), the versions naming it."""

    code: str
    name: str
    roles: list[str]
    versions: list[int]


class Irregularity(DocModel):
    """An act met in a status it does not normally follow, or after a terminal status."""

    version: int
    act: str
    status_before: str
    status_after: str
    note: str


class LastAct(DocModel):
    act: str
    title: str
    version: int
    occurred: datetime
    recorded: datetime
    known: datetime = Field(description="when the ledger learned it as it now stands (a later amendment)")


class OnBreach(DocModel):
    """The finding a breach (or a late fulfilment) of the deadline gives."""

    article: str
    items: list[str]
    description: str


class Moved(DocModel):
    """The amendment that moved a deadline's date after it had passed, and where the deadline stood before."""

    by_version: int
    from_last_day: date
    from_due: datetime


class DeadlineView(DocModel):
    """One rule applied to one trigger: when it is due, its warning level, and what became of it."""

    rule_id: str
    rule_set: str | None = Field(description="the id of the rule set it is judged under, e.g. tiaoli-2026-02-01")
    law: str | None = Field(
        description="the text its article belongs to, e.g. 《行政执法监督条例》; null: 《行政执法监督制度》 (the seed)"
    )
    article: int
    paragraph: int
    title: str
    trigger_version: int
    trigger_act: str | None
    trigger_title: str | None
    responsible: str = Field(description="the party a rule names, e.g. supervision_body")
    responsible_title: str
    responsible_unit: Unit | None
    status: Annotated[str, _one_of(Status)]
    level: Level
    open: bool = Field(description="not yet fulfilled and still applicable")
    period: str | None
    start_day: date | None
    raw_last_day: date | None
    last_day: date | None
    due: datetime | None = Field(description="24:00 Beijing time of the last day")
    calendar_days_left: int | None
    working_days_left: int | None
    fulfilment_version: int | None
    fulfilled_at: datetime | None
    backdated: bool
    provisional: bool
    calendar_sources: list[str]
    steps: list[str] = Field(description="how the due day was reckoned, line by line")
    reason: str | None
    reason_version: int | None
    defective: bool = Field(description="the document was delivered after the last day it set: no period ran")
    moved: Moved | None = Field(description="an amendment moved the due instant later after it had passed")
    candidate_finding: OnBreach | None
    finding_ids: list[str]


class Subject(DocModel):
    """Who a finding is about."""

    unit: Unit | None
    person: dict[str, Any] | None = Field(description="a person (common.v1 person), as recorded")


class Determination(DocModel):
    """A person's case.finding_determined."""

    version: int
    finding_id: str
    determination: Annotated[str, _one_of(DETERMINATIONS)]
    reasons: str
    determined_by: dict[str, Any] = Field(description="a person (common.v1 person), as recorded")
    article: str
    item: str | None
    occurred: datetime
    recorded: datetime
    subject: Subject
    rule_set: str | None = Field(description="the rule set the determination names")


class Sanction(DocModel):
    """A case.sanction_imposed, as recorded."""

    version: int
    finding_id: str | None
    sanction: str
    article: str
    item: str | None
    subject: Subject
    imposed_by: dict[str, Any] = Field(description="a unit (common.v1 unit), as recorded")
    occurred: datetime
    recorded: datetime
    description: str | None
    decision_document: str | None = Field(description="the decision document's number")
    rule_set: str | None = Field(description="the id of the rule set it is judged under, e.g. tiaoli-2026-02-01")
    law: str | None = Field(
        description="the text its article belongs to, e.g. 《行政执法监督条例》; null: 《行政执法监督制度》 (the seed)"
    )
    title: str
    article_text: str


class EvidenceRef(DocModel):
    """A record that evidences a finding."""

    version: int
    role: str
    act: str
    occurred: datetime | None
    recorded: datetime
    known: datetime
    position: int | None
    recorded_by: str | None
    amended_by: list[int]


class SeeAlso(DocModel):
    article: str
    items: list[str]
    article_text: str


class Finding(DocModel):
    """A breach or candidate finding (第十六–十八条), with its evidence, determinations and sanctions."""

    id: str = Field(description="<case id>:<key>:<versions>, stable across rebuilds")
    source: Annotated[str, _one_of(Source)]
    key: str
    rule_set: str | None = Field(description="the id of the rule set it is judged under, e.g. tiaoli-2026-02-01")
    law: str | None = Field(
        description="the text its article belongs to, e.g. 《行政执法监督条例》; null: 《行政执法监督制度》 (the seed)"
    )
    article: str
    items: list[str]
    article_text: str
    title: str
    reason: str
    subject: Subject
    evidence: list[EvidenceRef]
    arose_at: datetime
    day: date
    see_also: list[SeeAlso]
    status: FindingStatus
    determination: Determination | None = Field(description="the latest determination")
    determinations: list[Determination]
    sanctions: list[Sanction]
    may_concern: list[str]


class FindingCounts(DocModel):
    candidate: Count
    confirmed: Count
    dismissed: Count


class CaseView(DocModel):
    """A case as known at ``as_of``: status, units, last act, deadlines and findings with their reasons."""

    case_id: str
    case_kind: str
    case_kind_title: str
    as_of: datetime
    status: str
    status_title: str
    status_since_version: int | None
    status_since: datetime | None
    irregular_acts: list[Irregularity]
    units: list[UnitInvolvement]
    last_act: LastAct | None
    has_breach: bool
    open_deadlines: Count
    warning: Level
    deadlines: list[DeadlineView]
    finding_counts: FindingCounts
    findings: list[Finding]
    unattached_sanctions: list[Sanction]
    error: str = omitted("only on a case whose view could not be computed (status error): why; it has no rows")


class CaseList(DocModel):
    as_of: datetime
    count: Count
    cases: list[CaseView]
    next: str | None = Field(description="the cursor of the next page (pass it as `cursor`); null on the last page")


class CaseDeadline(DeadlineView):
    """A deadline, naming its case."""

    case_id: str
    case_kind: str


class DeadlineList(DocModel):
    """Deadlines of every case, most urgent first."""

    as_of: datetime
    count: Count
    deadlines: list[CaseDeadline]
    next: str | None = Field(description="the cursor of the next page (pass it as `cursor`); null on the last page")


class CaseFinding(Finding):
    """A finding, naming its case."""

    case_id: str
    case_kind: str


class FindingList(DocModel):
    as_of: datetime
    count: Count
    findings: list[CaseFinding]
    next: str | None = Field(description="the cursor of the next page (pass it as `cursor`); null on the last page")


class ReplayStep(DocModel):
    as_of: datetime = Field(description="an instant the ledger recorded something about the case")
    recorded_version: int = Field(description="the case's last version recorded by then")
    view: CaseView | None


class Replay(DocModel):
    """The case at each instant the ledger learned of an act."""

    case_id: str
    steps: list[ReplayStep]


def _counts(columns: Iterable[str]) -> Callable[[dict[str, Any]], None]:
    """Adds one required count property per column: the domain's columns are the documented ones."""
    names = list(columns)

    def add(schema: dict[str, Any]) -> None:
        schema["properties"] |= {name: {"type": "integer", "minimum": 0} for name in names}
        schema["required"] = [*schema.get("required", []), *names]

    return add


class ReportedCounts(DocModel):
    """What the unit reported for the month (statistics.monthly_report_submitted): one count per column."""

    model_config = ConfigDict(json_schema_extra=_counts(REPORTED))


class ReportDifference(DocModel):
    """A column where the unit's own monthly report differs from what the ledger counted (第十条（四）)."""

    column: Annotated[str, _one_of(REPORTED)]
    reported: Count
    computed: Count


class StatisticsRow(DocModel):
    """One unit's month (第十条): act counts and deadline outcomes (one column each), findings by article,
    case-file review scores, what the unit reported (null when it reported nothing) and where that differs."""

    model_config = ConfigDict(json_schema_extra=_counts(COUNT_COLUMNS))

    unit: Unit
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    findings_by_article: dict[str, Count] = Field(description="findings not dismissed, by article")
    case_file_scores: list[Annotated[int, Field(ge=0, le=100)]] = Field(
        description="every case-file review score of the unit's case files this month, ascending (第十条（三）)"
    )
    reported: ReportedCounts | None
    report_differences: list[ReportDifference] = Field(
        description="each reported column that differs from the ledger's count; empty when none or no report"
    )


class Statistics(DocModel):
    as_of: datetime
    rows: list[StatisticsRow]


class ProjectionsHealth(DocModel):
    """How far the read model is behind the ledger; the follower's state in the embedded arrangement."""

    position: int = Field(ge=0, description="the last ledger position the read model reflects")
    head: int = Field(ge=0)
    lag: int = Field(ge=0)
    follower: str = omitted("the follower's name, when this process runs one")
    restarts: int = omitted("how often the follower restarted, when this process runs one")
    last_error: str | None = omitted("the follower's last error (null: none), when this process runs one")
