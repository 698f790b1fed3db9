"""The ledger as the API and the CLI see it: validation, the appender and the reads, over the process's one
event store; a database that is down is reported as ``StorageUnavailable``, never as a crash.

Who asks is part of every call: a ``Writer`` (recorded as ``recorded_by``, asked whether each act may go on its
case) for writes, a ``Reader`` (which cases it sees, whether confidential values are shown) for reads. The
access package provides both from a principal's grants; the ledger itself decides nothing about roles.

Reads answer the events as stored (sealed), with the confidential values beside them for a reader who may see
them (``reveal.py``); every read that shows a value is logged in the access log first (``accesslog.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from esledger.core.availability import Availability
from esledger.core.chain import RECORD_V1, ChainCheck, verify_chain
from esledger.core.errors import AlreadyErased, Forbidden, NotFound, UnknownEventType, ValidationFailed
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.core.storage import Handle
from esledger.domain.acts import ERASED
from esledger.domain.sanctions import SanctionTable
from esledger.ledger.accesslog import AccessLog, Disclosure
from esledger.ledger.appender import Also, Appender, Outcome, Submission, Writer
from esledger.ledger.case import involved_units, unit_codes
from esledger.ledger.catalog import Catalog
from esledger.ledger.reveal import shown
from esledger.ledger.store import LedgerStore
from esledger.ledger.validation import UNKNOWN_TYPE, EventValidator, Violation
from esledger.ledger.values import CaseValues, ValueRef

ERASURES = "urn:esledger:erasures"
"""The source of the erasures the ledger records."""


class Poster(Writer, Protocol):
    def refusal(self, event: Mapping[str, Any], act: str, internal: bool) -> str | None:
        """Why this principal may not post this act as this source at all (None: it may)."""


class Reader(Protocol):
    @property
    def id(self) -> str:
        """Recorded as the reader in the access log."""

    def view(self, case_id: str, units: Iterable[str]) -> object | None:
        """How the case is seen; None: outside the reader's scope (answered as if it did not exist)."""

    def reveals(self, units: Iterable[str]) -> bool:
        """Whether confidential values of a case involving these units are shown to this reader."""


class Trusted:
    """The ledger's own writes (principals, the access log): recorded as ``id``, never refused."""

    def __init__(self, id: str) -> None:  # noqa: A002 - the protocol's name
        self.id = id

    def may_write(self, event: Mapping[str, Any], act: str, case_units: set[str] | None) -> bool:
        return True


class LedgerService:
    def __init__(
        self,
        store: Handle[LedgerStore],
        availability: Availability,
        catalog: Catalog,
        clock: Clock,
        *,
        max_future_seconds: int,
        sanctions: SanctionTable,
        on_append: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.availability = availability
        self.catalog = catalog
        self.clock = clock
        self.on_append = on_append
        self.validator = EventValidator(catalog, sanctions, timedelta(seconds=max_future_seconds))
        self.appender = Appender(store, catalog, clock, availability.retry_after_seconds)
        """The process's one write path: concurrent appends are committed together."""
        self.access_log = AccessLog(
            store,
            availability,
            catalog,
            clock,
            lambda event, reader, also: self.record_internal(event, Trusted(reader), also),
        )

    # -- writes -------------------------------------------------------------------------------------------
    def post(
        self, events: Sequence[Any], poster: Poster, *, batch: bool, expected_version: int | None = None
    ) -> list[Outcome]:
        """Validate every event and check the poster may record each act, then append all of them or none."""
        submissions = self._validated(events, batch)
        for index, s in enumerate(submissions):
            refusal = poster.refusal(s.event, s.act.name, s.act.internal)
            if refusal is not None:
                pointer = f"#/{index}/type" if batch else "#/type"
                raise Forbidden(refusal, errors=[{"pointer": pointer, "rule": "grant", "detail": refusal}])
        return self._append(submissions, poster, expected_version)

    def record_internal(self, event: dict[str, Any], writer: Trusted, also: Also | None = None) -> Outcome:
        """An act the ledger records itself (a principal changed, a confidential value read), with ``also``
        saved in the same transaction."""
        [submission] = self._validated([event], batch=False)
        [outcome] = self._append([submission], writer, None, also)
        return outcome

    def _validated(self, events: Sequence[Any], batch: bool) -> list[Submission]:
        now = self.clock()
        submissions: list[Submission] = []
        violations: list[Violation] = []
        for index, event in enumerate(events):
            act, found = self.validator.check(event, now)
            found = [v.under(f"/{index}") for v in found] if batch else found
            unknown = [v for v in found if v.rule == UNKNOWN_TYPE]
            if unknown:
                raise UnknownEventType(
                    f"no event type {event.get('type')!r} in the catalog", errors=[v.to_json() for v in unknown]
                )
            violations += found
            if act is not None and not found:
                submissions.append(Submission(event, act))
        if violations:
            raise ValidationFailed(
                f"{len(violations)} field(s) failed validation; nothing was stored",
                errors=[v.to_json() for v in violations],
            )
        return submissions

    def _append(
        self, submissions: list[Submission], writer: Writer, expected_version: int | None, also: Also | None = None
    ) -> list[Outcome]:
        with self.availability.guard():
            outcomes = self.appender.append(submissions, writer, expected_version, also)
        self.on_append()
        return outcomes

    def erase(
        self, case_id: str, version: int, pointer: str, eraser: Reader, reason: str, authority: str | None = None
    ) -> Outcome:
        """Delete one confidential value and record ``case.confidential_erased`` on its case, recorded by the
        eraser, in one transaction. The sealed event keeps the value's salted digest, so every hash still
        verifies; the value and its salt are gone from every read and every table."""
        records, _ = self._case(case_id, eraser)
        target = next((r for r in records if r.case_version == version), None)
        if target is None:
            raise NotFound(f"case {case_id!r} has no version {version}", case_id=case_id)
        with self.availability.guard():
            values = self.store.get().confidential(case_id)
        _erasable(target, pointer, values)
        data: dict[str, Any] = {"target_version": version, "pointer": pointer, "reason": reason}
        if authority:
            data["authority"] = authority
        event = self.catalog.event(ERASED, source=ERASURES, subject=case_id, data=data, time=self.clock())
        [submission] = self._validated([event], batch=False)
        erasure = replace(submission, erases=(ValueRef(case_id, version, pointer),))
        [outcome] = self._append([erasure], Trusted(eraser.id), None)
        return outcome

    # -- reads --------------------------------------------------------------------------------------------
    def timeline(
        self, case_id: str, reader: Reader, disclosure: Disclosure, recorded_before: datetime | None = None
    ) -> tuple[list[LedgerRecord], ChainCheck]:
        """The case's records as this reader may see them, and its hash chain checked on the records as
        stored; a case outside the reader's scope is not found."""
        records, units = self._case(case_id, reader)
        if recorded_before is not None:
            records = [r for r in records if r.recorded_at < recorded_before]
        chain = verify_chain([r.to_json() for r in records])
        return self._shown(records, reader, {case_id} if reader.reveals(units) else set(), disclosure), chain

    def record(self, case_id: str, version: int, reader: Reader, disclosure: Disclosure) -> LedgerRecord:
        records, units = self._case(case_id, reader)
        for record in records:
            if record.case_version == version:
                [one] = self._shown([record], reader, {case_id} if reader.reveals(units) else set(), disclosure)
                return one
        raise NotFound(f"case {case_id!r} has no version {version}", case_id=case_id)

    def feed(
        self, after: int, limit: int, reveal_to: tuple[Reader, Disclosure] | None = None
    ) -> tuple[list[LedgerRecord], int]:
        """The global feed, for reviewers: the records as stored (a value held inline redacted), and with
        ``reveal_to`` the values that reader may see beside them (logged)."""
        with self.availability.guard():
            store = self.store.get()
            records, head = store.feed(after, limit), store.head()
        if reveal_to is None:  # a value held inline (a record from before sealing) is redacted, as in a timeline
            return [shown(r, self.catalog.confidential_paths(r.event), None)[0] for r in records], head
        reader, disclosure = reveal_to
        units: dict[str, set[str]] = {}
        for r in records:
            units.setdefault(r.case_id, set()).update(unit_codes(r.event))
        revealed = {case_id for case_id, codes in units.items() if reader.reveals(codes)}
        return self._shown(records, reader, revealed, disclosure), head

    def head(self) -> int:
        with self.availability.guard():
            return self.store.get().head()

    def _case(self, case_id: str, reader: Reader) -> tuple[list[LedgerRecord], set[str]]:
        """The case's records as stored and the units it involves; NotFound outside the reader's scope."""
        with self.availability.guard():
            records = self.store.get().timeline(case_id)
        units = involved_units(r.event for r in records)
        if not records or reader.view(case_id, units) is None:
            raise NotFound(f"no case {case_id!r} in the ledger", case_id=case_id)
        return records, units

    def _shown(
        self, records: Sequence[LedgerRecord], reader: Reader, revealed_cases: set[str], disclosure: Disclosure
    ) -> list[LedgerRecord]:
        """The records as the reader sees them (values shown for ``revealed_cases``); a read that shows any
        value is logged before it is answered."""
        values: dict[str, CaseValues] = {}
        out, revealed = [], []
        for r in records:
            paths = self.catalog.confidential_paths(r.event)
            case_values = None
            if r.case_id in revealed_cases and paths:
                if r.case_id not in values:
                    with self.availability.guard():
                        values[r.case_id] = self.store.get().confidential(r.case_id)
                case_values = values[r.case_id]
            record, refs = shown(r, paths, case_values)
            out.append(record)
            revealed += refs
        if revealed:
            self.access_log.record(reader.id, revealed, disclosure)
        return out


def _erasable(record: LedgerRecord, pointer: str, values: CaseValues) -> None:
    """Refuse, saying why, an erasure of anything but a confidential value the ledger still keeps apart."""
    where = f"case {record.case_id!r} version {record.case_version}"
    key = (record.case_version, pointer)
    if key in values.erased:
        raise AlreadyErased(
            f"the value at {pointer} of {where} was erased already, by version {values.erased[key]}",
            case_id=record.case_id,
            case_version=record.case_version,
        )
    if key not in values.values:
        if record.record_format == RECORD_V1:
            detail = "was recorded before sealing (zfjd-record/1): its values are inside its hash and stay"
        else:
            kept = [p for (v, p) in values.values if v == record.case_version]
            detail = f"keeps no confidential value at {pointer} (it keeps: {kept or 'none'})"
        raise NotFound(f"{where} {detail}", case_id=record.case_id)
