"""Answers to inspectors' questions, computed by the pure domain core from the read model's records.

Every answer is evaluated at an instant: the request time for live answers, or ``as_of`` for replays. Both
see only records recorded at or before that instant and no other clock, so a replay at T gives exactly what
the live service answered at T.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.domain.casefile import Policy, view_case, view_cases
from esledger.domain.presentation import instant_json
from esledger.domain.statistics import monthly_statistics

Records = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    status: str | None = None
    unit: str | None = None
    has_breach: bool | None = None
    due_before: datetime | None = None
    warning: str | None = None

    def admits(self, view: Mapping[str, Any]) -> bool:
        if self.kind and view["case_kind"] != self.kind:
            return False
        if self.status and view["status"] != self.status:
            return False
        if self.unit and not any(_is(self.unit, u) for u in _units(view)):
            return False
        if self.has_breach is not None and view["has_breach"] != self.has_breach:
            return False
        if self.warning and view["warning"] != self.warning:
            return False
        if self.due_before is not None:
            return any(
                d["status"] == "pending" and d["due"] and datetime.fromisoformat(d["due"]) <= self.due_before
                for d in view["deadlines"]
            )
        return True


def _flat(records: Records) -> list[Mapping[str, Any]]:
    return [r for rs in records.values() for r in rs]


def _units(view: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    return view.get("units", [])


def _is(unit: str | None, value: Mapping[str, Any] | None) -> bool:
    return value is not None and unit in (value.get("code"), value.get("name"))


def case_view(
    records: Sequence[Mapping[str, Any]], policy: Policy, at: datetime, context: Records
) -> dict[str, Any] | None:
    """One case's view at ``at``; ``context`` holds the other cases its findings read (the qualification
    register: ``esledger.domain.qualifications``)."""
    view = view_case(records, policy, at, _flat(context))
    return view.to_json() if view is not None else None


def case_views(records: Records, policy: Policy, at: datetime, context: Records) -> list[dict[str, Any]]:
    """Every case's view at ``at`` (filter and scope them with ``CaseFilter`` and the service's scope), its
    findings reading the other cases of ``context`` as ``case_view`` does."""
    return [v.to_json() for v in view_cases(_flat(records), policy, at, _flat(context))]


def deadline_rows(
    views: Iterable[Mapping[str, Any]],
    *,
    level: str | None = None,
    unit: str | None = None,
    responsible: str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """The views' deadlines, most urgent first; each names its case."""
    rows = []
    for view in views:
        for d in view["deadlines"]:
            row = {"case_id": view["case_id"], "case_kind": view["case_kind"], **d}
            if level and d.get("level") != level:
                continue
            if status and d["status"] != status:
                continue
            if responsible and d.get("responsible") != responsible:
                continue
            if unit and not _is(unit, d.get("responsible_unit")):
                continue
            if due_before and not (d["due"] and datetime.fromisoformat(d["due"]) <= due_before):
                continue
            rows.append(row)
    return sorted(rows, key=lambda r: (r["due"] is None, r["due"] or "", r["case_id"], r["rule_id"]))


def finding_rows(
    views: Iterable[Mapping[str, Any]],
    *,
    article: str | None = None,
    unit: str | None = None,
    determination: str | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for view in views:
        for f in view["findings"]:
            if article and str(f["article"]) != article:
                continue
            if determination and f["status"] != determination:
                continue
            if unit and not _is(unit, (f.get("subject") or {}).get("unit")):
                continue
            rows.append({"case_id": view["case_id"], "case_kind": view["case_kind"], **f})
    return sorted(rows, key=lambda r: r["id"])


def statistics(
    records: Records,
    policy: Policy,
    at: datetime,
    *,
    context: Records,
    month: str | None = None,
    unit: str | None = None,
) -> list[Any]:
    rows = monthly_statistics(records, policy, at, _flat(context))
    return [r for r in rows if (not month or r.month == month) and (not unit or unit in (r.unit_code, r.unit_name))]


def respondent_view(view: Mapping[str, Any], own: Callable[[str], bool]) -> dict[str, Any]:
    """What a respondent unit sees of its case: the status, the deadlines it must meet and the findings about
    it — not the other parties' duties, nor sanctions recorded without a finding."""

    def mine(unit: Mapping[str, Any] | None) -> bool:
        return unit is not None and own(unit["code"])

    deadlines = [d for d in view["deadlines"] if mine(d.get("responsible_unit"))]
    findings = [f for f in view["findings"] if mine((f.get("subject") or {}).get("unit"))]
    counts = {s: sum(f["status"] == s for f in findings) for s in ("candidate", "confirmed", "dismissed")}
    return {
        **view,
        "deadlines": deadlines,
        "findings": findings,
        "finding_counts": counts,
        "unattached_sanctions": [],
        "open_deadlines": sum(d["open"] for d in deadlines),
        "has_breach": any(d["status"] in ("breached", "met_late") for d in deadlines),
        "warning": max((d["level"] for d in deadlines), key=("none", "yellow", "red").index, default="none"),
    }


def replay(records: Sequence[Mapping[str, Any]], policy: Policy, context: Records) -> list[dict[str, Any]]:
    """The case at each instant the ledger learned something about it: a review steps through these."""
    instants = sorted({datetime.fromisoformat(r["recorded_at"]) for r in records})
    return [
        {
            "as_of": instant_json(at),
            "recorded_version": max(
                r["case_version"] for r in records if datetime.fromisoformat(r["recorded_at"]) <= at
            ),
            "view": case_view(records, policy, at, context),
        }
        for at in instants
    ]
