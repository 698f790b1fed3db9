"""The ledger as the API and the CLI see it: validation, the appender and the reads, over the process's one
event store; a database that is down is reported as ``StorageUnavailable``, never as a crash."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from esledger.core.availability import Availability
from esledger.core.errors import NotFound, UnknownEventType, ValidationFailed
from esledger.core.instants import Clock
from esledger.core.record import LedgerRecord
from esledger.core.storage import Handle
from esledger.ledger.appender import Appender, Outcome, Submission
from esledger.ledger.catalog import Catalog
from esledger.ledger.store import LedgerStore
from esledger.ledger.validation import UNKNOWN_TYPE, EventValidator, Violation


class LedgerService:
    def __init__(
        self,
        store: Handle[LedgerStore],
        availability: Availability,
        catalog: Catalog,
        clock: Clock,
        *,
        principal: str,
        max_future_seconds: int,
        on_append: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.availability = availability
        self.catalog = catalog
        self.clock = clock
        self.principal = principal
        self.on_append = on_append
        self.validator = EventValidator(catalog, timedelta(seconds=max_future_seconds))

    # -- writes -------------------------------------------------------------------------------------------
    def post(self, events: Sequence[Any], *, batch: bool, expected_version: int | None = None) -> list[Outcome]:
        """Validate every event, then append all of them or none."""
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
        with self.availability.guard():
            outcomes = Appender(
                self.store.get(), self.catalog, self.clock, self.principal, self.availability.retry_after_seconds
            ).append(submissions, expected_version)
        self.on_append()
        return outcomes

    # -- reads --------------------------------------------------------------------------------------------
    def timeline(self, case_id: str, recorded_before: datetime | None = None) -> list[LedgerRecord]:
        with self.availability.guard():
            records = self.store.get().timeline(case_id)
        if not records:
            raise NotFound(f"no case {case_id!r} in the ledger", case_id=case_id)
        if recorded_before is not None:
            records = [r for r in records if r.recorded_at < recorded_before]
        return records

    def record(self, case_id: str, version: int) -> LedgerRecord:
        for record in self.timeline(case_id):
            if record.case_version == version:
                return record
        raise NotFound(f"case {case_id!r} has no version {version}", case_id=case_id)

    def feed(self, after: int, limit: int) -> tuple[list[LedgerRecord], int]:
        with self.availability.guard():
            store = self.store.get()
            return store.feed(after, limit), store.head()

    def head(self) -> int:
        with self.availability.guard():
            return self.store.get().head()
