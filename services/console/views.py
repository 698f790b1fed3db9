"""What the console's pages show, shaped from the API's answers: pure functions of those answers and an
instant (no I/O), so each page's arithmetic — grouping by unit, the last 30 days, sorting, the replay's steps,
the form's field errors — is tested without a server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from esledger.access.policy import PERMISSIONS, Permission

LEVEL_TITLES = {"red": "红色预警", "yellow": "黄色预警", "none": "无预警"}
DEADLINE_STATUS_TITLES = {
    "pending": "进行中",
    "met": "按期完成",
    "met_late": "逾期完成",
    "breached": "已超期",
    "provisional": "暂定",
    "not_applicable": "不适用",
}
DETERMINATION_TITLES = {"candidate": "待认定", "confirmed": "已确认", "dismissed": "已排除"}
RECENT_DAYS = 30


def may(roles: Iterable[str], permission: Permission) -> bool:
    """Whether a principal holding these roles may use the operation at all (the API decides scope)."""
    return bool(set(roles) & PERMISSIONS[permission])


@dataclass
class UnitLoad:
    """One unit's open deadlines by warning, as the overview lists them."""

    code: str
    name: str
    red: int = 0
    yellow: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.overdue


def unit_loads(deadlines: Iterable[Mapping[str, Any]]) -> list[UnitLoad]:
    """Open deadlines by the unit responsible: in red warning (breached, or past due on a provisional
    calendar), in yellow warning (few working days left), and overdue (breached and still not done, a part of
    the red); the most pressing units first."""
    units: dict[str, UnitLoad] = {}
    for d in deadlines:
        if not d.get("open"):
            continue
        unit = d.get("responsible_unit") or {}
        code = unit.get("code") or "—"
        row = units.setdefault(code, UnitLoad(code, unit.get("name") or d.get("responsible_title") or code))
        if d.get("level") == "red":
            row.red += 1
        elif d.get("level") == "yellow":
            row.yellow += 1
        if d["status"] == "breached":
            row.overdue += 1
    return sorted((u for u in units.values() if u.total), key=lambda u: (-u.red, -u.overdue, -u.yellow, u.code))


def recent_breaches(deadlines: Iterable[Mapping[str, Any]], now: datetime) -> list[Mapping[str, Any]]:
    """Deadlines breached (or met late) whose due instant fell within the last 30 days, latest first."""
    since = now - timedelta(days=RECENT_DAYS)
    found = [
        d
        for d in deadlines
        if d["status"] in ("breached", "met_late") and d.get("due") and since <= datetime.fromisoformat(d["due"]) <= now
    ]
    return sorted(found, key=lambda d: d["due"], reverse=True)


CASE_SORTS = {
    "case_id": ("案件编号", lambda c: c["case_id"]),
    "kind": ("类别", lambda c: (c["case_kind"], c["case_id"])),
    "status": ("状态", lambda c: (c["status"], c["case_id"])),
    "warning": ("预警", lambda c: (("red", "yellow", "none").index(c.get("warning") or "none"), c["case_id"])),
    "last_act": ("最近行为", lambda c: ((c.get("last_act") or {}).get("occurred") or "", c["case_id"])),
}
"""The orders the case list offers: key → (column title, sort key)."""


def sort_cases(cases: Sequence[Mapping[str, Any]], by: str, descending: bool) -> list[Mapping[str, Any]]:
    _, key = CASE_SORTS.get(by, CASE_SORTS["case_id"])
    return sorted(cases, key=key, reverse=descending)


@dataclass(frozen=True)
class Step:
    """One instant the ledger learned something about the case (a replay step)."""

    as_of: str
    version: int
    current: bool


@dataclass(frozen=True)
class Stepper:
    """The as-of control: every step, the one shown, and its neighbours."""

    steps: list[Step]
    previous: Step | None
    following: Step | None
    latest: bool


def stepper(instants: Sequence[tuple[str, int]], as_of: datetime | None) -> Stepper:
    """The replay's steps around ``as_of``: the step shown is the last at or before it; with no ``as_of``
    the case is shown now, and one step back is the last step (the clock alone may have changed it since)."""
    latest = as_of is None
    index = len(instants)
    if as_of is not None:
        index = max((i for i, (t, _) in enumerate(instants) if datetime.fromisoformat(t) <= as_of), default=-1)
    steps = [Step(t, v, i == index) for i, (t, v) in enumerate(instants)]
    previous = steps[index - 1] if 1 <= index <= len(steps) else None
    following = steps[index + 1] if not latest and index + 1 < len(steps) else None
    return Stepper(steps, previous, following, latest)


def backdated_versions(view: Mapping[str, Any]) -> dict[int, list[str]]:
    """Case versions whose act the domain judged backdated (a fulfilment occurred before its due instant but
    recorded after it), with the rules it fulfilled."""
    found: dict[int, list[str]] = {}
    for d in view.get("deadlines", []):
        if d.get("backdated") and d.get("fulfilment_version"):
            found.setdefault(d["fulfilment_version"], []).append(d["rule_id"])
    return found


STAT_TITLES = {
    "grievances_received": "收到申诉、控告、检举",
    "grievances_accepted": "受理",
    "grievances_transferred": "移送",
    "grievances_concluded": "办结",
    "inspections_opened": "启动监督检查",
    "notices_issued": "制发监督通知书",
    "decisions_issued": "制发监督决定书",
    "major_penalties_filed": "重大行政处罚备案",
    "normative_documents_filed": "规范性文件备案",
}
"""Titles of the columns a unit reports itself (``esledger.domain.statistics.REPORTED``)."""


def chart_groups(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], by_unit: bool
) -> tuple[list[str], dict[str, list[int]]]:
    """The chart's groups: one per unit (for one month) or one per month (summed over the units shown); groups
    where every column is zero are left out, so the chart shows what happened."""
    groups: dict[str, dict[str, int]] = {}
    for r in rows:
        label = r["unit"]["name"] if by_unit else r["month"]
        sums = groups.setdefault(label, dict.fromkeys(columns, 0))
        for c in columns:
            sums[c] += int(r[c])
    shown = sorted(label for label, sums in groups.items() if any(sums.values()))
    return shown, {c: [groups[label][c] for label in shown] for c in columns}


FIELD_POINTERS = {
    "determination": "/data/determination",
    "reasons": "/data/reasons",
    "determined_by_name": "/data/determined_by/name",
    "determined_by_role": "/data/determined_by/role",
    "unit_code": "/data/determined_by/unit",
    "sanction": "/data/sanction",
    "description": "/data/description",
    "imposed_by": "/data/imposed_by",
}
"""Form fields and the part of the posted CloudEvent each fills: the ledger's errors name the latter."""


@dataclass
class FormErrors:
    """The ledger's refusal laid beside the form's fields; what names no field goes above the form."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def form_errors(problem: Mapping[str, Any]) -> FormErrors:
    out = FormErrors()
    for error in problem.get("errors", []) or []:
        pointer = str(error.get("pointer", "")).lstrip("#")
        text = f"{error.get('detail', '')}（规则：{error.get('rule', '')}）"
        name = next(
            (n for n, p in sorted(FIELD_POINTERS.items(), key=lambda kv: -len(kv[1])) if pointer.startswith(p)), None
        )
        if name is None:
            out.general.append(f"{pointer or '请求'}：{text}")
        else:
            out.fields.setdefault(name, []).append(text)
    if not out.fields and not out.general:
        out.general.append(str(problem.get("detail") or problem.get("title") or "台账拒收"))
    return out
