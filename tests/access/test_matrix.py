"""The access matrix: every operation of the route table × every role (and principals holding several grants)
× every case in and out of scope, against the README's "Who may do what" as ``tests.access.world.SPEC`` has it.

- A route that is neither public nor states its permission fails, and so does one the specification does not
  cover, or whose permission allows other roles than the specification.
- A principal none of whose roles may perform an operation gets 403.
- Within an allowed operation, a case outside the principal's scope answers byte for byte (but the id it was
  asked about) as a case that does not exist, for reads and writes; lists, counts and statistics hold exactly
  what the scope covers; and no answer holds an id, event id or unit that only cases outside the scope hold.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from esledger.access.policy import PERMISSIONS
from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from esledger.web.auth import PUBLIC, api_routes, permission_of
from tests.access.world import (
    CASE_SYSTEM,
    CASES,
    GR17,
    MP11,
    NOWHERE,
    PRINCIPALS,
    SPEC,
    STATS_PORTAL,
    Operation,
    Who,
    World,
    forbidden,
    leaks,
    masked,
    personal_source,
    referral,
)
from tests.helpers import CE, PREFIX, body, examples


# -- the route table ------------------------------------------------------------------------------------------
def unruled(app: FastAPI) -> list[str]:
    """What is wrong with the app's access rules: a route neither public nor stating its permission, a
    protected route the specification does not cover (or one it covers that is gone), a permission whose
    roles are not the specification's."""
    problems = []
    protected = set()
    for route in api_routes(app.routes):
        for method in sorted(set(getattr(route, "methods", ())) - {"HEAD"}):
            if route.path in PUBLIC:
                continue
            permission, key = permission_of(route), (method, route.path)
            protected.add(key)
            if permission is None:
                problems.append(f"{method} {route.path}: no access rule (requires(Permission.…)) and not public")
            elif key not in SPEC:
                problems.append(f"{method} {route.path}: not in the access matrix (tests/access/world.py SPEC)")
            elif PERMISSIONS[permission] != SPEC[key].roles:
                problems.append(
                    f"{method} {route.path}: {permission.value} allows {sorted(PERMISSIONS[permission])}, "
                    f"the README {sorted(SPEC[key].roles)}"
                )
    problems += [f"{m} {p}: in the access matrix, not a route" for m, p in sorted(set(SPEC) - protected)]
    return problems


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    """The whole app (every role's routes); building it touches no database."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/unused.sqlite3", dev_key_file=tmp_path / "dev.key")
    return create_app(bootstrap(settings, follow=False))


def test_every_route_is_public_or_states_the_roles_the_readme_gives_it(app: FastAPI) -> None:
    assert unruled(app) == []


def test_a_route_without_an_access_rule_fails_the_matrix(app: FastAPI) -> None:
    @app.get("/v1/cases/{case_id}/secrets")
    def secrets(case_id: str) -> dict[str, str]:
        return {}

    assert unruled(app) == ["GET /v1/cases/{case_id}/secrets: no access rule (requires(Permission.…)) and not public"]


# -- the traffic ----------------------------------------------------------------------------------------------
def own(member: str, row: dict[str, Any], who: Who) -> bool:
    """Whether a deadline is the respondent's to meet, a finding about it."""
    unit = row["responsible_unit"] if member == "deadlines" else (row["subject"] or {}).get("unit")
    return (unit or {}).get("code") in who.own_units


def summary(case: dict[str, Any], keep: Callable[[str, dict[str, Any]], bool]) -> tuple[Any, ...]:
    """A case view by its id, deadlines and findings."""
    deadlines = [f"{d['rule_id']}@{d['trigger_version']}" for d in case["deadlines"] if keep("deadlines", d)]
    return case["case_id"], deadlines, [f["id"] for f in case["findings"] if keep("findings", f)]


def narrowed(member: str, everything: list[dict[str, Any]], who: Who, roles: frozenset[str]) -> list[Any]:
    """The reviewer's rows of a list as the principal must see them: its cases' rows (as a respondent only
    the deadlines it must meet and the findings about it), statistics of the units in its jurisdiction."""
    full, answering = who.sees(roles)
    if member == "rows":
        return [r for r in everything if who.jurisdiction is None or r["unit"]["code"] in who.jurisdiction]
    if member == "cases":
        return sorted(
            summary(c, lambda m, r, c=c: c["case_id"] in full or own(m, r, who))
            for c in everything
            if c["case_id"] in full | answering
        )
    return [r for r in everything if r["case_id"] in full or (r["case_id"] in answering and own(member, r, who))]


def shown(member: str, answer: dict[str, Any]) -> list[Any]:
    rows = answer[member]
    return sorted(summary(c, lambda m, r: True) for c in rows) if member == "cases" else rows


async def check(world: World, op: Operation, name: str, everything: list[dict[str, Any]] | None) -> list[str]:
    """Every request of the operation as the principal; what differs from the specification."""
    who = PRINCIPALS[name]
    allowed = bool(who.roles & op.roles)
    suspects = set() if op.about_principals else forbidden(who)
    full, answering = who.sees(op.roles)
    nowhere = None
    if allowed and op.about_a_case is not None:
        call = op.about_a_case(world, name, NOWHERE)
        nowhere = masked(await call.send(world, name), str(call.token))
    problems = []
    calls = op.requests(world, name)
    for case, call in zip(CASES if op.about_a_case else [None] * len(calls), calls, strict=True):
        response = await call.send(world, name)
        where = f"{name}: {call.method} {call.url} {dict(call.params) or ''}"
        problems += [f"{where}: the answer holds {s!r}" for s in leaks(response, suspects)]
        if not allowed:
            if response.status_code != 403 or response.json()["type"] != "/problems/forbidden":
                problems.append(f"{where}: {response.status_code}, not 403 forbidden: {response.text[:300]}")
        elif case is not None and case not in full | answering:
            assert nowhere is not None and nowhere[0] in (404, 422)
            if masked(response, str(call.token)) != nowhere:
                problems.append(f"{where}: {response.text[:200]}…, not as no case: {nowhere[1][:200]}")
        elif response.status_code != op.ok:
            problems.append(f"{where}: {response.status_code}, not {op.ok}: {response.text[:300]}")
        elif op.rows is not None:
            assert everything is not None
            answer = response.json()
            if shown(op.rows, answer) != narrowed(op.rows, everything, who, op.roles):
                problems.append(f"{where}: holds {str(shown(op.rows, answer))[:300]}")
            if "count" in answer and answer["count"] != len(answer[op.rows]):
                problems.append(f"{where}: count {answer['count']} for {len(answer[op.rows])} rows")
    return problems


async def test_access_matrix(world: World) -> None:
    everything = {}
    for key, op in SPEC.items():
        if op.rows is not None:
            [call] = op.requests(world, "reviewer")
            everything[key] = (await call.send(world, "reviewer")).json()[op.rows]
    assert sorted(c["case_id"] for c in everything["GET", "/v1/cases"]) == sorted(CASES)
    problems = []
    for key, op in SPEC.items():
        for name in PRINCIPALS:
            problems += await check(world, op, name, everything.get(key))
    assert not problems, f"{len(problems)} answers differ from the README:\n" + "\n".join(problems)


async def test_without_a_credential_only_the_public_routes_answer(world: World) -> None:
    anonymous = {"Authorization": ""}
    for op in SPEC.values():
        call = op.requests(world, "nobody")[0]
        answer = await world.client.request(
            call.method, call.url, params=dict(call.params), json=call.json, content=call.content, headers=anonymous
        )
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer"), call.url
        assert leaks(answer, forbidden(PRINCIPALS["nobody"])) == []
    for path in ("/healthz", "/v1/schemas", "/v1/checkpoints/key", "/problems/not-found", "/openapi.json"):
        assert (await world.client.get(path, headers=anonymous)).status_code == 200, path


# -- writes ---------------------------------------------------------------------------------------------------
async def test_a_supervisor_determines_within_its_jurisdiction_only(world: World) -> None:
    """In jurisdiction: recorded as the supervisor; outside it: exactly as a case that does not exist."""
    [determined] = [e for e in examples()["grievance.jsonl"] if e["type"].endswith("case.finding_determined")]

    async def determine(case: str, source: str = personal_source("fgk-supervisor")) -> Any:
        event = determined | {"id": "determination-1", "subject": case, "source": source}
        return await world.as_("fgk-supervisor", "POST", "/v1/events", content=body(event), headers=CE)

    outside, nowhere = await determine(MP11), await determine(NOWHERE)
    assert masked(outside, MP11) == masked(nowhere, NOWHERE)
    assert nowhere.status_code == 422 and nowhere.json()["type"] == "/problems/unknown-case"
    as_another_source = await determine(GR17, source=STATS_PORTAL)
    assert as_another_source.status_code == 403
    assert personal_source("fgk-supervisor") in as_another_source.json()["detail"]
    recorded = await determine(GR17)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded_by"] == "key:fgk-supervisor"
    assert recorded.headers["Location"] == f"/v1/cases/{GR17}/events/{recorded.json()['case_version']}"


async def test_a_source_posts_only_as_itself_and_a_supervisor_only_its_own_acts(world: World) -> None:
    for name, source in (("case-system", STATS_PORTAL), ("jiangling-system", "urn:zfjd:source:other")):
        answer = await world.as_(name, "POST", "/v1/events", content=body(referral(MP11, source, "x-1")), headers=CE)
        assert answer.status_code == 403 and answer.json()["type"] == "/problems/forbidden", answer.text
    accepted = next(e for e in examples()["grievance.jsonl"] if e["type"].endswith("grievance.accepted"))
    mine = accepted | {"id": "x-2", "source": personal_source("fgk-supervisor")}
    answer = await world.as_("fgk-supervisor", "POST", "/v1/events", content=body(mine), headers=CE)
    assert answer.status_code == 403, answer.text
    assert (await world.client.get("/v1/events", params={"after": world.head})).json()["records"] == []


async def test_acts_the_ledger_records_itself_are_refused_for_everyone(world: World) -> None:
    registered = {
        "specversion": "1.0",
        "id": "forged-1",
        "source": "urn:esledger:principals",
        "type": PREFIX + "principal.registered",
        "subject": "PRINCIPAL-forged",
        "time": "2026-11-27T11:00:00+08:00",
        "datacontenttype": "application/json",
        "data": {
            "name": "forged",
            "grants": [{"role": "reviewer"}],
            "key": {"prefix": "esl_forged.1", "digest": "sha256:" + "0" * 64},
        },
    }
    for name in PRINCIPALS:
        answer = await world.as_(name, "POST", "/v1/events", content=body(registered), headers=CE)
        assert answer.status_code == 403, f"{name}: {answer.text}"
    answer = await world.client.post("/v1/events", content=body(registered), headers=CE)  # source *, admin
    assert answer.status_code == 403 and "recorded by the ledger itself" in answer.json()["detail"]
    assert (await world.client.get("/v1/events", params={"after": world.head})).json()["records"] == []


async def test_if_match_on_a_case_outside_the_scope_answers_as_a_case_that_does_not_exist(world: World) -> None:
    answers = []
    for case in (GR17, NOWHERE):
        event = body(referral(case, CASE_SYSTEM, "if-match-1"))
        answers.append(
            await world.as_("jiangling-system", "POST", "/v1/events", content=event, headers=CE | {"If-Match": '"0"'})
        )
    assert masked(answers[0], GR17) == masked(answers[1], NOWHERE)


async def test_an_event_id_used_on_a_case_outside_the_scope_names_no_case(world: World) -> None:
    [used] = [e for e in examples()["grievance.jsonl"] if e["type"].endswith("case.referral_made")]
    again = used | {"subject": MP11}  # the (source, id) of GR-2026-0917's referral, on a case of its own
    answer = await world.as_("jiangling-system", "POST", "/v1/events", content=body(again), headers=CE)
    assert answer.status_code == 409
    assert leaks(answer, forbidden(PRINCIPALS["jiangling-system"])) == []
