"""The console's only way to the data: the service's own HTTP API, called in-process (ASGI, no socket) with
the signed-in person's credential. Every page is therefore exactly what the API gives that principal —
authentication, roles, scope, redaction and rate limits included — and the console adds no route around them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import orjson
from starlette.types import ASGIApp

from esledger.cli.posting import auth

PAGE = 1000
"""Rows per API page when the console reads a whole list (the API's own maximum)."""


class ApiError(Exception):
    """The API refused or failed: its status and problem+json, for the page to show (or to sign in again)."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or status))
        self.status = status
        self.problem = dict(problem)

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.problem.get("errors", []) if isinstance(e, dict)]


class ApiClient:
    """The API as one principal sees it. ``credential`` is the bearer credential (API key or SSO token) the
    person signed in with, or None (only useful where authentication is switched off for development)."""

    def __init__(self, app: ASGIApp, credential: str | None, client_host: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(client_host, 0))
        self._client = httpx.AsyncClient(
            transport=transport, base_url="http://esledger.console", headers=auth(credential), timeout=60.0
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client (bound to the service, carrying the credential), for shared helpers."""
        return self._client

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def response(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """A GET answered 2xx (any media type); anything else raises ``ApiError``."""
        answer = await self._client.get(path, params={k: v for k, v in (params or {}).items() if v not in (None, "")})
        if answer.status_code >= 300:
            raise ApiError(answer.status_code, _problem(answer))
        return answer

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return orjson.loads((await self.response(path, params)).content)

    async def me(self) -> dict[str, Any]:
        """Who the credential belongs to (``GET /v1/me``): a page's first call, so a stale sign-in is a 401."""
        me: dict[str, Any] = await self.get("/v1/me")
        return me

    async def optional(self, path: str, params: Mapping[str, Any] | None = None, *, allowed: bool = True) -> Any | None:
        """A GET whose refusal (no permission, nothing there) is an answer too: None; not asked at all when
        the principal's roles do not allow it (``allowed``)."""
        if not allowed:
            return None
        try:
            return await self.get(path, params)
        except ApiError as exc:
            if exc.status in (403, 404):
                return None
            raise

    async def rows(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, cap: int | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Every row of a list, following ``next`` (at most ``cap`` rows); and whether rows were left out."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.get(path, {**(params or {}), "limit": PAGE, "cursor": cursor})
            found += page[key]
            cursor = page.get("next")
            if cursor is None:
                return found, False
            if cap is not None and len(found) >= cap:
                return found[:cap], True

    async def pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, cursor: str | None = None
    ) -> AsyncIterator[list[Any]]:
        """The rows of a list page by page (for exports that must not hold the whole list), from ``cursor``
        (a page's ``next``) or the first."""
        while True:
            page = await self.get(path, {**(params or {}), "limit": PAGE, "cursor": cursor})
            yield page[key]
            cursor = page.get("next")
            if cursor is None:
                return

    async def post_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Record one act (CloudEvent, structured mode); the ledger's record, or ``ApiError`` (422 names the
        fields and rules it refused)."""
        answer = await self._client.post(
            "/v1/events", content=orjson.dumps(event), headers={"Content-Type": "application/cloudevents+json"}
        )
        if answer.status_code not in (200, 201):
            raise ApiError(answer.status_code, _problem(answer))
        result: dict[str, Any] = orjson.loads(answer.content)
        return result


def _problem(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        return {"status": answer.status_code, "detail": answer.text[:500]}
    return body if isinstance(body, dict) else {"status": answer.status_code, "detail": str(body)}
