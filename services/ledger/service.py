"""The ledger as the API and the CLI see it: validation, the appender and the reads, over the process's one
event store; a database that is down is reported as ``StorageUnavailable``, never as a crash.

Who asks is part of every call: a ``Writer`` (recorded as ``recorded_by``, asked whether each act may go on its
case) for writes, a ``Reader`` (which cases it sees, whether confidential values are shown) for reads. The
access package provides both from a principal's grants; the ledger itself decides nothing about roles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from esledger.core.availability import Availability
from esledger.core.chain import ChainCheck, verify_chain
from esledger.core.errors import Forbidden, NotFound, UnknownEventType, ValidationFailed
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.core.storage import Handle
from esledger.ledger.appender import Also, Appender, Outcome, Submission, Writer
from esledger.ledger.case import unit_codes
from esledger.ledger.catalog import Catalog
from esledger.ledger.confidential import redact
from esledger.ledger.store import LedgerStore
from esledger.ledger.validation import UNKNOWN_TYPE, EventValidator, Violation


class Poster(Writer, Protocol):
    def refusal(self, event: Mapping[str, Any], act: str, internal: bool) -> str | None:
        """Why this principal may not post this act as this source at all (None: it may)."""


class Reader(Protocol):
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
        on_append: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.availability = availability
        self.catalog = catalog
        self.clock = clock
        self.on_append = on_append
        self.validator = EventValidator(catalog, timedelta(seconds=max_future_seconds))

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
            appender = Appender(self.store.get(), self.catalog, self.clock, self.availability.retry_after_seconds)
            outcomes = appender.append(submissions, writer, expected_version, also)
        self.on_append()
        return outcomes

    # -- reads --------------------------------------------------------------------------------------------
    def timeline(
        self, case_id: str, reader: Reader, recorded_before: datetime | None = None
    ) -> tuple[list[LedgerRecord], ChainCheck]:
        """The case's records as this reader may see them, and its hash chain checked on the records as
        stored; a case outside the reader's scope is not found."""
        with self.availability.guard():
            records = self.store.get().timeline(case_id)
        units = set().union(*(unit_codes(r.event) for r in records)) if records else set()
        if not records or reader.view(case_id, units) is None:
            raise NotFound(f"no case {case_id!r} in the ledger", case_id=case_id)
        if recorded_before is not None:
            records = [r for r in records if r.recorded_at < recorded_before]
        chain = verify_chain([r.to_json() for r in records])
        return self.shown(records, reader.reveals(units)), chain

    def record(self, case_id: str, version: int, reader: Reader) -> LedgerRecord:
        for record in self.timeline(case_id, reader)[0]:
            if record.case_version == version:
                return record
        raise NotFound(f"case {case_id!r} has no version {version}", case_id=case_id)

    def feed(self, after: int, limit: int) -> tuple[list[LedgerRecord], int]:
        """The global feed, for reviewers (everything, values shown)."""
        with self.availability.guard():
            store = self.store.get()
            return store.feed(after, limit), store.head()

    def head(self) -> int:
        with self.availability.guard():
            return self.store.get().head()

    def shown(self, records: Iterable[LedgerRecord], reveal: bool) -> list[LedgerRecord]:
        """The records with confidential values redacted unless ``reveal``."""
        if reveal:
            return list(records)
        out = []
        for r in records:
            paths = self.catalog.confidential_paths(r.event)
            out.append(r if not paths else replace(r, event=redact(r.event, paths)))
        return out
