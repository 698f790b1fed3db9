"""Who complained is confidential (``x-confidential``: never disclosed to the unit complained about): the
complainant of GR-2026-0917 — name, id number, contact, address — reaches reviewers and supervisors within
their jurisdiction, and nobody else, by any route.

Written against what a reader can observe, the strings appearing in answers or not, whatever form the ledger
stores and reveals them in.
"""

from __future__ import annotations

import json

import httpx

from tests.access.world import COMPLAINANT, GR17, SPEC, Call, World


async def every_answer(world: World, name: str) -> list[httpx.Response]:
    """What the principal gets from every read of the API: each reading operation about every case, every
    record of GR-2026-0917 by version, the statistics as CSV, the feed with values revealed."""
    calls = [call for (method, _), op in SPEC.items() if method == "GET" for call in op.requests(world, name)]
    calls += [Call("GET", f"/v1/cases/{GR17}/events/{version}") for version in range(2, 13)]
    calls += [Call("GET", "/v1/statistics", params={"format": "csv"})]
    calls += [Call("GET", "/v1/events", params={"limit": 1000, "reveal": "true"})]
    return [await call.send(world, name) for call in calls]


def disclosed(response: httpx.Response) -> list[str]:
    """The complainant's details in an answer: its body as sent and as decoded, its headers."""
    texts = [response.text, " ".join(response.headers.values())]
    if response.headers.get("content-type", "").endswith("json"):
        texts.append(json.dumps(response.json(), ensure_ascii=False))
    return [value for value in COMPLAINANT if any(value in text for text in texts)]


NEVER_TOLD = (
    "shashi-respondent",
    "shashi-respondent-observer",
    "jiangling-inspector-shashi-respondent",
    "shashi-inspector",
    "city-inspector",
    "observer",
    "shashi-inspector-jiangling-supervisor",
)
"""The unit complained about (alone, or with other grants), inspectors, an observer, and a supervisor of
another jurisdiction."""


async def test_respondents_inspectors_and_observers_never_learn_who_complained(world: World) -> None:
    """Each reads the case (a respondent its status, the others its timeline), never the complainant."""
    for name in NEVER_TOLD:
        answers = await every_answer(world, name)
        assert (await world.as_(name, "GET", f"/v1/cases/{GR17}")).status_code == 200
        assert {a.request.url.path: disclosed(a) for a in answers if disclosed(a)} == {}, name
        timeline = await world.as_(name, "GET", f"/v1/cases/{GR17}/events")
        assert (timeline.status_code in (403, 404)) if "respondent" in name else timeline.status_code == 200
        if timeline.status_code == 200:
            assert "complainant" in timeline.json()["records"][0]["event"]["data"]
            assert timeline.json()["chain"]["valid"]


async def test_reviewers_and_supervisors_within_jurisdiction_see_who_complained(world: World) -> None:
    """The timeline and the record show it; the feed, a reviewer's alone, on request (``reveal``)."""
    for name in ("reviewer", "fgk-supervisor"):
        for url in (f"/v1/cases/{GR17}/events", f"/v1/cases/{GR17}/events/1"):
            assert disclosed(await world.as_(name, "GET", url)) == list(COMPLAINANT), (name, url)
    feed = await world.as_("reviewer", "GET", "/v1/events", params={"limit": 1000, "reveal": "true"})
    assert disclosed(feed) == list(COMPLAINANT)


async def test_no_read_of_any_case_shows_the_complainant_to_a_respondent_even_in_error(world: World) -> None:
    """Unknown versions, positions and cases, bad parameters: no answer of any kind carries it."""
    odd = [
        Call("GET", f"/v1/cases/{GR17}/events/99"),
        Call("GET", f"/v1/cases/{GR17}/events", params={"recorded_before": "2030-01-01T00:00:00"}),
        Call("GET", f"/v1/cases/{GR17}", params={"as_of": "2026-03-03T00:00:00+08:00"}),
        Call("GET", "/v1/cases", params={"unit": "421002-ZSJ", "kind": "grievance"}),
        *(Call("GET", "/v1/proofs/inclusion", params={"position": p}) for p in range(1, world.head + 1)),
    ]
    for name in ("shashi-respondent", "observer"):
        answers = [await call.send(world, name) for call in odd]
        assert [a.request.url for a in answers if disclosed(a)] == [], name
