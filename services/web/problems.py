"""RFC 9457 problem details: the one table from the services' typed errors to problem types, what each
means and what to do next, and the handlers that answer every error as ``application/problem+json``.

Each problem type URI is ``/problems/<slug>``; ``GET /problems/<slug>`` serves its title and advice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from esledger.core.errors import (
    AlreadyErased,
    CaseExists,
    CaseKindMismatch,
    ConfigurationError,
    Forbidden,
    IdempotencyConflict,
    InvalidArgument,
    LedgerError,
    NotFound,
    PreconditionFailed,
    ProjectionBehind,
    RateLimited,
    StorageUnavailable,
    Unauthenticated,
    Unavailable,
    UnknownCase,
    UnknownEventType,
    ValidationFailed,
    WriteContention,
)

logger = logging.getLogger("esledger.http")
MEDIA_TYPE = "application/problem+json"


# -- errors only the HTTP edge can meet ---------------------------------------------------------------------
class MalformedJSON(LedgerError):
    """The body is not JSON."""


class UnsupportedMediaType(LedgerError):
    """A content type the endpoint does not take."""


class BodyTooLarge(LedgerError):
    """The body is over the configured limit."""


class RequestTimeout(LedgerError):
    """The client stopped sending the request's body."""


class InternalError(LedgerError):
    """Anything unexpected: logged with its traceback; the client learns only that it happened."""


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    advice: str


PROBLEMS: dict[type[LedgerError], ProblemType] = {
    ValidationFailed: ProblemType(
        "validation-failed",
        422,
        "The event does not satisfy the published schema",
        "Fix each field named in 'errors' (pointer, rule) and post again; schemas are under /v1/schemas.",
    ),
    UnknownEventType: ProblemType(
        "unknown-event-type",
        422,
        "Unknown event type",
        "Use one of the types listed by GET /v1/schemas (prefix cn.gov.jingzhou.zfjd.).",
    ),
    MalformedJSON: ProblemType("malformed-json", 400, "The body is not valid JSON", "Send a UTF-8 JSON document."),
    UnsupportedMediaType: ProblemType(
        "unsupported-media-type",
        415,
        "Unsupported content type",
        "Send one event as application/cloudevents+json (or application/json) to /v1/events, or an array as "
        "application/cloudevents-batch+json to /v1/events:batch. Binary mode is not accepted.",
    ),
    BodyTooLarge: ProblemType(
        "body-too-large",
        413,
        "The body exceeds the configured limit",
        "Split the batch into smaller ones (ESLEDGER_MAX_BODY_BYTES sets the limit).",
    ),
    UnknownCase: ProblemType(
        "unknown-case",
        422,
        "The act refers to a case the ledger does not hold",
        "Post the case's opening act first (see 'opening_act'), or correct the subject.",
    ),
    CaseKindMismatch: ProblemType(
        "case-kind-mismatch",
        422,
        "The act does not belong to this kind of case",
        "Check the subject: this act is admitted only on the case kinds listed in 'admitted_kinds'.",
    ),
    CaseExists: ProblemType(
        "case-exists",
        409,
        "The case already exists",
        "An opening act opens a new case; use a new subject, or post a later act to this case.",
    ),
    IdempotencyConflict: ProblemType(
        "idempotency-conflict",
        409,
        "This (source, id) was already used for different content",
        "An event id is unique per source: give a changed act a new id, or correct the record with "
        "case.record_amended.",
    ),
    AlreadyErased: ProblemType(
        "already-erased",
        409,
        "The confidential value was erased already",
        "Nothing was done: the case's timeline holds the case.confidential_erased act that erased it.",
    ),
    PreconditionFailed: ProblemType(
        "precondition-failed",
        412,
        "The case is not at the version given in If-Match",
        "Read the case timeline again (its ETag is the current version) and decide anew.",
    ),
    InvalidArgument: ProblemType(
        "bad-request", 400, "The request is not well-formed", "Correct the request as 'detail' and 'errors' say."
    ),
    Unauthenticated: ProblemType(
        "unauthenticated",
        401,
        "No valid credential",
        "Send Authorization: Bearer <your API key or sign-in token>; a key that was rotated or revoked no longer "
        "works: ask your administrator for a new one.",
    ),
    Forbidden: ProblemType(
        "forbidden",
        403,
        "Your roles do not allow this",
        "Ask your administrator for a grant of one of the roles named in 'detail'.",
    ),
    RateLimited: ProblemType(
        "rate-limited", 429, "Too many requests", "Wait the number of seconds in Retry-After, then send fewer requests."
    ),
    Unavailable: ProblemType(
        "unavailable",
        503,
        "A service this request needs is unavailable",
        "Nothing was done. Retry after the number of seconds in Retry-After.",
    ),
    NotFound: ProblemType("not-found", 404, "Not found", "Check the case id, version or position."),
    StorageUnavailable: ProblemType(
        "database-unavailable",
        503,
        "The database is unavailable",
        "Nothing was stored. Retry after the number of seconds in Retry-After.",
    ),
    ProjectionBehind: ProblemType(
        "projection-behind",
        503,
        "The read model has not yet reached the requested position",
        "Retry after Retry-After seconds; 'position' is where the read model stands now.",
    ),
    WriteContention: ProblemType(
        "write-contention",
        503,
        "The case is being written by many clients at once",
        "Nothing was stored. Retry after the number of seconds in Retry-After.",
    ),
    RequestTimeout: ProblemType(
        "request-timeout",
        408,
        "The request body stopped arriving",
        "Send the body whole, without pauses (ESLEDGER_HTTP_BODY_TIMEOUT_SECONDS is the longest pause).",
    ),
    InternalError: ProblemType(
        "internal-error",
        500,
        "Internal error",
        "The request failed on the server; it is logged with its request. Retry later, or report it.",
    ),
}
TYPES = {t.slug: t for t in PROBLEMS.values()}


def problem_type_of(error_class: type[LedgerError]) -> ProblemType:
    """The problem type of the class's most specific ancestor in the table: what the handlers answer, and
    what the OpenAPI document declares (``esledger.web.openapi``)."""
    for cls in error_class.__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return PROBLEMS[InternalError]


def problem_type(error: LedgerError) -> ProblemType:
    return problem_type_of(type(error))


def problem_body(error: LedgerError, instance: str | None = None) -> dict[str, Any]:
    t = problem_type(error)
    body: dict[str, Any] = {"type": f"/problems/{t.slug}", "title": t.title, "status": t.status, "detail": error.detail}
    if instance:
        body["instance"] = instance
    return body | error.context


def problem_response(error: LedgerError, request: Request) -> Response:
    t = problem_type(error)
    request.state.problem = t.slug  # for the request's log line and the rejected-requests metric
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) else {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="esledger"'  # RFC 6750
    if t.status >= 500:
        logger.error("answered %s %s", t.status, t.slug, extra={"path": request.url.path, "detail": error.detail})
    return Response(
        orjson.dumps(problem_body(error, request.url.path)),
        status_code=t.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def on_error(request: Request, error: LedgerError) -> Response:
        return problem_response(error, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"parameter": ".".join(str(p) for p in e["loc"]), "rule": e["type"], "detail": e["msg"]}
            for e in exc.errors()
        ]
        return problem_response(InvalidArgument("invalid request parameters", errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        error = NotFound(str(exc.detail)) if exc.status_code == 404 else InvalidArgument(str(exc.detail))
        body = problem_body(error, request.url.path) | {"status": exc.status_code}
        request.state.problem = problem_type(error).slug
        return Response(orjson.dumps(body), status_code=exc.status_code, media_type=MEDIA_TYPE, headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error", extra={"path": request.url.path})
        if isinstance(exc, ConfigurationError):
            return problem_response(InternalError(exc.detail), request)
        return problem_response(InternalError("the server failed to answer this request"), request)
