"""The questions the read side answers, and the domain's answers to them for cases whose stored view does not
hold at the instant asked.

Every answer is evaluated at an instant: the request time for live answers, or ``as_of`` for replays. Both
see only records recorded at or before that instant and no other clock, so a replay at T gives exactly what
the live service answered at T. Filters are written once here, on the JSON the API answers with
(``admits``); the read model runs the same tests in SQL on the columns ``projection.case_rows`` extracts with
``deadline_columns`` and ``finding_columns``, and the tests hold the two equal.

Lists are paged in a fixed order by an opaque cursor (the last row's key): cases by case id; deadlines by due
instant (none last), case id, rule, trigger version and place in the case; findings by id, case id and
place. A row whose key does not change is seen exactly once by a walk through the pages, whatever is
recorded meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from esledger.access.policy import Scope
from esledger.core.errors import InvalidArgument
from esledger.domain.casefile import Policy, view_case, view_cases
from esledger.domain.presentation import instant_json
from esledger.projections.readmodel import NEVER, micros

Records = Mapping[str, Sequence[Mapping[str, Any]]]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    status: str | None = None
    unit: str | None = None
    has_breach: bool | None = None
    due_before: datetime | None = None
    warning: str | None = None

    def admits(self, view: Mapping[str, Any]) -> bool:
        """Whether the case, as its reader sees it (``respondent_view``), is listed."""
        if self.kind and view["case_kind"] != self.kind:
            return False
        if self.status and view["status"] != self.status:
            return False
        if self.unit and not any(_is(self.unit, u) for u in view.get("units", [])):
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


@dataclass(frozen=True)
class DeadlineFilter:
    level: str | None = None
    unit: str | None = None
    responsible: str | None = None
    status: str | None = None
    due_before: datetime | None = None

    def admits(self, d: Mapping[str, Any]) -> bool:
        if self.level and d.get("level") != self.level:
            return False
        if self.status and d["status"] != self.status:
            return False
        if self.responsible and d.get("responsible") != self.responsible:
            return False
        if self.unit and not _is(self.unit, d.get("responsible_unit")):
            return False
        return not (self.due_before and not (d["due"] and datetime.fromisoformat(d["due"]) <= self.due_before))


@dataclass(frozen=True)
class FindingFilter:
    article: str | None = None
    unit: str | None = None
    determination: str | None = None
    rule_set: str | None = None

    def admits(self, f: Mapping[str, Any]) -> bool:
        if self.article and str(f["article"]) != self.article:
            return False
        if self.rule_set and f.get("rule_set") != self.rule_set:
            return False
        if self.determination and f["status"] != self.determination:
            return False
        return not (self.unit and not _is(self.unit, (f.get("subject") or {}).get("unit")))


def _is(unit: str | None, value: Mapping[str, Any] | None) -> bool:
    return value is not None and unit in (value.get("code"), value.get("name"))


def _unit(value: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    return (value.get("code"), value.get("name")) if value else (None, None)


# -- what the read model extracts, and the order of lists -------------------------------------------------------
def due_key(deadline: Mapping[str, Any]) -> int:
    """A deadline's due instant as the read model orders it (no due instant: last)."""
    return micros(datetime.fromisoformat(deadline["due"])) if deadline["due"] else NEVER


def deadline_columns(seq: int, d: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the read model selects and orders a deadline by: (seq, due_key, rule_id, trigger_version, status,
    level, responsible, unit code, unit name)."""
    return (seq, due_key(d), d["rule_id"], d["trigger_version"], d["status"], d["level"], d.get("responsible"),
            *_unit(d.get("responsible_unit")))  # fmt: skip


def finding_columns(seq: int, f: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the read model selects and orders a finding by: (seq, id, article, status, unit code, unit name)."""
    return (seq, f["id"], str(f["article"]), f["status"], *_unit((f.get("subject") or {}).get("unit")))


def deadline_key(case_id: str, seq: int, d: Mapping[str, Any]) -> Key:
    return (due_key(d), case_id, d["rule_id"], d["trigger_version"], seq)


def finding_key(case_id: str, seq: int, f: Mapping[str, Any]) -> Key:
    return (f["id"], case_id, seq)


CURSORS: dict[str, tuple[type, ...]] = {
    "cases": (str,),
    "deadlines": (int, str, str, int, int),
    "findings": (str, str, int),
}
"""Each list's cursor: the types of its key."""


def encode_cursor(kind: str, key: Key) -> str:
    """An opaque cursor: where the next page of the list starts (after this key)."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, *key])).decode().rstrip("=")


MAX_KEY = 2**63 - 1
"""The widest integer a key column holds (PostgreSQL bigint, SQLite INTEGER): a cursor beyond it is not ours."""


def decode_cursor(kind: str, cursor: str | None) -> Key | None:
    """The key a cursor of this list holds; a cursor of another list, or none of ours, answers 400."""
    if cursor is None:
        return None
    try:
        found = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        found = None
    types = CURSORS[kind]
    if (
        not isinstance(found, list)
        or found[:1] != [kind]
        or len(found) != len(types) + 1
        or not all(type(v) is t for v, t in zip(found[1:], types, strict=True))
        or any(type(v) is int and not -MAX_KEY <= v <= MAX_KEY for v in found[1:])
    ):
        raise InvalidArgument(
            f"cursor is not one this list gave (take it from the answer's `next` of /v1/{kind})",
            errors=[{"parameter": "cursor", "rule": "cursor"}],
        )
    return tuple(found[1:])


# -- the domain's answers ------------------------------------------------------------------------------------
def _flat(records: Records) -> list[Mapping[str, Any]]:
    return [r for rs in records.values() for r in rs]


def case_view(
    records: Sequence[Mapping[str, Any]], policy: Policy, at: datetime, context: Records
) -> dict[str, Any] | None:
    """One case's view at ``at``; ``context`` holds the other cases its findings read (the qualification
    register: ``esledger.domain.qualifications``)."""
    view = view_case(records, policy, at, _flat(context))
    return view.to_json() if view is not None else None


def case_views(records: Records, policy: Policy, at: datetime, context: Records) -> list[dict[str, Any]]:
    """Every case's view at ``at``, its findings reading the other cases of ``context`` as ``case_view`` does."""
    return [v.to_json() for v in view_cases(_flat(records), policy, at, _flat(context))]


def respondent_view(view: Mapping[str, Any], own: Callable[[str], bool]) -> dict[str, Any]:
    """What a respondent unit sees of its case: the status, the deadlines it must meet and the findings about
    it — not the other parties' duties, nor sanctions recorded without a finding."""
    deadlines = [d for d in view["deadlines"] if mine(d.get("responsible_unit"), own)]
    findings = [f for f in view["findings"] if mine((f.get("subject") or {}).get("unit"), own)]
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


def mine(unit: Mapping[str, Any] | None, own: Callable[[str], bool]) -> bool:
    return unit is not None and own(unit["code"])


def own_units(scope: Scope) -> Callable[[str], bool]:
    """A respondent's own units: its granted units and every unit below them."""
    return lambda code: scope.within(code, "respondent")


def case_rows(view: Mapping[str, Any], respondent: bool, scope: Scope, where: CaseFilter) -> list[tuple[Key, Any]]:
    """The case as a row of /v1/cases (none when the filter refuses it)."""
    shown = respondent_view(view, own_units(scope)) if respondent else view
    return [((view["case_id"],), shown)] if where.admits(shown) else []


def deadline_rows(
    view: Mapping[str, Any], respondent: bool, scope: Scope, where: DeadlineFilter
) -> list[tuple[Key, Any]]:
    """The case's deadlines a reader sees (a respondent: those it must meet) as rows of /v1/deadlines."""
    own = own_units(scope)
    return [
        (deadline_key(view["case_id"], seq, d), {"case_id": view["case_id"], "case_kind": view["case_kind"], **d})
        for seq, d in enumerate(view["deadlines"])
        if (not respondent or mine(d.get("responsible_unit"), own)) and where.admits(d)
    ]


def finding_rows(
    view: Mapping[str, Any], respondent: bool, scope: Scope, where: FindingFilter
) -> list[tuple[Key, Any]]:
    """The case's findings a reader sees (a respondent: those about it) as rows of /v1/findings."""
    own = own_units(scope)
    return [
        (finding_key(view["case_id"], seq, f), {"case_id": view["case_id"], "case_kind": view["case_kind"], **f})
        for seq, f in enumerate(view["findings"])
        if (not respondent or mine((f.get("subject") or {}).get("unit"), own)) and where.admits(f)
    ]


def first(rows: Iterable[tuple[Key, Any]], after: Key | None, limit: int) -> list[tuple[Key, Any]]:
    """The first ``limit`` rows after the cursor's key, in key order."""
    return sorted((r for r in rows if after is None or r[0] > after), key=lambda r: r[0])[:limit]


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
