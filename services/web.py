"""What both HTTP services share: orjson responses and RFC 9457 problem+json for every error."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from services.ledger.problems import TYPES, Problem


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem_response(problem: Problem, request: Request) -> Response:
    headers = {}
    if problem.type.status == 503:
        headers["Retry-After"] = str(problem.extensions.get("retry_after", 5))
    return Response(orjson.dumps(problem.body(request.url.path)), status_code=problem.type.status,
                    media_type="application/problem+json", headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"parameter": ".".join(str(p) for p in e["loc"]), "rule": e["type"], "detail": e["msg"]}
                  for e in exc.errors()]
        return problem_response(Problem("bad-request", "invalid request parameters", errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        slug = "not-found" if exc.status_code == 404 else "bad-request"
        body = Problem(slug, str(exc.detail)).body(request.url.path) | {"status": exc.status_code}
        return Response(orjson.dumps(body), status_code=exc.status_code, media_type="application/problem+json")

    @app.get("/problems/{slug}", summary="What a problem type means and what to do next")
    def get_problem_type(slug: str) -> Response:
        if slug not in TYPES:
            raise Problem("not-found", f"no problem type {slug!r}")
        t = TYPES[slug]
        return JSON({"type": f"/problems/{slug}", "title": t.title, "status": t.status, "advice": t.advice})
