"""The one write path. Every append, single or batch, goes through ``Appender.append``, so coalescing
several requests into one transaction can be added here without touching the API.

For each event, in order: idempotency ((source, id) already stored → the original record, or a conflict);
case rules (an opening act creates its case, any other act needs an existing case of an admitting kind);
then the hash-chained entry and the key claim. Everything of one call is saved in one transaction: all or
nothing. A concurrent writer makes the save fail on the (aggregate, version) unique key; the call is then
re-run from fresh state, so nothing is lost or duplicated.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from esledger.core.canonical import sha256_hex
from esledger.core.errors import (
    CaseExists,
    CaseKindMismatch,
    Forbidden,
    IdempotencyConflict,
    PreconditionFailed,
    UnknownCase,
    WriteContention,
)
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.ledger.case import Case, IdempotencyKey
from esledger.ledger.catalog import ActType, Catalog
from esledger.ledger.store import LedgerStore, entry_record

logger = logging.getLogger("esledger.ledger")

MAX_ATTEMPTS = 30


@dataclass(frozen=True)
class Submission:
    """A validated CloudEvent and the act it records."""

    event: dict[str, Any]
    act: ActType


@dataclass(frozen=True)
class Outcome:
    record: LedgerRecord
    created: bool


@dataclass(frozen=True)
class _Ref:
    case_id: str
    case_version: int
    created: bool


class Writer(Protocol):
    """Who appends: recorded as ``recorded_by``, and asked whether each event may go on its case."""

    @property
    def id(self) -> str: ...

    def may_write(self, event: Mapping[str, Any], act: str, case_units: set[str] | None) -> bool:
        """``case_units``: the units of the existing case (None: the event opens a new case)."""


Also = Callable[[LedgerStore], Sequence[Aggregate]]
"""Other aggregates to save in the same transaction, built afresh on every attempt."""


class Appender:
    def __init__(self, store: LedgerStore, catalog: Catalog, clock: Clock, retry_after_seconds: int = 5) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.retry_after_seconds = retry_after_seconds

    def append(
        self,
        submissions: Sequence[Submission],
        writer: Writer,
        expected_version: int | None = None,
        also: Also | None = None,
    ) -> list[Outcome]:
        """Store the submissions atomically; ``expected_version`` (If-Match) applies to a single event's case."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                refs, created = self._attempt(submissions, writer, expected_version, also)
            except IntegrityError as exc:
                # Another writer committed first; re-read and decide again (If-Match is then checked anew).
                logger.info(
                    "append conflicted with a concurrent writer; retrying",
                    extra={"attempt": attempt + 1, "cause": str(exc)},
                )
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            return self._outcomes(refs, created)
        logger.warning("append gave up against concurrent writers", extra={"attempts": MAX_ATTEMPTS})
        raise WriteContention(
            f"gave up after {MAX_ATTEMPTS} attempts against concurrent writers", retry_after=self.retry_after_seconds
        )

    def _attempt(
        self, submissions: Sequence[Submission], writer: Writer, expected_version: int | None, also: Also | None
    ) -> tuple[list[_Ref], dict[tuple[str, int], LedgerRecord]]:
        now = self.clock()
        cases: dict[str, Case | None] = {}
        keys: list[IdempotencyKey] = []
        claimed: dict[tuple[str, str], tuple[str, _Ref]] = {}
        refs: list[_Ref] = []
        for index, s in enumerate(submissions):
            source, event_id, case_id = s.event["source"], s.event["id"], s.event["subject"]
            digest = sha256_hex(s.event)
            prior = claimed.get((source, event_id))
            if prior is None:
                key = self.store.key(source, event_id)
                if key is not None:
                    prior = (key.digest, _Ref(key.case_id, key.case_version, created=False))
            if prior is not None:
                if prior[0] != digest:
                    raise IdempotencyConflict(
                        f"(source {source!r}, id {event_id!r}) already recorded as case "
                        f"{prior[1].case_id!r} version {prior[1].case_version} with other content",
                        pointer=f"#/{index}/id" if len(submissions) > 1 else "#/id",
                        case_id=prior[1].case_id,
                        case_version=prior[1].case_version,
                    )
                refs.append(_Ref(prior[1].case_id, prior[1].case_version, created=False))
                continue
            if case_id not in cases:
                cases[case_id] = self.store.case(case_id)
            case = cases[case_id]
            if expected_version is not None:
                current = case.version if case else 0
                if current != expected_version:
                    raise PreconditionFailed(
                        f"case {case_id!r} is at version {current}, If-Match asked for {expected_version}",
                        case_id=case_id,
                        current_version=current,
                    )
            case = self._apply(case, s, writer, now, index if len(submissions) > 1 else None)
            cases[case_id] = case
            ref = _Ref(case_id, case.version, created=True)
            keys.append(
                IdempotencyKey.claim(
                    source=source,
                    event_id=event_id,
                    digest=digest,
                    case_id=case_id,
                    case_version=case.version,
                    recorded_at=now,
                )
            )
            claimed[(source, event_id)] = (digest, ref)
            refs.append(ref)
        # Keys first, case entries last: the highest notification id is then always a case entry.
        others = also(self.store) if also is not None else ()
        recordings = self.store.save(*keys, *others, *(c for c in cases.values() if c is not None))
        created = {
            (r.domain_event.case_id, r.domain_event.originator_version): entry_record(r.domain_event, r.notification.id)
            for r in recordings
            if isinstance(r.domain_event, Case.Entry)
        }
        return refs, created

    def _apply(self, case: Case | None, s: Submission, writer: Writer, now: datetime, index: int | None) -> Case:
        """The case with the act appended (or opened by it). A case the writer may not write to is answered
        as one that does not exist, so a refusal tells nothing about other units' cases."""
        case_id = s.event["subject"]
        where = {"pointer": f"#/{index}/subject" if index is not None else "#/subject", "case_id": case_id}
        visible = case is not None and writer.may_write(s.event, s.act.name, case.units)
        if s.act.opens is not None:
            if case is not None:
                detail = {"case_kind": case.case_kind} if visible else {}
                raise CaseExists(
                    f"case {case_id!r} already exists; {s.act.name} can only open a new case", **detail, **where
                )
            if not writer.may_write(s.event, s.act.name, None):
                raise Forbidden(
                    f"{writer.id!r} may not open a case naming none of its units",
                    errors=[{"pointer": where["pointer"], "rule": "units"}],
                )
            return Case.open(
                case_id=case_id, case_kind=s.act.opens, cloudevent=s.event, recorded_at=now, recorded_by=writer.id
            )
        if case is None or not visible:
            openers = sorted(a.name for a in self.catalog.acts.values() if a.opens in s.act.case_kinds)
            raise UnknownCase(
                f"no case {case_id!r} in the ledger; {s.act.name} needs an existing case opened by one of {openers}",
                opening_act=openers,
                **where,
            )
        if case.case_kind not in s.act.case_kinds:
            raise CaseKindMismatch(
                f"case {case_id!r} is a {case.case_kind} case; {s.act.name} is admitted on {sorted(s.act.case_kinds)}",
                case_kind=case.case_kind,
                admitted_kinds=sorted(s.act.case_kinds),
                **where,
            )
        case.record(cloudevent=s.event, recorded_at=now, recorded_by=writer.id)
        return case

    def _outcomes(self, refs: list[_Ref], created: dict[tuple[str, int], LedgerRecord]) -> list[Outcome]:
        """Records of new entries come from the save itself; duplicates are read back once per case."""
        known = dict(created)
        out = []
        for ref in refs:
            if (ref.case_id, ref.case_version) not in known:
                known |= {(r.case_id, r.case_version): r for r in self.store.timeline(ref.case_id)}
            out.append(Outcome(known[(ref.case_id, ref.case_version)], ref.created))
        return out
