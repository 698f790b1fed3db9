"""One log line per HTTP request (logger ``esledger.request``): request id, principal, method, route template,
case id, status, problem type and duration — what an operator needs to follow a request through the logs.

Never a confidential value: no query string, no header but the request id, no body; the case id is the path
parameter, or the subject of an event once the ledger recorded it (so it passed the identifier grammar). The
request id is the client's ``X-Request-Id`` when it is a sane token, otherwise a new one; the response echoes
it, so a client can quote it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("esledger.request")
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
"""A client's request id we repeat: a short token, nothing a log reader or a header could misread."""
UNMATCHED = "(unmatched)"
"""The route of a request no route matched: its raw path is not a label (unbounded, and a client's text)."""


@dataclass(frozen=True)
class Finished:
    """A request as answered: what the log line and the HTTP metrics record."""

    request_id: str
    method: str
    route: str
    status: int
    problem: str | None
    principal: str | None
    case_id: str | None
    seconds: float


class RequestLog:
    """ASGI middleware: log each request as it finishes and tell ``observers`` (the metrics)."""

    def __init__(self, app: ASGIApp, observers: Sequence[Callable[[Finished], None]] = ()) -> None:
        self.app = app
        self.observers = observers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = Headers(scope=scope).get("x-request-id")
        request_id = given if given is not None and REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500  # answered by the outermost handler, which logs the traceback
            state.setdefault("problem", "internal-error")
            raise
        finally:
            route = scope.get("route")
            params = scope.get("path_params") or {}
            done = Finished(
                request_id=request_id,
                method=scope["method"],
                route=getattr(route, "path", UNMATCHED),
                status=status,
                problem=state.get("problem"),
                principal=state.get("principal"),
                case_id=params.get("case_id") or state.get("case_id"),
                seconds=round(time.perf_counter() - started, 6),
            )
            logger.info("%s %s %s", done.method, done.route, done.status, extra=asdict(done))
            for observe in self.observers:
                observe(done)
