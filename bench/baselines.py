"""What the ledger is compared with, on the same PostgreSQL and with the same ~2 KB events: plain psycopg
(per-row INSERT+COMMIT on 1 and 4 connections, and executemany of 100 rows in one transaction) and the
eventsourcing library alone (an Application of its own saving a simple Aggregate, 1 and 100 per save)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench import workload
from bench.harness import Window

ROW = workload.grievance("GR-BASELINE", 0, 1)[0]
"""The payload of every baseline row and aggregate: an encoded grievance.received (~2 KB)."""
PAYLOAD: dict[str, Any] = orjson.loads(ROW)

TABLE = """CREATE TABLE rows (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text NOT NULL,
state bytea NOT NULL, notification_id bigserial UNIQUE, PRIMARY KEY (originator_id, originator_version))"""
"""Shaped like the library's stored-events table."""
INSERT = "INSERT INTO rows (originator_id, originator_version, topic, state) VALUES (%s, 1, 'bench:Row', %s)"


def _timed(workers: int, step: Callable[[int], int], warmup: float, seconds: float) -> Window:
    """Run ``step(worker)`` (returning how many rows it stored) in a loop on each of ``workers`` threads."""
    window = Window.after(warmup, seconds)

    def loop(worker: int) -> None:
        while window.open():
            started = time.perf_counter()
            window.record(started, step(worker))

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return window


def raw_rows(url: str, connections: int, per_transaction: int, warmup: float, seconds: float) -> dict[str, Any]:
    """Rows of ~2 KB inserted with psycopg: one INSERT and COMMIT per row, or executemany of
    ``per_transaction`` rows in one transaction."""
    conns = [psycopg.connect(url) for _ in range(connections)]
    try:
        with conns[0].cursor() as cursor:
            cursor.execute(TABLE)
        conns[0].commit()

        def step(worker: int) -> int:
            conn = conns[worker]
            with conn.cursor() as cursor:
                if per_transaction == 1:
                    cursor.execute(INSERT, (uuid.uuid4(), ROW))
                else:
                    cursor.executemany(INSERT, [(uuid.uuid4(), ROW) for _ in range(per_transaction)])
            conn.commit()
            return per_transaction

        return _timed(connections, step, warmup, seconds).summary("rows")
    finally:
        for conn in conns:
            conn.close()


class Note(Aggregate):
    """The simplest aggregate: created with a ~2 KB payload (one stored event)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload


class Notes(Application):
    """An eventsourcing application of its own, nothing of the ledger's."""


def library_saves(url: str, per_save: int, warmup: float, seconds: float) -> dict[str, Any]:
    """The eventsourcing library's own ``save`` on PostgreSQL: ``per_save`` new aggregates per call, one
    thread."""
    parts = urlsplit(url)
    app = Notes(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
    )
    try:

        def step(_: int) -> int:
            app.save(*(Note(PAYLOAD) for _ in range(per_save)))
            return per_save

        return _timed(1, step, warmup, seconds).summary("ev")
    finally:
        app.close()
