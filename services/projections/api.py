"""HTTP interface of the read side: cases, deadlines, findings, statistics, replay and lag.

Every query takes ``as_of`` (timezone required): the answer exactly as the live service gave it at that
instant. ``min_position`` gives read-your-writes: the query waits (bounded) until the read model reflects
that ledger position, else answers 503 ``projection-behind`` with the current position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
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
from esledger.projections.service import ProjectionService
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.parameters import instant
from esledger.web.responses import JSON

AsOf = Annotated[
    datetime | None,
    Query(
        description="answer as of this instant (timezone required): only records "
        "recorded at or before it, the clock at it"
    ),
]
MinPosition = Annotated[int | None, Query(ge=0, description="wait until the read model reflects this position")]
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
    router = APIRouter()

    @router.get(
        "/v1/cases",
        summary="Cases with status, warnings and breaches; filterable",
        responses={200: {"model": CaseList}, **QUERY_ERRORS},
    )
    def list_cases(
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
        service.await_position(min_position)
        where = CaseFilter(
            kind=kind,
            status=status,
            unit=unit,
            has_breach=has_breach,
            due_before=instant(due_before, "due_before"),
            warning=warning,
        )
        page = service.cases(where, instant(as_of, "as_of"), scope, cursor, limit)
        return JSON(
            {"as_of": instant_json(service.at(as_of)), "count": len(page.rows), "cases": page.rows, "next": page.next}
        )

    @router.get(
        "/v1/cases/{case_id}",
        summary="One case: status, deadlines and findings with reasons",
        responses={200: {"model": CaseView}, **CASE_ERRORS},
    )
    def get_case(case_id: str, scope: Views, as_of: AsOf = None, min_position: MinPosition = None) -> Response:
        service.await_position(min_position)
        return JSON(service.case(case_id, instant(as_of, "as_of"), scope))

    @router.get(
        "/v1/cases/{case_id}/replay",
        summary="The case at each instant the ledger learned of an act",
        responses={200: {"model": Replay}, **CASE_ERRORS},
    )
    def replay_case(
        case_id: str, scope: Annotated[Scope, requires(Permission.REPLAY)], min_position: MinPosition = None
    ) -> Response:
        service.await_position(min_position)
        return JSON({"case_id": case_id, "steps": service.replay(case_id, scope)})

    @router.get(
        "/v1/deadlines",
        summary="Deadlines, most urgent first, with warning levels",
        responses={200: {"model": DeadlineList}, **QUERY_ERRORS},
    )
    def list_deadlines(
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
        service.await_position(min_position)
        where = DeadlineFilter(
            level=level, unit=unit, responsible=responsible, status=status, due_before=instant(due_before, "due_before")
        )
        page = service.deadlines(where, instant(as_of, "as_of"), scope, cursor, limit)
        return JSON(
            {
                "as_of": instant_json(service.at(as_of)),
                "count": len(page.rows),
                "deadlines": page.rows,
                "next": page.next,
            }
        )

    @router.get(
        "/v1/findings",
        summary="Breaches and candidate findings (第十六–十八条), with determinations",
        responses={200: {"model": FindingList}, **QUERY_ERRORS},
    )
    def list_findings(
        scope: Views,
        as_of: AsOf = None,
        min_position: MinPosition = None,
        article: str | None = None,
        unit: str | None = None,
        determination: Literal["candidate", "confirmed", "dismissed"] | None = None,
        limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:
        service.await_position(min_position)
        where = FindingFilter(article=article, unit=unit, determination=determination)
        page = service.findings(where, instant(as_of, "as_of"), scope, cursor, limit)
        return JSON(
            {
                "as_of": instant_json(service.at(as_of)),
                "count": len(page.rows),
                "findings": page.rows,
                "next": page.next,
            }
        )

    @router.get(
        "/v1/statistics",
        summary="Monthly statistics per unit (第十条), JSON or CSV",
        responses={200: {"model": Statistics, "content": {"text/csv": CSV}}, **QUERY_ERRORS},
    )
    def get_statistics(
        scope: Annotated[Scope, requires(Permission.READ_STATISTICS)],
        as_of: AsOf = None,
        min_position: MinPosition = None,
        month: str | None = None,
        unit: str | None = None,
        format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter is named format
    ) -> Response:
        service.await_position(min_position)
        rows = service.statistics(instant(as_of, "as_of"), scope, month=month, unit=unit)
        if format == "csv":
            return Response(
                statistics_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
            )
        return JSON({"as_of": instant_json(service.at(as_of)), "rows": [r.to_json() for r in rows]})

    @router.get(
        "/v1/projections/health",
        summary="Read model position, ledger head and the lag between",
        responses={200: {"model": ProjectionsHealth}, **problem_responses(StorageUnavailable, *AUTH_ERRORS)},
    )
    def health(_: Annotated[Scope, requires(Permission.READ_HEALTH)]) -> Response:
        return JSON(service.health())

    return router
