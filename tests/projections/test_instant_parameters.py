"""Instant parameters out of range: far in the past (before year 1 in UTC, even) or the future are refused
with 400 naming the parameter and the rule, on every route that takes one, never a 500."""

from __future__ import annotations

import httpx
import pytest

ROUTES = [
    ("/v1/cases", "as_of"),
    ("/v1/cases/GR-2026-0917", "as_of"),
    ("/v1/deadlines", "as_of"),
    ("/v1/findings", "as_of"),
    ("/v1/statistics", "as_of"),
    ("/v1/cases", "due_before"),
    ("/v1/deadlines", "due_before"),
    ("/v1/cases/GR-2026-0917/events", "recorded_before"),
    ("/v1/access-log", "after"),
    ("/v1/access-log", "before"),
]
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",
    "1999-12-31T23:59:59Z",
    "2100-01-01T08:00:00+08:00",
    "9999-12-31T23:59:59-14:00",
]


@pytest.mark.parametrize(("path", "name"), ROUTES)
async def test_an_instant_out_of_range_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, path: str, name: str
) -> None:
    for value in OUT_OF_RANGE:
        response = await client.get(path, params={name: value})
        assert response.status_code == 400, (value, response.text)
        assert response.json()["errors"] == [{"parameter": name, "rule": "time-range"}], value


async def test_the_bounds_themselves(client: httpx.AsyncClient) -> None:
    """2000-01-01Z is admitted (the earliest event time the ledger admits); 2100-01-01Z is the first refused."""
    assert (await client.get("/v1/cases", params={"as_of": "2000-01-01T08:00:00+08:00"})).status_code == 200
    assert (await client.get("/v1/cases", params={"as_of": "2099-12-31T23:59:59Z"})).status_code == 200
    assert (await client.get("/v1/cases", params={"as_of": "2100-01-01T00:00:00Z"})).status_code == 400
