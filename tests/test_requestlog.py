"""One JSON log line per request (request id, principal, route, case id, status, problem, duration), and never
a confidential value in any log line, whatever the request carried."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from esledger.bootstrap import bootstrap
from esledger.core.logs import configure_logging
from esledger.settings import Settings
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, CE, TESTER, asgi_client, body, received

NAME = "欧阳保密人"
ID_NUMBER = "42100219990101777X"
CONTACT = "13900001111"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every logger as JSON lines, at DEBUG, as a deployment with ESLEDGER_LOGGING_FORMAT=json does (into a
    buffer instead of stderr). The test's own HTTP client (httpx, which logs the URLs it requests) is not
    the service, so it is left out."""
    root, client = logging.getLogger(), logging.getLogger("httpx")
    saved = root.handlers[:], root.level, client.level
    configure_logging("json", "DEBUG")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    client.setLevel(logging.WARNING)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    client.setLevel(saved[2])


async def test_each_request_is_one_line_and_no_confidential_value_is_logged(
    settings: Settings, clock: FakeClock, json_logs: io.StringIO
) -> None:
    clock.set(AFTER_EXAMPLES)
    event = received("GR-LOG-1")
    event["data"]["complainant"] = {"kind": "natural_person", "name": NAME, "id_number": ID_NUMBER, "contact": CONTACT}
    async with asgi_client(bootstrap(settings, clock=clock, follow=False)) as client:
        posted = await client.post("/v1/events", content=body(event), headers=CE | {"X-Request-Id": "upstream-42.a"})
        assert posted.status_code == 201 and posted.headers["X-Request-Id"] == "upstream-42.a"
        # A repeat, an invalid copy naming the values elsewhere, reading them back, erasing them.
        assert (await client.post("/v1/events", content=body(event), headers=CE)).status_code == 200
        bad = received("GR-LOG-2") | {"summary": NAME}
        bad["data"]["complainant"] = {"kind": "natural_person", "name": NAME, "id_number": [ID_NUMBER]}
        assert (await client.post("/v1/events", content=body(bad), headers=CE)).status_code == 422
        reveal = {"reveal": "true", "q": ID_NUMBER}
        purpose = {"X-Purpose": f"check {ID_NUMBER}"}
        shown = await client.get("/v1/cases/GR-LOG-1/events", params=reveal, headers=purpose)
        assert shown.status_code == 200 and NAME in shown.text
        erasure = {"target_version": 1, "pointer": "/data/complainant", "reason": f"retention of {NAME} over"}
        erased = await client.post("/v1/cases/GR-LOG-1/erasures", json=erasure, headers={"X-Request-Id": "a b"})
        assert erased.status_code == 201
        assert erased.headers["X-Request-Id"] != "a b" and len(erased.headers["X-Request-Id"]) == 32
        assert (await client.get("/v1/cases/NOWHERE/events")).status_code == 404

    everything = json_logs.getvalue()
    for secret in (NAME, ID_NUMBER, CONTACT, orjson.dumps(NAME).decode().strip('"')):
        assert secret not in everything
    lines = [orjson.loads(line) for line in everything.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "esledger.request"]
    by_route: dict[tuple[str, str, int], dict[str, Any]] = {(r["method"], r["route"], r["status"]): r for r in requests}
    first = next(r for r in requests if r["request_id"] == "upstream-42.a")
    assert first | {"seconds": 0} == {
        "time": first["time"],
        "level": "INFO",
        "logger": "esledger.request",
        "message": "POST /v1/events 201",
        "request_id": "upstream-42.a",
        "method": "POST",
        "route": "/v1/events",
        "status": 201,
        "problem": None,
        "principal": f"key:{TESTER}",
        "case_id": "GR-LOG-1",
        "seconds": 0,
    }
    assert first["seconds"] > 0
    invalid = by_route["POST", "/v1/events", 422]
    assert invalid["problem"] == "validation-failed" and invalid["case_id"] is None
    assert by_route["GET", "/v1/cases/{case_id}/events", 200]["case_id"] == "GR-LOG-1"
    assert by_route["POST", "/v1/cases/{case_id}/erasures", 201]["request_id"] == erased.headers["X-Request-Id"]
    missing = by_route["GET", "/v1/cases/{case_id}/events", 404]
    assert missing["problem"] == "not-found" and missing["case_id"] == "NOWHERE"
