"""The server closes connections that do not send a request in time, answers a stalled body 408, and closes
idle keep-alive connections: a client cannot hold connections open for nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from esledger.web.server import config
from tests.helpers import TESTER, TESTER_GRANTS, key_for


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, str]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/l.sqlite3",
        dev_key_file=tmp_path / "k",
        http_header_timeout_seconds=0.5,
        http_body_timeout_seconds=0.5,
        http_keepalive_seconds=1,
    )
    port = _port()
    system = bootstrap(settings)
    server = uvicorn.Server(config(create_app(system), "127.0.0.1", port, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield port, key_for(system, TESTER, TESTER_GRANTS)
    server.should_exit = True
    thread.join(10)


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing the connection, or None if it was still open after ``seconds``."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return None
    return received


def test_a_connection_that_sends_nothing_is_closed(served: tuple[int, str]) -> None:
    with socket.create_connection(("127.0.0.1", served[0])) as sock:
        started = time.monotonic()
        assert _closed_within(sock, 5) == b""
        assert time.monotonic() - started < 3


def test_a_request_whose_headers_never_end_is_closed(served: tuple[int, str]) -> None:
    with socket.create_connection(("127.0.0.1", served[0])) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line: the headers never end
        time.sleep(0.2)
        sock.sendall(b"X-Slow: 1\r\n")
        assert _closed_within(sock, 5) == b""


def test_a_stalled_body_is_answered_408(served: tuple[int, str]) -> None:
    port, key = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n"
            b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = _closed_within(sock, 5) or b""
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"/problems/request-timeout" in answer


def test_an_idle_keep_alive_connection_is_closed_after_a_response(served: tuple[int, str]) -> None:
    with socket.create_connection(("127.0.0.1", served[0])) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _closed_within(sock, 5)
    assert answer is not None and answer.startswith(b"HTTP/1.1 200")
