"""HTTP interface of the read side: cases, deadlines, findings, statistics, replay and lag.

Every query takes ``as_of`` (timezone required): the answer exactly as the live service gave it at that
instant (within the bounds of ``web/parameters.py``). ``min_position`` gives read-your-writes: the query waits
(bounded, holding no worker thread) until the read model reflects that ledger position, else answers 503
``projection-behind`` with the current position; a position beyond the ledger's head, which no write has
given, is answered 400 at once, and beyond ``max_waiting_reads`` waiting requests 503 at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from esledger.access.policy import Permission, Scope
from esledger.core.errors import InvalidArgument, NotFound, ProjectionBehind, StorageUnavailable
from esledger.domain.presentation import instant_json
from esledger.domain.statistics import COLUMNS, statistics_csv
from esledger.projections.models import (
    CaseList,
    CaseView,
    DeadlineList,
    FindingList,
    ProjectionsHealth,
    Replay,
    Statistics,
)
from esledger.projections.queries import CaseFilter, DeadlineFilter, FindingFilter
from esledger.projections.service import Page, ProjectionService
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.parameters import BIGGEST, instant
from esledger.web.responses import JSON

AsOf = Annotated[
    datetime | None,
    Query(
        description="answer as of this instant (timezone required): only records "
        "recorded at or before it, the clock at it"
    ),
]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=BIGGEST,
        description="wait (at most ESLEDGER_MAX_WAIT_SECONDS) until the read model reflects this ledger position; "
        "a position beyond the ledger's head is refused at once (400)",
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many rows in the page")]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="where the page starts: the `next` of the previous page")
]

QUERY_ERRORS = problem_responses(InvalidArgument, ProjectionBehind, StorageUnavailable, *AUTH_ERRORS)
"""What every query can answer besides its body: bad parameters, min_position not reached, no database."""
CASE_ERRORS = problem_responses(InvalidArgument, NotFound, ProjectionBehind, StorageUnavailable, *AUTH_ERRORS)
Views = Annotated[Scope, requires(Permission.READ_VIEWS)]
CSV = {
    "schema": {
        "type": "string",
        "description": "format=csv: a header row (the columns of the JSON rows, flattened; the case-file scores and "
        "the differing reported columns each ';'-separated in one column), then one line per row",
        "pattern": "^" + ",".join(COLUMNS) + "\n",
    }
}


def projections_router(service: ProjectionService) -> APIRouter:
    """Each query is an async route: a ``min_position`` wait holds no worker thread (``await_position``), and
    the answer is computed in the thread pool once the read model is there."""
    router = APIRouter()

    async def answer(min_position: int | None, compute: Callable[[], Response]) -> Response:
        await service.await_position(min_position)
        return await run_in_threadpool(compute)

    def paged(at: datetime | None, rows: str, page: Page) -> Response:
        """A page of a list, in the one shape every list answers with."""
        return JSON(
            {"as_of": instant_json(service.at(at)), "count": len(page.rows), rows: page.rows, "next": page.next}
        )

    @router.get(
        "/v1/cases",
        summary="Cases with status, warnings and breaches; filterable",
        responses={200: {"model": CaseList}, **QUERY_ERRORS},
    )
    async def list_cases(
        scope: Views,
        as_of: AsOf = None,
        min_position: MinPosition = None,
        kind: str | None = None,
        status: str | None = None,
        unit: str | None = Query(None, description="unit code or name"),
        has_breach: bool | None = None,
        due_before: datetime | None = None,
        warning: Literal["red", "yellow", "none"] | None = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        at = instant(as_of, "as_of")
        where = CaseFilter(
            kind=kind,
            status=status,
            unit=unit,
            has_breach=has_breach,
            due_before=instant(due_before, "due_before"),
            warning=warning,
        )

        return await answer(min_position, lambda: paged(at, "cases", service.cases(where, at, scope, cursor, limit)))

    @router.get(
        "/v1/cases/{case_id}",
        summary="One case: status, deadlines and findings with reasons",
        responses={200: {"model": CaseView}, **CASE_ERRORS},
    )
    async def get_case(case_id: str, scope: Views, as_of: AsOf = None, min_position: MinPosition = None) -> Response:
        at = instant(as_of, "as_of")
        return await answer(min_position, lambda: JSON(service.case(case_id, at, scope)))

    @router.get(
        "/v1/cases/{case_id}/replay",
        summary="The case at each instant the ledger learned of an act",
        responses={200: {"model": Replay}, **CASE_ERRORS},
    )
    async def replay_case(
        case_id: str, scope: Annotated[Scope, requires(Permission.REPLAY)], min_position: MinPosition = None
    ) -> Response:
        return await answer(min_position, lambda: JSON({"case_id": case_id, "steps": service.replay(case_id, scope)}))

    @router.get(
        "/v1/deadlines",
        summary="Deadlines, most urgent first, with warning levels",
        responses={200: {"model": DeadlineList}, **QUERY_ERRORS},
    )
    async def list_deadlines(
        scope: Views,
        as_of: AsOf = None,
        min_position: MinPosition = None,
        level: Literal["red", "yellow", "none"] | None = None,
        unit: str | None = None,
        responsible: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        at = instant(as_of, "as_of")
        where = DeadlineFilter(
            level=level, unit=unit, responsible=responsible, status=status, due_before=instant(due_before, "due_before")
        )

        return await answer(
            min_position, lambda: paged(at, "deadlines", service.deadlines(where, at, scope, cursor, limit))
        )

    @router.get(
        "/v1/findings",
        summary="Breaches and candidate findings (第十六–十八条), with determinations",
        responses={200: {"model": FindingList}, **QUERY_ERRORS},
    )
    async def list_findings(
        scope: Views,
        as_of: AsOf = None,
        min_position: MinPosition = None,
        article: str | None = None,
        unit: str | None = None,
        determination: Literal["candidate", "confirmed", "dismissed"] | None = None,
        rule_set: Annotated[
            str | None, Query(max_length=200, description="only findings judged under this rule set")
        ] = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        at = instant(as_of, "as_of")
        where = FindingFilter(article=article, unit=unit, determination=determination, rule_set=rule_set)

        return await answer(
            min_position, lambda: paged(at, "findings", service.findings(where, at, scope, cursor, limit))
        )

    @router.get(
        "/v1/statistics",
        summary="Monthly statistics per unit (第十条), JSON or CSV",
        responses={200: {"model": Statistics, "content": {"text/csv": CSV}}, **QUERY_ERRORS},
    )
    async def get_statistics(
        scope: Annotated[Scope, requires(Permission.READ_STATISTICS)],
        as_of: AsOf = None,
        min_position: MinPosition = None,
        month: str | None = None,
        unit: str | None = None,
        format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter is named format
    ) -> Response:
        at = instant(as_of, "as_of")

        def compute() -> Response:
            rows = service.statistics(at, scope, month=month, unit=unit)
            if format == "csv":
                return Response(
                    statistics_csv(rows),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
                )
            return JSON({"as_of": instant_json(service.at(at)), "rows": [r.to_json() for r in rows]})

        return await answer(min_position, compute)

    @router.get(
        "/v1/projections/health",
        summary="Read model position, ledger head and the lag between",
        responses={200: {"model": ProjectionsHealth}, **problem_responses(StorageUnavailable, *AUTH_ERRORS)},
    )
    def health(_: Annotated[Scope, requires(Permission.READ_HEALTH)]) -> Response:
        return JSON(service.health())

    return router
