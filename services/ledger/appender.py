"""The one write path. Every append, single or batch, goes through ``Appender.append``; appends that arrive
while a commit is in flight are committed together, in one transaction (group commit, ``groupcommit.py``).

Each request is judged in turn against the state its group has reached (so two requests of one group behave
exactly as they would one after the other), on a draft of its own: for each event, in order, idempotency
((source, id) already stored or claimed earlier in the group → the original record, or a conflict); If-Match;
case rules (an opening act creates its case, any other act needs an existing case of an admitting kind); then
the hash-chained entry of the event as sealed (every confidential value replaced by its salted digest,
``sealing.py``, done before the request joins a group) and the key claim. A request refused on any of these
leaves nothing in the group — its draft is dropped — and gets its own answer; the others go on. Everything the
accepted requests add — entries, keys, the values taken out, the values an erasure deletes, what their ``also``
saves — is saved in one transaction, and each request is answered only once it is committed: a request is
all or nothing, and a group too.

Round trips: one query reads every idempotency key of the group and every case the process holds no state of;
the insert is one more (``store.py``). Keys are read rather than inserted on trust because a repost's answer
(the original's record) comes before every rule and must be known while the request is judged; inserting
optimistically would make each repost abort its whole group's transaction, and still need the read to answer
it. Cases are taken from the process's own cache of what it last read or committed, unread: a concurrent writer
in another process makes the save fail on the (aggregate, version) unique key, and the group is then re-run
with its cases read afresh, so nothing is lost or duplicated and chains stay linear (bounded attempts, with
jitter; then ``WriteContention``). A refusal is never answered from the cache: a request refused while it
touched a cached case has the group re-run with those cases read.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import LRUCache
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from esledger.core.canonical import sha256_hex
from esledger.core.database import renew_budget
from esledger.core.errors import (
    AlreadyErased,
    CaseExists,
    CaseKindMismatch,
    Forbidden,
    IdempotencyConflict,
    LedgerError,
    PreconditionFailed,
    UnknownCase,
    WriteContention,
)
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.core.storage import Handle
from esledger.ledger.case import Case, IdempotencyKey, case_uuid, key_uuid
from esledger.ledger.catalog import ActType, Catalog
from esledger.ledger.groupcommit import GroupCommit
from esledger.ledger.sealing import Sealed, masked, seal
from esledger.ledger.store import LedgerStore, entry_record
from esledger.ledger.values import Erasure, StoredValue, ValueRef, Writes

logger = logging.getLogger("esledger.ledger")

MAX_ATTEMPTS = 30
GROUP_EVENTS = 2000
"""Most events one group commits (a request with more is committed alone)."""
CACHED_CASES = 5000


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


class Writer(Protocol):
    """Who appends: recorded as ``recorded_by``, and asked whether each event may go on its case."""

    @property
    def id(self) -> str: ...

    def may_write(self, event: Mapping[str, Any], act: str, case_units: set[str] | None) -> bool:
        """``case_units``: the units of the existing case (None: the event opens a new case)."""


class Aggregates(Protocol):
    def aggregate(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as it stands (None: there is none)."""


Also = Callable[[Aggregates], Sequence[Aggregate]]
"""Other aggregates to save in the same transaction, built afresh on every attempt from what it is given
(the aggregates as the group has left them so far)."""


@dataclass(frozen=True)
class _Ref:
    case_id: str
    case_version: int
    created: bool


@dataclass(frozen=True)
class _Claim:
    """A (source, id) claimed already, by a stored key or earlier in the same group: what a repost is
    compared with."""

    digest: str
    sealed: bool
    ref: _Ref
    salts: Callable[[], Mapping[str, bytes]]
    """The original's salts by pointer (what is still stored of them)."""
    original: Callable[[], Mapping[str, Any]]
    """The original event as stored."""


@dataclass(frozen=True)
class _Item:
    """A submission as the request's own thread prepared it: sealed (fresh salts), with its digest."""

    submission: Submission
    paths: tuple[str, ...]
    sealed: Sealed
    digest: str

    @property
    def event(self) -> dict[str, Any]:
        return self.submission.event


@dataclass(frozen=True)
class _Request:
    items: tuple[_Item, ...]
    writer: Writer
    expected_version: int | None
    also: Also | None


@dataclass(frozen=True)
class _Accepted:
    refs: list[_Ref]
    created: Mapping[tuple[str, int], LedgerRecord]
    """The records of every entry the group created."""


class _Stale(Exception):
    """A request was refused on cases taken from the cache: they are to be read, and the group re-run."""

    def __init__(self, case_ids: set[str]) -> None:
        super().__init__(f"refused on cached state of {sorted(case_ids)}")
        self.case_ids = case_ids


class _Cases:
    """Each case as this process last read or committed it (the library's LRU cache), trusted unread until a
    save conflicts. Only a group's leader uses it, one at a time."""

    def __init__(self, size: int) -> None:
        self._lru: LRUCache[UUID, Case] = LRUCache(maxsize=size)

    def get(self, case_id: str) -> Case | None:
        try:
            return self._lru.get(case_uuid(case_id))
        except KeyError:
            return None

    def put(self, case: Case) -> None:
        self._lru.put(case.id, case)

    def forget(self, case_ids: Iterable[str]) -> None:
        for case_id in case_ids:
            with contextlib.suppress(KeyError):
                self._lru.get(case_uuid(case_id), evict=True)


@dataclass
class _Group:
    """What one attempt at a group has decided so far: the state each next request is judged against."""

    store: LedgerStore
    cached: _Cases
    cases: dict[str, Case | None]
    claims: dict[tuple[str, str], _Claim]
    fresh: set[str]
    """The cases read from the database in this attempt (every other one came from the cache)."""
    others: dict[UUID, Aggregate | None] = field(default_factory=dict)
    erased: set[ValueRef] = field(default_factory=set)
    keys: list[DomainEventProtocol[UUID]] = field(default_factory=list)
    other_events: list[DomainEventProtocol[UUID]] = field(default_factory=list)
    entries: list[DomainEventProtocol[UUID]] = field(default_factory=list)
    values: list[StoredValue] = field(default_factory=list)
    erasures: list[Erasure] = field(default_factory=list)

    def case(self, case_id: str) -> Case | None:
        if case_id not in self.cases:
            case = self.cached.get(case_id)
            if case is None:
                found = self.store.aggregates([case_uuid(case_id)]).get(case_uuid(case_id))
                case = found if isinstance(found, Case) else None
                self.fresh.add(case_id)
            self.cases[case_id] = case
        return self.cases[case_id]

    def other(self, aggregate_id: UUID) -> Aggregate | None:
        if aggregate_id not in self.others:
            self.others[aggregate_id] = self.store.aggregate(aggregate_id)
        return self.others[aggregate_id]


class _Draft:
    """One request's changes, on copies of the group's aggregates: merged into the group when the request is
    accepted, dropped when it is refused."""

    def __init__(self, group: _Group) -> None:
        self.group = group
        self.cases: dict[str, Case | None] = {}
        self.claims: dict[tuple[str, str], _Claim] = {}
        self.others: dict[UUID, Aggregate | None] = {}
        self.keys: list[IdempotencyKey] = []
        self.values: list[StoredValue] = []
        self.erasures: list[Erasure] = []

    def case(self, case_id: str) -> Case | None:
        if case_id not in self.cases:
            self.cases[case_id] = copy.deepcopy(self.group.case(case_id))
        return self.cases[case_id]

    def claim(self, source: str, event_id: str) -> _Claim | None:
        return self.claims.get((source, event_id)) or self.group.claims.get((source, event_id))

    def aggregate(self, aggregate_id: UUID) -> Aggregate | None:
        """What ``also`` is given: an aggregate as the group (and this request) left it."""
        if aggregate_id not in self.others:
            self.others[aggregate_id] = copy.deepcopy(self.group.other(aggregate_id))
        return self.others[aggregate_id]

    def merge(self, others: Sequence[Aggregate]) -> None:
        g = self.group
        g.keys += [e for k in self.keys for e in k.collect_events()]
        for aggregate in others:
            g.other_events += aggregate.collect_events()
            g.others[aggregate.id] = aggregate
        for case_id, case in self.cases.items():
            if case is not None:
                g.entries += case.collect_events()
            g.cases[case_id] = case
        g.claims |= self.claims
        g.values += self.values
        g.erasures += self.erasures
        g.erased |= {e.ref for e in self.erasures}


class Appender:
    """One per process (and event store): its group commit and its cache of cases belong to that store."""

    def __init__(
        self, store: Handle[LedgerStore], catalog: Catalog, clock: Clock, retry_after_seconds: int = 5
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.retry_after_seconds = retry_after_seconds
        self.cases = _Cases(CACHED_CASES)
        self._answered = True
        """Whether the last group got its answer from the database (committed or refused by it)."""
        self.groups: GroupCommit[_Request, _Accepted] = GroupCommit(self._commit, lambda r: len(r.items), GROUP_EVENTS)

    def append(
        self,
        submissions: Sequence[Submission],
        writer: Writer,
        expected_version: int | None = None,
        also: Also | None = None,
    ) -> list[Outcome]:
        """Store the submissions atomically, once the group they join is committed; ``expected_version``
        (If-Match) applies to each event's case."""
        items = tuple(self._prepared(s) for s in submissions)
        accepted = self.groups.submit(_Request(items, writer, expected_version, also))
        return self._outcomes(accepted)

    def _prepared(self, s: Submission) -> _Item:
        """Sealed in the request's own thread, outside the group: it depends on nothing stored."""
        paths = tuple(self.catalog.confidential_paths(s.event))
        sealed = seal(s.event, paths)
        return _Item(s, paths, sealed, sha256_hex(sealed.event))

    # -- a group --------------------------------------------------------------------------------------------
    def _commit(self, requests: Sequence[_Request]) -> list[_Accepted | BaseException]:
        if self._answered:
            renew_budget()  # the leader waited behind a group the database answered: that was not an outage
        store = self.store.get()
        subjects = {i.event["subject"] for r in requests for i in r.items}
        for attempt in range(MAX_ATTEMPTS):
            try:
                outcomes = self._attempt(store, requests)
                self._answered = True
                return outcomes
            except _Stale as stale:
                self.cases.forget(stale.case_ids)
            except IntegrityError as exc:
                # Another writer committed first; read afresh and judge again (If-Match is then checked anew).
                self.cases.forget(subjects)
                logger.info(
                    "append conflicted with a concurrent writer; retrying",
                    extra={"attempt": attempt + 1, "requests": len(requests), "cause": str(exc)},
                )
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
            except BaseException:
                self.cases.forget(subjects)  # whether it committed is unknown
                self._answered = False
                raise
        logger.warning("append gave up against concurrent writers", extra={"attempts": MAX_ATTEMPTS})
        raise WriteContention(
            f"gave up after {MAX_ATTEMPTS} attempts against concurrent writers", retry_after=self.retry_after_seconds
        )

    def _attempt(self, store: LedgerStore, requests: Sequence[_Request]) -> list[_Accepted | BaseException]:
        now = self.clock()
        items = [i for r in requests for i in r.items]
        uncached = {i.event["subject"] for i in items if self.cases.get(i.event["subject"]) is None}
        keys = {key_uuid(i.event["source"], i.event["id"]) for i in items}
        stored = store.aggregates([*keys, *(case_uuid(c) for c in uncached)])
        group = _Group(
            store,
            self.cases,
            cases={c: found if isinstance(found := stored.get(case_uuid(c)), Case) else None for c in uncached},
            claims={
                (k.source, k.event_id): self._stored_claim(store, k)
                for k in stored.values()
                if isinstance(k, IdempotencyKey)
            },
            fresh=set(uncached),
        )
        created: dict[tuple[str, int], LedgerRecord] = {}
        """Filled once the group is saved; every accepted request's answer holds it."""
        outcomes: list[_Accepted | BaseException] = []
        for request in requests:
            draft = _Draft(group)
            try:
                refs = self._judge(request, draft, now)
                others = request.also(draft) if request.also is not None else ()
            except LedgerError as refusal:
                if stale := set(draft.cases) - group.fresh:
                    raise _Stale(stale) from refusal
                outcomes.append(refusal)
                continue
            draft.merge(others)
            outcomes.append(_Accepted(refs, created))
        if group.entries or group.other_events:
            # Keys first, case entries last: the highest notification id is then always a case entry.
            recordings = store.save(
                *group.keys, *group.other_events, *group.entries, confidential=Writes(group.values, group.erasures)
            )
            created |= {
                (e.case_id, e.originator_version): entry_record(e, r.notification.id)
                for r in recordings
                if isinstance(e := r.domain_event, Case.Entry)
            }
        for case in group.cases.values():
            if case is not None:
                self.cases.put(case)
        return outcomes

    def _stored_claim(self, store: LedgerStore, key: IdempotencyKey) -> _Claim:
        ref = _Ref(key.case_id, key.case_version, created=False)

        def original() -> Mapping[str, Any]:
            return next(r.event for r in store.timeline(ref.case_id) if r.case_version == ref.case_version)

        return _Claim(
            key.digest, key.sealed, ref, lambda: store.confidential(ref.case_id).salts(ref.case_version), original
        )

    # -- one request ------------------------------------------------------------------------------------------
    def _judge(self, request: _Request, draft: _Draft, now: datetime) -> list[_Ref]:
        """The request's events applied to its draft, in order; the first refusal refuses it all."""
        writer, several = request.writer, len(request.items) > 1
        refs: list[_Ref] = []
        for index, item in enumerate(request.items):
            source, event_id, case_id = item.event["source"], item.event["id"], item.event["subject"]
            pointer = f"#/{index}/id" if several else "#/id"
            prior = draft.claim(source, event_id)
            if prior is not None:
                if not self._sees(writer, item.submission, draft.case(prior.ref.case_id)):
                    raise IdempotencyConflict(
                        f"(source {source!r}, id {event_id!r}) was already used; give this act a new id",
                        pointer=pointer,
                    )
                if not _same(prior, item.event, item.paths):
                    raise IdempotencyConflict(
                        f"(source {source!r}, id {event_id!r}) already recorded as case "
                        f"{prior.ref.case_id!r} version {prior.ref.case_version} with other content",
                        pointer=pointer,
                        case_id=prior.ref.case_id,
                        case_version=prior.ref.case_version,
                    )
                refs.append(replace(prior.ref, created=False))
                continue
            case = draft.case(case_id)
            if request.expected_version is not None:
                # A case the writer may not see is at version 0 for it, exactly as a case that does not exist.
                current = case.version if case and self._sees(writer, item.submission, case) else 0
                if current != request.expected_version:
                    raise PreconditionFailed(
                        f"case {case_id!r} is at version {current}, If-Match asked for {request.expected_version}",
                        case_id=case_id,
                        current_version=current,
                    )
            self._still_stored(draft, item.submission.erases)
            sealed = item.sealed
            at = index if several else None
            case = self._apply(case, replace(item.submission, event=sealed.event), writer, now, at)
            draft.cases[case_id] = case
            ref = _Ref(case_id, case.version, created=True)
            draft.keys.append(
                IdempotencyKey.claim(
                    source=source,
                    event_id=event_id,
                    digest=item.digest,
                    case_id=case_id,
                    case_version=case.version,
                    recorded_at=now,
                )
            )
            draft.values += [StoredValue(ValueRef(case_id, case.version, v.pointer), v) for v in sealed.values]
            draft.erasures += [Erasure(target, case.version) for target in item.submission.erases]
            salts = {v.pointer: v.salt for v in sealed.values}
            draft.claims[(source, event_id)] = _Claim(item.digest, True, ref, _given(salts), _given(sealed.event))
            refs.append(ref)
        return refs

    def _still_stored(self, draft: _Draft, targets: Sequence[ValueRef]) -> None:
        """Checked on every attempt: a concurrent erasure of the same value may have committed first, or an
        earlier request of the group erased it."""
        for target in targets:
            erased = target in draft.group.erased or any(e.ref == target for e in draft.erasures)
            if (
                erased
                or (target.case_version, target.pointer) not in draft.group.store.confidential(target.case_id).values
            ):
                raise AlreadyErased(
                    f"the value at {target.pointer} of case {target.case_id!r} version {target.case_version} "
                    "was erased already",
                    case_id=target.case_id,
                    case_version=target.case_version,
                )

    @staticmethod
    def _sees(writer: Writer, s: Submission, case: Case | None) -> bool:
        """Whether the writer may see (and so be told about) the case, judged with the act it posts."""
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

    def _outcomes(self, accepted: _Accepted) -> list[Outcome]:
        """Records of new entries come from the save itself; duplicates are read back once per case (in the
        request's own thread, after the group)."""
        known = dict(accepted.created)
        out = []
        for ref in accepted.refs:
            if (ref.case_id, ref.case_version) not in known:
                known |= {(r.case_id, r.case_version): r for r in self.store.get().timeline(ref.case_id)}
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
