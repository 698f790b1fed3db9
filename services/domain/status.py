"""A case's status: a state machine per case kind, run over the case's acts as known at `as_of` (amended and
retracted, records.cases_as_of) in the order they occurred (ties by case version).

Each act that moves a case names the status it moves to and the statuses it normally follows. An act met
in another status still moves the case (the ledger says it happened) but is listed as *irregular*, for a
reviewer; an act after a terminal status leaves the status as it is and is listed too. Acts not in the
table (document.delivered, grievance.complainant_informed, grievance.fee_charged,
inspection.cooperation_refused, case.*) do not move a case. Before its opening act a case is `not_opened`
(it has records, but its opening act was retracted or is not known yet).

Statuses per kind: status (title) <- the act that sets it [the statuses it normally follows]; "*" terminal.

grievance:
- received (已收到) <- grievance.received [opening]
- accepted (已受理) <- grievance.accepted [received, transferred: taken back]
- transferred (已移送) <- grievance.transferred [received, accepted, transferred]
- respondent_notified (已通知被申诉单位) <- grievance.respondent_notified [accepted, respondent_notified]
- explanation_received (已收到书面说明) <- grievance.explanation_submitted [respondent_notified,
  explanation_received]
- concluded* (已办结) <- grievance.concluded, outcome not withdrawn [any]
- withdrawn* (已撤回) <- grievance.concluded, outcome withdrawn [any]

record_filing:
- published (已发布) <- normative_document.published [opening]
- filed (已报送备案（审查中）) <- normative_document.filed [published, filed, corrected]
- closed (审查无异议) <- normative_document.review_concluded, no_objection [filed]
- correction_required (须纠正或撤销) <- normative_document.review_concluded, correct or revoke [filed,
  correction_required, corrected]
- corrected (已纠正) <- normative_document.corrected [correction_required]
- revoked* (已撤销) <- normative_document.revoked [correction_required]

major_penalty_filing:
- decided (已作出决定) <- major_penalty.decided [opening]
- filed (已抄报备案) <- major_penalty.filed [decided, filed]

inspection:
- opened (已启动) <- inspection.opened [opening]
- case_file_requested (已调阅案卷) <- inspection.case_file_requested [opened, case_file_*, violation_found]
- case_file_provided (已提供案卷) <- inspection.case_file_provided [case_file_requested, case_file_provided]
- violation_found (已发现违法违规问题) <- inspection.violation_found [opened, case_file_*, violation_found,
  notice_issued, report_submitted, corrected]
- notice_issued (已制发监督通知书) <- inspection.notice_issued [violation_found, notice_issued,
  report_submitted]
- report_submitted (已报告执行情况（未纠正）) <- inspection.execution_report_submitted, corrected false
  [notice_issued, report_submitted, change_revocation_approved, decision_issued]
- corrected (已纠正) <- inspection.execution_report_submitted, corrected true [the same, and corrected]
- change_revocation_approved (已批准责令变更或撤销) <- inspection.change_revocation_approved [notice_issued,
  report_submitted]
- decision_issued (已制发监督决定书) <- inspection.decision_issued [notice_issued, report_submitted,
  change_revocation_approved, decision_issued]
- post_evaluated (已完成监督后评估) <- inspection.post_evaluation_completed [report_submitted, corrected,
  decision_issued, post_evaluated]
- closed* (已结案) <- inspection.closed [any]

unit_statistics:
- submitted (已报送) <- statistics.monthly_report_submitted [opening, submitted]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.domain.presentation import Titles, fields_json, instant_json
from esledger.domain.records import Record
from esledger.domain.rules import Condition

NOT_OPENED = "not_opened"


@dataclass(frozen=True)
class Transition:
    """An act (meeting `when`) moves the case to `to`; `after` are the statuses it normally follows (None: any)."""

    act: str
    to: str
    after: frozenset[str] | None = None
    when: tuple[Condition, ...] = ()

    def matches(self, record: Record) -> bool:
        return record.act == self.act and all(c.holds(record.event) for c in self.when)


@dataclass(frozen=True)
class Machine:
    kind: str
    titles: Mapping[str, str]
    terminal: frozenset[str]
    transitions: tuple[Transition, ...]


def _t(act: str, to: str, *after: str, when: tuple[Condition, ...] = ()) -> Transition:
    return Transition(act, to, frozenset(after) if after else None, when)


def _data_in(field: str, *values: Any) -> tuple[Condition, ...]:
    return (Condition(f"/data/{field}", values),)


_FILES = ("opened", "case_file_requested", "case_file_provided")
_AFTER_NOTICE = ("notice_issued", "report_submitted", "change_revocation_approved", "decision_issued")

MACHINES: Mapping[str, Machine] = {
    m.kind: m
    for m in (
        Machine(
            "grievance",
            {
                "received": "已收到",
                "accepted": "已受理",
                "transferred": "已移送",
                "respondent_notified": "已通知被申诉单位",
                "explanation_received": "已收到书面说明",
                "concluded": "已办结",
                "withdrawn": "已撤回",
            },
            frozenset({"concluded", "withdrawn"}),
            (
                _t("grievance.received", "received", NOT_OPENED),
                _t("grievance.accepted", "accepted", "received", "transferred"),
                _t("grievance.transferred", "transferred", "received", "accepted", "transferred"),
                _t("grievance.respondent_notified", "respondent_notified", "accepted", "respondent_notified"),
                _t(
                    "grievance.explanation_submitted",
                    "explanation_received",
                    "respondent_notified",
                    "explanation_received",
                ),
                _t("grievance.concluded", "withdrawn", when=_data_in("outcome", "withdrawn")),
                _t("grievance.concluded", "concluded"),
            ),
        ),
        Machine(
            "record_filing",
            {
                "published": "已发布",
                "filed": "已报送备案（审查中）",
                "closed": "审查无异议",
                "correction_required": "须纠正或撤销",
                "corrected": "已纠正",
                "revoked": "已撤销",
            },
            frozenset({"revoked"}),
            (
                _t("normative_document.published", "published", NOT_OPENED),
                _t("normative_document.filed", "filed", "published", "filed", "corrected"),
                _t("normative_document.review_concluded", "closed", "filed", when=_data_in("outcome", "no_objection")),
                _t(
                    "normative_document.review_concluded",
                    "correction_required",
                    "filed",
                    "correction_required",
                    "corrected",
                ),
                _t("normative_document.corrected", "corrected", "correction_required"),
                _t("normative_document.revoked", "revoked", "correction_required"),
            ),
        ),
        Machine(
            "major_penalty_filing",
            {"decided": "已作出决定", "filed": "已抄报备案"},
            frozenset(),
            (
                _t("major_penalty.decided", "decided", NOT_OPENED),
                _t("major_penalty.filed", "filed", "decided", "filed"),
            ),
        ),
        Machine(
            "inspection",
            {
                "opened": "已启动",
                "case_file_requested": "已调阅案卷",
                "case_file_provided": "已提供案卷",
                "violation_found": "已发现违法违规问题",
                "notice_issued": "已制发监督通知书",
                "report_submitted": "已报告执行情况（未纠正）",
                "corrected": "已纠正",
                "change_revocation_approved": "已批准责令变更或撤销",
                "decision_issued": "已制发监督决定书",
                "post_evaluated": "已完成监督后评估",
                "closed": "已结案",
            },
            frozenset({"closed"}),
            (
                _t("inspection.opened", "opened", NOT_OPENED),
                _t("inspection.case_file_requested", "case_file_requested", *_FILES, "violation_found"),
                _t("inspection.case_file_provided", "case_file_provided", "case_file_requested", "case_file_provided"),
                _t(
                    "inspection.violation_found",
                    "violation_found",
                    *_FILES,
                    "violation_found",
                    "notice_issued",
                    "report_submitted",
                    "corrected",
                ),
                _t("inspection.notice_issued", "notice_issued", "violation_found", "notice_issued", "report_submitted"),
                _t(
                    "inspection.execution_report_submitted",
                    "corrected",
                    *_AFTER_NOTICE,
                    "corrected",
                    when=_data_in("corrected", True),
                ),
                _t("inspection.execution_report_submitted", "report_submitted", *_AFTER_NOTICE),
                _t(
                    "inspection.change_revocation_approved",
                    "change_revocation_approved",
                    "notice_issued",
                    "report_submitted",
                ),
                _t("inspection.decision_issued", "decision_issued", *_AFTER_NOTICE),
                _t(
                    "inspection.post_evaluation_completed",
                    "post_evaluated",
                    "report_submitted",
                    "corrected",
                    "decision_issued",
                    "post_evaluated",
                ),
                _t("inspection.closed", "closed"),
            ),
        ),
        Machine(
            "unit_statistics",
            {"submitted": "已报送"},
            frozenset(),
            (_t("statistics.monthly_report_submitted", "submitted", NOT_OPENED, "submitted"),),
        ),
    )
}


def status_titles(kind: str) -> Mapping[str, str]:
    """Every status of a case kind, in the machine's order, with its Chinese title."""
    return {NOT_OPENED: "未立案", **(MACHINES[kind].titles if kind in MACHINES else {})}


def is_terminal(kind: str, status: str) -> bool:
    """A status the case does not leave (concluded, withdrawn, revoked, closed)."""
    return kind in MACHINES and status in MACHINES[kind].terminal


@dataclass(frozen=True)
class Irregularity:
    """An act met in a status it does not normally follow, or after a terminal status."""

    version: int
    act: str
    status_before: str
    status_after: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class CaseStatus:
    """The status, its title, the act that set it (version and occurred instant), and irregular acts."""

    status: str
    title: str
    since_version: int | None = None
    since: datetime | None = None
    irregular: tuple[Irregularity, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "title": self.title,
            "since_version": self.since_version,
            "since": instant_json(self.since),
            "irregular": [i.to_json() for i in self.irregular],
        }


def case_status(kind: str, acts: Sequence[Record]) -> CaseStatus:
    """Run the kind's machine over the acts (in occurred order, ties by version)."""
    machine = MACHINES.get(kind)
    titles = status_titles(kind)
    status, since = NOT_OPENED, None
    irregular: list[Irregularity] = []
    for record in sorted(acts, key=lambda r: (r.occurred, r.version)):
        transition = next((t for t in machine.transitions if t.matches(record)), None) if machine else None
        if transition is None:
            continue
        if status in machine.terminal:
            note = f"after terminal status {status}: status unchanged"
            irregular.append(Irregularity(record.version, record.act, status, status, note))
            continue
        if transition.after is not None and status not in transition.after:
            note = f"{record.act} does not normally follow status {status}"
            irregular.append(Irregularity(record.version, record.act, status, transition.to, note))
        status, since = transition.to, record
    return CaseStatus(
        status,
        titles.get(status, status),
        since.version if since else None,
        since.occurred if since else None,
        tuple(irregular),
    )


@dataclass(frozen=True)
class LastAct:
    """The act that occurred last (ties by version): name, title, case version, occurred and recorded instants."""

    act: str
    title: str
    version: int
    occurred: datetime
    recorded: datetime
    known: datetime

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


def last_act(acts: Sequence[Record], titles: Titles) -> LastAct | None:
    if not acts:
        return None
    r = max(acts, key=lambda r: (r.occurred, r.version))
    return LastAct(r.act, titles.act(r.act), r.version, r.occurred, r.recorded, r.known)
