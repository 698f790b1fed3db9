"""What every measure shares: fresh PostgreSQL databases (all dropped at the end), the service as a separate
process, a lean HTTP/1.1 client, timed windows and percentiles."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[1]
ESLEDGER = str(ROOT / ".venv" / "bin" / "esledger")
ADMIN_URL = os.environ.get("ESLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation between the nearest ranks); NaN when there are no values."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    low = math.floor(k)
    high = min(low + 1, len(s) - 1)
    return s[low] + (s[high] - s[low]) * (k - low)


def latency_ms(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in seconds, in milliseconds."""
    return {f"p{q}_ms": round(percentile(values, q) * 1000, 2) for q in (50, 95, 99)}


class Databases:
    """Fresh databases on the server at ``ESLEDGER_TEST_POSTGRES_URL``; ``drop_all`` drops every one made."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:6]
        self.names: list[str] = []

    def create(self, label: str) -> str:
        name = f"esledger_bench_{self.run}_{label}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        p = urlsplit(ADMIN_URL)
        return urlunsplit((p.scheme, p.netloc, "/" + name, "", ""))

    def drop_all(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            while self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.names.pop()}" WITH (FORCE)')


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """The process's resident set now (VmRSS) and at its peak (VmHWM), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {k: round(int(status[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM")}


class HttpError(Exception):
    def __init__(self, method: str, target: str, status: int, body: bytes) -> None:
        super().__init__(f"{method} {target.split('?')[0]}: HTTP {status} {body[:500].decode(errors='replace')}")
        self.status = status


class Http:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a load generator that takes little of the 2
    cores it shares with the server (httpx costs several times more CPU per request)."""

    def __init__(self, url: str, key: str, timeout: float = 900.0) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.key, self.timeout = parts.hostname or "127.0.0.1", parts.port or 80, key, timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        return await asyncio.wait_for(self._exchange(method, target, body, content_type), self.timeout)

    async def expect(self, method: str, target: str, body: bytes = b"", content_type: str = "", ok: int = 200) -> bytes:
        """The answer's body; HttpError unless the status is ``ok``."""
        status, answer = await self.request(method, target, body, content_type)
        if status != ok:
            raise HttpError(method, target, status, answer)
        return answer

    async def call(self, method: str, target: str, body: bytes = b"", content_type: str = "", ok: int = 200) -> Any:
        """The answer's JSON; HttpError unless the status is ``ok``."""
        return orjson.loads(await self.expect(method, target, body, content_type, ok))

    async def _exchange(self, method: str, target: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.key}\r\n"
            f"Content-Length: {len(body)}\r\n" + (f"Content-Type: {content_type}\r\n" if content_type else "") + "\r\n"
        ).encode()
        reused = self._streams is not None
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        try:
            writer.write(head + body)
            line = await reader.readline()
        except ConnectionResetError:
            line = b""
        if not line and reused:  # the server closed the idle connection before reading the request: resend
            await self.close()
            self._streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._streams
            writer.write(head + body)
            line = await reader.readline()
        status = int(line.split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            chunks = []
            while size := int((await reader.readline()).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            await reader.readline()
            answer = b"".join(chunks)
        else:
            answer = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


@dataclass
class Window:
    """Operations timed inside a window that opens after a warm-up: the rate counts operations completed in
    the window, latencies those started in it."""

    opens: float
    closes: float
    done: int = 0
    total: int = 0
    """Operations completed, in the window or not."""
    latencies: list[float] = field(default_factory=list)

    @classmethod
    def after(cls, warmup: float, seconds: float) -> Window:
        opens = time.perf_counter() + warmup
        return cls(opens, opens + seconds)

    def open(self) -> bool:
        return time.perf_counter() < self.closes

    def record(self, started: float, items: int = 1) -> None:
        ended = time.perf_counter()
        self.total += items
        if started >= self.opens:
            self.latencies.append(ended - started)
        if self.opens <= ended <= self.closes:
            self.done += items

    def summary(self, unit: str = "ev") -> dict[str, Any]:
        seconds = self.closes - self.opens
        return {f"{unit}_per_s": round(self.done / seconds, 1), "count": self.done, "seconds": seconds} | latency_ms(
            self.latencies
        )


class Server:
    """``esledger serve`` on a fresh database, as a separate process, with a generated operator key (admin and
    reviewer) and a rate limit the benchmark does not reach; stopped by ``stop``."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url, self.workdir = database_url, workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{s.getsockname()[1]}"
        self.operator = subprocess.run(
            [ESLEDGER, "principals", "newkey", "operator"], check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        self.log = workdir / "server.log"
        env = os.environ | {
            "ESLEDGER_ADMIN_KEY": self.operator,
            "ESLEDGER_RATE_LIMIT_PER_SECOND": "1000000",
            "ESLEDGER_RATE_LIMIT_BURST": "1000000",
            "ESLEDGER_DEV_KEY_FILE": str(workdir / "dev.key"),
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [ESLEDGER, "serve", "--port", self.url.rsplit(":", 1)[1], "--database", database_url],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.process.pid

    async def started(self, source_name: str = "bench-source") -> str:
        """Wait until the service answers, then register a source principal that may post anything; its key."""
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"esledger serve exited ({self.process.returncode}):\n{self.tail()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", int(self.url.rsplit(":", 1)[1]))
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        admin = Http(self.url, self.operator)
        grants = [{"role": "source", "source": "*"}]
        body = orjson.dumps({"name": source_name, "grants": grants})
        answer = await admin.call("POST", "/v1/principals", body, "application/json", ok=201)
        await admin.close()
        return str(answer["key"])

    async def quiesce(self, timeout: float = 3600) -> int:
        """Wait until the read model reflects the whole ledger and the Merkle log holds every entry (a
        checkpoint integrates what is left), so a measure starts with the server idle; the ledger's head."""
        admin = Http(self.url, self.operator)
        deadline = time.monotonic() + timeout
        last = 0.0
        while True:
            health = await admin.call("GET", "/v1/projections/health")
            if health["lag"] == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the read model is still {health['lag']} positions behind after {timeout:.0f} s")
            if time.monotonic() - last > 10:
                say(f"    read model at {health['position']:,} of {health['head']:,}")
                last = time.monotonic()
            await asyncio.sleep(0.5)
        await admin.call("POST", "/v1/checkpoints", ok=201)
        await admin.close()
        return int(health["head"])

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def memory(self) -> dict[str, float]:
        return memory_mb(self.pid)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
