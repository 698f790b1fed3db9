"""Acts and views for the case-file tests (status, findings, views, statistics), built on builders.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from esledger.domain.casefile import CaseView, Policy, view_case
from esledger.domain.findings import Finding

from .builders import BODY, CALENDAR, COUNTY, ORGANISATIONS, RULESETS, TITLES, Case, notice, utc

POLICY = Policy(RULESETS, CALENDAR, titles=TITLES, organisations=ORGANISATIONS)
LATE = "2027-06-30T00:00:00+08:00"  # long after every scenario (2027 is provisional, but no period reaches it)
OFFICER = {"name": "黄某", "role": "执法大队大队长", "unit": COUNTY}
REVIEWER = {"name": "刘某", "role": "副局长"}
COMPLAINANT_NAME = "张某"  # builders.grievance's complainant: confidential, must never appear in a view
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def view(case: Case, as_of: str = LATE, policy: Policy = POLICY) -> CaseView:
    found = view_case(case.records, policy, utc(as_of))
    assert found is not None
    return found


def findings(case: Case, key: str | None = None, as_of: str = LATE, policy: Policy = POLICY) -> list[Finding]:
    return [f for f in view(case, as_of, policy).findings if key is None or f.key == key]


def one(case: Case, key: str, as_of: str = LATE, policy: Policy = POLICY) -> Finding:
    (found,) = findings(case, key, as_of, policy)
    return found


# --- acts not written by the older test modules ---


def fee(case: Case, when: str, amount_fen: int = 3000, **kw: Any) -> int:
    return case.add("grievance.fee_charged", when, charged_by=BODY, amount_fen=amount_fen, description="复印费", **kw)


def refuse(case: Case, when: str, **kw: Any) -> int:
    return case.add(
        "inspection.cooperation_refused",
        when,
        refusing_unit=COUNTY,
        conduct="refusal",
        description="拒绝提供案卷",
        **kw,
    )


def violation(case: Case, when: str, target_act: str | None = None) -> int:
    extra = {"target_act": target_act} if target_act else {}
    return case.add(
        "inspection.violation_found",
        when,
        unit=COUNTY,
        person=OFFICER,
        description="未告知听证权利",
        legal_basis=["《中华人民共和国行政处罚法》第六十三条"],
        evidence=[{"title": "案卷"}],
        **extra,
    )


def decide(case: Case, when: str, number: str, measure: str = "revoke", target_act: str = "某处罚决定") -> int:
    return case.add(
        "inspection.decision_issued",
        when,
        decision_document=notice(number),
        supervised_unit=COUNTY,
        measure=measure,
        target_act=target_act,
    )


def determine(case: Case, when: str, finding_id: str, determination: str = "confirmed", **kw: Any) -> int:
    data = {"article": "16", "reasons": "经核查属实", "determined_by": REVIEWER} | kw
    return case.add("case.finding_determined", when, finding_id=finding_id, determination=determination, **data)


def sanction(case: Case, when: str, finding_id: str | None = None, **kw: Any) -> int:
    data = {"sanction": "circulated_criticism", "article": "16", "imposed_by": BODY} | kw
    if finding_id:
        data["finding_id"] = finding_id
    return case.add("case.sanction_imposed", when, **data)


def amend(case: Case, when: str, target: int, pointer: str, value: Any, recorded: str | None = None) -> int:
    return case.add(
        "case.record_amended",
        when,
        recorded=recorded,
        target_version=target,
        reason="笔误",
        amendments=[{"pointer": pointer, "value": value}],
    )


def retract(case: Case, when: str, target: int) -> int:
    return case.add("case.record_retracted", when, target_version=target, reason="误登记")


# --- the published example scenarios as stored records ---

KINDS = {
    "grievance.received": "grievance",
    "normative_document.published": "record_filing",
    "major_penalty.decided": "major_penalty_filing",
    "inspection.opened": "inspection",
    "statistics.monthly_report_submitted": "unit_statistics",
    "qualification.granted": "qualification",
}
RECORDED_AFTER = timedelta(hours=1)


def example_records() -> list[dict[str, Any]]:
    """Every example event as a stored record, recorded an hour after it occurred, in posting order."""
    stored: list[dict[str, Any]] = []
    versions: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            case_id = event["subject"]
            if case_id not in kinds:
                kinds[case_id] = KINDS[event["type"].removeprefix("cn.gov.jingzhou.zfjd.")]
            versions[case_id] = versions.get(case_id, 0) + 1
            recorded = datetime.fromisoformat(event["time"]) + RECORDED_AFTER
            stored.append(
                {
                    "case_id": case_id,
                    "case_kind": kinds[case_id],
                    "case_version": versions[case_id],
                    "position": 1000 + len(stored),
                    "recorded_at": recorded.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "recorded_by": "example-clerk",
                    "prev_hash": "0" * 64,
                    "hash": f"{len(stored):064x}",
                    "event": event,
                }
            )
    return stored
