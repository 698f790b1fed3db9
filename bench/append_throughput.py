"""Append throughput of the ledger over HTTP: single events (one client, and several at once) and batches.

Runs ``esledger serve`` as a separate process on a fresh PostgreSQL database (``--sqlite`` for the embedded
default), posts generated grievance events through real HTTP, prints a Markdown table and drops the database.

    .venv/bin/python bench/append_throughput.py [--events 2000] [--clients 8] [--batch 100] [--sqlite]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.helpers import BATCH, CE, ce, received  # noqa: E402

ADMIN_URL = os.environ.get("ESLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as d:
            yield f"sqlite:///{d}/bench.sqlite3"
        return
    name = f"esledger_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    p = urlsplit(ADMIN_URL)
    try:
        yield urlunsplit((p.scheme, p.netloc, "/" + name, "", ""))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def server(database_url: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/esledger"), "serve", "--port", str(port), "--database", database_url],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def note(subject: str, n: int) -> dict:
    return ce(
        "case.commendation_granted",
        subject,
        {
            "recipient_unit": {"code": "U1", "name": "沙市区政务数据局"},
            "reason": f"第{n}次",
            "granted_by": {"code": "JZ", "name": "荆州市政务数据局"},
        },
        id=f"{subject}-{n}",
    )


def case_events(subject: str, per_case: int) -> list[dict]:
    return [received(subject, id=f"{subject}-0")] + [note(subject, n) for n in range(1, per_case)]


def singles(url: str, events: list[dict]) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for e in events:
            t = time.perf_counter()
            r = c.post("/v1/events", content=orjson.dumps(e), headers=CE)
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 201, r.text
    return latencies


def batches(url: str, events: list[dict], size: int) -> None:
    with httpx.Client(base_url=url, timeout=120) as c:
        for i in range(0, len(events), size):
            r = c.post("/v1/events:batch", content=orjson.dumps(events[i : i + size]), headers=BATCH)
            assert r.status_code == 201, r.text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--per-case", type=int, default=20)
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    run = uuid.uuid4().hex[:6]

    def workload(tag: str) -> list[dict]:
        return [
            e for k in range(args.events // args.per_case) for e in case_events(f"B-{run}-{tag}-{k}", args.per_case)
        ]

    rows = []
    with database(args.sqlite) as url_db, server(url_db) as url:
        events = workload("s")
        t = time.perf_counter()
        lat = singles(url, events)
        rows.append(("single events, 1 client", len(events), time.perf_counter() - t, lat))
        print(f"  single, 1 client: {len(events)} events", file=sys.stderr)

        per_client = [workload(f"c{i}")[: args.events // args.clients] for i in range(args.clients)]
        t = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            lat = [x for part in pool.map(lambda ev: singles(url, ev), per_client) for x in part]
        rows.append((f"single events, {args.clients} clients", len(lat), time.perf_counter() - t, lat))
        print(f"  single, {args.clients} clients: {len(lat)} events", file=sys.stderr)

        events = workload("b")
        t = time.perf_counter()
        batches(url, events, args.batch)
        rows.append((f"batches of {args.batch}", len(events), time.perf_counter() - t, None))

    backend = "SQLite (embedded)" if args.sqlite else "PostgreSQL 15 (localhost)"
    print(
        f"\nbackend: {backend}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server and client on the same machine\n"
    )
    print("| workload | events | events/s | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, n, secs, lat in rows:
        p50 = f"{statistics.median(lat) * 1000:.1f}" if lat else "–"
        p95 = f"{statistics.quantiles(lat, n=20)[18] * 1000:.1f}" if lat else "–"
        print(f"| {name} | {n} | {n / secs:.0f} | {p50} | {p95} |")


if __name__ == "__main__":
    main()
