"""The ledger as the API and the CLI see it: validation, the appender and the reads, over a store that is
opened lazily and reported as unavailable (never as a crash) while the database is down."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from services.availability import database_answers
from services.ledger.appender import Appender, Outcome, Submission
from services.ledger.catalog import Catalog
from services.ledger.instants import utc_now
from services.ledger.problems import Problem
from services.ledger.records import Record
from services.ledger.settings import Settings
from services.ledger.store import LedgerStore, open_store, probe
from services.ledger.validation import EventValidator, UnknownEventType, Violation


class LedgerService:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now,
                 on_append: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self.clock = clock
        self.on_append = on_append
        self.catalog = Catalog.load(settings.schemas_dir)
        self.validator = EventValidator(self.catalog, timedelta(seconds=settings.max_future_seconds))
        self._store: LedgerStore | None = None
        self._lock = threading.Lock()
        self._suspect = False

    # -- writes -------------------------------------------------------------------------------------------
    def post(self, events: Sequence[Any], *, batch: bool, expected_version: int | None = None) -> list[Outcome]:
        """Validate every event, then append all of them or none."""
        now = self.clock()
        submissions: list[Submission] = []
        violations: list[Violation] = []
        for index, event in enumerate(events):
            try:
                act, found = self.validator.check(event, now)
            except UnknownEventType as exc:
                pointer = f"#/{index}/type" if batch else exc.pointer
                raise Problem("unknown-event-type", f"no event type {exc.event_type!r} in the catalog",
                              errors=[{"pointer": pointer, "rule": "catalog",
                                       "detail": f"{exc.event_type!r} is not a published type"}]) from None
            violations += [v.under(f"/{index}") for v in found] if batch else found
            if act is not None and not found:
                submissions.append(Submission(event, act))
        if violations:
            raise Problem("validation-failed", f"{len(violations)} field(s) failed validation; nothing was stored",
                          errors=[v.to_json() for v in violations])
        with self._storage() as store:
            outcomes = Appender(store, self.catalog, self.clock, self.settings.principal).append(
                submissions, expected_version)
        self.on_append()
        return outcomes

    # -- reads --------------------------------------------------------------------------------------------
    def timeline(self, case_id: str, recorded_before: datetime | None = None) -> list[Record]:
        with self._storage() as store:
            records = store.timeline(case_id)
        if not records:
            raise Problem("not-found", f"no case {case_id!r} in the ledger", case_id=case_id)
        if recorded_before is not None:
            records = [r for r in records if r.recorded_at < recorded_before]
        return records

    def feed(self, after: int, limit: int) -> tuple[list[Record], int]:
        with self._storage() as store:
            return store.feed(after, limit), store.head()

    def head(self) -> int:
        with self._storage() as store:
            return store.head()

    def open(self) -> None:
        """Open the store now (creating its tables) rather than on the first request; a database that is
        down is reported by the requests that need it, so this never fails."""
        with contextlib.suppress(Problem), self._storage():
            pass

    # -- storage availability -----------------------------------------------------------------------------
    @contextmanager
    def _storage(self) -> Iterator[LedgerStore]:
        """The store; after a fault, a quick probe first, so a down server is answered fast until it is back."""
        try:
            with database_answers(self.settings.retry_after_seconds):
                if self._suspect or self._store is None:
                    probe(self.settings.database_url)
                yield self._open()
            self._suspect = False
        except Problem as problem:
            self._suspect = problem.type.slug == "database-unavailable"
            raise

    def _open(self) -> LedgerStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings.database_url)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

