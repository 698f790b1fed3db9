"""HTTP interface of the principals' administration (the admin role): register, list, change grants,
rotate keys, revoke. Every change is an act in the ledger recorded by the acting administrator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from esledger.access.models import (
    GrantModel,
    Grants,
    Me,
    NewPrincipal,
    PrincipalList,
    PrincipalModel,
    Revocation,
    WithKey,
)
from esledger.access.policy import Permission, Scope
from esledger.access.registry import PrincipalRegistry
from esledger.core.errors import InvalidArgument, NotFound, StorageUnavailable
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.responses import JSON

Admin = Annotated[Scope, requires(Permission.MANAGE_PRINCIPALS)]
ERRORS = problem_responses(InvalidArgument, NotFound, StorageUnavailable, *AUTH_ERRORS)


def _grants(grants: list[GrantModel]) -> list[dict[str, object]]:
    return [g.model_dump(exclude_none=True) for g in grants]


def principals_router(registry: PrincipalRegistry) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/v1/me",
        summary="Who the credential belongs to: its principal, roles and grants",
        responses={200: {"model": Me}, **problem_responses(*AUTH_ERRORS)},
    )
    def me(scope: Annotated[Scope, requires(Permission.IDENTIFY)]) -> Response:
        p = scope.principal
        return JSON({"id": p.id, "name": p.name, "roles": p.roles, "grants": [g.to_json() for g in p.grants]})

    @router.get(
        "/v1/principals",
        summary="Every principal, with its grants and history",
        responses={200: {"model": PrincipalList}, **ERRORS},
    )
    def list_principals(_: Admin) -> Response:
        return JSON({"principals": [p.to_json() for p in registry.list()]})

    @router.post(
        "/v1/principals",
        status_code=201,
        summary="Register a principal; its API key is shown once",
        responses={201: {"model": WithKey}, **ERRORS},
    )
    async def register(scope: Admin, body: Annotated[NewPrincipal, Body()]) -> Response:
        state, key = await run_in_threadpool(
            registry.register, scope.principal, body.name, _grants(body.grants), body.display_name
        )
        return JSON(
            {"principal": state.to_json(), "key": key},
            status_code=201,
            headers={"Location": f"/v1/principals/{state.name}"},
        )

    @router.get("/v1/principals/{name}", summary="One principal", responses={200: {"model": PrincipalModel}, **ERRORS})
    def get_principal(name: str, _: Admin) -> Response:
        state = registry.get(name)
        assert state is not None
        return JSON(state.to_json())

    @router.put(
        "/v1/principals/{name}/grants",
        summary="Replace a principal's grants",
        responses={200: {"model": PrincipalModel}, **ERRORS},
    )
    async def change_grants(name: str, scope: Admin, body: Annotated[Grants, Body()]) -> Response:
        state = await run_in_threadpool(registry.change_grants, scope.principal, name, _grants(body.grants))
        return JSON(state.to_json())

    @router.post(
        "/v1/principals/{name}/key",
        summary="Rotate a principal's key; the old key stops working",
        responses={200: {"model": WithKey}, **ERRORS},
    )
    async def rotate(name: str, scope: Admin) -> Response:
        state, key = await run_in_threadpool(registry.rotate, scope.principal, name)
        return JSON({"principal": state.to_json(), "key": key})

    @router.post(
        "/v1/principals/{name}/revocation",
        summary="Revoke a principal; its key stops working",
        responses={200: {"model": PrincipalModel}, **ERRORS},
    )
    async def revoke(name: str, scope: Admin, body: Annotated[Revocation, Body()]) -> Response:
        state = await run_in_threadpool(registry.revoke, scope.principal, name, body.reason)
        return JSON(state.to_json())

    return router
