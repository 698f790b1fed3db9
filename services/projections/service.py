"""The read side as the API and CLI see it: the read model, the deployment's policy (rule sets, calendar,
thresholds) and a clock.

Answers for now come from the views the read model stores: each holds from the instant it was computed until
its ``next_change``, and the cases whose view the clock has overtaken are viewed again first (the follower
does so too, between batches); only the days left of pending deadlines are counted at answer time. Lists are
selected, ordered and paged in SQL. An answer ``as_of`` a given instant is computed from the records by the
pure domain core, as a replay is.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from anyio import to_thread

from esledger.access.policy import Scope, View
from esledger.core.availability import Availability
from esledger.core.errors import InvalidArgument, NotFound, ProjectionBehind
from esledger.core.following import Follower
from esledger.core.storage import Handle
from esledger.domain.casefile import present, present_deadline
from esledger.domain.qualifications import needs_register
from esledger.domain.statistics import Report, StatRow, Tallies, Tally, monthly_statistics, statistics_rows
from esledger.ledger.case import involved_units
from esledger.ledger.store import LedgerStore
from esledger.projections import queries
from esledger.projections.projection import Projector, refresh
from esledger.projections.queries import Key
from esledger.projections.readmodel import ReadModel, micros

Row = tuple[Key, dict[str, Any]]
CHUNK = 500
"""Candidate rows read per query while a page is filled."""
POLL_SECONDS = 0.02
"""How often requests waiting for ``min_position`` look at the read model's position."""


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the cursor of the next page (None: this is the last)."""

    rows: list[dict[str, Any]]
    next: str | None


@dataclass(frozen=True)
class Seen:
    """Which stored cases a scope sees, as SQL over the views table ``v`` and its parameters."""

    sql: str
    params: list[Any]
    respondent: bool
    """Whether some cases may be seen as a respondent (then filters the respondent's view changes are tested
    on the rows, not in SQL)."""


class ProjectionService:
    def __init__(
        self,
        read_model: Handle[ReadModel],
        store: Handle[LedgerStore],
        availability: Availability,
        projector: Projector,
        *,
        max_wait_seconds: float,
        max_waiting: int = 100,
        follower: Follower | None = None,
    ) -> None:
        self.read_model = read_model
        self.store = store
        self.availability = availability
        self.projector = projector
        self.policy = projector.policy
        self.clock = projector.clock
        self.max_wait_seconds = max_wait_seconds
        self.max_waiting = max_waiting
        self._waiting = 0
        """Requests waiting for ``min_position`` now (they all run on this process's event loop)."""
        self._polling = asyncio.Lock()
        self._polled, self._polled_at = 0, -math.inf
        self.hidden_kinds = projector.hidden_kinds
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

    async def await_position(self, min_position: int | None) -> None:
        """Read-your-writes: wait (at most ``max_wait_seconds``) until the read model reflects ``min_position``.
        The wait is on the event loop, so it holds no worker thread; the waiters share one position read per
        poll. A position beyond the ledger's head (no write gave it) is refused at once, and so is a waiter
        beyond ``max_waiting``."""
        if min_position is None:
            return
        position, head = await to_thread.run_sync(self._positions)
        if position >= min_position:
            return
        if min_position > head:
            raise InvalidArgument(
                f"min_position {min_position} is beyond the ledger's head {head}: no write gave it",
                errors=[{"parameter": "min_position", "rule": "at-most-head"}],
            )
        if self._waiting >= self.max_waiting:
            raise ProjectionBehind(
                f"{self._waiting} requests already wait for the read model; it is at position {position}",
                position=position,
                min_position=min_position,
                retry_after=self.availability.retry_after_seconds,
            )
        self._waiting += 1
        try:
            deadline = time.monotonic() + self.max_wait_seconds
            while position < min_position:
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
                await asyncio.sleep(POLL_SECONDS)
                position = await self._polled_position()
        finally:
            self._waiting -= 1

    async def _polled_position(self) -> int:
        """The read model's position, read at most once per poll for every waiter together."""
        async with self._polling:
            if time.monotonic() - self._polled_at >= POLL_SECONDS:
                self._polled = await to_thread.run_sync(self._position)
                self._polled_at = time.monotonic()
            return self._polled

    def _positions(self) -> tuple[int, int]:
        """The read model's position and the ledger's head."""
        with self.availability.guard():
            return self.read_model.get().position(), self.store.get().head()

    def _position(self) -> int:
        with self.availability.guard():
            return self.read_model.get().position()

    def _records(self, case_id: str | None = None) -> Any:
        """One case's records, or every case's; read under the availability guard."""
        with self.availability.guard():
            read_model = self.read_model.get()
            return (
                read_model.records_of([case_id]).get(case_id, []) if case_id is not None else read_model.all_records()
            )

    def at(self, as_of: datetime | None) -> datetime:
        return as_of if as_of is not None else self.clock()

    def _now(self) -> tuple[ReadModel, datetime]:
        """The read model with every stored view holding now, and now."""
        now = self.clock()
        read_model = self.read_model.get()
        while refresh(read_model, self.projector, read_model.names(), read_model.position(), now, CHUNK):
            pass
        return read_model, now

    # -- answers --------------------------------------------------------------------------------------------
    def case(self, case_id: str, as_of: datetime | None, scope: Scope) -> dict[str, Any]:
        at = self.at(as_of)
        if as_of is None:
            with self.availability.guard():
                read_model, at = self._now()
                with read_model.reading() as c:
                    found = read_model.query(
                        c, f"SELECT view FROM {read_model.views} WHERE case_id = {read_model.mark}", (case_id,)
                    )
            view = present(orjson.loads(found[0][0]), at, self.policy.calendar) if found and found[0][0] else None
        else:
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

    def cases(
        self, where: queries.CaseFilter, as_of: datetime | None, scope: Scope, cursor: str | None, limit: int
    ) -> Page:
        after = queries.decode_cursor("cases", cursor)
        if as_of is not None:
            return self._computed(
                "cases", as_of, scope, lambda v, r: queries.case_rows(v, r, scope, where), after, limit
            )
        with self.availability.guard():
            read_model, now = self._now()
            seen = self._scope(read_model, scope)
            conditions, params = ["v.view IS NOT NULL", seen.sql], [*seen.params]
            if where.kind:
                conditions.append(f"v.case_kind = {read_model.mark}")
                params.append(where.kind)
            if where.status:
                conditions.append(f"v.status = {read_model.mark}")
                params.append(where.status)
            if where.unit:
                conditions.append(
                    f"v.case_id IN (SELECT case_id FROM {read_model.units} WHERE code = {read_model.mark} "
                    f"OR name = {read_model.mark})"
                )
                params += [where.unit, where.unit]
            if not seen.respondent:
                if where.has_breach is not None:
                    conditions.append(f"v.has_breach = {read_model.mark}")
                    params.append(int(where.has_breach))
                if where.warning:
                    conditions.append(f"v.warning = {read_model.mark}")
                    params.append(where.warning)
                if where.due_before is not None:
                    conditions.append(
                        f"EXISTS (SELECT 1 FROM {read_model.deadlines} d WHERE d.case_id = v.case_id AND "
                        f"d.status = 'pending' AND d.due_key <= {read_model.mark})"
                    )
                    params.append(micros(where.due_before))

            def fetch(c: Any, key: Key | None, n: int) -> list[Row]:
                found = read_model.query(
                    c,
                    f"SELECT v.case_id, v.view FROM {read_model.views} v WHERE {' AND '.join(conditions)}"
                    + (f" AND v.case_id > {read_model.mark}" if key else "")
                    + f" ORDER BY v.case_id LIMIT {n}",
                    [*params, *(key or ())],
                )
                views = {case_id: present(orjson.loads(text), now, self.policy.calendar) for case_id, text in found}
                how = self._views_seen(read_model, c, scope, views)
                shown = {
                    case_id: row
                    for case_id, view in views.items()
                    if how[case_id] is not None
                    for _, row in queries.case_rows(view, how[case_id] is View.RESPONDENT, scope, where)
                }
                return [((case_id,), shown.get(case_id, {})) for case_id in views]

            return self._walk(read_model, "cases", fetch, after, limit)

    def deadlines(
        self, where: queries.DeadlineFilter, as_of: datetime | None, scope: Scope, cursor: str | None, limit: int
    ) -> Page:
        after = queries.decode_cursor("deadlines", cursor)
        if as_of is not None:
            rows = lambda v, r: queries.deadline_rows(v, r, scope, where)  # noqa: E731
            return self._computed("deadlines", as_of, scope, rows, after, limit)
        with self.availability.guard():
            read_model, now = self._now()
            conditions, params = _row_filter(
                read_model.mark,
                {"level": where.level, "status": where.status, "responsible": where.responsible},
                where.unit,
            )
            if where.due_before is not None:
                conditions.append(f"d.due_key <= {read_model.mark}")
                params.append(micros(where.due_before))
            order = "d.due_key, d.case_id, d.rule_id, d.trigger_version, d.seq"
            return self._listed(
                read_model,
                scope,
                now,
                "deadlines",
                order,
                conditions,
                params,
                after,
                limit,
                lambda v, r: queries.deadline_rows(v, r, scope, where),
            )

    def findings(
        self, where: queries.FindingFilter, as_of: datetime | None, scope: Scope, cursor: str | None, limit: int
    ) -> Page:
        after = queries.decode_cursor("findings", cursor)
        if as_of is not None:
            rows = lambda v, r: queries.finding_rows(v, r, scope, where)  # noqa: E731
            return self._computed("findings", as_of, scope, rows, after, limit)
        with self.availability.guard():
            read_model, now = self._now()
            conditions, params = _row_filter(
                read_model.mark, {"article": where.article, "status": where.determination}, where.unit
            )
            return self._listed(
                read_model,
                scope,
                now,
                "findings",
                "d.finding_id, d.case_id, d.seq",
                conditions,
                params,
                after,
                limit,
                lambda v, r: queries.finding_rows(v, r, scope, where),
            )

    def statistics(self, as_of: datetime | None, scope: Scope, *, month: str | None, unit: str | None) -> list[StatRow]:
        """Counted over the cases in scope only, and only the rows of units within the jurisdiction."""
        if as_of is not None:
            every = self._records()
            records = {c: rs for c, (rs, seen) in self._in_scope(scope, every).items() if seen is View.FULL}
            rows = monthly_statistics(records, self.policy, as_of, [r for rs in every.values() for r in rs])
        else:
            with self.availability.guard():
                read_model, _ = self._now()
                rows = self._stored_statistics(read_model, scope, month)
        return [
            r
            for r in rows
            if scope.sees_unit(r.unit_code)
            and (not month or r.month == month)
            and (not unit or unit in (r.unit_code, r.unit_name))
        ]

    # -- stored answers -------------------------------------------------------------------------------------
    def _scope(self, read_model: ReadModel, scope: Scope, *, full: bool = False) -> Seen:
        """The stored cases ``scope`` sees (``full``: fully) as SQL on ``v``: one of their units (a code any
        of their records names) is within the scope, or the case is shared with it."""
        if scope.everything:
            return Seen("1 = 1", [], respondent=False)
        with read_model.reading() as c:
            codes = [code for (code,) in read_model.query(c, f"SELECT DISTINCT unit_code FROM {read_model.scope}")]
        if full:
            codes = [code for code in codes if scope.within(code, "inspector", "supervisor")]
        else:
            codes = [code for code in codes if scope.view("", [code]) is not None]
        shared = sorted({case_id for g in scope.grants_of("observer") for case_id in g.cases})
        units, unit_params = read_model.any_of("unit_code", codes)
        cases, case_params = read_model.any_of("v.case_id", shared)
        return Seen(
            f"(v.case_id IN (SELECT case_id FROM {read_model.scope} WHERE {units}) OR {cases})",
            [*unit_params, *case_params],
            respondent=not full and bool(scope.grants_of("respondent")),
        )

    def _views_seen(
        self, read_model: ReadModel, c: Any, scope: Scope, views: Mapping[str, Any]
    ) -> dict[str, View | None]:
        """How the scope sees each of these cases, judged on the units their records name."""
        if scope.everything:
            return dict.fromkeys(views, View.FULL)
        where, params = read_model.any_of("case_id", list(views))
        units: dict[str, set[str]] = defaultdict(set)
        for case_id, code in read_model.query(
            c, f"SELECT case_id, unit_code FROM {read_model.scope} WHERE {where}", params
        ):
            units[case_id].add(code)
        return {case_id: scope.view(case_id, units[case_id]) for case_id in views}

    def _listed(
        self,
        read_model: ReadModel,
        scope: Scope,
        now: datetime,
        kind: str,
        order: str,
        conditions: list[str],
        params: list[Any],
        after: Key | None,
        limit: int,
        rows_of: Callable[[Mapping[str, Any], bool], list[Row]],
    ) -> Page:
        """A page of deadline or finding rows (table ``d``), read in ``order`` and shown as the scope sees
        their cases."""
        seen = self._scope(read_model, scope)
        table = read_model.deadlines if kind == "deadlines" else read_model.findings
        key_columns = order.split(", ")
        m = read_model.mark

        def fetch(c: Any, key: Key | None, n: int) -> list[Row]:
            where = [seen.sql, *conditions]
            if key is not None:
                where.append(f"({order}) > ({', '.join([m] * len(key))})")
            found = read_model.query(
                c,
                f"SELECT {order} FROM {table} d JOIN {read_model.views} v ON v.case_id = d.case_id "
                f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {n}",
                [*seen.params, *params, *(key or ())],
            )
            keys = [tuple(row) for row in found]
            case_ids = sorted({k[key_columns.index("d.case_id")] for k in keys})
            where_cases, case_params = read_model.any_of("case_id", case_ids)
            views = {
                case_id: orjson.loads(text)
                for case_id, text in read_model.query(
                    c, f"SELECT case_id, view FROM {read_model.views} WHERE {where_cases}", case_params
                )
            }
            how = self._views_seen(read_model, c, scope, views)
            shown = {
                k: row
                for case_id, view in views.items()
                if how[case_id] is not None
                for k, row in rows_of(view, how[case_id] is View.RESPONDENT)
            }
            out = [(k, shown.get(k, {})) for k in keys]
            if kind == "deadlines":
                out = [(k, present_deadline(row, now, self.policy.calendar) if row else row) for k, row in out]
            return out

        return self._walk(read_model, kind, fetch, after, limit)

    @staticmethod
    def _walk(
        read_model: ReadModel,
        kind: str,
        fetch: Callable[[Any, Key | None, int], list[Row]],
        after: Key | None,
        limit: int,
    ) -> Page:
        """Fill a page: read candidates in key order (``fetch``: at most n after a key, each with its row, or
        {} when the reader does not see it) until ``limit`` rows are shown or none are left."""
        rows: list[Row] = []
        key = after
        wanted = limit + 1  # a full page and one more (is there a next page?); more only when rows are hidden
        with read_model.reading() as c:
            while len(rows) <= limit:
                found = fetch(c, key, wanted)
                rows += [(k, row) for k, row in found if row]
                if len(found) < wanted:
                    break
                key = found[-1][0]
                wanted = CHUNK
        more = len(rows) > limit
        page = rows[:limit]
        return Page([row for _, row in page], queries.encode_cursor(kind, page[-1][0]) if more else None)

    def _stored_statistics(self, read_model: ReadModel, scope: Scope, month: str | None) -> list[StatRow]:
        """The summed tallies of the cases the scope sees fully, from SQL."""
        seen = self._scope(read_model, scope, full=True)
        m = read_model.mark
        # A reviewer sees every case: no semi-join over every stored view (three of them cost 0.5 s at 100,000).
        where = (
            "1 = 1"
            if scope.everything
            else f"t.case_id IN (SELECT v.case_id FROM {read_model.views} v WHERE {seen.sql})"
        )
        params = [*seen.params]
        if month:
            where += f" AND t.month = {m}"
            params.append(month)
        tallies: Tallies = defaultdict(Tally)
        with read_model.reading() as c:
            sums = read_model.query(
                c,
                f"SELECT t.unit_code, t.month, t.item, SUM(t.n) FROM {read_model.tallies} t WHERE {where} "
                "AND t.item NOT IN ('name', 'report') GROUP BY t.unit_code, t.month, t.item",
                params,
            )
            names = read_model.query(
                c,
                f"SELECT n.unit_code, n.month, n.name, n.case_id FROM {read_model.tallies} n JOIN (SELECT t.unit_code, "
                f"t.month, MAX(t.case_id) AS last FROM {read_model.tallies} t WHERE {where} AND t.item = 'name' "
                "GROUP BY t.unit_code, t.month) x ON n.unit_code = x.unit_code AND n.month = x.month AND "
                "n.case_id = x.last AND n.item = 'name'",
                params,
            )
            reports = read_model.query(
                c,
                f"SELECT t.unit_code, t.month, t.case_id, t.data FROM {read_model.tallies} t WHERE {where} "
                "AND t.item = 'report'",
                params,
            )
        for code, month_, name, case_id in names:
            tally = tallies[(code, month_)]
            tally.name, tally.named_by = name, case_id
        for code, month_, item, n in sums:
            tally = tallies[(code, month_)]
            what, _, value = item.partition(":")
            if what == "count":
                tally.counts[value] += int(n)
            elif what == "finding":
                tally.findings[value] += int(n)
            else:
                tally.scores[int(value)] += int(n)
        for code, month_, case_id, data in reports:
            found = orjson.loads(data)
            report = Report(datetime.fromisoformat(found["occurred"]), case_id, found["version"], found["counts"])
            tally = tallies[(code, month_)]
            if tally.reported is None or report.follows(tally.reported):
                tally.reported = report
        return statistics_rows(tallies)

    # -- answers computed from the records ------------------------------------------------------------------
    def _computed(
        self,
        kind: str,
        as_of: datetime,
        scope: Scope,
        rows_of: Callable[[Mapping[str, Any], bool], list[Row]],
        after: Key | None,
        limit: int,
    ) -> Page:
        every = self._records()
        visible = self._in_scope(scope, every)
        views = queries.case_views({c: rs for c, (rs, _) in visible.items()}, self.policy, as_of, every)
        rows = [row for v in views for row in rows_of(v, visible[v["case_id"]][1] is View.RESPONDENT)]
        page = queries.first(rows, after, limit + 1)
        more = len(page) > limit
        return Page([row for _, row in page[:limit]], queries.encode_cursor(kind, page[limit - 1][0]) if more else None)

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
                seen = scope.view(case_id, involved_units(r["event"] for r in rs))
                if seen is not None:
                    found[case_id] = (rs, seen)
        return found

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


def _row_filter(mark: str, equal: Mapping[str, str | None], unit: str | None) -> tuple[list[str], list[Any]]:
    """SQL conditions on a deadline or finding row ``d``: each given column equals its value, and the unit is
    the row's unit by code or name."""
    conditions = [f"d.{column} = {mark}" for column, value in equal.items() if value]
    params: list[Any] = [value for value in equal.values() if value]
    if unit:
        conditions.append(f"(d.unit_code = {mark} OR d.unit_name = {mark})")
        params += [unit, unit]
    return conditions, params
