"""A case's status: a state machine per case kind (MACHINES, below), run over the case's acts as known at
`as_of` (amended and retracted, acts.cases_as_of) in the order they occurred (ties by case version).

Readings made here:
- An act that moves a case names the status it moves to and the statuses it normally follows. Met in another
  status it still moves the case (the ledger says it happened) but is listed as *irregular*, for a reviewer.
- An act after a terminal status leaves the status as it is, and is listed as irregular too.
- An act no transition names (a delivery, a fee charged, a case.* correction or determination) does not
  move a case.
- Before its opening act a case is `not_opened`: it has records, but its opening act was retracted or is not
  known yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.domain.acts import KnownAct
from esledger.domain.presentation import Titles, fields_json, instant_json
from esledger.domain.rules import Condition

NOT_OPENED = "not_opened"


@dataclass(frozen=True)
class Transition:
    """An act (meeting `when`) moves the case to `to`; `after` are the statuses it normally follows (None: any)."""

    act: str
    to: str
    after: frozenset[str] | None = None
    when: tuple[Condition, ...] = ()

    def matches(self, record: KnownAct) -> bool:
        return record.act == self.act and all(c.holds(record.event) for c in self.when)


@dataclass(frozen=True)
class Machine:
    """A case kind's statuses with their titles (in display order), the terminal ones, and the transitions:
    tried in order, the first that matches applies, so a conditional one comes before its act's fallback."""

    kind: str
    titles: Mapping[str, str]
    terminal: frozenset[str]
    transitions: tuple[Transition, ...]


def _t(act: str, to: str, *after: str, when: tuple[Condition, ...] = ()) -> Transition:
    """A transition row: the act, the status it sets, the statuses it normally follows (none named: any;
    NOT_OPENED: the opening act)."""
    return Transition(act, to, frozenset(after) if after else None, when)


def _data_in(field: str, *values: Any) -> tuple[Condition, ...]:
    return (Condition(f"/data/{field}", values),)


_WITHDRAWN = _data_in("outcome", "withdrawn")
_NO_OBJECTION = _data_in("outcome", "no_objection")
_CORRECTED = _data_in("corrected", True)

_GRIEVANCE = Machine(
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
        _t("grievance.accepted", "accepted", "received", "transferred"),  # after a transfer: taken back
        _t("grievance.transferred", "transferred", "received", "accepted", "transferred"),
        _t("grievance.respondent_notified", "respondent_notified", "accepted", "respondent_notified"),
        _t("grievance.explanation_submitted", "explanation_received", "respondent_notified", "explanation_received"),
        _t("grievance.concluded", "withdrawn", when=_WITHDRAWN),
        _t("grievance.concluded", "concluded"),
    ),
)

_RECORD_FILING = Machine(
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
        _t("normative_document.review_concluded", "closed", "filed", when=_NO_OBJECTION),
        _t("normative_document.review_concluded", "correction_required", "filed", "correction_required", "corrected"),
        _t("normative_document.corrected", "corrected", "correction_required"),
        _t("normative_document.revoked", "revoked", "correction_required"),
    ),
)

_MAJOR_PENALTY_FILING = Machine(
    "major_penalty_filing",
    {"decided": "已作出决定", "filed": "已抄报备案"},
    frozenset(),
    (
        _t("major_penalty.decided", "decided", NOT_OPENED),
        _t("major_penalty.filed", "filed", "decided", "filed"),
    ),
)

_FILES = ("opened", "case_file_requested", "case_file_provided")
"""Before any violation is found: the case file is requested and provided."""
_REPORTED = ("report_submitted", "corrected")
"""The supervised unit has reported on executing a notice or decision, corrected or not."""
_INSTRUMENTS = ("instrument_issued", "proposal_submitted", "government_decided")
"""The 条例's way after a violation (27-29): a 督办函 or 意见书, a proposal to the government, its decision."""
_AFTER_NOTICE = ("notice_issued", "report_submitted", "change_revocation_approved", "decision_issued", *_INSTRUMENTS)
"""A notice or an instrument is out and the case has not been corrected."""

_INSPECTION = Machine(
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
        "instrument_issued": "已制发督办函或意见书",
        "proposal_submitted": "已提出处理建议报本级人民政府决定",
        "government_decided": "本级人民政府已作出决定",
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
            *_INSTRUMENTS,
            *_REPORTED,
        ),
        _t("inspection.corrected_on_the_spot", "corrected", *_FILES, "violation_found", *_REPORTED),
        _t("inspection.notice_issued", "notice_issued", "violation_found", "notice_issued", "report_submitted"),
        _t("inspection.supervision_letter_issued", "instrument_issued", *_FILES, "violation_found", *_AFTER_NOTICE),
        _t("inspection.opinion_issued", "instrument_issued", *_FILES, "violation_found", *_AFTER_NOTICE),
        _t("inspection.handling_proposal_submitted", "proposal_submitted", "violation_found", *_AFTER_NOTICE),
        _t("inspection.government_decision_issued", "government_decided", "proposal_submitted"),
        _t("inspection.execution_report_submitted", "corrected", *_AFTER_NOTICE, "corrected", when=_CORRECTED),
        _t("inspection.execution_report_submitted", "report_submitted", *_AFTER_NOTICE),
        _t("inspection.change_revocation_approved", "change_revocation_approved", "notice_issued", "report_submitted"),
        _t("inspection.decision_issued", "decision_issued", *_AFTER_NOTICE),
        _t("inspection.post_evaluation_completed", "post_evaluated", *_REPORTED, "decision_issued", "post_evaluated"),
        _t("inspection.closed", "closed"),
    ),
)

_UNIT_STATISTICS = Machine(
    "unit_statistics",
    {"submitted": "已报送"},
    frozenset(),
    (_t("statistics.monthly_report_submitted", "submitted", NOT_OPENED, "submitted"),),
)

_QUALIFICATION = Machine(
    "qualification",
    {"granted": "已核发", "suspended": "已暂扣", "revoked": "已吊销或注销"},
    frozenset({"revoked"}),
    (
        _t("qualification.granted", "granted", NOT_OPENED),
        _t("qualification.suspended", "suspended", "granted", "suspended"),
        _t("qualification.reinstated", "granted", "suspended"),
        _t("qualification.revoked", "revoked", "granted", "suspended"),
    ),
)
"""A certificate's own acts; a sanction of 取消行政执法资格 in another case revokes it too, but is read by the
qualification register (qualifications.py), not here."""

MACHINES: Mapping[str, Machine] = {
    m.kind: m
    for m in (_GRIEVANCE, _RECORD_FILING, _MAJOR_PENALTY_FILING, _INSPECTION, _UNIT_STATISTICS, _QUALIFICATION)
}


def status_titles(kind: str) -> Mapping[str, str]:
    """Every status of a case kind, in the machine's order, with its Chinese title."""
    return {NOT_OPENED: "未立案", **(MACHINES[kind].titles if kind in MACHINES else {})}


def is_terminal(kind: str, status: str) -> bool:
    """A status the case does not leave: one of its machine's terminal statuses."""
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


def case_status(kind: str, acts: Sequence[KnownAct]) -> CaseStatus:
    """Run the kind's machine over the acts (in occurred order, ties by version)."""
    machine = MACHINES.get(kind)
    transitions = machine.transitions if machine else ()
    terminal = machine.terminal if machine else frozenset()
    titles = status_titles(kind)
    status, since = NOT_OPENED, None
    irregular: list[Irregularity] = []
    for record in sorted(acts, key=lambda r: (r.occurred, r.version)):
        transition = next((t for t in transitions if t.matches(record)), None)
        if transition is None:
            continue
        if status in terminal:
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


def last_act(acts: Sequence[KnownAct], titles: Titles) -> LastAct | None:
    if not acts:
        return None
    r = max(acts, key=lambda r: (r.occurred, r.version))
    return LastAct(r.act, titles.act(r.act), r.version, r.occurred, r.recorded, r.known)
