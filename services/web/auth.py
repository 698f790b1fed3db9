"""Authentication at the HTTP edge: every route states, with ``requires(Permission)``, which roles may call
it; the dependency authenticates the request's bearer credential, counts the request against the principal's
rate limit, refuses a principal holding none of those roles (403), and hands the route the principal's
``Scope`` within the operation (only the grants of those roles count). Routes without it are public
(liveness, problem types, the published schemas); the access-matrix test refuses any other route that lacks
one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from esledger.access.policy import PERMISSIONS, Permission, Scope
from esledger.core.errors import Forbidden, RateLimited, StorageUnavailable, Unauthenticated, Unavailable

PUBLIC = frozenset(
    {
        "/healthz",
        "/readyz",
        "/problems/{slug}",
        "/v1/schemas",
        "/v1/schemas/{schema_id}",
        "/v1/checkpoints/key",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
    }
)
"""The routes anyone may call: nothing in them is about a case or a principal (the log's public key is meant
to be published; readiness says only ready or not)."""


AUTH_ERRORS = (Unauthenticated, Forbidden, RateLimited, StorageUnavailable, Unavailable)
"""What any protected route can answer before it does anything: 401, 403, 429, and 503 when the credential
cannot be checked (the principals' records, or the sign-in provider's keys, do not answer)."""


def requires(permission: Permission) -> Any:
    """A route parameter ``scope: Annotated[Scope, requires(Permission.X)]``."""
    roles = PERMISSIONS[permission]

    async def authorize(request: Request) -> Scope:
        system = request.app.state.system
        client = request.client.host if request.client else "unknown"
        principal = await run_in_threadpool(system.access.authenticate, request.headers.get("authorization"), client)
        request.state.principal = principal.id
        system.access.admit(principal)  # every request counts, those refused below included
        if not principal.has(*roles):
            raise Forbidden(
                f"{permission.value} needs one of the roles {', '.join(sorted(roles))}; "
                f"{principal.id!r} holds {', '.join(principal.roles) or 'none'}",
                permission=permission.value,
            )
        return system.access.scope(principal, roles)

    authorize.permission = permission  # type: ignore[attr-defined]  # read by the OpenAPI document and tests
    return Depends(authorize)


def api_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of an app, through the routers it includes (FastAPI keeps those as wrappers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)
        else:
            yield route


def permission_of(route: Any) -> Permission | None:
    """The permission a route requires (None: a public route)."""
    for dependency in getattr(getattr(route, "dependant", None), "dependencies", []):
        found = getattr(dependency.call, "permission", None)
        if found is not None:
            return found
    return None
