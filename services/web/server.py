"""The HTTP server around the app, with the limits a service facing untrusted clients needs: a connection that
does not send a request's headers within ``http_header_timeout_seconds`` (idle, or half-sent) is closed; a
body that stalls for ``http_body_timeout_seconds`` between chunks is answered 408; an idle keep-alive
connection is closed after ``http_keepalive_seconds``; and beyond ``http_max_concurrency`` connections and
requests at once the server answers 503 at once instead of queueing without bound.

uvicorn closes idle connections only after a response, so the header deadline is added to its HTTP/1.1
protocol here; the body deadline is an ASGI middleware, so it answers as the app does (problem+json).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from esledger.settings import Settings
from esledger.web.problems import RequestTimeout


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection that has not sent a request's headers in time."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout, self._expire)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a request's headers arrived: the app (and the body deadline) takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # waiting for the next request: uvicorn's keep-alive timeout applies

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()


class BodyDeadline:
    """ASGI middleware: each chunk of a request body must arrive within ``timeout`` seconds."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def timed() -> Message:
            try:
                return await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body stalled for {self.timeout:g} s; send it whole, without pauses"
                ) from None

        await self.app(scope, timed, send)


def config(app: Any, host: str, port: int, settings: Settings) -> uvicorn.Config:
    """The server's configuration: the app behind the body deadline, the protocol with the header deadline."""
    protocol = type("Protocol", (HeaderDeadline,), {"header_timeout": settings.http_header_timeout_seconds})
    return uvicorn.Config(
        BodyDeadline(app, settings.http_body_timeout_seconds),
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=int(settings.http_keepalive_seconds),
        limit_concurrency=settings.http_max_concurrency,
        log_config=None,
    )
