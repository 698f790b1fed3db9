"""What the access tests share: the published example scenarios plus one case outside the city bureau's tree,
a principal of every role (and some holding several grants) with the cases each grant covers, and the access
matrix of the README's "Who may do what": each operation, the roles it is meant for and the requests that
exercise it.

Everything here is the specification, written out by hand from the README, ``schemas/units/units.json`` and
the examples, never derived from ``esledger.access.policy``: a wrong entry there must disagree with this.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.concurrency import run_in_threadpool

from esledger.bootstrap import System, bootstrap
from esledger.settings import Settings
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, BATCH, CE, asgi_client, bearer, body, examples, key_for, post_examples

CASE_SYSTEM = "urn:zfjd:source:jingzhou-case-system"
STATS_PORTAL = "urn:zfjd:source:jingzhou-stats-portal"

GR17, GR52, IN42, MP11 = "GR-2026-0917", "GR-2026-0952", "IN-2026-0042", "MP-2026-0011"
RF03, RF04, ST09, ST10 = "RF-2026-0003", "RF-2026-0004", "STAT-421002-ZSJ-2026-09", "STAT-421002-ZSJ-2026-10"
IN07, IN31, IN58 = "IN-2026-0107", "IN-2026-0131", "IN-2026-0158"
"""The 条例's examples (tiaoli.jsonl): inspections of 沙市区, 荆州区 and 江陵县 by the supervision body."""
IN88 = "IN-2025-0088"
"""An inspection of 沙市区 whose second notice replaces the first (notices.jsonl)."""
QL31 = "QL-2024-0031"
"""A 江陵县 enforcement officer's certificate (qualification.jsonl), granted by the city bureau."""
RF99 = "RF-2026-0099"
"""Opened by the tests: a normative document of the market regulator, whose units are outside the city
bureau's tree."""
CASES = (GR17, GR52, IN42, MP11, RF03, RF04, ST09, ST10, IN07, IN31, IN58, IN88, QL31, RF99)
NOWHERE = "GR-2026-0000"
"""No such case: what a case outside a principal's scope must answer exactly like."""

SHASHI = frozenset({GR17, RF03, ST09, ST10, IN07, IN88})
"""The cases involving 421002-ZSJ (沙市区)."""
JIANGLING = frozenset({MP11, RF04, IN58, QL31})
"""The cases involving 421024-ZSJ (江陵县)."""
CITY = frozenset(CASES) - {RF99}
"""The cases involving 421000-ZSJ or a unit below it: every county bureau, the supervision body."""
FGK = frozenset({GR17, GR52, IN42, RF03, RF04, IN07, IN31, IN58, IN88})
"""The cases involving the supervision body 421000-ZSJ-FGK (which has no unit below it)."""
CITY_UNITS = frozenset({"421000-ZSJ", "421000-ZSJ-FGK", "421000-GGZY", "421002-ZSJ", "421003-ZSJ", "421024-ZSJ"})

COMPLAINANT = ("荆州市某建筑工程有限公司", "91421002MA4F******", "139****2817（委托代理人）", "荆州市沙市区某路某号")
"""The complainant's identity in GR-2026-0917 (its name, id number, contact and address)."""


def outside_city() -> dict[str, Any]:
    """RF-2026-0004's opening act, re-issued as RF-2026-0099 by the market regulator (421000-SCJG)."""
    opening = examples()["record_filing.jsonl"][5]
    assert opening["subject"] == RF04 and opening["type"].endswith("normative_document.published")
    text = (
        body(opening)
        .decode()
        .replace("421024-ZSJ", "421000-SCJG")
        .replace("江陵县政务服务和大数据管理局", "荆州市市场监督管理局")
    )
    return {**orjson.loads(text), "id": "rf-0099-001", "subject": RF99}


def scenario() -> list[dict[str, Any]]:
    """Every event the world holds before a test acts: the examples, then RF-2026-0099."""
    return [e for events in examples().values() for e in events] + [outside_city()]


# -- principals -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Who:
    """A principal of the test: its grants, and by role the cases each of its grants covers."""

    grants: tuple[dict[str, Any], ...]
    covers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    jurisdiction: frozenset[str] | None = frozenset()
    """The units whose statistics rows it sees (None: every unit)."""

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g["role"] for g in self.grants)

    @property
    def seen(self) -> frozenset[str]:
        """Every case some grant of it covers: nothing else about any case may reach it."""
        return frozenset().union(*self.covers.values())

    @property
    def own_units(self) -> frozenset[str]:
        """A respondent's own units."""
        return frozenset(u for g in self.grants if g["role"] == "respondent" for u in g["units"])

    def sees(self, roles: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
        """In an operation allowed to ``roles``: the cases it sees in full, and those it sees only as their
        respondent (its grants united grant by grant: each grant's cases, for what its role may do)."""
        allowed = set(roles)
        full = frozenset().union(*(c for r, c in self.covers.items() if r in allowed and r != "respondent"))
        answering = self.covers.get("respondent", frozenset()) if "respondent" in allowed else frozenset()
        return full, answering - full


def source_grant(source: str, **scope: Any) -> dict[str, Any]:
    return {"role": "source", "source": source, **scope}


PRINCIPALS: dict[str, Who] = {
    "case-system": Who((source_grant(CASE_SYSTEM),), {"source": frozenset(CASES)}),
    "jiangling-system": Who((source_grant(CASE_SYSTEM, units=["421024-ZSJ"]),), {"source": JIANGLING}),
    "shashi-inspector": Who(
        ({"role": "inspector", "units": ["421002-ZSJ"]},), {"inspector": SHASHI}, frozenset({"421002-ZSJ"})
    ),
    "city-inspector": Who(({"role": "inspector", "units": ["421000-ZSJ"]},), {"inspector": CITY}, CITY_UNITS),
    "fgk-supervisor": Who(
        ({"role": "supervisor", "units": ["421000-ZSJ-FGK"]},), {"supervisor": FGK}, frozenset({"421000-ZSJ-FGK"})
    ),
    "reviewer": Who(({"role": "reviewer"},), {"reviewer": frozenset(CASES)}, None),
    "shashi-respondent": Who(({"role": "respondent", "units": ["421002-ZSJ"]},), {"respondent": SHASHI}),
    "observer": Who(({"role": "observer", "cases": [GR17]},), {"observer": frozenset({GR17})}),
    "admin": Who(({"role": "admin"},)),
    "nobody": Who(()),
    # Several grants: each grant's scope widens only what its own role may do.
    "shashi-respondent-observer": Who(
        ({"role": "respondent", "units": ["421002-ZSJ"]}, {"role": "observer", "cases": [IN42]}),
        {"respondent": SHASHI, "observer": frozenset({IN42})},
    ),
    "jiangling-inspector-shashi-respondent": Who(
        ({"role": "inspector", "units": ["421024-ZSJ"]}, {"role": "respondent", "units": ["421002-ZSJ"]}),
        {"inspector": JIANGLING, "respondent": SHASHI},
        frozenset({"421024-ZSJ"}),
    ),
    "shashi-inspector-jiangling-supervisor": Who(
        ({"role": "inspector", "units": ["421002-ZSJ"]}, {"role": "supervisor", "units": ["421024-ZSJ"]}),
        {"inspector": SHASHI, "supervisor": JIANGLING},
        frozenset({"421002-ZSJ", "421024-ZSJ"}),
    ),
}


def personal_source(name: str) -> str:
    """The source a supervisor records its own acts as (README: ``urn:esledger:principal:<id>``)."""
    return f"urn:esledger:principal:key:{name}"


def posts_as(name: str) -> str:
    """The source a principal posts as: its own, a supervisor's personal one, else the case system's."""
    who = PRINCIPALS[name]
    sources = [g["source"] for g in who.grants if g["role"] == "source"]
    return sources[0] if sources else personal_source(name) if "supervisor" in who.roles else CASE_SYSTEM


def referral(case: str, source: str, event_id: str) -> dict[str, Any]:
    """A case.referral_made on the case (an act of any case kind, and one a supervisor records itself); it
    names 421002-JW and 421000-ZSJ."""
    [act] = [e for e in examples()["grievance.jsonl"] if e["type"].endswith("case.referral_made")]
    return {**act, "id": event_id, "subject": case, "source": source}


# -- the world ------------------------------------------------------------------------------------------------
@asynccontextmanager
async def deployed(
    settings: Settings, clock: FakeClock, **overrides: Any
) -> AsyncIterator[tuple[System, httpx.AsyncClient]]:
    """Ledger and read side in one process on the backend under test, on the test's clock, with settings of
    the test's choosing; its System, and a client signed in as the tester."""
    system = bootstrap(settings.model_copy(update={"max_wait_seconds": 4, **overrides}), clock=clock)
    async with asgi_client(system) as client:
        yield system, client


@dataclass
class World:
    """A deployment holding the scenario, with every principal of ``PRINCIPALS`` signed in."""

    system: System
    client: httpx.AsyncClient
    """Signed in as the tests' own tester (source *, reviewer, admin)."""
    credentials: dict[str, dict[str, str]]
    """Each principal's Authorization header."""
    first_position: dict[str, int]
    """Each case's first ledger entry; NOWHERE's is a position past the log."""
    head: int

    async def as_(self, name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {}) | self.credentials[name]
        return await self.client.request(method, url, headers=headers, **kwargs)


OpenWorld = Callable[..., AbstractAsyncContextManager[World]]
"""The ``open_world`` fixture: ``async with open_world(**settings_overrides) as world``."""


async def sign_in(system: System, principals: Mapping[str, Who]) -> dict[str, dict[str, str]]:
    """Register each principal directly (as the test's setup); its Authorization header."""
    return {
        name: bearer(await run_in_threadpool(key_for, system, name, list(who.grants)))
        for name, who in principals.items()
    }


async def build_world(system: System, client: httpx.AsyncClient, clock: FakeClock) -> World:
    """The principals signed in, then the scenario posted, logged (a checkpoint) and in the read model."""
    credentials = await sign_in(system, PRINCIPALS)
    clock.set(AFTER_EXAMPLES)
    records = await post_examples(client)
    extra = await client.post("/v1/events", content=body(outside_city()), headers=CE)
    assert extra.status_code == 201, extra.text
    records.append(extra.json())
    assert (await client.post("/v1/checkpoints")).status_code == 201
    head = (await client.get("/v1/events", params={"limit": 1})).json()["head"]
    assert (await client.get("/v1/cases", params={"min_position": head})).status_code == 200
    first = {case: min(r["position"] for r in records if r["case_id"] == case) for case in CASES}
    return World(system, client, credentials, first | {NOWHERE: head + 1000}, head)


# -- what an answer may not hold --------------------------------------------------------------------------------
@functools.cache
def markers(case: str) -> frozenset[str]:
    """What identifies a case in an answer: its id, its events' ids, the codes and names of its units."""
    found = {case}
    for event in scenario():
        if event["subject"] == case:
            found |= {event["id"]}
            text = body(event["data"]).decode()
            for m in re.finditer(r'"code":"([^"]+)","name":"([^"]+)"', text):
                found |= {m[1], m[2]}
    return frozenset(found)


def forbidden(who: Who) -> set[str]:
    """What identifies only cases no grant of the principal covers."""
    unseen = set().union(*(markers(c) for c in CASES if c not in who.seen))
    return unseen - set().union(*(markers(c) for c in who.seen))


def leaks(response: httpx.Response, suspects: Iterable[str]) -> list[str]:
    """The suspects in an answer's body or headers (``Location`` and error messages included), but those
    the request itself holds: an answer may echo what was asked."""
    asked = f"{response.request.url} {response.request.content.decode()}"
    answer = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return sorted(s for s in suspects if s in answer and s not in asked)


def masked(response: httpx.Response, token: str) -> tuple[int, str, dict[str, str]]:
    """An answer with what the request named (a case id, a position) masked: the status, body and headers
    (but the length, and the request id, new for every request) that must be byte-identical for a case outside
    the scope and a case that is not."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(token)}(?![\w-])")
    headers = {
        k: pattern.sub("{}", v) for k, v in response.headers.items() if k not in ("content-length", "x-request-id")
    }
    return response.status_code, pattern.sub("{}", response.text), headers


# -- the access matrix ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    token: str | None = None
    """What the request names of a case (its id, a position): what its answer may echo."""

    async def send(self, world: World, name: str) -> httpx.Response:
        return await world.as_(
            name,
            self.method,
            self.url,
            params=dict(self.params),
            json=self.json,
            content=self.content,
            headers=dict(self.headers),
        )


CaseCall = Callable[[World, str, str], Call]
"""(world, principal, case) → the request about that case."""
Calls = Callable[[World, str], list[Call]]


@dataclass(frozen=True)
class Operation:
    roles: frozenset[str]
    """Who may perform it at all (README "Who may do what"); anyone else gets 403."""
    ok: int = 200
    about_a_case: CaseCall | None = None
    """Asked about every case and NOWHERE: in scope → ``ok``; outside → exactly NOWHERE's answer."""
    calls: Calls | None = None
    rows: str | None = None
    """A list: the member holding its rows (compared with the reviewer's, narrowed to the scope)."""
    about_principals: bool = False
    """Answers about principals (their grants name cases and units): not scanned for case markers."""

    def requests(self, world: World, name: str) -> list[Call]:
        if self.about_a_case is not None:
            return [self.about_a_case(world, name, case) for case in CASES]
        assert self.calls is not None
        return self.calls(world, name)


def case_get(template: str) -> CaseCall:
    return lambda world, name, case: Call("GET", template.format(case=case), token=case)


def one(method: str, url: str, **kwargs: Any) -> Calls:
    return lambda world, name: [Call(method, url, **kwargs)]


def post_one(world: World, name: str, case: str) -> Call:
    event = referral(case, posts_as(name), f"matrix-{name}-{case}")
    return Call("POST", "/v1/events", content=body(event), headers=CE, token=case)


def post_batch(world: World, name: str, case: str) -> Call:
    event = referral(case, posts_as(name), f"matrix-batch-{name}-{case}")
    return Call("POST", "/v1/events:batch", content=body([event]), headers=BATCH, token=case)


def inclusion(world: World, name: str, case: str) -> Call:
    position = world.first_position[case]
    return Call("GET", "/v1/proofs/inclusion", params={"position": position}, token=str(position))


EVERY_ROLE = frozenset({"source", "inspector", "supervisor", "reviewer", "respondent", "observer", "admin"})
CASE_READERS = frozenset({"inspector", "supervisor", "reviewer", "respondent", "observer"})
"""inspector, supervisor, reviewer read cases; a respondent its own cases' status, deadlines and findings; an
observer its shared cases' redacted views."""
TIMELINE_READERS = frozenset({"inspector", "supervisor", "reviewer", "observer"})
"""A respondent never reads a timeline; an observer reads its cases' timelines."""
ANALYSTS = frozenset({"inspector", "supervisor", "reviewer"})
"""Replays and statistics: an inspector's reads (a supervisor's too), and a reviewer's."""
OPERATORS = frozenset({"reviewer", "admin"})
"""The log's checkpoints on demand and each role's health: operations on no case's content."""
ADMIN = frozenset({"admin"})
REVIEWER = frozenset({"reviewer"})
"""The global feed, the access log and erasing a confidential value: a reviewer's alone."""
ERASURE = {"target_version": 1, "pointer": "/data/complainant", "reason": "retention period over"}
NEW_PRINCIPAL = {"grants": [{"role": "observer", "cases": [GR17]}]}

SPEC: dict[tuple[str, str], Operation] = {
    ("GET", "/v1/me"): Operation(EVERY_ROLE, calls=one("GET", "/v1/me")),
    ("GET", "/v1/cases"): Operation(CASE_READERS, calls=one("GET", "/v1/cases"), rows="cases"),
    ("GET", "/v1/cases/{case_id}"): Operation(CASE_READERS, about_a_case=case_get("/v1/cases/{case}")),
    ("GET", "/v1/cases/{case_id}/events"): Operation(
        TIMELINE_READERS, about_a_case=case_get("/v1/cases/{case}/events")
    ),
    ("GET", "/v1/cases/{case_id}/events/{version}"): Operation(
        TIMELINE_READERS, about_a_case=case_get("/v1/cases/{case}/events/1")
    ),
    ("GET", "/v1/cases/{case_id}/replay"): Operation(ANALYSTS, about_a_case=case_get("/v1/cases/{case}/replay")),
    ("GET", "/v1/deadlines"): Operation(CASE_READERS, calls=one("GET", "/v1/deadlines"), rows="deadlines"),
    ("GET", "/v1/findings"): Operation(CASE_READERS, calls=one("GET", "/v1/findings"), rows="findings"),
    ("GET", "/v1/statistics"): Operation(ANALYSTS, calls=one("GET", "/v1/statistics"), rows="rows"),
    ("GET", "/v1/events"): Operation(REVIEWER, calls=one("GET", "/v1/events", params={"limit": 1000})),
    ("GET", "/v1/proofs/inclusion"): Operation(TIMELINE_READERS, about_a_case=inclusion),
    ("GET", "/v1/cases/{case_id}/bundle"): Operation(
        TIMELINE_READERS, about_a_case=case_get("/v1/cases/{case}/bundle")
    ),
    ("GET", "/v1/proofs/consistency"): Operation(
        EVERY_ROLE, calls=one("GET", "/v1/proofs/consistency", params={"from": 1, "to": 2})
    ),
    ("GET", "/v1/checkpoints/latest"): Operation(EVERY_ROLE, calls=one("GET", "/v1/checkpoints/latest")),
    ("GET", "/v1/log/checkpoint"): Operation(EVERY_ROLE, calls=one("GET", "/v1/log/checkpoint")),
    # No witness policy in this world: nothing is published, and every role may ask.
    ("GET", "/v1/log/published"): Operation(EVERY_ROLE, ok=404, calls=one("GET", "/v1/log/published")),
    ("GET", "/v1/log/tile/{level}/{index:path}"): Operation(EVERY_ROLE, calls=one("GET", "/v1/log/tile/0/000.p/1")),
    ("GET", "/v1/log/tile/entries/{index:path}"): Operation(REVIEWER, calls=one("GET", "/v1/log/tile/entries/000.p/1")),
    ("GET", "/v1/checkpoints"): Operation(EVERY_ROLE, calls=one("GET", "/v1/checkpoints")),
    ("POST", "/v1/checkpoints"): Operation(OPERATORS, ok=201, calls=one("POST", "/v1/checkpoints")),
    ("GET", "/v1/projections/health"): Operation(OPERATORS, calls=one("GET", "/v1/projections/health")),
    ("GET", "/v1/log/health"): Operation(OPERATORS, calls=one("GET", "/v1/log/health")),
    ("GET", "/v1/ledger/health"): Operation(OPERATORS, calls=one("GET", "/v1/ledger/health")),
    ("GET", "/metrics"): Operation(OPERATORS, calls=one("GET", "/metrics")),
    ("GET", "/v1/principals"): Operation(ADMIN, calls=one("GET", "/v1/principals"), about_principals=True),
    ("POST", "/v1/principals"): Operation(
        ADMIN,
        ok=201,
        calls=lambda world, name: [Call("POST", "/v1/principals", json={"name": f"made-by-{name}", **NEW_PRINCIPAL})],
        about_principals=True,
    ),
    ("GET", "/v1/principals/{name}"): Operation(
        ADMIN, calls=one("GET", "/v1/principals/observer"), about_principals=True
    ),
    ("PUT", "/v1/principals/{name}/grants"): Operation(
        ADMIN,
        calls=lambda world, name: [
            Call("PUT", f"/v1/principals/made-by-{name}/grants", json={"grants": [{"role": "reviewer"}]})
        ],
        about_principals=True,
    ),
    ("POST", "/v1/principals/{name}/key"): Operation(
        ADMIN, calls=lambda world, name: [Call("POST", f"/v1/principals/made-by-{name}/key")], about_principals=True
    ),
    ("POST", "/v1/principals/{name}/revocation"): Operation(
        ADMIN,
        calls=lambda world, name: [
            Call("POST", f"/v1/principals/made-by-{name}/revocation", json={"reason": "the matrix is done with it"})
        ],
        about_principals=True,
    ),
    ("GET", "/v1/access-log"): Operation(REVIEWER, calls=one("GET", "/v1/access-log")),
    ("POST", "/v1/cases/{case_id}/erasures"): Operation(
        REVIEWER,
        ok=201,
        calls=one("POST", f"/v1/cases/{GR17}/erasures", json=ERASURE, token=GR17),
    ),
    # Last: a posted referral adds units to its case.
    ("POST", "/v1/events"): Operation(frozenset({"source", "supervisor"}), ok=201, about_a_case=post_one),
    ("POST", "/v1/events:batch"): Operation(frozenset({"source", "supervisor"}), ok=201, about_a_case=post_batch),
}
"""Every protected operation of the API, in the order the matrix runs them."""
