"""The one write path. Every append, single or batch, goes through ``Appender.append``, so coalescing
several requests into one transaction can be added here without touching the API.

For each event, in order: idempotency ((source, id) already stored → the original record, or a conflict);
case rules (an opening act creates its case, any other act needs an existing case of an admitting kind);
then sealing (every confidential value replaced by its salted digest, ``sealing.py``), the hash-chained entry
of the sealed event, and the key claim. Everything of one call — entries, keys, the values taken out, the
values an erasure deletes — is saved in one transaction: all or nothing. A concurrent writer makes the save
fail on the (aggregate, version) unique key; the call is then re-run from fresh state, so nothing is lost or
duplicated.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from esledger.core.canonical import sha256_hex
from esledger.core.errors import (
    AlreadyErased,
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
from esledger.ledger.sealing import masked, seal
from esledger.ledger.store import LedgerStore, entry_record
from esledger.ledger.values import Erasure, StoredValue, ValueRef, Writes

logger = logging.getLogger("esledger.ledger")

MAX_ATTEMPTS = 30


@dataclass(frozen=True)
class Submission:
    """A validated CloudEvent and the act it records (and, for an erasure, the values it erases)."""

    event: dict[str, Any]
    act: ActType
    erases: tuple[ValueRef, ...] = ()


@dataclass(frozen=True)
class Outcome:
    record: LedgerRecord
    created: bool


@dataclass(frozen=True)
class _Ref:
    case_id: str
    case_version: int
    created: bool


@dataclass(frozen=True)
class _Claim:
    """A (source, id) claimed already, by a stored key or earlier in the same call: what a repost is
    compared with."""

    digest: str
    sealed: bool
    ref: _Ref
    salts: Callable[[], Mapping[str, bytes]]
    """The original's salts by pointer (what is still stored of them)."""
    original: Callable[[], Mapping[str, Any]]
    """The original event as stored."""


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
        values: list[StoredValue] = []
        erasures: list[Erasure] = []
        claimed: dict[tuple[str, str], _Claim] = {}
        refs: list[_Ref] = []
        for index, s in enumerate(submissions):
            source, event_id, case_id = s.event["source"], s.event["id"], s.event["subject"]
            paths = self.catalog.confidential_paths(s.event)
            prior = claimed.get((source, event_id)) or self._stored_claim(source, event_id)
            if prior is not None:
                if not self._sees(writer, s, prior.ref.case_id, cases):
                    raise IdempotencyConflict(
                        f"(source {source!r}, id {event_id!r}) was already used; give this act a new id",
                        pointer=f"#/{index}/id" if len(submissions) > 1 else "#/id",
                    )
                if not _same(prior, s.event, paths):
                    raise IdempotencyConflict(
                        f"(source {source!r}, id {event_id!r}) already recorded as case "
                        f"{prior.ref.case_id!r} version {prior.ref.case_version} with other content",
                        pointer=f"#/{index}/id" if len(submissions) > 1 else "#/id",
                        case_id=prior.ref.case_id,
                        case_version=prior.ref.case_version,
                    )
                refs.append(replace(prior.ref, created=False))
                continue
            if case_id not in cases:
                cases[case_id] = self.store.case(case_id)
            case = cases[case_id]
            if expected_version is not None:
                # A case the writer may not see is at version 0 for it, exactly as a case that does not exist.
                current = case.version if case and self._sees(writer, s, case_id, cases) else 0
                if current != expected_version:
                    raise PreconditionFailed(
                        f"case {case_id!r} is at version {current}, If-Match asked for {expected_version}",
                        case_id=case_id,
                        current_version=current,
                    )
            self._still_stored(s.erases)
            sealed = seal(s.event, paths)
            at = index if len(submissions) > 1 else None
            case = self._apply(case, replace(s, event=sealed.event), writer, now, at)
            cases[case_id] = case
            ref = _Ref(case_id, case.version, created=True)
            digest = sha256_hex(sealed.event)
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
            values += [StoredValue(ValueRef(case_id, case.version, v.pointer), v) for v in sealed.values]
            erasures += [Erasure(target, case.version) for target in s.erases]
            salts = {v.pointer: v.salt for v in sealed.values}
            claimed[(source, event_id)] = _Claim(digest, True, ref, _given(salts), _given(sealed.event))
            refs.append(ref)
        # Keys first, case entries last: the highest notification id is then always a case entry.
        others = also(self.store) if also is not None else ()
        recordings = self.store.save(
            *keys,
            *others,
            *(c for c in cases.values() if c is not None),
            confidential=Writes(values, erasures),
        )
        created = {
            (r.domain_event.case_id, r.domain_event.originator_version): entry_record(r.domain_event, r.notification.id)
            for r in recordings
            if isinstance(r.domain_event, Case.Entry)
        }
        return refs, created

    def _still_stored(self, targets: Sequence[ValueRef]) -> None:
        """Checked on every attempt: a concurrent erasure of the same value may have committed first."""
        for target in targets:
            if (target.case_version, target.pointer) not in self.store.confidential(target.case_id).values:
                raise AlreadyErased(
                    f"the value at {target.pointer} of case {target.case_id!r} version {target.case_version} "
                    "was erased already",
                    case_id=target.case_id,
                    case_version=target.case_version,
                )

    def _stored_claim(self, source: str, event_id: str) -> _Claim | None:
        key = self.store.key(source, event_id)
        if key is None:
            return None
        ref = _Ref(key.case_id, key.case_version, created=False)

        def original() -> Mapping[str, Any]:
            return next(r.event for r in self.store.timeline(ref.case_id) if r.case_version == ref.case_version)

        return _Claim(
            key.digest, key.sealed, ref, lambda: self.store.confidential(ref.case_id).salts(ref.case_version), original
        )

    def _sees(self, writer: Writer, s: Submission, case_id: str, cases: dict[str, Case | None]) -> bool:
        """Whether the writer may see (and so be told about) the case, judged with the act it posts."""
        if case_id not in cases:
            cases[case_id] = self.store.case(case_id)
        case = cases[case_id]
        return case is not None and writer.may_write(s.event, s.act.name, case.units)

    def _apply(self, case: Case | None, s: Submission, writer: Writer, now: datetime, index: int | None) -> Case:
        """The case with the (sealed) act appended (or opened by it). A case the writer may not write to is
        answered as one that does not exist, so a refusal tells nothing about other units' cases."""
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


def _given(value: Any) -> Callable[[], Any]:
    return lambda: value


def _same(claim: _Claim, event: Mapping[str, Any], paths: Sequence[str]) -> bool:
    """Whether a repost carries what the claim recorded: the event sealed again with the original's salts has
    the original's digest. Where a value of the original was erased (its salt is gone), that place cannot be
    compared, and is masked on both sides."""
    if not claim.sealed:
        return sha256_hex(event) == claim.digest
    resealed = seal(event, paths, claim.salts())
    if not resealed.unsalted:
        return sha256_hex(resealed.event) == claim.digest
    return masked(resealed.event, resealed.unsalted) == masked(claim.original(), resealed.unsalted)
