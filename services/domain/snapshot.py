"""One case as the ledger knew it at `as_of`: its acts (amended and retracted as known then, via
acts.cases_as_of) and the stored records behind them, so a view can cite each piece of evidence by case
version and global ledger position."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esledger.core.instants import parse_instant
from esledger.domain.acts import KnownAct, act_of, cases_as_of
from esledger.domain.presentation import fields_json


@dataclass(frozen=True)
class EvidenceRef:
    """A record that evidences something: case version, ledger position, what it is, when it happened and
    when the ledger learned it. `known` differs from `recorded` when an amendment changed it later."""

    version: int
    role: str
    act: str
    occurred: datetime | None
    recorded: datetime
    known: datetime
    position: int | None
    recorded_by: str | None
    amended_by: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class CaseSnapshot:
    """A case at `as_of`: `acts` in occurred order (ties by version); `stored` every stored record of the case
    recorded by then (acts, amendments, retractions), by case version."""

    case_id: str
    kind: str
    acts: tuple[KnownAct, ...]
    stored: Mapping[int, Mapping[str, Any]]
    as_of: datetime

    def act(self, version: int) -> KnownAct | None:
        """The act in force at this case version; None for an amendment, a retraction or a retracted act."""
        return next((r for r in self.acts if r.version == version), None)

    def required_act(self, version: int) -> KnownAct:
        """The act in force at a version that must be one, such as a deadline's trigger or fulfilment (taken by
        deadlines.evaluate from the same acts as known at the same instant)."""
        act = self.act(version)
        if act is None:
            raise LookupError(f"case {self.case_id} version {version} is not an act in force as of {self.as_of}")
        return act

    def of(self, *acts: str) -> list[KnownAct]:
        """The case's records of these acts, in occurred order."""
        return [r for r in self.acts if r.act in acts]

    def evidence(self, version: int, role: str) -> EvidenceRef:
        """The evidence reference for a case version: the act as amended if it is an act in force, else the
        stored record as written (an amendment, a retraction, or a retracted act)."""
        stored = self.stored[version]
        record = self.act(version)
        position, recorded_by = stored.get("position"), stored.get("recorded_by")
        if record is None:
            event = stored["event"]
            recorded = parse_instant(stored["recorded_at"])
            occurred = _instant_or_none(event)
            return EvidenceRef(version, role, act_of(event), occurred, recorded, recorded, position, recorded_by)
        return EvidenceRef(
            version,
            role,
            record.act,
            record.occurred,
            record.recorded,
            record.known,
            position,
            recorded_by,
            record.amended_by,
        )


def snapshots(stored: Iterable[Mapping[str, Any]], as_of: datetime) -> dict[str, CaseSnapshot]:
    """Every case with a record recorded at or before `as_of`, as known then."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    known: dict[str, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    for s in stored:
        if parse_instant(s["recorded_at"]) <= as_of:
            known[s["case_id"]][s["case_version"]] = s
    acts = cases_as_of((s for by_version in known.values() for s in by_version.values()), as_of)
    return {
        case_id: CaseSnapshot(
            case_id,
            _kind(by_version.values()),
            tuple(sorted(acts.get(case_id, []), key=lambda r: (r.occurred, r.version))),
            dict(by_version),
            as_of,
        )
        for case_id, by_version in sorted(known.items())
    }


def _kind(stored: Iterable[Mapping[str, Any]]) -> str:
    kinds: Sequence[str] = sorted({s["case_kind"] for s in stored if s.get("case_kind")})
    if len(kinds) > 1:
        raise ValueError(f"a case's records name more than one case kind: {', '.join(kinds)}")
    return kinds[0] if kinds else ""


def _instant_or_none(event: Mapping[str, Any]) -> datetime | None:
    try:
        return parse_instant(event["time"])
    except (KeyError, TypeError, ValueError):
        return None
