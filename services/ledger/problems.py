"""RFC 9457 problem types: every error the ledger reports, what it means and what to do next.

Each problem type URI is ``/problems/<slug>``; ``GET /problems/<slug>`` serves this text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    advice: str


TYPES = {t.slug: t for t in [
    ProblemType("validation-failed", 422, "The event does not satisfy the published schema",
                "Fix each field named in 'errors' (pointer, rule) and post again; schemas are under /v1/schemas."),
    ProblemType("unknown-event-type", 422, "Unknown event type",
                "Use one of the types listed by GET /v1/schemas (prefix cn.gov.jingzhou.zfjd.)."),
    ProblemType("malformed-json", 400, "The body is not valid JSON", "Send a UTF-8 JSON document."),
    ProblemType("unsupported-media-type", 415, "Unsupported content type",
                "Send one event as application/cloudevents+json (or application/json) to /v1/events, or an "
                "array as application/cloudevents-batch+json to /v1/events:batch. Binary mode is not accepted."),
    ProblemType("body-too-large", 413, "The body exceeds the configured limit",
                "Split the batch into smaller ones (ESLEDGER_MAX_BODY_BYTES sets the limit)."),
    ProblemType("unknown-case", 422, "The act refers to a case the ledger does not hold",
                "Post the case's opening act first (see 'opening_act'), or correct the subject."),
    ProblemType("case-kind-mismatch", 422, "The act does not belong to this kind of case",
                "Check the subject: this act is admitted only on the case kinds listed in 'admitted_kinds'."),
    ProblemType("case-exists", 409, "The case already exists",
                "An opening act opens a new case; use a new subject, or post a later act to this case."),
    ProblemType("idempotency-conflict", 409, "This (source, id) was already used for different content",
                "An event id is unique per source: give a changed act a new id, or correct the record with "
                "case.record_amended."),
    ProblemType("precondition-failed", 412, "The case is not at the version given in If-Match",
                "Read the case timeline again (its ETag is the current version) and decide anew."),
    ProblemType("bad-request", 400, "The request is not well-formed", "Correct the request as 'detail' says."),
    ProblemType("not-found", 404, "Not found", "Check the case id or version."),
    ProblemType("database-unavailable", 503, "The database is unavailable",
                "Nothing was stored. Retry after the number of seconds in Retry-After."),
    ProblemType("projection-behind", 503, "The read model has not yet reached the requested position",
                "Retry after Retry-After seconds; 'position' is where the read model stands now."),
    ProblemType("write-contention", 503, "The case is being written by many clients at once",
                "Nothing was stored. Retry after the number of seconds in Retry-After."),
]}


class Problem(Exception):
    """An error reported to the client as ``application/problem+json``."""

    def __init__(self, slug: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.type = TYPES[slug]
        self.detail = detail
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f"/problems/{self.type.slug}", "title": self.type.title,
                               "status": self.type.status, "detail": self.detail}
        if instance:
            out["instance"] = instance
        return out | self.extensions
