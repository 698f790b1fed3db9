"""The benchmark suite behind ``make bench``: every measure of the performance targets and its baselines in
one run, on fresh PostgreSQL databases (all dropped at the end, also on failure).

    .venv/bin/python -m bench.suite [--quick] [--only PART ...] [--cases 10000,100000] [--leaves N] …

Parts, in order: ``baselines`` (raw psycopg and the eventsourcing library alone), ``appends`` (single events
from 1, 8 and 32 clients; batches of 100), ``reads`` (pages of 100 of the lists and monthly statistics at
each case count, appends while lists are read, the server's memory), ``catchup`` (the read model rebuilt
from zero) and ``proofs`` (Merkle proofs at a million leaves). The service runs as a separate process,
``esledger serve``, posted to and read over HTTP; the client shares the machine's cores with it.

Progress goes to stderr; at the end a Markdown table (measure, esledger, baseline, ratio, target, met) goes to
stdout and everything measured to ``bench/results.json``. Exit status 1 when a part failed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
import psycopg

from bench import baselines, proofs, workload
from bench.harness import (
    ADMIN_URL,
    BATCH,
    CE,
    ROOT,
    Databases,
    Http,
    HttpError,
    Server,
    Window,
    latency_ms,
    say,
)
from esledger.bootstrap import Storage, bootstrap
from esledger.projections.rebuild import rebuild
from esledger.settings import Settings

PARTS = ("baselines", "appends", "reads", "catchup", "proofs")
FULL = {
    "seconds": 15.0,
    "warmup": 2.0,
    "baseline_seconds": 10.0,
    "cases": "10000,100000",
    "read_budget": 30.0,
    "catchup_events": 50_000,
    "leaves": 1_000_000,
    "proof_samples": 2000,
}
QUICK = {
    "seconds": 3.0,
    "warmup": 0.5,
    "baseline_seconds": 1.5,
    "cases": "1000,2000",
    "read_budget": 3.0,
    "catchup_events": 4000,
    "leaves": 50_000,
    "proof_samples": 300,
}
PAGE = 100
"""Items per page of a list."""
DEPTH = 5
"""Pages followed through ``next`` before a list is read from its first page again."""
LISTS = ("/v1/cases", "/v1/deadlines", "/v1/findings")
HUGE = 50_000_000
"""Bytes beyond which an answer is not parsed: it cannot be a page of PAGE items."""
APPENDERS = 8
"""Clients posting single events while lists are read (and alone, for comparison)."""
TARGET_CASES, TARGET_STATISTICS_CASES, TARGET_LEAVES = (10_000, 100_000), 100_000, 1_000_000
"""The sizes the targets name; figures measured at other sizes are starred in the table."""

T = TypeVar("T")


# -- appends -------------------------------------------------------------------------------------------------
async def singles(server: Server, key: str, clients: int, warmup: float, seconds: float, prefix: str) -> dict:
    """Each client posts its own cases, one event per request (received, then accepted), for the window."""
    conns = [Http(server.url, key) for _ in range(clients)]
    window = Window.after(warmup, seconds)
    cases = [0] * clients

    async def client(i: int) -> None:
        while window.open():
            n = cases[i]
            cases[i] += 1
            for body in workload.grievance(f"{prefix}-{i}-{n}", n, 2):
                started = time.perf_counter()
                await conns[i].expect("POST", "/v1/events", body, CE, ok=201)
                window.record(started)

    return await _costed(server, window, [client(i) for i in range(clients)], conns) | {
        "clients": clients,
        "cases": sum(cases),
    }


async def batches(server: Server, key: str, size: int, warmup: float, seconds: float) -> dict:
    """One client posts batches of ``size`` events (cases of two events) for the window."""
    conn = Http(server.url, key)
    window = Window.after(warmup, seconds)

    async def client() -> None:
        for n in itertools.count():
            if not window.open():
                return
            events = [e for c in range(size // 2) for e in workload.grievance(f"GR-BA-{n}-{c}", n + c, 2)]
            started = time.perf_counter()
            await conn.expect("POST", "/v1/events:batch", workload.batch(events), BATCH, ok=201)
            window.record(started, len(events))

    return await _costed(server, window, [client()], [conn]) | {"batch": size}


async def _costed(server: Server, window: Window, work: list[Awaitable[None]], conns: list[Http]) -> dict:
    """Run the clients; the window's figures with the server's CPU per event, the cores the server process used
    (its interpreter lock caps its Python at about one) and the client's share of a core."""
    cpu, own = server.cpu(), time.process_time()
    started = time.perf_counter()
    try:
        await asyncio.gather(*work)
    finally:
        for conn in conns:
            await conn.close()
    wall = time.perf_counter() - started
    summary = window.summary()
    return summary | {
        "server_cpu_ms_per_event": round((server.cpu() - cpu) * 1000 / max(1, window.total), 2),
        "server_cores": round((server.cpu() - cpu) / wall, 2),
        "client_cpu_share": round((time.process_time() - own) / wall, 2),
    }


async def appends(server: Server, key: str, o: argparse.Namespace) -> dict:
    out: dict[str, Any] = {"singles": {}}
    for n in o.clients:
        say(f"  single events, {n} client(s), {o.seconds:g} s")
        out["singles"][str(n)] = result = await singles(server, key, n, o.warmup, o.seconds, f"GR-S{n}")
        say(f"    {result['ev_per_s']:,.0f} ev/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    say(f"  batches of {o.batch}, {o.seconds:g} s")
    out["batches"] = result = await batches(server, key, o.batch, o.warmup, o.seconds)
    say(f"    {result['ev_per_s']:,.0f} ev/s")
    return out


# -- loading and reading -------------------------------------------------------------------------------------
def _batches(prefix: str, start: int, count: int, per_batch: int) -> Iterator[tuple[int, list[bytes]]]:
    """(cases, events) of batches of at most ``per_batch`` events, a case's events always in one batch."""
    cases, events = 0, []
    for n in range(start, start + count):
        events += workload.grievance(f"{prefix}-{n}", n, 1 + n % 2)
        cases += 1
        if len(events) >= per_batch - 1:
            yield cases, events
            cases, events = 0, []
    if events:
        yield cases, events


async def load(server: Server, key: str, prefix: str, start: int, count: int, per_batch: int = 1000) -> int:
    """Post ``count`` cases (numbered from ``start``, one or two events each) in batches from two
    connections, then wait until the server is idle; the number of events."""
    work = _batches(prefix, start, count, per_batch)
    done = {"cases": 0, "events": 0}
    started = last = time.perf_counter()

    async def loader() -> None:
        conn = Http(server.url, key)
        for cases, events in work:
            await conn.expect("POST", "/v1/events:batch", workload.batch(events), BATCH, ok=201)
            done["cases"] += cases
            done["events"] += len(events)
            nonlocal last
            if time.perf_counter() - last > 10:
                last = time.perf_counter()
                rate = done["events"] / (last - started)
                say(f"    loaded {done['cases']:,} of {count:,} cases ({rate:,.0f} ev/s)")
        await conn.close()

    await asyncio.gather(loader(), loader())
    say(f"    loaded {count:,} cases, {done['events']:,} events in {time.perf_counter() - started:.0f} s")
    await server.quiesce()
    return done["events"]


def _target(path: str, *parameters: str) -> str:
    query = "&".join(p for p in parameters if p)
    return f"{path}?{query}" if query else path


def _next(path: str, query: str, answer: dict) -> str | None:
    """Where the answer's ``next`` cursor leads: a path or URL as given, or a bare cursor as ``cursor=``."""
    cursor = answer.get("next")
    if cursor is None:
        return None
    if isinstance(cursor, str) and cursor.startswith(("/", "http://", "https://")):
        return "/" + cursor.split("/", 3)[3] if cursor.startswith("http") else cursor
    return _target(path, query, f"limit={PAGE}", f"cursor={quote(str(cursor))}")


async def reading(conn: Http, path: str, query: str, o: argparse.Namespace, paginate: bool) -> dict:
    """Latencies of reads of ``path``: pages of PAGE (``limit``, following ``next`` up to DEPTH pages, then
    from the first again) when ``paginate``, else whole answers; samples until ``--read-budget`` seconds have
    passed (at least one) or ``--read-samples`` were taken. An endpoint that refuses ``limit`` (400) or
    ignores it (more than PAGE items) is read whole and labelled so."""
    first = _target(path, query, f"limit={PAGE}" if paginate else "")
    mode = "paginated" if paginate else "whole"
    target, depth, latencies = first, 0, []
    out: dict[str, Any] = {}
    answer: dict[str, Any] = {}
    ends = time.monotonic() + o.read_budget
    while len(latencies) < o.read_samples and (not latencies or time.monotonic() < ends):
        started = time.perf_counter()
        try:
            status, body = await conn.request("GET", target)
        except TimeoutError:
            await conn.close()
            out["timed_out_after_s"] = conn.timeout
            break
        elapsed = time.perf_counter() - started
        if status == 400 and mode == "paginated" and not latencies:
            mode, first = "unpaginated (limit refused)", _target(path, query)
            target = first
            continue
        if status != 200:
            raise HttpError("GET", target, status, body)
        latencies.append(elapsed)
        if len(latencies) == 1:
            out["first_answer_bytes"] = len(body)
            if len(body) > HUGE:
                mode = "unpaginated (limit ignored)" if mode == "paginated" else mode
        if len(body) <= HUGE and (len(latencies) == 1 or mode == "paginated"):
            answer = orjson.loads(body)
            items = max((len(v) for v in answer.values() if isinstance(v, list)), default=0)
            if len(latencies) == 1:
                out["first_answer_items"] = items
                if mode == "paginated" and items > PAGE:
                    mode = "unpaginated (limit ignored)"
        depth += 1
        following = _next(path, query, answer) if mode == "paginated" and depth < DEPTH else None
        target, depth = (following, depth) if following else (first, 0)
    return out | {"mode": mode, "samples": len(latencies)} | latency_ms(latencies)


async def under_reads(server: Server, key: str, o: argparse.Namespace) -> dict:
    """Appends per second alone, then while ``--readers`` clients read first pages of the lists."""
    say(f"  appends alone, {APPENDERS} clients, {o.seconds:g} s")
    alone = await singles(server, key, APPENDERS, o.warmup, o.seconds, "GR-RA")
    say(f"    {alone['ev_per_s']:,.0f} ev/s")
    stop = asyncio.Event()
    reads: list[float] = []

    async def reader(i: int) -> None:
        conn = Http(server.url, server.operator)
        for path in itertools.islice(itertools.cycle(LISTS), i, None):
            if stop.is_set():
                break
            started = time.perf_counter()
            await conn.expect("GET", f"{path}?limit={PAGE}")
            reads.append(time.perf_counter() - started)
        await conn.close()

    say(f"  appends while {o.readers} client(s) read lists, {o.seconds:g} s")
    readers = [asyncio.create_task(reader(i)) for i in range(o.readers)]
    try:
        together = await singles(server, key, APPENDERS, o.warmup, o.seconds, "GR-RB")
    finally:
        stop.set()
        await asyncio.gather(*readers)
    say(f"    {together['ev_per_s']:,.0f} ev/s ({len(reads)} list reads)")
    return {"alone": alone, "with_readers": together, "readers": o.readers, "reads": len(reads)} | {
        "read_" + k: v for k, v in latency_ms(reads).items()
    }


async def reads(server: Server, key: str, o: argparse.Namespace) -> dict:
    operator = Http(server.url, server.operator)
    out: dict[str, Any] = {"sizes": {}}
    loaded = created = 0
    for size in o.cases:
        say(f"  loading to {size:,} cases")
        count = max(0, size - created)
        await load(server, key, "GR-L", loaded, count)
        loaded, created = loaded + count, created + count
        here = out["sizes"][str(size)] = {"memory_mb_loaded": server.memory()}
        for path in LISTS:
            say(f"  {path} at {size:,} cases")
            here[path] = result = await reading(operator, path, "", o, paginate=True)
            say(f"    p50 {result['p50_ms']} ms over {result['samples']} ({result['mode']})")
        say(f"  /v1/statistics?month={workload.STATISTICS_MONTH} at {size:,} cases")
        here["/v1/statistics"] = result = await reading(
            operator, "/v1/statistics", f"month={workload.STATISTICS_MONTH}", o, paginate=False
        )
        say(f"    p50 {result['p50_ms']} ms over {result['samples']}")
        here["memory_mb"] = server.memory()
        say(f"    server RSS {here['memory_mb']['VmRSS']:,.0f} MB (peak {here['memory_mb']['VmHWM']:,.0f} MB)")
        if "under_reads" not in out:
            out["under_reads"] = result = await under_reads(server, key, o)
            out["under_reads"]["cases"] = size
            created += result["alone"]["cases"] + result["with_readers"]["cases"]
            await server.quiesce()
    await operator.close()
    return out


# -- catch-up ------------------------------------------------------------------------------------------------
def catchup(dbs: Databases, workdir: Path, o: argparse.Namespace) -> dict:
    """Load events through the service, stop it, and time the read model rebuilt from position 0 (in this
    process, through ``esledger.projections.rebuild``)."""
    url = dbs.create("catchup")
    count = math.ceil(o.catchup_events * 2 / 3)  # cases of one and two events alternately
    say(f"  loading {o.catchup_events:,} events ({count:,} cases)")
    events = served(url, workdir / "catchup", lambda server, key: load(server, key, "GR-C", 0, count))
    storage = Storage(Settings(database_url=url))
    projections = bootstrap(Settings(database_url=url), role="projections", follow=False).projections
    assert projections is not None
    last = time.perf_counter()

    def progress(position: int, head: int) -> None:
        nonlocal last
        if time.perf_counter() - last > 10:
            last = time.perf_counter()
            say(f"    rebuilt to position {position:,} of {head:,}")

    say("  rebuilding the read model from zero")
    try:
        started = time.perf_counter()
        rebuild(storage.store.get(), storage.read_model.get(), projections.projector, progress)
        seconds = time.perf_counter() - started
    finally:
        storage.close()
    say(f"    {events / seconds:,.0f} ev/s")
    return {"events": events, "seconds": round(seconds, 2), "ev_per_s": round(events / seconds)}


# -- running -------------------------------------------------------------------------------------------------
def served(database_url: str, workdir: Path, body: Callable[[Server, str], Awaitable[T]]) -> T:
    """``body(server, source key)`` against ``esledger serve`` on the database; the server stopped after."""
    workdir.mkdir()
    server = Server(database_url, workdir)

    async def run() -> T:
        return await body(server, await server.started())

    try:
        return asyncio.run(run())
    except BaseException:
        say(f"  the server's log ends:\n{server.tail()}")
        raise
    finally:
        server.stop()


def run_part(name: str, dbs: Databases, workdir: Path, o: argparse.Namespace) -> dict:
    if name == "baselines":
        seconds, warm = o.baseline_seconds, o.warmup
        out = {}
        for label, run in (
            ("raw_1", lambda: baselines.raw_rows(dbs.create("raw1"), 1, 1, warm, seconds)),
            ("raw_4", lambda: baselines.raw_rows(dbs.create("raw4"), 4, 1, warm, seconds)),
            ("raw_batch_100", lambda: baselines.raw_rows(dbs.create("rawb"), 1, 100, warm, seconds)),
            ("library_save_1", lambda: baselines.library_saves(dbs.create("lib1"), 1, warm, seconds)),
            ("library_save_100", lambda: baselines.library_saves(dbs.create("lib100"), 100, warm, seconds)),
        ):
            say(f"  {BASELINES[label]}, {seconds:g} s")
            out[label] = result = run()
            rate = result.get("rows_per_s", result.get("ev_per_s"))
            say(f"    {rate:,.0f}/s, p50 {result['p50_ms']} ms")
        return out
    if name == "appends":
        return served(dbs.create("appends"), workdir / name, lambda s, k: appends(s, k, o))
    if name == "reads":
        return served(dbs.create("reads"), workdir / name, lambda s, k: reads(s, k, o))
    if name == "catchup":
        return catchup(dbs, workdir, o)
    return proofs.measure(dbs.create("proofs"), o.leaves, o.proof_samples)


# -- reporting -----------------------------------------------------------------------------------------------
BASELINES = {
    "raw_1": "raw psycopg INSERT+COMMIT per row, 1 connection",
    "raw_4": "raw psycopg INSERT+COMMIT per row, 4 connections",
    "raw_batch_100": "raw psycopg executemany of 100 rows in one transaction",
    "library_save_1": "eventsourcing save of 1 aggregate",
    "library_save_100": "eventsourcing save of 100 aggregates",
}


@dataclass
class Row:
    measure: str
    esledger: str
    baseline: str = "–"
    ratio: float | None = None
    target: str = "–"
    met: bool | None = None
    at_target_size: bool = True


def _lat(r: dict) -> str:
    return f"p50 {r['p50_ms']:g} ms (p95 {r['p95_ms']:g}, p99 {r['p99_ms']:g})"


def _rate(r: dict, unit: str = "ev") -> str:
    return f"{r[f'{unit}_per_s']:,.0f} {unit}/s"


def rows(results: dict) -> list[Row]:
    """The table: each target with the figures measured, the baseline it is compared with and the verdict."""
    out: list[Row] = []
    base = results.get("baselines", {})
    if "error" in base:
        base = {}
    if "singles" in (appended := results.get("appends", {})):
        one = appended["singles"].get("1")
        raw1 = base.get("raw_1")
        if one:
            out.append(
                Row(
                    "single events, 1 client",
                    f"{_rate(one)}; {_lat(one)}",
                    f"{BASELINES['raw_1']}: {_rate(raw1, 'rows')}; p50 {raw1['p50_ms']:g} ms" if raw1 else "–",
                    one["p50_ms"] / raw1["p50_ms"] if raw1 else None,
                    "p50 ≤ 3 ms",
                    one["p50_ms"] <= 3,
                )
            )
        raw4 = base.get("raw_4")
        for clients, r in appended["singles"].items():
            if clients == "1":
                continue
            ratio = r["ev_per_s"] / raw4["rows_per_s"] if raw4 else None
            out.append(
                Row(
                    f"single events, {clients} clients",
                    f"{_rate(r)}; {_lat(r)}",
                    f"{BASELINES['raw_4']}: {_rate(raw4, 'rows')}" if raw4 else "–",
                    ratio,
                    "≥ 1.0× baseline",
                    None if ratio is None else ratio >= 1.0,
                )
            )
        if len(appended["singles"]) > 1:
            rates = [r["ev_per_s"] for r in appended["singles"].values()]
            steps = [b / a for a, b in itertools.pairwise(rates)]
            out.append(
                Row(
                    f"single events as clients grow ({' → '.join(appended['singles'])})",
                    " → ".join(f"{x:,.0f}" for x in rates) + " ev/s",
                    ratio=min(steps),
                    target="never falls (each step ≥ 1.0×)",
                    met=min(steps) >= 1.0,
                )
            )
        r, lib = appended["batches"], base.get("library_save_100")
        ratio = r["ev_per_s"] / lib["ev_per_s"] if lib else None
        out.append(
            Row(
                f"batches of {r['batch']} over HTTP",
                f"{_rate(r)}; p50 {r['p50_ms']:g} ms a batch",
                f"{BASELINES['library_save_100']}: {_rate(lib)}" if lib else "–",
                ratio,
                "≥ 1.0× baseline",
                None if ratio is None else ratio >= 1.0,
            )
        )
    if "ev_per_s" in (caught := results.get("catchup", {})):
        out.append(
            Row(
                f"projection catch-up from zero ({caught['events']:,} events)",
                f"{caught['ev_per_s']:,} ev/s",
                target="≥ 10,000 ev/s",
                met=caught["ev_per_s"] >= 10_000,
            )
        )
    if "sizes" in (read := results.get("reads", {})):
        for size, here in read["sizes"].items():
            n = int(size)
            for path in LISTS:
                r = here[path]
                label = "" if r["mode"] == "paginated" else f" — {r['mode']}"
                out.append(_read_row(f"`{path}` page of {PAGE} at {n:,} cases{label}", r, 50, n in TARGET_CASES))
            out.append(
                _read_row(
                    f"`/v1/statistics?month=` at {n:,} cases",
                    here["/v1/statistics"],
                    200,
                    n == TARGET_STATISTICS_CASES,
                )
            )
        if "under_reads" in read:
            u = read["under_reads"]
            ratio = u["with_readers"]["ev_per_s"] / u["alone"]["ev_per_s"]
            out.append(
                Row(
                    f"appends ({APPENDERS} clients) while {u['readers']} clients read lists, {u['cases']:,} cases",
                    f"{_rate(u['with_readers'])} ({u['reads']} list reads, p50 {u['read_p50_ms']:,.0f} ms; server "
                    f"{u['with_readers']['server_cores']:.2f} cores)",
                    f"appends alone: {_rate(u['alone'])} (server {u['alone']['server_cores']:.2f} cores)",
                    ratio,
                    "≥ 0.9× baseline",
                    ratio >= 0.9,
                )
            )
        size, here = list(read["sizes"].items())[-1]
        mem = here["memory_mb"]
        out.append(
            Row(
                f"server RSS at {int(size):,} cases after list reads",
                f"{mem['VmRSS']:,.0f} MB (peak {mem['VmHWM']:,.0f} MB)",
                target="≤ 300 MB",
                met=mem["VmRSS"] <= 300,
                at_target_size=int(size) == TARGET_STATISTICS_CASES,
            )
        )
    if "inclusion" in (proven := results.get("proofs", {})):
        for kind in ("inclusion", "consistency"):
            r = proven[kind]
            out.append(
                Row(
                    f"{kind} proof at {proven['leaves']:,} leaves",
                    _lat(r),
                    target="p50 ≤ 5 ms",
                    met=r["p50_ms"] <= 5,
                    at_target_size=proven["leaves"] == TARGET_LEAVES,
                )
            )
    return out


def _read_row(measure: str, r: dict, limit_ms: float, at_target_size: bool) -> Row:
    if "timed_out_after_s" in r and not r["samples"]:
        return Row(measure, f"no answer in {r['timed_out_after_s']:g} s", target=f"p50 ≤ {limit_ms:g} ms", met=False)
    spread = "1 sample" if r["samples"] == 1 else f"p95 {r['p95_ms']:,.1f}; {r['samples']} samples"
    return Row(
        measure,
        f"p50 {r['p50_ms']:,.1f} ms ({spread})",
        target=f"p50 ≤ {limit_ms:g} ms",
        met=r["p50_ms"] <= limit_ms,
        at_target_size=at_target_size,
    )


def table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"esledger benchmark, {report['date']}{' (--quick)' if report['options']['quick'] else ''}: "
        f"{m['platform']}, {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"PostgreSQL {m['postgresql']} (fsync {m['fsync']}, synchronous_commit {m['synchronous_commit']}) on "
        f"localhost; commit {m['commit'][:10]}{' with uncommitted changes' if m['uncommitted_changes'] else ''}; "
        f"client, server and database share the cores (load average {m['load_average_at_start']:.1f} at the "
        f"start, {m['load_average_at_end']:.1f} at the end)",
        "",
        "| measure | esledger | baseline | ratio (esledger ÷ baseline) | target | |",
        "|---|---|---|---:|---|---|",
    ]
    starred = False
    for row in (Row(**d) for d in report["table"]):
        verdict = "–" if row.met is None else ("met" if row.met else "**missed**")
        if row.met is not None and not row.at_target_size:
            verdict += " \\*"
            starred = True
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        lines.append(f"| {row.measure} | {row.esledger} | {row.baseline} | {ratio} | {row.target} | {verdict} |")
    if starred:
        lines.append("\n\\* measured at a smaller size than the target names")
    if base := report["results"].get("baselines"):
        lines += [
            "",
            "| baseline (same PostgreSQL, ~2 KB rows) | rate | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, r in base.items():
            if isinstance(r, dict):
                rate = _rate(r, "rows") if "rows_per_s" in r else _rate(r)
                lines.append(f"| {BASELINES[label]} | {rate} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")
    lines += ["", "| part | minutes |", "|---|---:|"]
    lines += [f"| {part} | {seconds / 60:.1f} |" for part, seconds in report["durations_s"].items()]
    errors = [f"- {part}: {r['error']}" for part, r in report["results"].items() if "error" in r]
    return "\n".join(lines + (["", "Failed:", *errors] if errors else []))


def machine() -> dict[str, Any]:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    cpuinfo = Path("/proc/cpuinfo").read_text()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    with psycopg.connect(ADMIN_URL) as conn:
        version, fsync, sync = (
            conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit")
        )

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "platform": platform.platform(),
        "cpu": cpu or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo["MemTotal"].split()[0]) / 2**20, 1),
        "python": platform.python_version(),
        "postgresql": version,
        "fsync": fsync,
        "synchronous_commit": sync,
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--", "services", "schemas", "pyproject.toml")),
        "load_average_at_start": os.getloadavg()[0],
    }


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smoke run in under 2 minutes: small sizes, short windows")
    ap.add_argument("--only", action="append", choices=PARTS, help="run this part only (repeatable)")
    ap.add_argument("--seconds", type=float, help="each append window (15; quick: 3)")
    ap.add_argument("--warmup", type=float, help="seconds before each window opens (2; quick: 0.5)")
    ap.add_argument("--baseline-seconds", type=float, help="each baseline's window (10; quick: 1.5)")
    ap.add_argument("--clients", default="1,8,32", help="client counts posting single events (1,8,32)")
    ap.add_argument("--batch", type=int, default=100, help="events per batch (100)")
    ap.add_argument("--cases", help="case counts the lists are read at (10000,100000; quick: 1000,2000)")
    ap.add_argument("--read-budget", type=float, help="seconds of reads per endpoint and size, at least one (30)")
    ap.add_argument("--read-samples", type=int, default=20, help="most reads per endpoint and size (20)")
    ap.add_argument("--readers", type=int, default=2, help="clients reading lists while others append (2)")
    ap.add_argument("--catchup-events", type=int, help="events the read model catches up on (50000; quick: 4000)")
    ap.add_argument("--leaves", type=int, help="Merkle log size for the proofs (1000000; quick: 50000)")
    ap.add_argument("--proof-samples", type=int, help="proofs timed of each kind (2000; quick: 300)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json", help="where the JSON goes")
    o = ap.parse_args(argv)
    for name, value in (QUICK if o.quick else FULL).items():
        if getattr(o, name) is None:
            setattr(o, name, value)
    o.clients = [int(n) for n in o.clients.split(",")]
    o.cases = sorted(int(n) for n in o.cases.split(","))
    o.only = [p for p in PARTS if p in (o.only or PARTS)]
    return o


def main() -> None:
    o = options()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(o).items()},
        "durations_s": {},
        "results": {},
    }
    dbs = Databases()
    try:
        with tempfile.TemporaryDirectory(prefix="esledger-bench-") as workdir:
            for part in o.only:
                say(f"{part}:")
                started = time.perf_counter()
                try:
                    report["results"][part] = run_part(part, dbs, Path(workdir), o)
                except Exception as exc:  # noqa: BLE001 - reported, and the other parts still run
                    traceback.print_exc()
                    report["results"][part] = {"error": f"{type(exc).__name__}: {exc}"}
                report["durations_s"][part] = round(time.perf_counter() - started, 1)
                say(f"  ({report['durations_s'][part] / 60:.1f} min)")
    finally:
        dbs.drop_all()
    report["machine"]["load_average_at_end"] = os.getloadavg()[0]
    report["table"] = [asdict(row) for row in rows(report["results"])]
    o.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(report))
    say(f"\nwritten to {o.out}")
    if any("error" in r for r in report["results"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
