"""Storage: the eventsourcing application over SQLite (embedded default) or PostgreSQL.

The recorders are the library's own, extended by one query: a case's stored events *with* their
notification ids, because a record's global position is the notification id the database assigned at
commit. PostgreSQL keeps the library's table lock on insert (``POSTGRES_ENABLE_DB_FUNCTIONS`` stays off), so
commit order equals notification order and followers never miss an event.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from services.ledger.case import Case, IdempotencyKey, case_uuid, key_uuid
from services.ledger.records import Record

ENTRY_TOPICS = (get_topic(Case.Opened), get_topic(Case.Entry))


APPEND_ONLY = "append-only ledger table: UPDATE, DELETE and TRUNCATE are refused"


def sqlite_append_only(table: str) -> list[str]:
    """Triggers that make an SQLite table append-only (SQLite has no TRUNCATE: an unqualified DELETE fires
    the DELETE trigger, which also disables its truncate optimisation)."""
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END" for verb in ("UPDATE", "DELETE")]


def postgres_append_only(schema: str, table: str) -> list[str]:
    """Row triggers refusing UPDATE and DELETE, a statement trigger refusing TRUNCATE (PostgreSQL 14+)."""
    q = SQL("{}.{}").format(Identifier(schema), Identifier(table)).as_string()
    fn = SQL("{}.{}").format(Identifier(schema), Identifier("esledger_refuse_change")).as_string()
    return [
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
        f"'%: % on %', '{APPEND_ONLY}', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$",
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {q} FOR EACH ROW "
        f"EXECUTE FUNCTION {fn}()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {q} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {fn}()",
    ]


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *sqlite_append_only(self.events_table_name)]

    def select_stream(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's stored events in version order, each with its notification id."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} WHERE originator_id=? "
                "ORDER BY originator_version",
                (originator_id.hex,),
            )
            return [
                Notification(id=row["rowid"], originator_id=UUID(row["originator_id"]),
                             originator_version=row["originator_version"], topic=row["topic"], state=row["state"])
                for row in c.fetchall()
            ]


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, append-only in the database, and able to run as a role that may only INSERT
    and SELECT: the library's ``LOCK TABLE … IN EXCLUSIVE MODE`` needs UPDATE privilege, so the lock is
    taken by a SECURITY DEFINER function owned by the table's owner instead — the same lock, in the same
    transaction, so commit order still equals notification order."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        table = SQL("{}.{}").format(Identifier(schema), Identifier(self.events_table_name)).as_string()
        self.lock_function = SQL("{}.{}").format(Identifier(schema), Identifier(
            f"esledger_lock_{self.events_table_name}")).as_string()
        self.sql_create_statements += [SQL(s) for s in [  # type: ignore[misc]
            *postgres_append_only(schema, self.events_table_name),
            f"CREATE OR REPLACE FUNCTION {self.lock_function}() RETURNS void LANGUAGE sql SECURITY DEFINER "
            f"SET search_path = pg_catalog AS $$ LOCK TABLE {table} IN EXCLUSIVE MODE $$",
        ]]
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL(f"SELECT {self.lock_function}()"),  # type: ignore[arg-type]
        ]

    def select_stream(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's stored events in version order, each with its notification id."""
        statement = SQL("SELECT * FROM {}.{} WHERE originator_id = %s ORDER BY originator_version").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (originator_id,), prepare=True)
            return [
                Notification(id=row["notification_id"], originator_id=row["originator_id"],
                             originator_version=row["originator_version"], topic=row["topic"],
                             state=bytes(row["state"]))
                for row in curs.fetchall()
            ]


def persistence_env(database_url: str) -> dict[str, str]:
    """Translate ``sqlite:///path`` or ``postgresql://user[:pw]@host[:port]/db[?schema=s]`` into the
    eventsourcing library's environment."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ValueError(f"no file in {database_url!r}: use sqlite:///relative/path or sqlite:////abs/path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(LedgerSQLiteRecorder),
        }
    if parts.scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", [""])[0],
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["2"])[0],
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["2"])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["10"])[0],
            "POSTGRES_LOCK_TIMEOUT": "5",
            # A role with INSERT and SELECT only may not CREATE: its deployments say create_tables=false and
            # let the owner create them (esledger db grant).
            "CREATE_TABLE": query.get("create_tables", ["true"])[0],
            "APPLICATION_RECORDER_TOPIC": get_topic(LedgerPostgresRecorder),
        }
    raise ValueError(f"unsupported database URL {database_url!r}: use sqlite:///PATH or postgresql://...")


class LedgerStore(Application):
    """The event store and its queries. Holds no business rules: those are in ``appender.py``.

    Constructed from an eventsourcing environment (as the library's projection runner does); use
    ``open_store(database_url)`` otherwise."""

    name = "Ledger"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def case(self, case_id: str) -> Case | None:
        try:
            return self.repository.get(case_uuid(case_id))
        except AggregateNotFoundError:
            return None

    def key(self, source: str, event_id: str) -> IdempotencyKey | None:
        try:
            return self.repository.get(key_uuid(source, event_id))
        except AggregateNotFoundError:
            return None

    def timeline(self, case_id: str) -> list[Record]:
        return [self._to_record(n) for n in self.recorder.select_stream(case_uuid(case_id))]  # type: ignore[attr-defined]

    def feed(self, after: int, limit: int) -> list[Record]:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=ENTRY_TOPICS, inclusive_of_start=False)
        return [self._to_record(n) for n in notifications]

    def records(self, page: int = 1000) -> Iterator[Record]:
        """Every case entry in commit order, read a page at a time (exports and audits)."""
        after = 0
        while batch := self.feed(after, page):
            yield from batch
            after = batch[-1].position

    def head(self) -> int:
        """The highest position stored (0 for an empty ledger). The appender saves each transaction's
        idempotency keys before its case entries, so the highest notification is always a case entry."""
        return self.recorder.max_notification_id() or 0

    def _to_record(self, n: Notification) -> Record:
        entry = self.mapper.to_domain_event(n)
        assert isinstance(entry, Case.Entry)
        return entry_record(entry, n.id)


def entry_record(e: Case.Entry, position: int) -> Record:
    """A stored case entry as the record reads return, with the position the database gave it."""
    return Record(case_id=e.case_id, case_kind=e.case_kind, case_version=e.originator_version,
                  position=position, recorded_at=e.timestamp, recorded_by=e.recorded_by,
                  prev_hash=e.prev_hash, hash=e.hash, event=e.cloudevent)


def open_store(database_url: str) -> LedgerStore:
    return LedgerStore(persistence_env(database_url))


def probe(database_url: str, timeout_seconds: int = 2) -> None:
    """Fail fast (psycopg.OperationalError) when a PostgreSQL server does not answer, instead of waiting out
    the library's connection retries; SQLite needs no probe."""
    env = persistence_env(database_url)
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        return
    import psycopg

    psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                    user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"],
                    connect_timeout=timeout_seconds).close()
