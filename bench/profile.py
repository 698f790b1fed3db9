"""Where the time of the missed benchmark targets goes: pyinstrument profiles, taken in-process, of the three
workloads ``make bench`` measures as a separate server, on a fresh PostgreSQL database (dropped at the end).

    .venv/bin/python -m bench.profile [--appends 300] [--cases 4000] [--reads 20] [--out bench/profiles]

1. ``appends``: single events posted one at a time through the whole ASGI app (auth, request log, metrics,
   validation, sealing, hashing, the group commit, PostgreSQL), ``--role all`` without followers.
2. ``catchup``: the read model rebuilt from position 0 (``esledger.projections.rebuild``, what ``make bench``
   times as catch-up) over every event posted: the appends' and a load of cases up to ``--cases``.
3. ``reads-*``: pages of 100 of ``/v1/cases``, ``/v1/deadlines`` and ``/v1/findings`` (following ``next`` as
   the benchmark does) and ``/v1/statistics?month=``, through the ASGI app, at ``--cases`` cases.

Each workload runs twice, after a full garbage collection: once without the profiler, a few calls timed by
wrapping them (microseconds each) and the garbage collector's pauses taken from ``gc.callbacks``; then under
pyinstrument. The app runs in this process over httpx's ASGITransport, and the work FastAPI and the services
hand to a worker thread runs inline on the profiled thread instead (pyinstrument samples one thread): the
profile includes the web layer but not the thread hand-over, and the in-process client (httpx) and the event
loop appear beside the app. Written to ``--out``: one call tree per workload (``<name>.txt``, pyinstrument's
text output, library internals folded) and ``README.md``: the timed calls, and the shares of the profile by
what the code does (each sample to the innermost category on its stack), with the date, machine and commit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import gc
import inspect
import math
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import orjson
import psycopg
import pyinstrument
import rfc8785
from fastapi import FastAPI
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from bench import workload
from bench.harness import BATCH, CE, ROOT, Databases, say
from bench.suite import DEPTH, LISTS, PAGE, _next, machine
from esledger.access.service import AccessService
from esledger.bootstrap import bootstrap
from esledger.domain import casefile, units
from esledger.ledger import case as ledger_case
from esledger.ledger.appender import Appender
from esledger.ledger.groupcommit import GroupCommit
from esledger.ledger.service import LedgerService
from esledger.ledger.store import LedgerStore
from esledger.projections import projection
from esledger.projections import service as projections_service
from esledger.projections.projection import Projector
from esledger.projections.readmodel import PostgresReadModel
from esledger.projections.rebuild import rebuild
from esledger.projections.service import ProjectionService
from esledger.settings import Settings
from esledger.web.app import create_app

INTERVAL = 0.001
"""pyinstrument's sampling interval, seconds."""
parse = orjson.loads
"""The client's JSON decoding, bound before ``orjson.loads`` is wrapped to time the server's."""


# -- what the time is spent on ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    name: str
    paths: tuple[str, ...]
    """Substrings of a frame's file path that put the frame in this category."""


CATEGORIES = (
    Category("PostgreSQL round trips (psycopg, pool)", ("/psycopg/", "/psycopg_pool/", "/psycopg_binary/")),
    Category("eventsourcing library", ("/eventsourcing/",)),
    Category(
        "JSON Schema validation",
        ("/jsonschema/", "/referencing/", "/rpds/", "/jsonschema_rs", "/rfc3339_validator", "/rfc3986_validator"),
    ),
    Category("validation (esledger's own checks)", ("services/ledger/validation.py", "services/ledger/catalog.py")),
    Category("I-JSON and pattern checks", ("services/core/ijson.py", "services/core/patterns.py")),
    Category("canonical JSON and hashing", ("/rfc8785/", "services/core/canonical.py", "services/core/chain.py")),
    Category("sealing confidential values", ("services/ledger/sealing.py", "services/ledger/confidential.py")),
    Category("append (appender, group commit)", ("services/ledger/appender.py", "services/ledger/groupcommit.py")),
    Category("ledger store (esledger)", ("services/ledger/store.py", "services/core/record.py")),
    Category(
        "deadline evaluation",
        (
            "services/domain/deadlines.py",
            "services/domain/periods.py",
            "services/domain/calendar.py",
            "services/domain/rules.py",
            "/chinese_calendar/",
        ),
    ),
    Category("findings", ("services/domain/findings.py",)),
    Category("units named in event data", ("services/domain/units.py",)),
    Category("status", ("services/domain/status.py",)),
    Category("statistics", ("services/domain/statistics.py",)),
    Category("case view and presentation", ("services/domain/presentation.py", "services/domain/casefile.py")),
    Category("domain (other)", ("services/domain/",)),
    Category("projection (esledger)", ("services/projections/projection.py", "services/projections/rebuild.py")),
    Category("read model (esledger)", ("services/projections/readmodel.py",)),
    Category("queries and read service (esledger)", ("services/projections/",)),
    Category("authentication (esledger, cryptography)", ("services/access/", "/cryptography/", "/jwt/")),
    Category(
        "request log, metrics, logging",
        ("services/web/requestlog.py", "services/web/metrics.py", "/prometheus_client/", "/logging/"),
    ),
    Category("esledger (other)", ("services/",)),
    Category("pydantic", ("/pydantic/", "/pydantic_core/")),
    Category("web framework (starlette, fastapi, anyio)", ("/starlette/", "/fastapi/", "/anyio/")),
    Category("the in-process client (httpx)", ("/httpx/", "/httpcore/", "/h11/")),
    Category("event loop (asyncio)", ("/asyncio/", "/selectors.py")),
)
OTHER = "this script (the client decoding answers), the interpreter"


def category(frame: Frame) -> str | None:
    path = frame.file_path or ""
    return next((c.name for c in CATEGORIES if any(p in path for p in c.paths)), None)


def shares(root: Frame) -> dict[str, float]:
    """Seconds of each category: every frame's self time to the innermost category on its stack (so
    standard-library and C calls count for whoever called them)."""
    out: dict[str, float] = {}
    stack: list[tuple[Frame, str]] = [(root, category(root) or OTHER)]
    while stack:
        frame, owner = stack.pop()
        out[owner] = out.get(owner, 0.0) + frame.total_self_time
        for child in frame.children:
            if not child.is_synthetic:
                stack.append((child, category(child) or owner))
    return dict(sorted(out.items(), key=lambda item: -item[1]))


@dataclass(frozen=True)
class Call:
    """A function timed around each call without the profiler, and found in the profile's tree."""

    label: str
    owners: tuple[Any, ...]
    """The classes or modules whose attribute it is, where callers look it up (one function imported by name
    into several modules has several)."""
    name: str

    def function(self) -> Any:
        return inspect.unwrap(getattr(self.owners[0], self.name))


def cumulative(root: Frame, call: Call) -> float:
    """Seconds under the profiler inside ``call``, callees included (recursion counted once)."""
    function = call.function()
    code = getattr(function, "__code__", None)
    if code is not None:
        where = (code.co_name, code.co_filename, code.co_firstlineno)
    else:  # a C function: pyinstrument names it, with no file
        where = (function.__name__, "<built-in>", 0)
    total, stack = 0.0, [root]
    while stack:
        frame = stack.pop()
        if (frame.function, frame.file_path, frame.line_no) == where:
            total += frame.time
        else:
            stack.extend(frame.children)
    return total


GC = "cyclic garbage collection (`gc.callbacks`)"
FULL_GC = "of it, full collections (generation 2)"
WAITS_LABEL = "waits on PostgreSQL (psycopg `Connection.wait`)"
ROUND_TRIPS = "of them, round trips (a wait that went to the socket; the rest had nothing to send)"


def watched(gen: Any, trips: list[int]) -> Any:
    """psycopg's generator for one operation, counted in ``trips`` if it waits on the socket at least once (a
    commit with no transaction open, for one, completes without)."""
    try:
        state = next(gen)
    except StopIteration as done:
        return done.value
    trips[0] += 1
    while True:
        answer = yield state
        try:
            state = gen.send(answer)
        except StopIteration as done:
            return done.value


class Timers:
    """Wall time inside each call and how often it was called (the outermost call of a recursion only),
    measured by wrapping it, a few microseconds a call; and the cyclic garbage collector's pauses, which the
    profiler does not show apart (they count for whatever allocated last)."""

    def __init__(self, calls: tuple[Call, ...]) -> None:
        self.calls = calls
        labels = [c.label for c in calls]
        labels += [ROUND_TRIPS] if WAITS_LABEL in labels else []
        self.seconds = dict.fromkeys([*labels, GC, FULL_GC], 0.0)
        self.counts = dict.fromkeys([*labels, GC, FULL_GC], 0)
        self._collecting = 0.0
        self._trips = [0]

    @contextlib.contextmanager
    def installed(self) -> Iterator[Timers]:
        saved = []
        for call in self.calls:
            depth = [0]
            for owner in call.owners:
                own = call.name in vars(owner)
                original = vars(owner)[call.name] if own else getattr(owner, call.name)
                saved.append((owner, call.name, own, original))
                setattr(owner, call.name, self._wrapped(call.label, original, depth))
        gc.callbacks.append(self._collector)
        try:
            yield self
        finally:
            if ROUND_TRIPS in self.counts:
                self.counts[ROUND_TRIPS] = self._trips[0]
            gc.callbacks.remove(self._collector)
            for owner, name, own, original in reversed(saved):
                if own:
                    setattr(owner, name, original)
                else:
                    delattr(owner, name)

    def _collector(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            for label in (GC, FULL_GC) if info["generation"] == 2 else (GC,):
                self.seconds[label] += time.perf_counter() - self._collecting
                self.counts[label] += 1

    def _wrapped(self, label: str, original: Any, depth: list[int]) -> Any:
        def enter() -> float:
            depth[0] += 1
            return time.perf_counter()

        def leave(started: float) -> None:
            depth[0] -= 1
            if depth[0] == 0:
                self.seconds[label] += time.perf_counter() - started
                self.counts[label] += 1

        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = enter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    leave(started)

            return timed_async

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if label == WAITS_LABEL:
                args = (args[0], watched(args[1], self._trips), *args[2:])
            started = enter()
            try:
                return original(*args, **kwargs)
            finally:
                leave(started)

        return timed


WAITS = Call(WAITS_LABEL, (psycopg.Connection,), "wait")
APP = Call("the ASGI app (everything server-side)", (FastAPI,), "__call__")
AUTH = Call("authentication (`AccessService.authenticate`)", (AccessService,), "authenticate")
APPEND_CALLS = (
    APP,
    AUTH,
    Call("`LedgerService.post`", (LedgerService,), "post"),
    Call("validation (`LedgerService._validated`)", (LedgerService,), "_validated"),
    Call("sealing, event hash (`Appender._prepared`)", (Appender,), "_prepared"),
    Call("the group's commit (`GroupCommit.submit`)", (GroupCommit,), "submit"),
    Call("loading the case (`LedgerStore.aggregates`)", (LedgerStore,), "aggregates"),
    Call("chaining the entry (`Appender._judge`)", (Appender,), "_judge"),
    Call("saving it (`LedgerStore.save`)", (LedgerStore,), "save"),
    Call("canonical JSON, every use (`rfc8785.dumps`)", (rfc8785,), "dumps"),
    WAITS,
)
CATCHUP_CALLS = (
    Call("reading the ledger (`LedgerStore.feed`)", (LedgerStore,), "feed"),
    Call("computing the views and rows (`Projector.recompute`)", (Projector,), "recompute"),
    Call("a case's view (`casefile.view_case`)", (projection,), "view_case"),
    Call("deadline evaluation (`deadlines.evaluate`)", (casefile,), "evaluate"),
    Call("findings (`findings.case_findings`)", (casefile,), "case_findings"),
    Call("the view as JSON (`CaseView.to_json`)", (casefile.CaseView,), "to_json"),
    Call("units named in event data (`units.event_unit_mentions`)", (units, ledger_case), "event_unit_mentions"),
    Call("storing them (`ReadModel.write`)", (PostgresReadModel,), "write"),
    Call("indexing the new tables (`ReadModel.index`)", (PostgresReadModel,), "index"),
    Call("swapping them in (`ReadModel.swap`)", (PostgresReadModel,), "swap"),
    WAITS,
)
READ_CALLS = (
    APP,
    AUTH,
    Call("stored views brought up to now (`ProjectionService._now`)", (ProjectionService,), "_now"),
    Call("JSON decoded server-side (`orjson.loads`: the stored views)", (orjson,), "loads"),
    Call("a stored view presented (`casefile.present`)", (projections_service,), "present"),
    Call(
        "a stored deadline presented (`casefile.present_deadline`)", (projections_service, casefile), "present_deadline"
    ),
    WAITS,
)


# -- the app in this process -----------------------------------------------------------------------------
@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """Run what FastAPI, Starlette and the services hand to a worker thread on the calling thread, the one
    pyinstrument samples (requests here come one at a time, so nothing waits on another)."""
    original = anyio.to_thread.run_sync

    async def run_sync(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


@contextlib.asynccontextmanager
async def served(database_url: str, workdir: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient, httpx.AsyncClient]]:
    """The system (role ``all``, no followers: the profiles are of the request path and of the rebuild) over
    ASGI; a client as the operator (admin, reviewer) and one as a source that may post anything."""
    settings = Settings(
        database_url=database_url,
        dev_key_file=workdir / "dev.key",
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )
    system = bootstrap(settings, role="all", follow=False)
    keys: list[str] = []
    system.announce = keys.append
    app = create_app(system)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        operator = httpx.AsyncClient(
            transport=transport, base_url="http://profile", headers={"Authorization": f"Bearer {keys[0]}"}
        )
        answer = await operator.post(
            "/v1/principals", json={"name": "bench-source", "grants": [{"role": "source", "source": "*"}]}
        )
        assert answer.status_code == 201, answer.text
        source = httpx.AsyncClient(
            transport=transport, base_url="http://profile", headers={"Authorization": f"Bearer {answer.json()['key']}"}
        )
        try:
            yield system, operator, source
        finally:
            await operator.aclose()
            await source.aclose()


async def expect(response: Awaitable[httpx.Response], status: int = 200) -> httpx.Response:
    answer = await response
    if answer.status_code != status:
        raise RuntimeError(f"{answer.request.method} {answer.request.url}: HTTP {answer.status_code} {answer.text}")
    return answer


# -- the workloads -----------------------------------------------------------------------------------------
async def appends(source: httpx.AsyncClient, prefix: str, count: int) -> int:
    """``count`` single events, one request each (cases of a received and an accepted); the cases posted."""
    cases = math.ceil(count / 2)
    posted = 0
    for n in range(cases):
        for body in workload.grievance(f"{prefix}-{n}", n, 2):
            if posted == count:
                return cases
            headers = {"Content-Type": CE}
            await expect(source.post("/v1/events", content=body, headers=headers), 201)
            posted += 1
    return cases


async def load(source: httpx.AsyncClient, cases: int) -> int:
    """``cases`` cases of one or two events in batches of about 1,000 events; the events."""
    events = 0
    for start in range(0, cases, 600):
        batch = workload.cases("GR-L", start, min(600, cases - start))
        headers = {"Content-Type": BATCH}
        await expect(source.post("/v1/events:batch", content=workload.batch(batch), headers=headers), 201)
        events += len(batch)
    return events


async def read_pages(operator: httpx.AsyncClient, path: str, query: str, samples: int, paginate: bool) -> None:
    """``samples`` reads: pages of PAGE following ``next`` up to DEPTH pages, then from the first again."""
    first = "?".join(p for p in (path, "&".join(q for q in (query, f"limit={PAGE}" if paginate else "") if q)) if p)
    target, depth = first, 0
    for _ in range(samples):
        answer = parse((await expect(operator.get(target))).content)
        depth += 1
        following = _next(path, query, answer) if paginate and depth < DEPTH else None
        target, depth = (following, depth) if following else (first, 0)


@dataclass
class Profiled:
    """A workload's figures: the run without the profiler (its timers) and what the profile showed (its text
    tree and the shares computed from it; the profile itself is dropped, so it does not weigh on the heap the
    garbage collector walks in the next workload)."""

    name: str
    title: str
    operations: int
    unit: str
    plain_seconds: float
    profiled_seconds: float
    timers: Timers
    tree: str
    sampled: float
    shares: dict[str, float]
    inside: dict[str, float]


async def twice(
    name: str, title: str, unit: str, calls: tuple[Call, ...], work: Callable[[bool], Awaitable[int]]
) -> Profiled:
    """``work`` once without the profiler (``calls`` timed) and once under it; ``work(profiled)`` returns its
    operations. Each run starts after a full collection."""
    say(f"{title}: without the profiler")
    gc.collect()
    with Timers(calls).installed() as timers:
        started = time.perf_counter()
        operations = await work(False)
        plain = time.perf_counter() - started
    say(f"  {plain * 1000 / operations:.2f} ms per {unit}; again under the profiler")
    profiler = Profiler(interval=INTERVAL, async_mode="disabled", use_timing_thread=True)
    gc.collect()
    started = time.perf_counter()
    profiler.start()
    try:
        profiled_operations = await work(True)
    finally:
        profiler.stop()
    profiled = time.perf_counter() - started
    assert profiled_operations == operations
    say(f"  {profiled * 1000 / operations:.2f} ms per {unit} under the profiler")
    root = profiler.last_session.root_frame() if profiler.last_session else None
    assert root is not None
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    return Profiled(
        name,
        title,
        operations,
        unit,
        plain,
        profiled,
        timers,
        f"{title}: {operations:,} {plural(unit)} under the profiler\n{text}",
        root.time,
        shares(root),
        {call.label: cumulative(root, call) for call in calls},
    )


async def run(database_url: str, workdir: Path, o: argparse.Namespace) -> list[Profiled]:
    out = []
    with inline_threads():
        async with served(database_url, workdir) as (system, operator, source):
            say("warming up: 20 appends")
            await appends(source, "GR-W", 20)

            async def appending(profiled: bool) -> int:
                await appends(source, f"GR-P{int(profiled)}", o.appends)
                return o.appends

            out.append(
                await twice("appends", f"{o.appends} single appends over ASGI", "append", APPEND_CALLS, appending)
            )
            posted_cases = 10 + 2 * math.ceil(o.appends / 2)
            say(f"loading {o.cases - posted_cases:,} cases in batches")
            await load(source, o.cases - posted_cases)

            storage, projector = system.storage, system.projections.projector
            entries, position, case_ids = 0, 0, set()
            while found := storage.store.get().feed(position, 5000):
                entries, position = entries + len(found), found[-1].position
                case_ids |= {record.case_id for record in found}

            async def rebuilding(profiled: bool) -> int:
                rebuild(storage.store.get(), storage.read_model.get(), projector)
                return entries

            out.append(
                await twice(
                    "catchup",
                    f"read model rebuilt from 0 over {entries:,} ledger entries ({len(case_ids):,} cases)",
                    "entry",
                    CATCHUP_CALLS,
                    rebuilding,
                )
            )

            for path in (*LISTS, "/v1/statistics"):
                query = f"month={workload.STATISTICS_MONTH}" if path == "/v1/statistics" else ""
                paginate = path != "/v1/statistics"
                name = "reads-" + path.rsplit("/", 1)[1]
                title = f"GET {path}{'?' + query if query else '?limit=' + str(PAGE)} at {o.cases:,} cases"

                async def reading(
                    profiled: bool, path: str = path, query: str = query, paginate: bool = paginate
                ) -> int:
                    await read_pages(operator, path, query, o.reads, paginate)
                    return o.reads

                out.append(await twice(name, title, "request", READ_CALLS, reading))
    return out


def plural(unit: str) -> str:
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"


# -- the report --------------------------------------------------------------------------------------------
def report(profiles: list[Profiled], m: dict[str, Any], date: str) -> str:
    lines = [
        "# Profiles of the benchmark's workloads",
        "",
        "Written by `make profile` (`.venv/bin/python -m bench.profile`; its docstring says how): pyinstrument",
        f"{pyinstrument.__version__} sampling every {INTERVAL * 1000:g} ms, in-process, on a fresh PostgreSQL "
        "database.",
        "",
        f"Taken {date} on {m['platform']}, {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python "
        f"{m['python']}, PostgreSQL {m['postgresql']} (fsync {m['fsync']}, synchronous_commit "
        f"{m['synchronous_commit']}) on localhost; commit {m['commit'][:10]}"
        f"{' with uncommitted changes' if m['uncommitted_changes'] else ''}; load average "
        f"{m['load_average_at_start']:.1f} at the start, {m['load_average_at_end']:.1f} at the end (other work on the "
        "machine's cores slows everything alike, the shares least). One run: read the figures as orders of "
        "magnitude.",
        "",
        "Each workload runs twice. First without the profiler, a few calls timed by wrapping them (microseconds",
        "each): the first table, wall milliseconds per operation and calls per operation. Then under the",
        "profiler: the second table, every sample to the innermost category on its stack (a standard-library or",
        "C call counts for its caller: `hashlib` under hashing, the socket wait under psycopg). The profiler",
        "slows pure-Python code (a hook on every call) far more than waits for PostgreSQL, so its shares",
        "overstate Python against the database; the first table is the undisturbed measure. The work FastAPI",
        "hands to worker threads runs inline here, so the client (httpx over ASGI) and the event loop are in the",
        "profile too; their rows say how much. The call trees are in the `.txt` files beside this one.",
    ]
    for p in profiles:
        total, n, unit = p.sampled, p.operations, p.unit
        lines += [
            "",
            f"## {p.name}: {p.title}",
            "",
            f"{p.plain_seconds * 1000 / n:.2f} ms per {unit} without the profiler, "
            f"{p.profiled_seconds * 1000 / n:.2f} ms under it ({n:,} {plural(unit)}); "
            f"tree: [`{p.name}.txt`]({p.name}.txt).",
            "",
            f"| inside (callees included) | ms per {unit}, no profiler | calls per {unit} | share under the profiler |",
            "|---|---:|---:|---:|",
        ]
        for label in p.timers.seconds:
            share = f"{p.inside[label] / total:.0%}" if label in p.inside else "–"
            seconds, count = p.timers.seconds[label], p.timers.counts[label]
            calls = f"{count / n:.2f}" if count >= n / 10 else f"{count:,} in all"
            ms = "–" if label == ROUND_TRIPS else f"{seconds * 1000 / n:.2f}"
            lines.append(f"| {label} | {ms} | {calls} | {share} |")
        lines += [
            "",
            f"| under the profiler, by innermost category | share | ms per {unit} (profiled) |",
            "|---|---:|---:|",
        ]
        for name, seconds in p.shares.items():
            if seconds / total >= 0.005:
                lines.append(f"| {name} | {seconds / total:.0%} | {seconds * 1000 / n:.2f} |")
    return "\n".join(lines) + "\n"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appends", type=int, default=300, help="single appends profiled (300)")
    ap.add_argument("--cases", type=int, default=4000, help="cases in the ledger for the rebuild and reads (4000)")
    ap.add_argument("--reads", type=int, default=20, help="requests of each read endpoint (20)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "profiles", help="where the profiles go")
    return ap.parse_args(argv)


def main() -> None:
    o = options()
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    m = machine()
    dbs = Databases()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="esledger-profile-") as workdir:
            profiles = asyncio.run(run(dbs.create("profile"), Path(workdir), o))
    finally:
        dbs.drop_all()
    m["load_average_at_end"] = os.getloadavg()[0]
    o.out.mkdir(parents=True, exist_ok=True)
    for p in profiles:
        (o.out / f"{p.name}.txt").write_text(p.tree)
    (o.out / "README.md").write_text(report(profiles, m, date))
    say(f"written to {o.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
