"""第五条（五）: enforcement personnel's qualifications (行政执法证件), and enforcement acts recorded for a
person without a valid one at that time.

A qualification case (kind `qualification`, one per certificate, e.g. QL-2024-0031) is opened by
qualification.granted, which names the certificate number; qualification.suspended, .reinstated and .revoked
on the case change it. A case.sanction_imposed of 取消行政执法资格 (第十六条, `loss_of_enforcement_qualification`)
on any case revokes the certificate its subject person carries (`enforcement_cert_no`). The register is read
across cases, so a view of one case is handed the records of the cases that feed it (`register_records`).

Readings:
- A person is identified by the certificate number (common.v1 `person.enforcement_cert_no`); a person named
  without one cannot be looked up and is not judged.
- Enforcement acts by a person (ENFORCEMENT_ACTS) are the acts whose schema names the persons who performed
  them: major_penalty.decided (version 2) and its `handlers`, at the instant the decision occurred
  (《行政处罚法》第四十二条: 行政处罚应当由具有行政执法资格的执法人员实施). A violation found or a grievance
  names persons about an act of an unstated time, and alleges rather than records the act: neither is one.
- At an instant a certificate is valid when a grant covers its Beijing day (from `valid_from`, else the day
  of the grant, to `valid_until` inclusive), it was not revoked at or before it (revocation is final), and
  no suspension holds: one that began at or before the instant, not ended by its `suspended_until` (that
  day inclusive) nor by a reinstatement between its start and the instant.
- Otherwise the act is a candidate finding 第五条（五）, one per person, saying why: no grant known as of
  `as_of` (no record), not yet or no longer valid, suspended, revoked. It names the qualification records'
  dates, never their case ids or units: a reader of the act's case may not see the qualification case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from esledger.core.pointers import resolve
from esledger.domain.acts import KnownAct, act_of, cases_as_of
from esledger.domain.calendar import beijing_date
from esledger.domain.findings import SANCTIONED, Finding, Source, Subject, finding_id
from esledger.domain.presentation import Titles, beijing_text
from esledger.domain.snapshot import CaseSnapshot
from esledger.domain.units import unit_for

QUALIFICATION = "qualification"
GRANTED = "qualification.granted"
SUSPENDED = "qualification.suspended"
REINSTATED = "qualification.reinstated"
REVOKED = "qualification.revoked"
LOSS_OF_QUALIFICATION = "loss_of_enforcement_qualification"
KEY = "art5_5.unqualified"
CERTIFICATE = "certificate_number"
"""Where qualification.granted names its certificate."""
PERSON_CERTIFICATE = "enforcement_cert_no"
"""Where a person (common.v1) names the certificate they carry."""


@dataclass(frozen=True)
class EnforcementAct:
    """Where an enforcement act names the persons who performed it, and the field naming its unit."""

    persons: str
    unit: str


ENFORCEMENT_ACTS: Mapping[str, EnforcementAct] = {
    "major_penalty.decided": EnforcementAct("/data/handlers", "deciding_unit"),
}


class Standing(StrEnum):
    """Why a certificate was not valid at an instant."""

    NO_RECORD = "no_record"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


REVOKED_BY = {
    LOSS_OF_QUALIFICATION: "被给予取消行政执法资格的处理（第十六条）",
    "left_enforcement_post": "因调离行政执法岗位被注销",
    "other": "被吊销或注销",
}
"""How a certificate came to be revoked, in a reason (never the other case's words: its reader may not see it)."""

TITLES = {
    Standing.NO_RECORD: "执法人员无执法证件核发记录而实施执法行为",
    Standing.NOT_YET_VALID: "执法人员在执法证件生效前实施执法行为",
    Standing.EXPIRED: "执法人员在执法证件有效期届满后实施执法行为",
    Standing.SUSPENDED: "执法人员在执法证件被暂扣期间实施执法行为",
    Standing.REVOKED: "执法人员在执法证件被吊销、注销或被取消执法资格后实施执法行为",
}


@dataclass(frozen=True)
class Certificate:
    """What the ledger knows of one certificate: its grants (first and last valid day), suspensions (start,
    last day if stated), reinstatements and revocations (when, and by what)."""

    number: str
    grants: tuple[tuple[date, date | None], ...] = ()
    suspensions: tuple[tuple[datetime, date | None], ...] = ()
    reinstatements: tuple[datetime, ...] = ()
    revocations: tuple[tuple[datetime, str], ...] = ()

    def standing(self, at: datetime) -> tuple[Standing, str] | None:
        """Why the certificate was not valid at the instant, in words; None when it was."""
        revoked = [(when, how) for when, how in self.revocations if when <= at]
        if revoked:
            when, how = min(revoked)
            return Standing.REVOKED, f"该证件已于{beijing_text(when)}{how}"
        day = beijing_date(at)
        if not any(start <= day and (end is None or day <= end) for start, end in self.grants):
            if not self.grants:
                return Standing.NO_RECORD, "台账中没有该证件的核发记录"
            if any(day < start for start, _ in self.grants):
                starts = "、".join(str(start) for start, _ in self.grants if day < start)
                return Standing.NOT_YET_VALID, f"该证件自{starts}起方有效"
            ends = "、".join(str(end) for _, end in self.grants if end is not None)
            return Standing.EXPIRED, f"该证件有效期已于{ends}届满"
        for start, last in self.suspensions:
            lifted = any(start < r <= at for r in self.reinstatements)
            if start <= at and (last is None or day <= last) and not lifted:
                until = f"至{last}" if last else "至恢复为止"
                return Standing.SUSPENDED, f"该证件自{beijing_text(start)}起被暂扣（{until}）"
        return None


@dataclass(frozen=True)
class Register:
    """Every certificate the ledger knows of at an instant, by number."""

    certificates: Mapping[str, Certificate] = field(default_factory=dict)

    def standing(self, number: str, at: datetime) -> tuple[Standing, str] | None:
        """Why the certificate was not valid at the instant (no record: never granted); None when it was."""
        return self.certificates.get(number, Certificate(number)).standing(at)


def needs_register(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a case's records hold an enforcement act, whose findings read the register."""
    return any(act_of(r["event"]) in ENFORCEMENT_ACTS for r in records)


def feeds_register(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether `register_records` reads the case: a qualification case, or one with a sanction."""
    return any(r["case_kind"] == QUALIFICATION or act_of(r["event"]) == SANCTIONED for r in records)


def register_keys(records: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The certificate numbers a case can change in the register, as known at any instant: every number its
    records name (amendments included) when the register reads the case (`feeds_register`), else none. A
    register restricted to the cases whose keys hold the numbers a view looks up (`register_lookups`) gives
    that view exactly what the whole register gives it."""
    return _numbers(records, (CERTIFICATE, PERSON_CERTIFICATE)) if feeds_register(records) else frozenset()


def register_lookups(records: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The certificate numbers a case's views can look up in the register: every person's certificate number
    its records name, amendments included (only an enforcement act's persons are looked up)."""
    return _numbers(records, (PERSON_CERTIFICATE,))


def _numbers(records: Iterable[Mapping[str, Any]], names: tuple[str, ...]) -> frozenset[str]:
    """Every string held by a member of one of these names, or written to one by an amendment."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key in names and isinstance(item, str):
                    found.add(item)
                walk(item)
            pointer = value.get("pointer")
            if isinstance(pointer, str) and pointer.rsplit("/", 1)[-1] in names and isinstance(value.get("value"), str):
                found.add(value["value"])
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for r in records:
        walk(r["event"].get("data"))
    return frozenset(found)


def register_records(records_by_case: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    """The records of every case the register reads: qualification cases, and cases with a sanction (whole,
    so that their amendments and retractions apply)."""
    return [r for records in records_by_case.values() if feeds_register(records) for r in records]


def qualification_register(records: Iterable[Mapping[str, Any]], as_of: datetime) -> Register:
    """The certificates as the ledger knew them at `as_of` (amended and retracted as known then), from the
    records of the cases that feed the register (register_records); a record given twice counts once."""
    by_case: dict[str, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    for r in records:
        by_case[r["case_id"]][r["case_version"]] = r
    relevant = register_records({case_id: list(rs.values()) for case_id, rs in by_case.items()})
    kinds = {r["case_id"]: r["case_kind"] for r in relevant}
    changes: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for case_id, acts in cases_as_of(relevant, as_of).items():
        if kinds[case_id] == QUALIFICATION:
            _certificate_acts(acts, changes)
        for a in acts:
            person = _data(a).get("subject_person", {})
            if (
                a.act == SANCTIONED
                and _data(a).get("sanction") == LOSS_OF_QUALIFICATION
                and PERSON_CERTIFICATE in person
            ):
                changes[person[PERSON_CERTIFICATE]]["revocations"].append(
                    (a.occurred, REVOKED_BY[LOSS_OF_QUALIFICATION])
                )
    return Register(
        {number: Certificate(number, **{k: tuple(v) for k, v in found.items()}) for number, found in changes.items()}
    )


def _certificate_acts(acts: Sequence[KnownAct], changes: dict[str, dict[str, list[Any]]]) -> None:
    """A qualification case's acts, as changes of the certificate its opening act names."""
    opening = next((a for a in acts if a.act == GRANTED), None)
    if opening is None:
        return
    found = changes[_data(opening)[CERTIFICATE]]
    for a in acts:
        d = _data(a)
        if a.act == GRANTED:
            valid_from = d.get("valid_from")
            start = date.fromisoformat(valid_from) if valid_from else a.day
            found["grants"].append((start, _day(d.get("valid_until"))))
        elif a.act == SUSPENDED:
            found["suspensions"].append((a.occurred, _day(d.get("suspended_until"))))
        elif a.act == REINSTATED:
            found["reinstatements"].append(a.occurred)
        elif a.act == REVOKED:
            found["revocations"].append((a.occurred, REVOKED_BY.get(str(d.get("grounds")), REVOKED_BY["other"])))


def qualification_findings(case: CaseSnapshot, register: Register, titles: Titles) -> list[Finding]:
    """第五条（五）: each person of an enforcement act of the case whose certificate was not valid when the act
    occurred (findings.py adds the rule set)."""
    out = []
    for act in case.acts:
        how = ENFORCEMENT_ACTS.get(act.act)
        persons = resolve(act.event, how.persons) if how else None
        if how is None or not isinstance(persons, list):
            continue
        for person in persons:
            number = person.get(PERSON_CERTIFICATE)
            found = register.standing(number, act.occurred) if isinstance(number, str) else None
            if found is None:
                continue
            standing, why = found
            reason = (
                f"{titles.act(act.act)}（第{act.version}版，{beijing_text(act.occurred)}）载明由{person.get('name')}"
                f"（行政执法证件号{number}）承办；其时{why}。第五条第（五）项：行政执法人员资格认证和行政执法证件"
                "监督管理；《中华人民共和国行政处罚法》第四十二条：行政处罚应当由具有行政执法资格的执法人员实施。"
            )
            key = f"{KEY}.{number}"
            out.append(
                Finding(
                    id=finding_id(case.case_id, key, act.version),
                    case_id=case.case_id,
                    source=Source.PATTERN,
                    key=key,
                    article="5",
                    items=("五",),
                    title=TITLES[standing],
                    reason=reason,
                    subject=Subject(unit_for((how.unit,), act, case.acts), person),
                    evidence=(case.evidence(act.version, "enforcement act"),),
                    arose_at=act.occurred,
                    day=act.day,
                )
            )
    return out


def _data(act: KnownAct) -> Mapping[str, Any]:
    data = act.event.get("data", {})
    return data if isinstance(data, Mapping) else {}


def _day(text: Any) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) else None
