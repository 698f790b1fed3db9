"""HTTP interface of the ledger (FastAPI). Writes are parsed here and executed in a worker thread, since
the eventsourcing library is synchronous; reads are plain ``def`` endpoints for the same reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi import Path as FastAPIPath
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from esledger.access.policy import Permission, Scope
from esledger.core import ijson
from esledger.core.errors import (
    AlreadyErased,
    CaseExists,
    CaseKindMismatch,
    IdempotencyConflict,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    StorageUnavailable,
    UnknownCase,
    UnknownEventType,
    ValidationFailed,
    WriteContention,
)
from esledger.ledger.accesslog import NOT_STATED, Disclosure
from esledger.ledger.appender import Outcome
from esledger.ledger.catalog import ENVELOPE_ID
from esledger.ledger.models import (
    AccessLogEntries,
    BatchItem,
    ErasureRequest,
    EventCatalog,
    Feed,
    LedgerRecord,
    PublishedSchema,
    Timeline,
)
from esledger.ledger.service import LedgerService
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.parameters import BIGGEST, instant
from esledger.web.problems import BodyTooLarge, MalformedJSON, UnsupportedMediaType
from esledger.web.responses import JSON, SchemaJSON

SINGLE_TYPES = ("application/cloudevents+json", "application/json")
BATCH_TYPE = "application/cloudevents-batch+json"

POSTING_ERRORS = (
    UnsupportedMediaType,
    BodyTooLarge,
    MalformedJSON,
    InvalidArgument,
    ValidationFailed,
    UnknownEventType,
    UnknownCase,
    CaseKindMismatch,
    CaseExists,
    IdempotencyConflict,
    StorageUnavailable,
    WriteContention,
    *AUTH_ERRORS,
)
"""What a post can be refused with, single or batch (a single post can also fail its If-Match: 412)."""
READING_ERRORS = (InvalidArgument, NotFound, StorageUnavailable, *AUTH_ERRORS)
"""What a read of a case can answer besides its body: a bad parameter, no such case or version, no database."""
_ETAG = {"ETag": {"description": "the case version, quoted", "schema": {"type": "string"}}}
MAX_PURPOSE = 1000
Purpose = Annotated[
    str | None,
    Header(
        alias="X-Purpose",
        description="why you read (UTF-8, percent-encoded where not ASCII): recorded in the access log with every "
        "read that shows you a confidential value",
    ),
]
_RECORDED = {
    "model": LedgerRecord,
    "headers": _ETAG | {"Location": {"description": "the record's URL", "schema": {"type": "string"}}},
}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {declared} exceeds the limit of {limit} bytes", limit=limit)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge(f"the body exceeds the limit of {limit} bytes", limit=limit)
    try:
        return ijson.loads(chunks)
    except ijson.SyntaxProblem as exc:
        raise MalformedJSON(f"the body is not valid JSON: {exc}") from None


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidArgument(
            f'If-Match must be a case version such as "3" (0: the case must not exist yet), got {value!r}',
            errors=[{"header": "If-Match", "rule": "format"}],
        )
    return int(text)


def _disclosure(request: Request, purpose: str | None) -> Disclosure:
    """The endpoint and the stated purpose of a read, for the access log."""
    try:
        stated = unquote(purpose, errors="strict").strip() if purpose is not None else ""
        text = not (ijson.FORBIDDEN.search(stated) or any(c in stated for c in "\t\n\r\ufffd"))
    except UnicodeDecodeError:
        text = False
    if not text:
        raise InvalidArgument(
            "X-Purpose must be text (percent-encoded UTF-8, e.g. %E5%A4%8D%E6%A0%B8 for 复核) with no control, "
            "bidirectional or replacement characters",
            errors=[{"header": "X-Purpose", "rule": "character"}],
        )
    if len(stated) > MAX_PURPOSE:
        raise InvalidArgument(
            f"X-Purpose is limited to {MAX_PURPOSE} characters", errors=[{"header": "X-Purpose", "rule": "maxLength"}]
        )
    return Disclosure(f"{request.method} {request.url.path}", stated or NOT_STATED)


def _single(outcome: Outcome) -> Response:
    record = outcome.record
    headers = {
        "ETag": f'"{record.case_version}"',
        "Location": f"/v1/cases/{quote(record.case_id, safe='')}/events/{record.case_version}",
    }
    return JSON(record.to_json(), status_code=201 if outcome.created else 200, headers=headers)


def ledger_router(ledger: LedgerService, max_body_bytes: int, max_batch_events: int) -> APIRouter:
    """The ledger's routes: posting acts and reading history."""
    app = APIRouter()
    envelope = ledger.catalog.registry.contents(ENVELOPE_ID)
    single_body = {"requestBody": {"required": True, "content": {t: {"schema": envelope} for t in SINGLE_TYPES}}}
    batch_body = {
        "requestBody": {
            "required": True,
            "content": {BATCH_TYPE: {"schema": {"type": "array", "minItems": 1, "items": envelope}}},
        }
    }

    @app.post(
        "/v1/events",
        status_code=201,
        summary="Record one supervisory act (CloudEvent, structured mode)",
        openapi_extra=single_body,
        responses={
            201: _RECORDED | {"description": "Recorded"},
            200: _RECORDED | {"description": "Already recorded with the same content: the original record"},
            **problem_responses(*POSTING_ERRORS, PreconditionFailed),
        },
    )
    async def post_event(
        request: Request,
        scope: Annotated[Scope, requires(Permission.POST_EVENTS)],
        if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    ) -> Response:
        if _media_type(request) not in SINGLE_TYPES:
            raise UnsupportedMediaType(
                f"Content-Type {_media_type(request) or '(none)'!r}: send one of {list(SINGLE_TYPES)}"
            )
        event = await _read_body(request, max_body_bytes)
        expected = _if_match(if_match)
        [outcome] = await run_in_threadpool(ledger.post, [event], scope, batch=False, expected_version=expected)
        request.state.case_id = event["subject"]  # for the request's log line: valid, since it was recorded
        return _single(outcome)

    @app.post(
        "/v1/events:batch",
        status_code=201,
        summary="Record a batch of acts, all or nothing",
        openapi_extra=batch_body,
        responses={
            201: {"model": list[BatchItem], "description": "Recorded (at least one event was new)"},
            200: {"model": list[BatchItem], "description": "Every event was already recorded with the same content"},
            **problem_responses(*POSTING_ERRORS),
        },
    )
    async def post_batch(
        request: Request,
        scope: Annotated[Scope, requires(Permission.POST_EVENTS)],
        if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    ) -> Response:
        if _media_type(request) != BATCH_TYPE:
            raise UnsupportedMediaType(
                f"Content-Type {_media_type(request) or '(none)'!r}: a batch is sent as {BATCH_TYPE!r}"
            )
        if if_match is not None:
            raise InvalidArgument(
                "If-Match applies to a single event; post the event alone to use it",
                errors=[{"header": "If-Match", "rule": "single-event-only"}],
            )
        events = await _read_body(request, max_body_bytes)
        if not isinstance(events, list) or not events or len(events) > max_batch_events:
            raise ValidationFailed(
                f"a batch is a JSON array of 1 to {max_batch_events} CloudEvents",
                errors=[
                    {"pointer": "#", "rule": "batch", "detail": f"expected an array of 1..{max_batch_events} events"}
                ],
            )
        outcomes = await run_in_threadpool(ledger.post, events, scope, batch=True)
        status = 201 if any(o.created for o in outcomes) else 200
        return JSON(
            [{"outcome": "created" if o.created else "duplicate", "record": o.record.to_json()} for o in outcomes],
            status_code=status,
        )

    @app.get(
        "/v1/cases/{case_id}/events",
        summary="A case's timeline in version order, with its chain check",
        responses={200: {"model": Timeline, "headers": _ETAG}, **problem_responses(*READING_ERRORS)},
    )
    def get_timeline(
        request: Request,
        case_id: str,
        scope: Annotated[Scope, requires(Permission.READ_HISTORY)],
        purpose: Purpose = None,
        recorded_before: Annotated[
            datetime | None,
            Query(
                description="only records stored strictly before this instant (timezone required): "
                "the timeline as the ledger knew it then"
            ),
        ] = None,
    ) -> Response:
        before = instant(recorded_before, "recorded_before")
        records, chain = ledger.timeline(case_id, scope, _disclosure(request, purpose), before)
        full = [r.to_json() for r in records]
        return JSON(
            {
                "case_id": case_id,
                "case_kind": records[0].case_kind if records else None,
                "version": len(full),
                "chain": chain.to_json(),
                "records": full,
            },
            headers={"ETag": f'"{len(full)}"'},
        )

    @app.get(
        "/v1/cases/{case_id}/events/{version}",
        summary="One record of a case",
        responses={200: {"model": LedgerRecord}, **problem_responses(*READING_ERRORS)},
    )
    def get_record(
        request: Request,
        case_id: str,
        version: Annotated[int, FastAPIPath(ge=1, le=BIGGEST)],
        scope: Annotated[Scope, requires(Permission.READ_HISTORY)],
        purpose: Purpose = None,
    ) -> Response:
        return JSON(ledger.record(case_id, version, scope, _disclosure(request, purpose)).to_json())

    @app.get(
        "/v1/events",
        summary="The global feed in commit order, for followers and export",
        responses={200: {"model": Feed}, **problem_responses(InvalidArgument, StorageUnavailable, *AUTH_ERRORS)},
    )
    def get_feed(
        request: Request,
        scope: Annotated[Scope, requires(Permission.READ_FEED)],
        after: Annotated[int, Query(ge=0, le=BIGGEST, description="last position already seen")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        reveal: Annotated[
            bool,
            Query(
                description="show confidential values beside the sealed events (logged in the access log); "
                "followers and exports leave it off"
            ),
        ] = False,
        purpose: Purpose = None,
    ) -> Response:
        records, head = ledger.feed(after, limit, (scope, _disclosure(request, purpose)) if reveal else None)
        next_after = records[-1].position if records else after
        return JSON({"records": [r.to_json() for r in records], "next_after": next_after, "head": head})

    @app.post(
        "/v1/cases/{case_id}/erasures",
        status_code=201,
        summary="Erase one confidential value (a court order, retention expiry); every hash stays verifiable",
        responses={
            201: _RECORDED | {"description": "Erased: the case.confidential_erased record"},
            **problem_responses(
                InvalidArgument, NotFound, AlreadyErased, StorageUnavailable, WriteContention, *AUTH_ERRORS
            ),
        },
    )
    async def erase(
        case_id: str, scope: Annotated[Scope, requires(Permission.ERASE)], body: Annotated[ErasureRequest, Body()]
    ) -> Response:
        outcome = await run_in_threadpool(
            ledger.erase, case_id, body.target_version, body.pointer, scope, body.reason, body.authority
        )
        return _single(outcome)

    @app.get(
        "/v1/access-log",
        summary="Every read that showed a confidential value: who, when, which values, through what, and why",
        responses={
            200: {"model": AccessLogEntries},
            **problem_responses(InvalidArgument, StorageUnavailable, *AUTH_ERRORS),
        },
    )
    def get_access_log(
        _: Annotated[Scope, requires(Permission.READ_ACCESS_LOG)],
        case_id: Annotated[str | None, Query(description="reads that showed values of this case")] = None,
        principal: Annotated[str | None, Query(description="reads by this principal (its recorded_by)")] = None,
        after: Annotated[datetime | None, Query(description="recorded strictly after (timezone required)")] = None,
        before: Annotated[datetime | None, Query(description="recorded strictly before (timezone required)")] = None,
    ) -> Response:
        entries = ledger.access_log.entries(case_id, principal, instant(after, "after"), instant(before, "before"))
        return JSON({"entries": entries})

    @app.get(
        "/v1/schemas",
        summary="The event catalog: types, case kinds, schema ids",
        responses={200: {"model": EventCatalog}},
    )
    def get_catalog() -> Response:
        return JSON(
            {
                "type_prefix": ledger.catalog.type_prefix,
                "acts": {
                    a.name: {
                        "type": a.type,
                        "title": a.title,
                        "articles": list(a.articles),
                        "tiaoli_articles": list(a.tiaoli_articles),
                        "case_kinds": sorted(a.case_kinds),
                        "opens_case_kind": a.opens,
                        "internal": a.internal,
                        "current_version": a.current_version,
                        "schemas": {str(v): f"/v1/schemas/{i}" for v, i in a.schema_ids.items()},
                    }
                    for a in ledger.catalog.acts.values()
                },
            }
        )

    @app.get(
        "/v1/schemas/{schema_id}",
        summary="One published JSON Schema, by its $id",
        response_class=SchemaJSON,
        responses={200: {"model": PublishedSchema}, **problem_responses(NotFound)},
    )
    def get_schema(schema_id: str) -> Response:
        try:
            return SchemaJSON(ledger.catalog.registry.contents(schema_id))
        except LookupError:
            raise NotFound(f"no schema {schema_id!r}") from None

    return app
