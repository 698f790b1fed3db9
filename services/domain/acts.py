"""A case's acts as the ledger knew them at an instant: later knowledge and clerical fixes applied.

Input is the ledger's stored record shape ({"case_id", "case_version", "recorded_at", "event", ...}); output
is KnownAct, one act as evaluated (not the stored record: that is esledger.core.record.LedgerRecord).
Only records recorded at or before `as_of` are seen. case.record_amended applies its JSON-pointer
amendments to the target version; case.record_retracted removes the target (a retraction that is itself
retracted has no effect). Neither kind of correction is an act, so neither appears in the result; nor does
case.confidential_erased, which acts on what the ledger keeps (a complainant's identity), not on the case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from esledger.core.instants import parse_instant
from esledger.core.pointers import with_value
from esledger.domain.calendar import beijing_date

ACT_PREFIX = "cn.gov.jingzhou.zfjd."
AMENDED = "case.record_amended"
RETRACTED = "case.record_retracted"
ERASED = "case.confidential_erased"


@dataclass(frozen=True)
class KnownAct:
    """One act as evaluated: `known` is when the ledger learned its current content (itself or its last amendment);
    `amended_by` lists the case versions of the amendments applied to it, in order, and `before` the content
    each of them replaced, with when the ledger learned of the change (a date moved after it had passed is an
    integrity signal, deadlines.py)."""

    case_id: str
    version: int
    act: str
    occurred: datetime
    recorded: datetime
    known: datetime
    event: Mapping[str, Any]
    amended_by: tuple[int, ...] = ()
    before: tuple[tuple[int, datetime, Mapping[str, Any]], ...] = ()

    @property
    def day(self) -> date:
        """The Beijing date the act occurred on."""
        return beijing_date(self.occurred)


def act_of(event: Mapping[str, Any]) -> str:
    """The act name: the CloudEvent type without the project's prefix."""
    return str(event["type"]).removeprefix(ACT_PREFIX)


def cases_as_of(stored: Iterable[Mapping[str, Any]], as_of: datetime) -> dict[str, list[KnownAct]]:
    """Each case's acts known at `as_of`, amended and retracted as known then, in version order."""
    by_case: dict[str, list[KnownAct]] = defaultdict(list)
    for s in stored:
        recorded = parse_instant(s["recorded_at"])
        if recorded <= as_of:
            event = s["event"]
            act = KnownAct(
                s["case_id"], s["case_version"], act_of(event), parse_instant(event["time"]), recorded, recorded, event
            )
            by_case[act.case_id].append(act)
    return {case_id: _corrected(sorted(acts, key=lambda r: r.version)) for case_id, acts in by_case.items()}


def _corrected(records: list[KnownAct]) -> list[KnownAct]:
    retracted: set[int] = set()
    for r in reversed(records):
        if r.act == RETRACTED and r.version not in retracted:
            retracted.add(r.event["data"]["target_version"])
    current = {r.version: r for r in records if r.version not in retracted}
    for r in records:
        if r.act == AMENDED and r.version in current:
            target = r.event["data"]["target_version"]
            if target not in current and target not in retracted:
                raise ValueError(
                    f"case {r.case_id} version {r.version} amends version {target}, which is not in the case"
                )
            if target in current:
                current[target] = _amended(current[target], r)
    return [r for r in current.values() if r.act not in (AMENDED, RETRACTED, ERASED)]


def _amended(record: KnownAct, amendment: KnownAct) -> KnownAct:
    event = record.event
    for a in amendment.event["data"]["amendments"]:
        event = with_value(event, a["pointer"], a["value"])
    return replace(
        record,
        act=act_of(event),
        occurred=parse_instant(event["time"]),
        known=max(record.known, amendment.recorded),
        event=event,
        amended_by=(*record.amended_by, amendment.version),
        before=(*record.before, (amendment.version, amendment.recorded, record.event)),
    )
