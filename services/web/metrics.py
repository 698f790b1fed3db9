"""``GET /metrics``: the process's metrics in the Prometheus text format, for operators (``READ_HEALTH``: a
reviewer's or an administrator's key, e.g. a principal of Prometheus's own).

Each app has its own registry, so several apps in one process (tests, ``--workers`` children) never mix
their series. What happens in requests is counted as it happens (HTTP outcomes, append latency, group-commit
sizes); what the database holds (lags, checkpoint age, deadlines and findings, the connection pool) is read
at scrape time by a collector, with a few aggregate queries, so a scrape costs the same however busy the
ledger was. A database that does not answer gives ``esledger_database_up 0`` instead of a failed scrape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any

import psycopg_pool
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.responses import Response

from esledger.access.policy import Permission, Scope
from esledger.bootstrap import System
from esledger.core.errors import StorageUnavailable
from esledger.web.auth import AUTH_ERRORS, requires
from esledger.web.openapi import problem_responses
from esledger.web.requestlog import Finished

APPEND_ROUTES = frozenset({"/v1/events", "/v1/events:batch"})
SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
POOL_STATS = ("pool_min", "pool_max", "pool_size", "pool_available", "requests_waiting")
"""The gauges of psycopg_pool's ``get_stats()`` (the others are counters since start, left out)."""

NAMES = (
    "esledger_http_requests_total",
    "esledger_rejected_requests_total",
    "esledger_append_seconds",
    "esledger_group_commit_requests",
    "esledger_group_commit_events",
    "esledger_append_batch_events",
    "esledger_database_up",
    "esledger_projection_lag_events",
    "esledger_projection_lag_seconds",
    "esledger_sequencer_lag_events",
    "esledger_sequencer_lag_seconds",
    "esledger_checkpoint_age_seconds",
    "esledger_checkpoint_tree_size",
    "esledger_deadlines",
    "esledger_cases_in_breach",
    "esledger_findings",
    "esledger_db_pool",
)
"""Every metric family this module exposes (the README lists them; a test checks both)."""


class Metrics:
    """One app's registry and the instruments that the request log and the group commit feed."""

    def __init__(self, system: System) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "esledger_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.rejected = Counter(
            "esledger_rejected_requests", "Requests answered with a problem, by problem type", ["problem"], registry=r
        )
        self.append_seconds = Histogram(
            "esledger_append_seconds",
            "Time to answer a posted event or batch (its _count: the append rate)",
            ["route"],
            registry=r,
        )
        self.group_requests = Histogram(
            "esledger_group_commit_requests",
            "Requests committed in one group (one transaction)",
            buckets=SIZES,
            registry=r,
        )
        self.group_events = Histogram(
            "esledger_group_commit_events", "Events committed in one group", buckets=SIZES, registry=r
        )
        self.batch_events = Histogram(
            "esledger_append_batch_events", "Events in one posted request", buckets=SIZES, registry=r
        )
        r.register(StoredState(system))
        if system.ledger is not None:
            system.ledger.appender.groups.observers.append(self.on_group)

    def on_group(self, weights: Sequence[int]) -> None:
        self.group_requests.observe(len(weights))
        self.group_events.observe(sum(weights))
        for weight in weights:
            self.batch_events.observe(weight)

    def on_request(self, done: Finished) -> None:
        self.requests.labels(done.method, done.route, str(done.status)).inc()
        if done.problem is not None:
            self.rejected.labels(done.problem).inc()
        if done.method == "POST" and done.route in APPEND_ROUTES:
            self.append_seconds.labels(done.route).observe(done.seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class StoredState(Collector):
    """What the database holds, read at each scrape, for the parts this process carries."""

    def __init__(self, system: System) -> None:
        self.system = system

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("esledger_database_up", "1 when the database answered this scrape")
        try:
            with self.system.storage.availability.guard():
                families = list(self._stored())
        except StorageUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        yield from self._pool()

    def _stored(self) -> Iterator[GaugeMetricFamily]:
        system, storage = self.system, self.system.storage
        now = system.clock()
        store = storage.store.get()
        head = store.head()
        if system.projections is not None:
            read_model = storage.read_model.get()
            yield from _lag("projection", "The read model", read_model.position(), head, store, now)
            yield from self._read_model(read_model)
        if system.transparency is not None or system.sequencer is not None:
            log = storage.merkle.get()
            yield from _lag("sequencer", "The Merkle log", log.position(), head, store, now)
            latest = log.latest_checkpoint()
            if latest is not None:
                age = (now - datetime.fromisoformat(latest.signed_at)).total_seconds()
                yield _gauge("esledger_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed", age)
                yield _gauge("esledger_checkpoint_tree_size", "Tree size of the latest checkpoint", latest.size)

    @staticmethod
    def _read_model(read_model: Any) -> Iterator[GaugeMetricFamily]:
        """Deadlines by warning level and status, findings by status, cases in breach: as the read model last
        computed them (it recomputes a case when its next change is due)."""
        with read_model.reading() as c:
            deadlines = read_model.query(c, f"SELECT level, status, COUNT(*) FROM {read_model.deadlines} GROUP BY 1, 2")
            findings = read_model.query(c, f"SELECT status, COUNT(*) FROM {read_model.findings} GROUP BY 1")
            [(breached,)] = read_model.query(c, f"SELECT COUNT(*) FROM {read_model.views} WHERE has_breach = 1")
        family = GaugeMetricFamily(
            "esledger_deadlines", "Deadlines by warning level and status", labels=["level", "status"]
        )
        for level, status, n in deadlines:
            family.add_metric([level, status], n)
        yield family
        family = GaugeMetricFamily("esledger_findings", "Findings by status", labels=["status"])
        for status, n in findings:
            family.add_metric([status], n)
        yield family
        yield _gauge("esledger_cases_in_breach", "Cases with at least one breached deadline", breached)

    def _pool(self) -> Iterator[GaugeMetricFamily]:
        """The PostgreSQL connection pool's use (SQLite has none)."""
        datastore = getattr(self.system.storage.store.get().recorder, "datastore", None)
        pool = getattr(datastore, "pool", None)
        if not isinstance(pool, psycopg_pool.ConnectionPool):
            return
        stats = pool.get_stats()
        family = GaugeMetricFamily("esledger_db_pool", "The connection pool (psycopg_pool get_stats)", labels=["stat"])
        for name in POOL_STATS:
            family.add_metric([name], stats.get(name, 0))
        yield family


def _lag(part: str, what: str, position: int, head: int, store: Any, now: datetime) -> Iterator[GaugeMetricFamily]:
    """How many events a follower is behind the ledger, and how long ago the oldest of them was recorded."""
    yield _gauge(
        f"esledger_{part}_lag_events", f"{what}: events recorded but not yet taken in", max(head - position, 0)
    )
    pending = store.feed(position, 1) if head > position else []
    seconds = (now - pending[0].recorded_at).total_seconds() if pending else 0.0
    yield _gauge(f"esledger_{part}_lag_seconds", f"{what}: age of the oldest event not yet taken in", max(seconds, 0.0))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    @app.get(
        "/metrics",
        summary="The process's metrics, in the Prometheus text format",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **problem_responses(*AUTH_ERRORS),
        },
    )
    def get_metrics(_: Annotated[Scope, requires(Permission.READ_HEALTH)]) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
