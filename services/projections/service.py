"""The read side as the API and CLI see it: the read model, its follower, the deployment's policy (rule sets,
calendar, thresholds) and a clock. Answers are evaluated at the clock's time unless ``as_of`` is given."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from services.domain.casefile import Policy
from services.following import Component
from services.ledger.instants import utc_now
from services.ledger.problems import Problem
from services.ledger.store import LedgerStore, open_store
from services.projections import queries
from services.projections.follower import Follower, follower_for, open_view
from services.projections.settings import ProjectionSettings
from services.projections.view import CaseViewMixin


class ProjectionService(Component):
    handles = ("ledger", "view")

    def __init__(self, settings: ProjectionSettings, clock: Callable[[], datetime] = utc_now,
                 follow: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.retry_after_seconds = settings.retry_after_seconds
        self.follower: Follower | None = follower_for(settings.database_url) if follow else None

    @cached_property
    def policy(self) -> Policy:
        return Policy.load(overrides=self.settings.local_policy or None, holiday_files=self.settings.holiday_files,
                           yellow_working_days=self.settings.yellow_working_days,
                           violation_notice_days=self.settings.violation_notice_days)

    @cached_property
    def view(self) -> CaseViewMixin:
        return open_view(self.settings.database_url)

    @cached_property
    def ledger(self) -> LedgerStore:
        return open_store(self.settings.database_url)

    # -- consistency ----------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        with self._storage():
            position, head = self.view.position(), self.ledger.head()
        out: dict[str, Any] = {"position": position, "head": head, "lag": max(head - position, 0)}
        if self.follower is not None:
            out |= {"follower": type(self.follower).__name__, "restarts": self.follower.restarts,
                    "last_error": self.follower.last_error}
        return out

    def await_position(self, min_position: int | None) -> None:
        """Read-your-writes: wait (bounded) until the read model reflects ``min_position``."""
        if min_position is None:
            return
        deadline = time.monotonic() + self.settings.max_wait_seconds
        while (position := self._position()) < min_position:
            if time.monotonic() >= deadline:
                raise Problem("projection-behind", f"the read model is at position {position}, not yet at "
                                                   f"{min_position}; nothing is wrong, it is catching up",
                              position=position, min_position=min_position,
                              retry_after=self.settings.retry_after_seconds)
            if self.follower is not None:
                self.follower.notify()
            time.sleep(0.02)

    def _position(self) -> int:
        with self._storage():
            return self.view.position()

    def _records(self, case_id: str | None = None) -> Any:
        """One case's records, or every case's; read under the availability guard."""
        with self._storage():
            return self.view.records(case_id) if case_id is not None else self.view.all_records()

    def at(self, as_of: datetime | None) -> datetime:
        return as_of if as_of is not None else self.clock()

    # -- answers --------------------------------------------------------------------------------------------
    def case(self, case_id: str, as_of: datetime | None) -> dict[str, Any]:
        at = self.at(as_of)
        view = queries.case_view(self._records(case_id), self.policy, at)
        if view is None:
            raise Problem("not-found", f"no case {case_id!r} known to the read model as of {at.isoformat()}",
                          case_id=case_id)
        return view

    def replay(self, case_id: str) -> list[dict[str, Any]]:
        records = self._records(case_id)
        if not records:
            raise Problem("not-found", f"no case {case_id!r} in the read model", case_id=case_id)
        return queries.replay(records, self.policy)

    def cases(self, where: queries.CaseFilter, as_of: datetime | None) -> list[dict[str, Any]]:
        return queries.case_views(self._records(), self.policy, self.at(as_of), where)

    def deadlines(self, as_of: datetime | None, **filters: Any) -> list[dict[str, Any]]:
        return queries.deadlines(self._records(), self.policy, self.at(as_of), **filters)

    def findings(self, as_of: datetime | None, **filters: Any) -> list[dict[str, Any]]:
        return queries.findings(self._records(), self.policy, self.at(as_of), **filters)

    def statistics(self, as_of: datetime | None, **filters: Any) -> list[Any]:
        return queries.statistics(self._records(), self.policy, self.at(as_of), **filters)
