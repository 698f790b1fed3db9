"""The read side as the API and CLI see it: the read model, the deployment's policy (rule sets, calendar,
thresholds) and a clock. Answers are evaluated at the clock's time unless ``as_of`` is given."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from esledger.core.availability import Availability
from esledger.core.errors import NotFound, ProjectionBehind
from esledger.core.following import Follower
from esledger.core.instants import Clock
from esledger.core.storage import Handle
from esledger.domain.casefile import Policy
from esledger.ledger.store import LedgerStore
from esledger.projections import queries
from esledger.projections.readmodel import ReadModel


class ProjectionService:
    def __init__(
        self,
        read_model: Handle[ReadModel],
        store: Handle[LedgerStore],
        availability: Availability,
        policy: Policy,
        clock: Clock,
        *,
        max_wait_seconds: float,
        follower: Follower | None = None,
    ) -> None:
        self.read_model = read_model
        self.store = store
        self.availability = availability
        self.policy = policy
        self.clock = clock
        self.max_wait_seconds = max_wait_seconds
        self.follower = follower

    # -- consistency ----------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        with self.availability.guard():
            position, head = self.read_model.get().position(), self.store.get().head()
        out: dict[str, Any] = {"position": position, "head": head, "lag": max(head - position, 0)}
        if self.follower is not None:
            out |= {
                "follower": self.follower.name,
                "restarts": self.follower.restarts,
                "last_error": self.follower.last_error,
            }
        return out

    def await_position(self, min_position: int | None) -> None:
        """Read-your-writes: wait (bounded) until the read model reflects ``min_position``."""
        if min_position is None:
            return
        deadline = time.monotonic() + self.max_wait_seconds
        while (position := self._position()) < min_position:
            if time.monotonic() >= deadline:
                raise ProjectionBehind(
                    f"the read model is at position {position}, not yet at {min_position}; "
                    "nothing is wrong, it is catching up",
                    position=position,
                    min_position=min_position,
                    retry_after=self.availability.retry_after_seconds,
                )
            if self.follower is not None:
                self.follower.notify()
            time.sleep(0.02)

    def _position(self) -> int:
        with self.availability.guard():
            return self.read_model.get().position()

    def _records(self, case_id: str | None = None) -> Any:
        """One case's records, or every case's; read under the availability guard."""
        with self.availability.guard():
            read_model = self.read_model.get()
            return read_model.records(case_id) if case_id is not None else read_model.all_records()

    def at(self, as_of: datetime | None) -> datetime:
        return as_of if as_of is not None else self.clock()

    # -- answers --------------------------------------------------------------------------------------------
    def case(self, case_id: str, as_of: datetime | None) -> dict[str, Any]:
        at = self.at(as_of)
        view = queries.case_view(self._records(case_id), self.policy, at)
        if view is None:
            raise NotFound(f"no case {case_id!r} known to the read model as of {at.isoformat()}", case_id=case_id)
        return view

    def replay(self, case_id: str) -> list[dict[str, Any]]:
        records = self._records(case_id)
        if not records:
            raise NotFound(f"no case {case_id!r} in the read model", case_id=case_id)
        return queries.replay(records, self.policy)

    def cases(self, where: queries.CaseFilter, as_of: datetime | None) -> list[dict[str, Any]]:
        return queries.case_views(self._records(), self.policy, self.at(as_of), where)

    def deadlines(self, as_of: datetime | None, **filters: Any) -> list[dict[str, Any]]:
        return queries.deadlines(self._records(), self.policy, self.at(as_of), **filters)

    def findings(self, as_of: datetime | None, **filters: Any) -> list[dict[str, Any]]:
        return queries.findings(self._records(), self.policy, self.at(as_of), **filters)

    def statistics(self, as_of: datetime | None, **filters: Any) -> list[Any]:
        return queries.statistics(self._records(), self.policy, self.at(as_of), **filters)
