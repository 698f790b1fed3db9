"""What the ledger's events do to the read model: each batch of ledger entries is copied, with the positions
the ledger gave them, and every case they touch is viewed again — with the cases whose qualification
findings read what they changed — all in one transaction with the read model's tracking position, so
following is exactly once. Between batches the follower views again the cases whose stored view the clock
has overtaken (their ``next_change`` has come).

``Projector`` holds what a view is computed with (the deployment's policy, the kinds the ledger keeps for
itself, the clock); ``case_rows`` is the pure part: one case's records in, the rows the read model keeps
for it out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from esledger.core.instants import Clock
from esledger.domain.casefile import Policy, next_change, view_case
from esledger.domain.presentation import instant_json
from esledger.domain.qualifications import needs_register, register_keys, register_lookups
from esledger.domain.statistics import case_tally
from esledger.ledger.case import unit_codes
from esledger.ledger.store import LedgerStore
from esledger.projections.queries import deadline_columns, finding_columns
from esledger.projections.readmodel import NEVER, CaseRows, Names, ReadModel, micros

logger = logging.getLogger("esledger.projections")

Record = Mapping[str, Any]
Records = dict[str, Sequence[Record]]
ERROR = "error"
"""The status of a case whose view could not be computed; its view says why."""


@dataclass(frozen=True)
class Projector:
    policy: Policy
    clock: Clock
    hidden_kinds: frozenset[str] = frozenset()
    """Case kinds the ledger keeps for itself (principals): no view is kept of them."""

    def case_rows(self, records: Sequence[Record], context: Sequence[Record], at: datetime) -> CaseRows:
        """The rows of one case (its records in version order) as viewed at ``at``; ``context`` holds the
        records of the cases its findings read. A view that fails is kept as the error, alone."""
        first, last = records[0], records[-1]
        needs = needs_register(records)
        links = [(n, "key") for n in register_keys(records)]
        links += [(n, "lookup") for n in register_lookups(records)] if needs else []
        rows = CaseRows(
            case_id=first["case_id"],
            case_kind=first["case_kind"],
            version=last["case_version"],
            last_position=last["position"],
            computed_at=micros(at),
            next_change=NEVER,
            view=None,
            status=None,
            warning=None,
            has_breach=None,
            deadlines=[],
            findings=[],
            units=[],
            tallies=[],
            links=links,
        )
        if first["case_kind"] in self.hidden_kinds:
            return rows
        try:
            view = view_case(records, self.policy, at, context)
            change = next_change(view, [*records, *context], self.policy, at)
        except Exception as error:
            logger.exception("case %s: its view could not be computed", first["case_id"])
            return _failed(rows, first, at, error)
        changed = micros(change) if change is not None else NEVER
        if view is None:
            return _with(rows, next_change=changed)
        js = view.to_json()
        return _with(
            rows,
            next_change=changed,
            view=orjson.dumps(js),
            status=js["status"],
            warning=js["warning"],
            has_breach=int(js["has_breach"]),
            deadlines=[deadline_columns(i, d) for i, d in enumerate(js["deadlines"])],
            findings=[finding_columns(i, f) for i, f in enumerate(js["findings"])],
            units=[(u["code"], u["name"]) for u in js["units"]],
            tallies=tally_rows(case_tally(view)),
        )

    def recompute(
        self, read_model: ReadModel, names: Names, case_ids: Iterable[str], new: Sequence[Record], at: datetime
    ) -> list[CaseRows]:
        """The rows of these cases and of the cases ``new`` records belong to, viewed at ``at`` — and of the
        cases that look up a certificate number they feed to the register."""
        added: dict[str, list[Record]] = defaultdict(list)
        for r in new:
            added[r["case_id"]].append(r)
        touched = set(case_ids) | set(added)
        stored: Records = dict(read_model.records_of(touched, names))
        records: Records = {c: [*stored.get(c, []), *added.get(c, [])] for c in touched}
        keys = {c: register_keys(rs) for c, rs in records.items()}
        fed = set().union(*keys.values())
        others = read_model.linked(fed, "lookup", names) - touched if fed else set()
        records |= dict(read_model.records_of(others, names))
        lookups = {c: register_lookups(rs) if needs_register(rs) else frozenset() for c, rs in records.items()}
        looked_up = set().union(*lookups.values())
        feeders = read_model.linked(looked_up, "key", names) | {c for c, k in keys.items() if k & looked_up}
        feeder_records: Records = {c: records[c] for c in feeders if c in records}
        feeder_records |= dict(read_model.records_of(feeders - set(feeder_records), names))
        feeder_keys = {c: register_keys(rs) for c, rs in feeder_records.items()}
        rows = []
        for case_id in sorted(records):
            wanted = lookups[case_id]
            context = [r for f, rs in feeder_records.items() if f != case_id and feeder_keys[f] & wanted for r in rs]
            rows.append(self.case_rows(records[case_id], context, at))
        return rows


def _with(rows: CaseRows, **changes: Any) -> CaseRows:
    return CaseRows(**{**rows.__dict__, **changes})


def _failed(rows: CaseRows, first: Record, at: datetime, error: Exception) -> CaseRows:
    """A case whose view failed: listed with status ``error`` and the reason, with no deadlines, findings or
    statistics, until an event or a rebuild views it again."""
    message = f"{type(error).__name__}: {error}"
    view = {
        "case_id": first["case_id"],
        "case_kind": first["case_kind"],
        "case_kind_title": first["case_kind"],
        "as_of": instant_json(at),
        "status": ERROR,
        "status_title": "the view could not be computed",
        "status_since_version": None,
        "status_since": None,
        "irregular_acts": [],
        "units": [],
        "last_act": None,
        "has_breach": False,
        "open_deadlines": 0,
        "warning": "none",
        "deadlines": [],
        "finding_counts": {"candidate": 0, "confirmed": 0, "dismissed": 0},
        "findings": [],
        "unattached_sanctions": [],
        "error": message,
    }
    return _with(rows, view=orjson.dumps(view), status=ERROR, warning="none", has_breach=0)


def tally_rows(tallies: Mapping[tuple[str, str], Any]) -> list[tuple[Any, ...]]:
    """A case's statistics tally as rows (unit_code, month, item, n, name, data): ``name`` (the unit's name as
    the case names it), ``count:<column>``, ``finding:<article>``, ``score:<score>`` and ``report``."""
    out: list[tuple[Any, ...]] = []
    for (code, month), t in sorted(tallies.items()):
        out.append((code, month, "name", 0, t.name, None))
        out += [(code, month, f"count:{c}", n, t.name, None) for c, n in sorted(t.counts.items()) if n]
        out += [(code, month, f"finding:{a}", n, t.name, None) for a, n in sorted(t.findings.items()) if n]
        out += [(code, month, f"score:{s}", n, t.name, None) for s, n in sorted(t.scores.items()) if n]
        if t.reported is not None:
            report = {
                "occurred": instant_json(t.reported.occurred),
                "version": t.reported.version,
                "counts": dict(t.reported.counts),
            }
            out.append((code, month, "report", 0, t.name, orjson.dumps(report).decode()))
    return out


def scope_rows(records: Iterable[Record]) -> set[tuple[str, str]]:
    """(case id, unit code) of every unit the records name: who may see the case (access policy)."""
    return {(r["case_id"], code) for r in records for code in unit_codes(r["event"])}


def catch_up(store: LedgerStore, read_model: ReadModel, projector: Projector, batch: int = 2000) -> int:
    """Apply the next ``batch`` ledger entries after the read model's position in one transaction, or, when
    there are none, view again up to ``batch`` cases the clock has overtaken; how many were handled."""
    names = read_model.names()
    position = read_model.position()
    at = projector.clock()
    entries = store.feed(position, batch)
    if entries:
        new = [e.to_json() for e in entries]
        rows = projector.recompute(read_model, names, (), new, at)
        read_model.write(names, position, entries[-1].position, new, rows, scope_rows(new))
        return len(entries)
    return refresh(read_model, projector, names, position, at, batch)


def refresh(read_model: ReadModel, projector: Projector, names: Names, position: int, at: datetime, limit: int) -> int:
    """View again, at ``at``, up to ``limit`` cases whose stored view may have changed by then; how many."""
    due = read_model.due(micros(at), limit, names)
    if due:
        read_model.write(names, position, None, [], projector.recompute(read_model, names, due, (), at))
    return len(due)
