"""The read side as the API and CLI see it: the read model, the deployment's policy (rule sets, calendar,
thresholds) and a clock. Answers are evaluated at the clock's time unless ``as_of`` is given."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from esledger.access.policy import Scope, View
from esledger.core.availability import Availability
from esledger.core.errors import NotFound, ProjectionBehind
from esledger.core.following import Follower
from esledger.core.instants import Clock
from esledger.core.storage import Handle
from esledger.domain.casefile import Policy
from esledger.domain.qualifications import needs_register
from esledger.ledger.case import unit_codes
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
        hidden_kinds: frozenset[str] = frozenset(),
        follower: Follower | None = None,
    ) -> None:
        self.read_model = read_model
        self.store = store
        self.availability = availability
        self.policy = policy
        self.clock = clock
        self.max_wait_seconds = max_wait_seconds
        self.hidden_kinds = hidden_kinds
        """Case kinds the ledger keeps for itself (principals): never among the supervision cases."""
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
    def case(self, case_id: str, as_of: datetime | None, scope: Scope) -> dict[str, Any]:
        at = self.at(as_of)
        records = self._records(case_id)
        view = queries.case_view(records, self.policy, at, self._context(records))
        shown = self._shown(view, scope) if view is not None else None
        if shown is None:
            raise NotFound(f"no case {case_id!r} known to the read model as of {at.isoformat()}", case_id=case_id)
        return shown

    def replay(self, case_id: str, scope: Scope) -> list[dict[str, Any]]:
        """Each step's view as the scope sees the case now (a case outside it: not found)."""
        records = self._records(case_id)
        steps = queries.replay(records, self.policy, self._context(records)) if records else []
        seen = self._seen(steps[-1]["view"], scope) if steps else None
        if seen is None:
            raise NotFound(f"no case {case_id!r} in the read model", case_id=case_id)
        return [{**step, "view": self._as_seen(step["view"], seen, scope)} for step in steps]

    def cases(self, where: queries.CaseFilter, as_of: datetime | None, scope: Scope) -> list[dict[str, Any]]:
        return [v for v in self._views(as_of, scope) if where.admits(v)]

    def deadlines(self, as_of: datetime | None, scope: Scope, **filters: Any) -> list[dict[str, Any]]:
        return queries.deadline_rows(self._views(as_of, scope), **filters)

    def findings(self, as_of: datetime | None, scope: Scope, **filters: Any) -> list[dict[str, Any]]:
        return queries.finding_rows(self._views(as_of, scope), **filters)

    def statistics(self, as_of: datetime | None, scope: Scope, **filters: Any) -> list[Any]:
        """Counted over the cases in scope only, and only the rows of units within the jurisdiction."""
        every = self._records()
        records = {case_id: rs for case_id, (rs, seen) in self._in_scope(scope, every).items() if seen is View.FULL}
        rows = queries.statistics(records, self.policy, self.at(as_of), context=every, **filters)
        return [r for r in rows if scope.sees_unit(r.unit_code)]

    def _context(self, records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Every case's records when this case's findings read other cases (an enforcement act's persons are
        judged against the qualification register, whoever asks), else none: read only when needed."""
        return self._records() if needs_register(records) else {}

    def _in_scope(
        self, scope: Scope, every: dict[str, list[dict[str, Any]]]
    ) -> dict[str, tuple[list[dict[str, Any]], View]]:
        """The records of the supervision cases the scope sees, and how, judged before any view is computed
        (a case's units are those its acts name, as its view would list them)."""
        found = {}
        for case_id, rs in every.items():
            if rs and rs[0]["case_kind"] not in self.hidden_kinds:
                seen = scope.view(case_id, set().union(*(unit_codes(r["event"]) for r in rs)))
                if seen is not None:
                    found[case_id] = (rs, seen)
        return found

    def _views(self, as_of: datetime | None, scope: Scope) -> list[dict[str, Any]]:
        every = self._records()
        visible = self._in_scope(scope, every)
        views = queries.case_views({c: rs for c, (rs, _) in visible.items()}, self.policy, self.at(as_of), every)
        return [self._as_seen(v, visible[v["case_id"]][1], scope) for v in views]

    def _shown(self, view: dict[str, Any] | None, scope: Scope) -> dict[str, Any] | None:
        """The view as this scope sees it; None for a case outside it (or one of the ledger's own kinds)."""
        seen = self._seen(view, scope)
        return None if view is None or seen is None else self._as_seen(view, seen, scope)

    def _seen(self, view: dict[str, Any] | None, scope: Scope) -> View | None:
        if view is None or view["case_kind"] in self.hidden_kinds:
            return None
        return scope.view(view["case_id"], [u["code"] for u in view["units"]])

    @staticmethod
    def _as_seen(view: dict[str, Any], seen: View, scope: Scope) -> dict[str, Any]:
        if seen is View.RESPONDENT:
            return queries.respondent_view(view, lambda code: scope.within(code, "respondent"))
        return view
