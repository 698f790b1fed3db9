"""Stored records in the ledger's shape, built by hand for worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from esledger.core.schemas import SchemaDirectory
from esledger.domain.calendar import Calendar
from esledger.domain.deadlines import Deadline, evaluate
from esledger.domain.organisations import organisations_from
from esledger.domain.rules import RuleSet
from esledger.ledger.catalog import Catalog
from esledger.rulefiles import catalog_titles, load_rulesets, rule_schemas

PREFIX = "cn.gov.jingzhou.zfjd."
SCHEMAS = SchemaDirectory.locate()
RULE_SCHEMAS = rule_schemas(SCHEMAS)
TITLES = catalog_titles(Catalog.load(SCHEMAS))
RULESETS: tuple[RuleSet, ...] = load_rulesets(SCHEMAS)
CALENDAR = Calendar()
HOLIDAYS_2027 = {
    # a test fixture shaped like the State Council notice: NOT the real 2027 arrangement
    "year": 2027,
    "notice": {
        "title": "国务院办公厅关于2027年部分节假日安排的通知（测试数据，非真实通知）",
        "number": "国办发明电〔2026〕99号",
        "published_on": "2026-11-10",
        "url": "https://www.gov.cn/example",
    },
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-13"},
        {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05"},
        {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"},
        {"name": "中秋节", "date": "2027-09-15"},
    ],
    "makeup_workdays": ["2027-02-20", "2027-09-26", "2027-10-09"],
}
BODY = {"code": "114210000000000001", "name": "荆州市政务服务和大数据管理局法制科"}
COUNTY = {"code": "114210000000000002", "name": "沙市区政务数据局"}
CITY = {"code": "114210000000000000", "name": "荆州市政务服务和大数据管理局"}
ORGANISATIONS = organisations_from(
    {
        "units": [
            {**CITY, "kind": "city_bureau", "level": "city", "parent": None},
            {**BODY, "kind": "supervision_body", "level": "city", "parent": CITY["code"]},
            {**COUNTY, "kind": "county_bureau", "level": "county", "parent": CITY["code"]},
        ]
    },
    RULE_SCHEMAS,
)
"""The units of these worked examples: a city bureau, its legal office (the supervision body) and a county
bureau."""


def instant(when: str) -> str:
    """'2026-09-22' is 10:00 Beijing time that day; a full RFC 3339 instant is kept as written."""
    return when if "T" in when else f"{when}T10:00:00+08:00"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(instant(text)).astimezone(UTC)


class Case:
    """A case's stored records, appended in recording order; each act is recorded an hour after it occurred."""

    def __init__(self, case_id: str = "case-1", kind: str = "grievance") -> None:
        self.case_id = case_id
        self.kind = kind
        self.records: list[dict[str, Any]] = []

    def add(self, act: str, when: str, recorded: str | None = None, **data: Any) -> int:
        version = len(self.records) + 1
        at = (
            datetime.fromisoformat(instant(recorded))
            if recorded
            else datetime.fromisoformat(instant(when)) + timedelta(hours=1)
        )
        self.records.append(
            {
                "case_id": self.case_id,
                "case_kind": self.kind,
                "case_version": version,
                "position": 100 + version,
                "recorded_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "recorded_by": "clerk-1",
                "prev_hash": "0" * 64,
                "hash": f"{version:064x}",
                "event": {
                    "specversion": "1.0",
                    "id": f"{self.case_id}-{version}",
                    "source": "urn:zfjd:test",
                    "type": PREFIX + act,
                    "subject": self.case_id,
                    "time": instant(when),
                    "datacontenttype": "application/json",
                    "data": data,
                },
            }
        )
        return version


def deadlines(
    case: Case,
    rule_id: str,
    as_of: str = "2027-12-31T00:00:00+08:00",
    calendar: Calendar = CALENDAR,
    rulesets: tuple[RuleSet, ...] = RULESETS,
) -> list[Deadline]:
    """The deadlines one rule gives for the case, as known at as_of."""
    found = evaluate(case.records, rulesets, calendar, utc(as_of), ORGANISATIONS)
    return [d for d in found if d.rule_id == rule_id]


def only(case: Case, rule_id: str, as_of: str = "2027-12-31T00:00:00+08:00", **kw: Any) -> Deadline:
    (found,) = deadlines(case, rule_id, as_of, **kw)
    return found


def due(day: str) -> datetime:
    """24:00 Beijing time of the day, as the instant it is: 00:00 +08:00 the next day."""
    return datetime.fromisoformat(f"{day}T00:00:00+08:00") + timedelta(days=1)


def notice(number: str) -> dict[str, str]:
    return {"number": number, "title": "行政执法监督通知书", "issued_on": "2026-01-01"}


# --- acts shared by several test modules ---

NOTICE = "荆政数法通〔2026〕3号"


def grievance(received: str) -> Case:
    case = Case("grievance-1")
    case.add(
        "grievance.received",
        received,
        grievance_kind="complaint",
        channel="letter",
        complainant={"kind": "natural_person", "name": "张某"},
        respondent_unit=COUNTY,
        supervision_body=BODY,
        summary="对行政处罚决定不服",
    )
    return case


def deliver_notification(case: Case, when: str, **kw: str) -> int:
    return case.add(
        "document.delivered",
        when,
        document_kind="grievance_notification",
        document_number="荆政数法通〔2026〕1号",
        delivered_to=COUNTY,
        method="direct",
        **kw,
    )


def explain(case: Case, when: str, **kw: str) -> int:
    return case.add(
        "grievance.explanation_submitted",
        when,
        respondent_unit=COUNTY,
        explanation="书面说明",
        evidence=[],
        legal_basis=[],
        **kw,
    )


def inspection(opened: str = "2026-01-05") -> Case:
    case = Case("inspection-1", "inspection")
    case.add(
        "inspection.opened",
        opened,
        origin="self_initiated",
        supervised_unit=COUNTY,
        supervision_body=BODY,
        scope="案卷评查",
        inspectors=[{"name": "李某"}],
    )
    return case


def issue(case: Case, when: str, correction_due_date: str, number: str = NOTICE, **kw: str) -> int:
    return case.add(
        "inspection.notice_issued",
        when,
        notice_document=notice(number),
        supervised_unit=COUNTY,
        violations="程序违法",
        correction_due_date=correction_due_date,
        **kw,
    )


def report(case: Case, when: str, number: str = NOTICE, corrected: bool = True, **kw: str) -> int:
    return case.add(
        "inspection.execution_report_submitted",
        when,
        reporting_unit=COUNTY,
        responds_to=number,
        corrected=corrected,
        report="已整改",
        evidence=[],
        **kw,
    )
