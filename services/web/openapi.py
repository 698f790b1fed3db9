"""What ``/openapi.json`` says about the answers: a schema for every success body and every problem+json error
a route can really return, and nothing it cannot (no FastAPI 422 "Validation Error").

Handlers return their own ``Response`` (orjson, never validated on the hot path), so FastAPI infers no body
schema. Routes therefore declare their answers in ``responses=``:

- success bodies as ``{status: {"model": M}}``, M a pydantic model used only for documentation. FastAPI never
  validates or filters anything against a ``responses`` model, whereas ``response_model`` would validate any
  non-``Response`` return, and names one status only (``POST /v1/events`` answers 201 and 200 with one body).
  Other media types are added under ``content`` (``text/csv``) or come from the route's ``response_class``
  (``text/plain``, ``application/schema+json``);
- errors as ``problem_responses(NotFound, ...)``: the statuses and problem types come from ``PROBLEMS``, the
  table the handlers answer from, so the document cannot drift from the answers;
- ``UNEXPECTED`` (``default``: 500 internal-error), declared once on the app for every operation. FastAPI adds
  its 422 and the ``HTTPValidationError`` schemas only to operations declaring no 422, ``4XX`` or ``default``
  response, so this also keeps them out; bad parameters are answered 400 ``bad-request``.

``install_openapi`` adds the ``Problem`` schemas the error responses refer to: FastAPI registers a
``responses`` model only under the route's own media type, never under ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.constants import REF_PREFIX
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from esledger.core.errors import LedgerError, Unavailable
from esledger.web.problems import MEDIA_TYPE, InternalError, ProblemType, problem_type_of


class DocModel(BaseModel):
    """A documented JSON body. Every key is declared (``additionalProperties: false``), so a key added to an
    answer but not to its documentation fails the conformance test (tests/test_openapi.py)."""

    model_config = ConfigDict(extra="forbid")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omitted(description: str) -> Any:
    """A key the body leaves out when it does not apply, rather than writing null: not required, no default."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


# -- problem+json ---------------------------------------------------------------------------------------------
class ProblemError(DocModel):
    """One failed field, parameter or header, and the rule it broke."""

    pointer: str = omitted("JSON Pointer (URI fragment) of the failing field in the posted body, e.g. #/data/unit")
    parameter: str = omitted("the failing parameter, e.g. query.limit or recorded_before")
    header: str = omitted("the failing header, e.g. If-Match")
    rule: str = Field(description="the JSON Schema keyword or ledger rule that failed, e.g. required, not-in-future")
    detail: str = omitted("what is wrong, for people")


class Problem(BaseModel):
    """RFC 9457 problem details. ``type`` is ``/problems/<slug>`` (GET it for the advice); the extension
    members carry the facts a client acts on, present only where they apply."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="the problem type, /problems/<slug>")
    title: str
    status: int
    detail: str = Field(description="what happened, and what to do")
    instance: str = Field(description="the request path")
    errors: list[ProblemError] = omitted("each failing field, parameter or header")
    case_id: str = omitted("the case concerned")
    case_version: int = omitted(
        "idempotency-conflict: the version that recorded this (source, id); already-erased: the version whose "
        "value it was"
    )
    current_version: int = omitted("precondition-failed: the case's version now")
    case_kind: str = omitted("case-exists, case-kind-mismatch: the kind of the named case")
    admitted_kinds: list[str] = omitted("case-kind-mismatch: the case kinds the act is admitted on")
    opening_act: list[str] = omitted("unknown-case: the acts that open a case this act is admitted on")
    retry_after: int = omitted("503: seconds to wait before retrying, as in the Retry-After header")
    position: int = omitted("projection-behind: the read model's position now")
    min_position: int = omitted("projection-behind: the position asked for")
    limit: int = omitted("body-too-large: the limit in bytes")


_RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}


def _problem_response(types: list[ProblemType], retry: bool) -> dict[str, Any]:
    """One response object: the Problem schema narrowed to these types (all of one status)."""
    schema = {
        "allOf": [
            {"$ref": f"{REF_PREFIX}{Problem.__name__}"},
            {
                "properties": {
                    "type": {"enum": [f"/problems/{t.slug}" for t in types]},
                    "status": {"const": types[0].status},
                }
            },
        ]
    }
    response: dict[str, Any] = {
        "description": "; ".join(f"`{t.slug}`: {t.title}" for t in types),
        "content": {MEDIA_TYPE: {"schema": schema}},
    }
    if retry:
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


def problem_responses(*errors: type[LedgerError]) -> dict[int | str, dict[str, Any]]:
    """``{status: response}`` for the problem types the handlers answer these errors with, grouped by status,
    e.g. ``problem_responses(NotFound, InvalidArgument)`` -> ``{404: ..., 400: ...}``."""
    by_status: dict[int, dict[ProblemType, None]] = {}
    retry: set[int] = set()
    for error in errors:
        kind = problem_type_of(error)
        by_status.setdefault(kind.status, {})[kind] = None
        if issubclass(error, Unavailable):
            retry.add(kind.status)
    return {status: _problem_response(list(kinds), status in retry) for status, kinds in sorted(by_status.items())}


UNEXPECTED: dict[int | str, dict[str, Any]] = {
    "default": _problem_response([problem_type_of(InternalError)], retry=False)
}
"""Every operation's answer to an unexpected failure (500 internal-error); see the module docstring."""


def install_openapi(app: FastAPI) -> None:
    """Add, once, when the document is first generated: the Problem schemas the error responses refer to, the
    bearer security scheme, and for each operation the roles that may call it (``x-access``; public
    operations carry ``security: []``)."""
    from esledger.access.policy import PERMISSIONS
    from esledger.web.auth import api_routes, permission_of

    generate: Callable[[], dict[str, Any]] = app.openapi
    _, definitions = models_json_schema([(Problem, "serialization")], ref_template=REF_PREFIX + "{model}")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # FastAPI keeps it as app.openapi_schema: the additions below are made once
        components = document.setdefault("components", {})
        components.setdefault("schemas", {}).update(definitions["$defs"])
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "an esledger API key (esl_…) or a "
                "sign-in token (JWT) of the configured OpenID Connect provider",
            }
        }
        for route in api_routes(app.routes):
            for method in getattr(route, "methods", ()) or ():
                operation = document["paths"].get(getattr(route, "path", ""), {}).get(method.lower())
                if operation is None:
                    continue
                permission = permission_of(route)
                if permission is None:
                    operation["security"] = []
                else:
                    operation["security"] = [{"bearer": []}]
                    operation["x-access"] = {"permission": permission.value, "roles": sorted(PERMISSIONS[permission])}
        return document

    app.openapi = openapi  # type: ignore[method-assign]
