"""Candidate findings (DOMAIN.md "Other candidate findings", issue 4): what a reviewer should look at, each with
its article and items, subject, evidence, and a person's determination and sanctions where recorded.

Pure: a case snapshot (snapshot.py, as known at `as_of`) and its deadlines (deadlines.evaluate) in, findings
out. A finding exists as of `as_of` only if the records evidencing it were known then, because the snapshot
holds nothing else.

## Finding ids

`<case_id>:<key>:<v>[+<v>...]` — the case id, the rule or pattern key, and the case versions of the records
that identify the finding, joined by "+". Case versions never change, so the id is the same across rebuilds,
across `as_of` instants, and after amendments that do not remove the identifying records. A case id may
itself contain ":", so split an id from the right: `id.rsplit(":", 2)` (see `parse_finding_id`).

Keys, with their article and items, identifying versions, and when the finding exists:
- `<rule id>`, e.g. `art9.notify`: the rule's on_breach article and items (art9.notify: 17 一 四); the
  deadline's trigger; when the deadline is breached, or met late.
- `integrity.backdated.<rule id>`: article `integrity`; trigger + fulfilment; when a fulfilment occurred
  before its due instant but the ledger learned of it (its record, or the amendment dating it) only after
  (Deadline.backdated).
- `art16.cooperation_refused`: 16; the inspection.cooperation_refused; always (art. 6, 16).
- `art16.explanation_incomplete`: 16; the grievance.explanation_submitted; its `evidence` or
  `legal_basis` is empty.
- `art16.enforcing_revoked_act`: 16; the revoking decision + the later record; see below.
- `art17_4.transferred_again`: 17 四; the second grievance.transferred; the grievance is transferred twice
  or more (evidence: every transfer).
- `art17_4.bounced_back`: 17 四; the last transfer before + the acceptance; a grievance.accepted occurs
  after a grievance.transferred: the grievance came back.
- `art18.fee_charged`: 18, see also 17 三 六; the grievance.fee_charged; always.
- a person's own id (key `recorded`): the determination's article and item; a case.finding_determined
  names an id no rule or pattern produced. 17(三)(五)(六) exist only this way.

17(二) (violation found, no supervision notice within a configurable period) is the deadline rule
`art11.notice` that casefile.Policy adds to every rule set (local policy, 30 calendar days by default), so it
appears with key `art11.notice` once that period has passed, like any breach.

The 条例's rules (rule set tiaoli-2026-02-01, law 《行政执法监督条例》) are deadline keys too: `art27.report`,
`art28.report` and `art30.report` (29: a 督办函 or 意见书, or its confirmation after an objection, not
answered by the date it states — the body is to propose handling to the government; against the enforcement
organ); `art29.escalate` (39: no such proposal within the local-policy period) and `art30.handle` (39: an
objection not handled in time), against the supervision body; `art39.correct` (39: the body ordered to
correct did not by the limit — a candidate for 处分 of those responsible).

Enforcing a revoked act: the catalog has no act "the unit still enforces X". The closest honest signals,
both after a supervision decision (inspection.decision_issued) with measure `revoke` in the same case:
(1) an inspection.execution_report_submitted that responds to that decision's number with `corrected`
false — the unit reports it has not revoked the act, so the act is still in force; (2) an
inspection.violation_found whose `target_act` is the decision's `target_act` (compared with surrounding
whitespace removed) — the revoked act is again the object of a violation. Other cases are not searched.

## Rule sets and laws

Every finding and sanction names `rule_set`, the id of the rule set it is judged under, and `law`, the text
its article belongs to (None: the seed, written bare as 第N条; else e.g. 《行政执法监督条例》, so that
article "39" reads 《行政执法监督条例》第三十九条). A deadline's finding takes both from its rule (the rule set
governing its trigger); a pattern's rule set is the one in force on the Beijing day it is dated (the act that
identifies it), its law the pattern's own. A person's determination or sanction that names a rule set cites
that set's own law; one that names none cites the seed, under the rule set in force on its day.

## Determinations and sanctions

case.finding_determined attaches to the finding whose id it names; the latest (by occurred instant, then
case version) decides the status: `candidate` (none yet), `confirmed` or `dismissed`. case.sanction_imposed
attaches by `finding_id`; a sanction naming no finding, or an id no finding has, is returned by
`unattached_sanctions`. A recorded finding lists in `may_concern` the inferred findings of the case with the
same law and article (and item, if the determination names one) and subject unit: a hint for a reviewer, never
a merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from esledger.domain.acts import KnownAct
from esledger.domain.calendar import beijing_date
from esledger.domain.deadlines import Deadline
from esledger.domain.presentation import (
    Titles,
    article_text,
    beijing_text,
    clause_text,
    date_json,
    end_of_day_text,
    fields_json,
    instant_json,
    yuan_text,
)
from esledger.domain.rules import RuleSet, ruleset_in_force
from esledger.domain.snapshot import CaseSnapshot, EvidenceRef
from esledger.domain.units import responsible_unit, unit_json

INTEGRITY = "integrity"
DETERMINED = "case.finding_determined"
SANCTIONED = "case.sanction_imposed"
DETERMINATIONS = {"confirmed": "确认", "dismissed": "排除"}
CONDUCT = {"refusal": "拒绝", "obstruction": "阻挠", "interference": "妨碍"}
SANCTIONS = {
    "criticism_and_education": "批评教育",
    "loss_of_enforcement_qualification": "取消行政执法资格",
    "administrative_sanction": "行政处分",
    "circulated_criticism": "通报批评",
    "responsible_person_accountability": "追究负责人的行政责任",
    "order_to_correct": "责令限期改正",
    "loss_of_supervision_qualification": "取消行政执法监督检查资格",
    "criminal_liability": "依法追究刑事责任",
    "disciplinary_sanction": "处分",
    "off_duty_education": "离岗教育",
    "removal_from_enforcement_post": "调离执法岗位",
}


class Source(StrEnum):
    DEADLINE = "deadline"
    PATTERN = "pattern"
    RECORDED = "recorded"


def finding_id(case_id: str, key: str, *versions: int) -> str:
    return f"{case_id}:{key}:{'+'.join(str(v) for v in versions)}"


def breach_finding_id(deadline: Deadline) -> str:
    """The id of the finding a breached (or late) deadline gives."""
    return finding_id(deadline.case_id, deadline.rule_id, deadline.trigger_version)


def backdated_finding_id(deadline: Deadline) -> str | None:
    """The id of the integrity finding a backdated fulfilment gives, or None if it has no fulfilment."""
    if deadline.fulfilment_version is None:
        return None
    key = f"{INTEGRITY}.backdated.{deadline.rule_id}"
    return finding_id(deadline.case_id, key, deadline.trigger_version, deadline.fulfilment_version)


def parse_finding_id(text: str) -> tuple[str, str, tuple[int, ...]] | None:
    """(case id, key, versions) of an id in this module's format, or None for any other id."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not all(v.isdigit() for v in parts[2].split("+")):
        return None
    return parts[0], parts[1], tuple(int(v) for v in parts[2].split("+"))


@dataclass(frozen=True)
class Subject:
    """Who a finding is about: a unit and, where known, a person."""

    unit: Mapping[str, Any] | None = None
    person: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"unit": unit_json(self.unit), "person": dict(self.person) if self.person else None}


@dataclass(frozen=True)
class Determination:
    """A person's case.finding_determined: confirmed or dismissed, with reasons."""

    version: int
    finding_id: str
    determination: str
    reasons: str
    determined_by: Mapping[str, Any]
    article: str
    item: str | None
    occurred: datetime
    recorded: datetime
    subject: Subject
    rule_set: str | None = None

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Sanction:
    """A case.sanction_imposed, as recorded."""

    version: int
    finding_id: str | None
    sanction: str
    article: str
    item: str | None
    subject: Subject
    imposed_by: Mapping[str, Any]
    occurred: datetime
    recorded: datetime
    description: str | None
    decision_document: str | None
    rule_set: str | None = None
    law: str | None = None

    def to_json(self) -> dict[str, Any]:
        items = (self.item,) if self.item else ()
        return {
            **fields_json(self),
            "title": SANCTIONS.get(self.sanction, self.sanction),
            "article_text": article_text(self.article, items, self.law),
        }


@dataclass(frozen=True)
class Finding:
    """One finding. `arose_at` is when it came about: a breached deadline's due instant, the act of a pattern,
    when the ledger learned a backdated fulfilment, a recorded finding's first determination. `day` is the
    Beijing day it is dated: a breach's last day (its due instant is 00:00 the day after), else arose_at's day."""

    id: str
    case_id: str
    source: Source
    key: str
    article: str
    items: tuple[str, ...]
    title: str
    reason: str
    subject: Subject
    evidence: tuple[EvidenceRef, ...]
    arose_at: datetime
    day: date
    rule_set: str | None = None
    law: str | None = None
    see_also: tuple[tuple[str, tuple[str, ...]], ...] = ()
    determinations: tuple[Determination, ...] = ()
    sanctions: tuple[Sanction, ...] = ()
    may_concern: tuple[str, ...] = ()

    @property
    def determination(self) -> Determination | None:
        """The latest determination (by occurred instant, then case version), if any."""
        return max(self.determinations, key=lambda d: (d.occurred, d.version), default=None)

    @property
    def status(self) -> str:
        latest = self.determination
        return latest.determination if latest else "candidate"

    def to_json(self) -> dict[str, Any]:
        latest = self.determination
        return {
            "id": self.id,
            "source": str(self.source),
            "key": self.key,
            "rule_set": self.rule_set,
            "law": self.law,
            "article": self.article,
            "items": list(self.items),
            "article_text": article_text(self.article, self.items, self.law),
            "title": self.title,
            "reason": self.reason,
            "subject": self.subject.to_json(),
            "evidence": [e.to_json() for e in self.evidence],
            "arose_at": instant_json(self.arose_at),
            "day": date_json(self.day),
            "see_also": [
                {"article": a, "items": list(i), "article_text": article_text(a, i)} for a, i in self.see_also
            ],
            "status": self.status,
            "determination": latest.to_json() if latest else None,
            "determinations": [d.to_json() for d in sorted(self.determinations, key=lambda d: (d.occurred, d.version))],
            "sanctions": [s.to_json() for s in self.sanctions],
            "may_concern": list(self.may_concern),
        }


def case_findings(
    case: CaseSnapshot,
    deadlines: Sequence[Deadline],
    titles: Titles,
    rulesets: Sequence[RuleSet] = (),
    more: Sequence[Finding] = (),
) -> list[Finding]:
    """Every finding of the case as known at the snapshot's as_of, with determinations and sanctions attached,
    ordered by when they arose (then id). `deadlines` are deadlines.evaluate's for this case at that instant;
    `titles` name acts in reasons as the catalog does; `rulesets` (those deadlines were evaluated with) say
    which rule set a pattern, a determination or a sanction falls under; `more` are pattern findings other
    modules inferred from more than the case (qualifications.py)."""
    mine = [d for d in deadlines if d.case_id == case.case_id]
    inferred = [
        *_deadline_findings(case, mine, titles),
        *_backdated_findings(case, mine, titles),
        *_document_findings(case, mine, titles),
        *(replace(f, rule_set=_in_force(rulesets, f.day)) for f in (*_pattern_findings(case), *more)),
    ]
    determinations = _by_finding(_determinations(case))
    sanctions = _by_finding(_sanctions(case, rulesets))
    known = {f.id for f in inferred}
    recorded = [_recorded(case, ds, inferred, rulesets) for fid, ds in determinations.items() if fid not in known]
    attached = [_with(f, determinations.get(f.id, ()), sanctions.get(f.id, ())) for f in (*inferred, *recorded)]
    return sorted(attached, key=lambda f: (f.arose_at, f.id))


def unattached_sanctions(
    case: CaseSnapshot, findings: Sequence[Finding], rulesets: Sequence[RuleSet] = ()
) -> list[Sanction]:
    """Sanctions that name no finding, or a finding id the case does not have (as of the snapshot)."""
    ids = {f.id for f in findings}
    return [s for s in _sanctions(case, rulesets) if s.finding_id not in ids]


def _in_force(rulesets: Sequence[RuleSet], day: date) -> str | None:
    found = ruleset_in_force(rulesets, day)
    return found.id if found else None


def _cited(rulesets: Sequence[RuleSet], named: Any, day: date) -> tuple[str | None, str | None]:
    """(rule set, law) of a person's record: the rule set it names, whose own law its article cites; naming
    none, the rule set in force on its day and the seed's numbering (common.v1 `article`)."""
    if isinstance(named, str):
        return named, next((s.law for s in rulesets if s.id == named), None)
    return _in_force(rulesets, day), None


# --- breaches and backdating, from deadlines ---


def _deadline_findings(case: CaseSnapshot, deadlines: Sequence[Deadline], titles: Titles) -> list[Finding]:
    out = []
    for d in deadlines:
        if d.candidate_finding is None or d.period is None:
            continue
        trigger = case.required_act(d.trigger_version)
        evidence = [case.evidence(d.trigger_version, "trigger")]
        if d.fulfilment_version is not None and d.fulfilled_at is not None:
            evidence.append(case.evidence(d.fulfilment_version, "late fulfilment"))
            late = f"{titles.act(evidence[-1].act)}（第{d.fulfilment_version}版）"
            outcome = f"{late}发生于{beijing_text(d.fulfilled_at)}，逾期履行"
        else:
            outcome = "届满时未履行"
        reason = (
            f"{d.title}（规则集 {d.rule_set} 规则 {d.rule_id}，{clause_text(d.article, d.paragraph, d.law)}）："
            f"触发行为为{titles.act(trigger.act)}"
            f"（第{trigger.version}版，{beijing_text(trigger.occurred)}），期限至{end_of_day_text(d.period.last_day)}"
            f"届满，{outcome}。"
        )
        handler = trigger.event.get("data", {}).get("handler")
        subject = Subject(responsible_unit(d.responsible, trigger, case.acts), handler)
        out.append(
            Finding(
                id=breach_finding_id(d),
                case_id=case.case_id,
                source=Source.DEADLINE,
                key=d.rule_id,
                article=d.candidate_finding.article,
                items=d.candidate_finding.items,
                title=d.candidate_finding.description,
                reason=reason,
                subject=subject,
                evidence=tuple(evidence),
                arose_at=d.period.due,
                day=d.period.last_day,
                rule_set=d.rule_set,
                law=d.law,
            )
        )
    return out


def _backdated_findings(case: CaseSnapshot, deadlines: Sequence[Deadline], titles: Titles) -> list[Finding]:
    out = []
    for d in deadlines:
        fid = backdated_finding_id(d)
        if not d.backdated or d.fulfilment_version is None or fid is None or d.period is None:
            continue
        trigger, fulfilment = case.act(d.trigger_version), case.required_act(d.fulfilment_version)
        learned = (
            f"经更正记录（第{'、'.join(str(v) for v in fulfilment.amended_by)}版）改定"
            if fulfilment.amended_by and fulfilment.known > fulfilment.recorded
            else "登记"
        )
        reason = (
            f"{d.title}（规则 {d.rule_id}）期限至{end_of_day_text(d.period.last_day)}届满；"
            f"{titles.act(fulfilment.act)}（第{fulfilment.version}版）记载发生于{beijing_text(fulfilment.occurred)}，"
            f"在期限内，但台账于{beijing_text(fulfilment.known)}方{learned}，晚于期限届满：履行记录可能倒签。"
        )
        evidence = [
            case.evidence(d.trigger_version, "trigger"),
            case.evidence(d.fulfilment_version, "fulfilment"),
            *(case.evidence(v, "amendment") for v in fulfilment.amended_by if v in case.stored),
        ]
        out.append(
            Finding(
                id=fid,
                case_id=case.case_id,
                source=Source.DEADLINE,
                key=f"{INTEGRITY}.backdated.{d.rule_id}",
                article=INTEGRITY,
                items=(),
                title="履行记录倒签：台账获知晚于期限届满，记载的发生时间早于期限",
                reason=reason,
                subject=Subject(responsible_unit(d.responsible, trigger, case.acts)),
                evidence=tuple(evidence),
                arose_at=fulfilment.known,
                day=beijing_date(fulfilment.known),
                rule_set=d.rule_set,
            )
        )
    return out


def _document_findings(case: CaseSnapshot, deadlines: Sequence[Deadline], titles: Titles) -> list[Finding]:
    """Integrity signals about the document a deadline comes from: its date moved by an amendment after it had
    passed, or it was delivered after the last day it set (defective). Both are for a reviewer, about the
    body that issued it; neither is a breach by the unit."""
    out = []
    for d in deadlines:
        trigger = case.act(d.trigger_version)
        if trigger is None:
            continue
        issuer = Subject(responsible_unit("supervision_body", trigger, case.acts))
        document = f"{titles.act(trigger.act)}（第{trigger.version}版）"
        if d.moved is not None and d.period is not None:
            version, earlier = d.moved
            amendment = case.evidence(version, "amendment")
            reason = (
                f"{d.title}（规则 {d.rule_id}）：{document}原定期限至{end_of_day_text(earlier.last_day)}，"
                f"已于届满后由更正记录（第{version}版，台账于{beijing_text(amendment.recorded)}获知）改为"
                f"{end_of_day_text(d.period.last_day)}。届满后推迟期限不能使已发生的逾期变为按期；"
                "更正前的逾期见当时（as_of）的答复。"
            )
            out.append(
                Finding(
                    id=finding_id(case.case_id, f"{INTEGRITY}.moved.{d.rule_id}", d.trigger_version, version),
                    case_id=case.case_id,
                    source=Source.DEADLINE,
                    key=f"{INTEGRITY}.moved.{d.rule_id}",
                    article=INTEGRITY,
                    items=(),
                    title="文书载明的期限在届满后被更正推迟",
                    reason=reason,
                    subject=issuer,
                    evidence=(case.evidence(d.trigger_version, "trigger"), amendment),
                    arose_at=amendment.recorded,
                    day=beijing_date(amendment.recorded),
                    rule_set=d.rule_set,
                )
            )
        if d.defective and d.reason_version is not None and d.reason:
            delivery = case.required_act(d.reason_version)
            out.append(
                Finding(
                    id=finding_id(
                        case.case_id, f"{INTEGRITY}.defective.{d.rule_id}", d.trigger_version, delivery.version
                    ),
                    case_id=case.case_id,
                    source=Source.DEADLINE,
                    key=f"{INTEGRITY}.defective.{d.rule_id}",
                    article=INTEGRITY,
                    items=(),
                    title="文书送达晚于其载明的期限（文书有瑕疵）",
                    reason=f"{d.title}（规则 {d.rule_id}）：{document}{d.reason}。被监督单位无从在期限内履行，"
                    "不据此认定其逾期；请复核该文书。",
                    subject=issuer,
                    evidence=(case.evidence(d.trigger_version, "trigger"), case.evidence(delivery.version, "delivery")),
                    arose_at=delivery.occurred,
                    day=delivery.day,
                    rule_set=d.rule_set,
                )
            )
    return out


# --- patterns ---


def _pattern_findings(case: CaseSnapshot) -> list[Finding]:
    return [
        *_each(case, "inspection.cooperation_refused", "art16.cooperation_refused", "16", _refusal),
        *_each(case, "grievance.explanation_submitted", "art16.explanation_incomplete", "16", _incomplete),
        *_enforcing_revoked_act(case),
        *_transferred_again(case),
        *_bounced_back(case),
        *_each(case, "grievance.fee_charged", "art18.fee_charged", "18", _fee, see_also=(("17", ("三", "六")),)),
    ]


def _pattern(
    case: CaseSnapshot,
    key: str,
    article: str,
    items: tuple[str, ...],
    title: str,
    reason: str,
    subject: Subject,
    evidence: Sequence[tuple[KnownAct, str]],
    identifying: Sequence[KnownAct],
    see_also: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Finding:
    """A pattern finding; it arises when the last of its identifying records occurred."""
    return Finding(
        id=finding_id(case.case_id, key, *(r.version for r in identifying)),
        case_id=case.case_id,
        source=Source.PATTERN,
        key=key,
        article=article,
        items=items,
        title=title,
        reason=reason,
        subject=subject,
        evidence=tuple(case.evidence(r.version, role) for r, role in evidence),
        arose_at=max(r.occurred for r in identifying),
        day=beijing_date(max(r.occurred for r in identifying)),
        see_also=see_also,
    )


def _data(record: KnownAct) -> Mapping[str, Any]:
    data = record.event.get("data", {})
    return data if isinstance(data, Mapping) else {}


def _unit_name(unit: Mapping[str, Any] | None) -> str:
    return unit["name"] if unit else "（单位不详）"


def _person_text(person: Mapping[str, Any] | None) -> str:
    if not person:
        return ""
    return f"（{person.get('role', '')}{person['name']}）" if person.get("role") else f"（{person['name']}）"


Described = tuple[str, str, Subject] | None


def _each(
    case: CaseSnapshot,
    act: str,
    key: str,
    article: str,
    describe: Callable[[KnownAct, Mapping[str, Any]], Described],
    see_also: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> list[Finding]:
    """One finding per record of `act` that `describe` gives a (title, reason, subject) for."""
    out = []
    for r in case.of(act):
        described = describe(r, _data(r))
        if described:
            title, reason, subject = described
            out.append(_pattern(case, key, article, (), title, reason, subject, [(r, "act")], [r], see_also))
    return out


def _refusal(r: KnownAct, d: Mapping[str, Any]) -> Described:
    conduct = CONDUCT.get(d.get("conduct", ""), "拒绝、阻挠、妨碍")
    reason = (
        f"{_unit_name(d.get('refusing_unit'))}{_person_text(d.get('refusing_person'))}于{beijing_text(r.occurred)}"
        f"{conduct}行政执法监督检查工作（第{r.version}版）。第六条：被监督检查对象应予配合和协助；"
        "第十六条：对拒绝、阻挠、妨碍的行政执法人员和单位予以追究。"
    )
    return f"{conduct}行政执法监督检查工作", reason, Subject(d.get("refusing_unit"), d.get("refusing_person"))


def _incomplete(r: KnownAct, d: Mapping[str, Any]) -> Described:
    missing = "和".join(name for name, key in (("证据", "evidence"), ("依据", "legal_basis")) if not d.get(key))
    if not missing:
        return None
    reason = (
        f"{_unit_name(d.get('respondent_unit'))}于{beijing_text(r.occurred)}提交的书面说明（第{r.version}版）"
        f"未提交{missing}。第九条第二款：被申诉、控告、检举的行政机关应提交作出具体行政行为的"
        "证据、依据和其他有关材料。"
    )
    subject = Subject(d.get("respondent_unit"), d.get("submitted_by"))
    return f"书面说明未提交作出具体行政行为的{missing}", reason, subject


def _fee(r: KnownAct, d: Mapping[str, Any]) -> Described:
    amount = d.get("amount_fen")
    amount_text = yuan_text(amount) if isinstance(amount, int) else "费用"
    reason = (
        f"{_unit_name(d.get('charged_by'))}{_person_text(d.get('person'))}于{beijing_text(r.occurred)}"
        f"在受理申诉、控告、检举中收取{amount_text}（第{r.version}版）。第十八条：受理申诉、控告、检举案件"
        "不得收取任何费用；是否同时构成第十七条第（三）项或第（六）项，须由人员认定。"
    )
    return "受理申诉、控告、检举收取费用", reason, Subject(d.get("charged_by"), d.get("person"))


def _enforcing_revoked_act(case: CaseSnapshot) -> list[Finding]:
    out = []
    for decision in case.of("inspection.decision_issued"):
        dd = _data(decision)
        if dd.get("measure") != "revoke":
            continue
        number = dd.get("decision_document", {}).get("number")
        target = str(dd.get("target_act", "")).strip()
        for r in case.acts:
            if (r.occurred, r.version) <= (decision.occurred, decision.version):
                continue
            d = _data(r)
            if r.act == "inspection.execution_report_submitted" and d.get("responds_to") == number:
                if d.get("corrected") is not False:
                    continue
                signal = (
                    f"被监督单位于{beijing_text(r.occurred)}报告执行情况（第{r.version}版）称未纠正，该行为仍然有效"
                )
                subject = Subject(d.get("reporting_unit") or dd.get("supervised_unit"))
            elif r.act == "inspection.violation_found" and target and str(d.get("target_act", "")).strip() == target:
                signal = f"{beijing_text(r.occurred)}发现的违法违规问题（第{r.version}版）仍指向该行为"
                subject = Subject(d.get("unit") or dd.get("supervised_unit"), d.get("person"))
            else:
                continue
            reason = (
                f"《行政执法监督决定书》{number}（第{decision.version}版，{beijing_text(decision.occurred)}）"
                f"责令撤销“{target}”；其后{signal}。第十六条：对妨碍行政执法监督检查工作的单位和人员予以追究。"
            )
            out.append(
                _pattern(
                    case,
                    "art16.enforcing_revoked_act",
                    "16",
                    (),
                    "继续执行已被《行政执法监督决定书》撤销的行政行为",
                    reason,
                    subject,
                    [(decision, "revoking decision"), (r, "later record")],
                    [decision, r],
                )
            )
    return out


def _transferred_again(case: CaseSnapshot) -> list[Finding]:
    transfers = case.of("grievance.transferred")
    if len(transfers) < 2:
        return []
    steps = "；".join(
        f"{beijing_text(t.occurred)}移送{_unit_name(_data(t).get('to_unit'))}（第{t.version}版）" for t in transfers
    )
    reason = (
        f"同一申诉、控告、检举已移送{len(transfers)}次：{steps}。"
        "第十七条第（四）项：对公民、法人和其他组织反映其合法权益受到损害而互相推诿、不予处理。"
    )
    subject = Subject(responsible_unit("supervision_body", None, case.acts), _data(transfers[1]).get("handler"))
    return [
        _pattern(
            case,
            "art17_4.transferred_again",
            "17",
            ("四",),
            "同一申诉、控告、检举多次移送（互相推诿）",
            reason,
            subject,
            [(t, "transfer") for t in transfers],
            [transfers[1]],
        )
    ]


def _bounced_back(case: CaseSnapshot) -> list[Finding]:
    out = []
    transfers = case.of("grievance.transferred")
    for accepted in case.of("grievance.accepted"):
        before = [t for t in transfers if (t.occurred, t.version) < (accepted.occurred, accepted.version)]
        if not before:
            continue
        transfer = before[-1]
        reason = (
            f"本件于{beijing_text(transfer.occurred)}移送{_unit_name(_data(transfer).get('to_unit'))}"
            f"（第{transfer.version}版），又于{beijing_text(accepted.occurred)}由本机关受理（第{accepted.version}版）："
            "移送后被退回。第十七条第（四）项：互相推诿、不予处理。"
        )
        subject = Subject(responsible_unit("supervision_body", accepted, case.acts), _data(accepted).get("handler"))
        out.append(
            _pattern(
                case,
                "art17_4.bounced_back",
                "17",
                ("四",),
                "申诉、控告、检举移送后被退回（互相推诿）",
                reason,
                subject,
                [(transfer, "transfer"), (accepted, "acceptance after the transfer")],
                [transfer, accepted],
            )
        )
    return out


# --- determinations, sanctions, recorded findings ---

_Attached = TypeVar("_Attached", Determination, Sanction)


def _determinations(case: CaseSnapshot) -> list[Determination]:
    return [
        Determination(
            version=r.version,
            finding_id=d["finding_id"],
            determination=d["determination"],
            reasons=d.get("reasons", ""),
            determined_by=d.get("determined_by", {}),
            article=d.get("article", ""),
            item=d.get("item"),
            occurred=r.occurred,
            recorded=r.recorded,
            subject=Subject(d.get("subject_unit"), d.get("subject_person")),
            rule_set=d.get("rule_set"),
        )
        for r in case.of(DETERMINED)
        if "finding_id" in (d := _data(r))
    ]


def _sanctions(case: CaseSnapshot, rulesets: Sequence[RuleSet]) -> list[Sanction]:
    return [
        Sanction(
            version=r.version,
            finding_id=d.get("finding_id"),
            sanction=d.get("sanction", ""),
            article=d.get("article", ""),
            item=d.get("item"),
            subject=Subject(d.get("subject_unit"), d.get("subject_person")),
            imposed_by=d.get("imposed_by", {}),
            occurred=r.occurred,
            recorded=r.recorded,
            description=d.get("description"),
            decision_document=d.get("decision_document", {}).get("number"),
            rule_set=rule_set,
            law=law,
        )
        for r in case.of(SANCTIONED)
        for d in (_data(r),)
        for rule_set, law in (_cited(rulesets, d.get("rule_set"), r.day),)
    ]


def _by_finding(entries: Sequence[_Attached]) -> dict[str, tuple[_Attached, ...]]:
    grouped: dict[str, list[_Attached]] = defaultdict(list)
    for e in entries:
        if e.finding_id:
            grouped[e.finding_id].append(e)
    return {k: tuple(v) for k, v in grouped.items()}


def _recorded(
    case: CaseSnapshot,
    determinations: Sequence[Determination],
    inferred: Sequence[Finding],
    rulesets: Sequence[RuleSet],
) -> Finding:
    """A finding only a person recorded: article, item, rule set and subject from the latest determination."""
    first = min(determinations, key=lambda d: (d.occurred, d.version))
    latest = max(determinations, key=lambda d: (d.occurred, d.version))
    items = (latest.item,) if latest.item else ()
    rule_set, law = _cited(rulesets, latest.rule_set, beijing_date(first.occurred))
    who = latest.determined_by.get("name", "（认定人不详）")
    verdict = DETERMINATIONS.get(latest.determination, latest.determination)
    reason = f"{who}于{beijing_text(latest.occurred)}认定（第{latest.version}版，{verdict}）：{latest.reasons}"
    return Finding(
        id=latest.finding_id,
        case_id=case.case_id,
        source=Source.RECORDED,
        key="recorded",
        article=latest.article,
        items=items,
        title=f"人工认定的问题（{article_text(latest.article, items, law)}）",
        reason=reason,
        subject=latest.subject,
        evidence=tuple(case.evidence(d.version, "determination") for d in determinations),
        arose_at=first.occurred,
        day=beijing_date(first.occurred),
        rule_set=rule_set,
        law=law,
        may_concern=tuple(f.id for f in inferred if _may_concern(latest, law, f)),
    )


def _may_concern(determination: Determination, law: str | None, finding: Finding) -> bool:
    unit = determination.subject.unit
    return (
        finding.law == law
        and finding.article == determination.article
        and (determination.item is None or determination.item in finding.items)
        and (unit is None or finding.subject.unit is None or finding.subject.unit["code"] == unit["code"])
    )


def _with(finding: Finding, determinations: Sequence[Determination], sanctions: Sequence[Sanction]) -> Finding:
    if not determinations and not sanctions:
        return finding
    return replace(finding, determinations=tuple(determinations), sanctions=tuple(sanctions))
