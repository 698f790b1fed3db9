"""Keeping the read model up with the ledger.

On PostgreSQL the library's ``ProjectionRunner`` follows the ledger by LISTEN/NOTIFY; a supervisor thread
restarts it (with backoff) when its connection is lost or it fails, so it never silently stalls. SQLite has
no notifications: an in-process follower polls, and is woken at once by appends made in the same process.
Both feed the same ``CaseProjection``; the read model's tracking position makes either exactly-once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment

from services.following import Follower, PollingFollower, Step
from services.ledger.store import ENTRY_TOPICS, LedgerStore, open_store, persistence_env
from services.projections.projection import CaseProjection
from services.projections.view import APPLICATION, CaseViewMixin, PostgresCaseView, SQLiteCaseView


def is_postgres(database_url: str) -> bool:
    return persistence_env(database_url)["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def open_view(database_url: str) -> CaseViewMixin:
    """The read model (creating its tables), in the ledger's database."""
    factory = InfrastructureFactory.construct(Environment(CaseProjection.name, persistence_env(database_url)))
    view_class = PostgresCaseView if is_postgres(database_url) else SQLiteCaseView
    return factory.tracking_recorder(view_class)  # type: ignore[arg-type, return-value]


@contextmanager
def projecting(database_url: str, batch: int = 500) -> Iterator[Step]:
    """A step that applies the next ledger events to the read model (polling; SQLite and tests)."""
    store, view = open_store(database_url), open_view(database_url)
    try:
        projection = CaseProjection(view)
        yield lambda: catch_up(store, view, projection, batch)
    finally:
        store.close()
        view.close()


class PostgresRunnerFollower(Follower):
    """The library's LISTEN/NOTIFY ``ProjectionRunner``, restarted by the supervisor when it fails."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        # The tables exist by now (ProjectionService.start creates them serially); re-creating them from here
        # would race with the ledger (PostgreSQL's CREATE TYPE / CREATE OR REPLACE are not concurrency-safe).
        self.env = persistence_env(database_url) | {"CREATE_TABLE": "no"}
        self._runner: ProjectionRunner[Any, Any] | None = None

    def _interrupt(self) -> None:
        if self._runner is not None:
            self._runner.stop()

    def _follow(self) -> None:
        runner = ProjectionRunner(application_class=LedgerStore, projection_class=CaseProjection,
                                  view_class=PostgresCaseView, env=self.env)
        try:
            with runner:
                self._runner = runner
                if not self._stop.is_set():
                    runner.run_forever()
        finally:
            runner.view.close()  # the runner closes its application, not its view


def catch_up(store: LedgerStore, view: CaseViewMixin, projection: CaseProjection, batch: int = 500) -> int:
    """Apply the next ``batch`` ledger events after the view's position; how many were read."""
    notifications = store.recorder.select_notifications(start=view.position(), limit=batch, topics=ENTRY_TOPICS,
                                                        inclusive_of_start=False)
    for n in notifications:
        projection.process_event(store.mapper.to_domain_event(n), Tracking(APPLICATION, n.id))
    return len(notifications)


def follower_for(database_url: str) -> Follower:
    if is_postgres(database_url):
        return PostgresRunnerFollower(database_url)
    return PollingFollower(lambda: projecting(database_url))
