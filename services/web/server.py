"""The HTTP server around the app, with the limits a service facing untrusted clients needs: a connection that
does not send a request's headers within ``http_header_timeout_seconds`` (idle, or half-sent) is closed; a
body that stalls for ``http_body_timeout_seconds`` between chunks is answered 408; an idle keep-alive
connection is closed after ``http_keepalive_seconds``; and beyond ``http_max_concurrency`` connections and
requests at once the server answers 503 at once instead of queueing without bound.

uvicorn closes idle connections only after a response, so the header deadline is added to its HTTP/1.1
protocol here; the body deadline is an ASGI middleware, so it answers as the app does (problem+json).

``serve_workers`` runs N API processes on one listening socket (uvicorn's supervisor, which restarts a
worker that dies); they carry no followers, so the followers run once, in the calling process.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from esledger.bootstrap import Role, bootstrap
from esledger.core.logs import configure_logging
from esledger.settings import Settings
from esledger.web.app import create_app
from esledger.web.problems import RequestTimeout


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with the header deadline: a module-level class, so a worker process can be
    spawned with it (it is pickled)."""

    header_timeout: float = 10.0


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection that has not sent a request's headers in time."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        timeout = self.config.header_timeout if isinstance(self.config, ServerConfig) else ServerConfig.header_timeout
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(timeout, self._expire)

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
    return _config(BodyDeadline(app, settings.http_body_timeout_seconds), host, port, settings)


def _config(app: Any, host: str, port: int, settings: Settings, **more: Any) -> ServerConfig:
    server = ServerConfig(
        app,
        host=host,
        port=port,
        http=HeaderDeadline,
        timeout_keep_alive=int(settings.http_keepalive_seconds),
        limit_concurrency=settings.http_max_concurrency,
        log_config=None,
        **more,
    )
    server.header_timeout = settings.http_header_timeout_seconds
    return server


def serve_workers(
    role: Role, settings: Settings, host: str, port: int, workers: int, announce: Callable[[str], None]
) -> None:
    """Serve the role's API from ``workers`` processes until a signal stops them (each builds its own parts,
    without followers); ``announce`` tells the operator's key if a worker's start registers it."""
    app = functools.partial(worker_app, role, settings, announce)
    server = _config(app, host, port, settings, factory=True, workers=workers)
    Multiprocess(server, sockets=[server.bind_socket()]).run()


def worker_app(role: Role, settings: Settings, announce: Callable[[str], None]) -> ASGIApp:
    """The app of one worker process (called there, by uvicorn)."""
    configure_logging(settings.logging_format, settings.logging_level)
    system = bootstrap(settings, role=role, follow=False)
    system.announce = announce
    return BodyDeadline(create_app(system), settings.http_body_timeout_seconds)
