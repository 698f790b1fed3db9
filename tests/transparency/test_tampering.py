"""Tampering done as the database superuser, bypassing the append-only triggers: each edit is caught by
``esledger verify --live`` and by a bundle proven against the checkpoint signed before it, naming the event.
Also: the triggers refuse UPDATE, DELETE and TRUNCATE, and the service runs as a role that may only INSERT
and SELECT."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from httpx import AsyncClient
from typer.testing import CliRunner

from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.core.database import persistence_env
from esledger.settings import Settings
from tests.helpers import AFTER_EXAMPLES, CE, asgi_client, body, post_examples, postgres_only, received

runner = CliRunner()
TARGET = ("IN-2026-0042", 4)


@contextmanager
def superuser(database_url: str) -> Iterator[tuple[Callable[..., list[Any]], str, str]]:
    """Run SQL as the administrator, with the append-only triggers bypassed (as a malicious DBA could)."""
    env = persistence_env(database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with closing(sqlite3.connect(env["SQLITE_DBNAME"], isolation_level=None)) as conn:
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f"DROP TRIGGER {name}")
            yield (lambda q, p=(): conn.execute(q.replace("%s", "?"), p).fetchall()), "stored_events", "rowid"
        return
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"SET search_path = {env['POSTGRES_SCHEMA']}")

        def run(q: str, p: tuple[Any, ...] = ()) -> list[Any]:
            cur = conn.execute(q, p)
            return cur.fetchall() if cur.description else []

        yield run, "ledger_events", "notification_id"


async def _position(client: AsyncClient, case_id: str, version: int) -> int:
    return (await client.get(f"/v1/cases/{case_id}/events/{version}")).json()["position"]


def change_payload_byte(run: Callable[..., list[Any]], table: str, col: str, position: int) -> None:
    [(state,)] = run(f"SELECT state FROM {table} WHERE {col} = %s", (position,))
    state = bytes(state)
    assert b"urn:zfjd:source:" in state
    run(
        f"UPDATE {table} SET state = %s WHERE {col} = %s",
        (state.replace(b"urn:zfjd:source:", b"urn:zfjd:sourcE:", 1), position),
    )


def delete_row(run: Callable[..., list[Any]], table: str, col: str, position: int) -> None:
    run(f"DELETE FROM {table} WHERE {col} = %s", (position,))


def swap_rows(run: Callable[..., list[Any]], table: str, col: str, position: int) -> None:
    [(other,)] = run(f"SELECT MIN({col}) FROM {table} WHERE {col} > %s AND topic LIKE %s", (position, "%Case.Entry"))
    run(f"UPDATE {table} SET {col} = -1 WHERE {col} = %s", (position,))
    run(f"UPDATE {table} SET {col} = %s WHERE {col} = %s", (position, other))
    run(f"UPDATE {table} SET {col} = %s WHERE {col} = -1", (other,))


def alter_recorded_time(run: Callable[..., list[Any]], table: str, col: str, position: int) -> None:
    [(state,)] = run(f"SELECT state FROM {table} WHERE {col} = %s", (position,))
    state = bytes(state)
    marker = b'"timestamp":{"_type_":"datetime_iso","_data_":"'
    at = state.index(marker) + len(marker) + 3  # the year's last digit: 2026 → 2025
    run(f"UPDATE {table} SET state = %s WHERE {col} = %s", (state[:at] + b"5" + state[at + 1 :], position))


KEY_COLUMNS = {
    "ledger_events": "notification_id",
    "merkle_leaves": "leaf_index",
    "merkle_nodes": "idx",
    "merkle_checkpoints": "tree_size",
}


@pytest.mark.parametrize(
    "tamper",
    [change_payload_byte, delete_row, swap_rows, alter_recorded_time],
    ids=["payload-byte", "delete-row", "swap-rows", "recorded-time"],
)
@pytest.mark.usefixtures("posted_examples")
async def test_tampering_is_detected_and_named(
    system: AsyncClient, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tamper: Callable[..., None]
) -> None:
    earlier = (await system.post("/v1/checkpoints")).json()
    key = (await system.get("/v1/checkpoints/key")).text.strip()
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(settings.dev_key_file))
    clean = runner.invoke(cli, ["verify", "--live", "--key", key, "--database", settings.database_url])
    assert clean.exit_code == 0, clean.output
    position = await _position(system, *TARGET)

    with superuser(settings.database_url) as (run, table, col):
        tamper(run, table, col, position)

    live = runner.invoke(cli, ["verify", "--live", "--key", key, "--database", settings.database_url])
    assert live.exit_code == 1, live.output
    assert f"position {position}" in live.output or f"(position {position})" in live.output, live.output

    out = tmp_path / "after.bundle.json"
    exported = runner.invoke(
        cli,
        [
            "export",
            "--all",
            "--out",
            str(out),
            "--tree-size",
            str(earlier["tree_size"]),
            "--database",
            settings.database_url,
        ],
    )
    assert exported.exit_code == 0, exported.output
    checked = runner.invoke(cli, ["verify", str(out), "--key", key])
    assert checked.exit_code == 1, checked.output
    assert "FAIL" in checked.output and ("IN-2026-0042" in checked.output), checked.output


async def test_the_triggers_refuse_update_delete_and_truncate(system: AsyncClient, clock, settings) -> None:
    clock.set(AFTER_EXAMPLES)
    await post_examples(system, ["major_penalty.jsonl"])
    assert (await system.post("/v1/checkpoints")).status_code == 201
    env = persistence_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        # Autocommit, and closed: a refused statement must not leave a transaction holding the write lock,
        # which would stall the followers for the whole lock timeout.
        with closing(sqlite3.connect(env["SQLITE_DBNAME"], isolation_level=None)) as conn:
            for table in ("stored_events", "merkle_leaves", "merkle_nodes", "merkle_checkpoints"):
                for statement in (f"UPDATE {table} SET rowid = rowid", f"DELETE FROM {table}"):
                    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                        conn.execute(statement)
        return
    with psycopg.connect(settings.database_url.split("?")[0], autocommit=True) as conn:
        conn.execute(f"SET search_path = {env['POSTGRES_SCHEMA']}")
        for table in ("ledger_events", "merkle_leaves", "merkle_nodes", "merkle_checkpoints"):
            for statement in (
                f"UPDATE {table} SET {KEY_COLUMNS[table]} = 0",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    conn.execute(statement)


@postgres_only
async def test_the_service_runs_as_a_role_that_may_only_insert_and_select(database_url: str, tmp_path: Path) -> None:
    role = f"esledger_app_{uuid.uuid4().hex[:8]}"
    granted = runner.invoke(cli, ["db", "grant", role, "--password", "s3cret", "--database", database_url])
    assert granted.exit_code == 0, granted.output
    parts = urlsplit(database_url)
    as_app = f"postgresql://{role}:s3cret@{parts.hostname}:{parts.port}{parts.path}?{parts.query}&create_tables=false"
    try:
        async with asgi_client(bootstrap(Settings(database_url=as_app, dev_key_file=tmp_path / "k"))) as client:
            await post_examples(client, ["grievance.jsonl"])
            assert (await client.post("/v1/checkpoints")).status_code == 201
            # a rebuild (by the owner) swaps in new read-model tables: the running service's role may use them
            rebuilt = runner.invoke(cli, ["projections", "rebuild", "--database", database_url])
            assert rebuilt.exit_code == 0, rebuilt.output
            posted = (await client.post("/v1/events", content=body(received("GR-AFTER-REBUILD")), headers=CE)).json()
            seen = await client.get("/v1/cases/GR-AFTER-REBUILD", params={"min_position": posted["position"]})
            assert seen.status_code == 200, seen.text
            assert (await client.get("/v1/cases")).status_code == 200
        schema = parts.query.removeprefix("schema=")
        with psycopg.connect(as_app.split("?")[0], autocommit=True) as conn:  # the role itself, directly
            for statement in (
                "UPDATE {s}.ledger_events SET topic = topic",
                "DELETE FROM {s}.ledger_events",
                "TRUNCATE {s}.ledger_events",
                "UPDATE {s}.merkle_leaves SET position = position",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement.format(s=schema))
    finally:
        with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
