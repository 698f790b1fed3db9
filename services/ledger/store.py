"""Storage: the eventsourcing application over SQLite (embedded default) or PostgreSQL.

The recorders are the library's own, extended by two queries (a case's stored events *with* their
notification ids, because a record's global position is the notification id the database assigned at
commit; and the events of several aggregates at once, so the write path reads a whole group's idempotency keys
and cases in one round trip) and by the confidential values kept apart from the sealed events (``values.py``),
written in the same transaction as the entries. PostgreSQL keeps the library's table lock on insert
(``POSTGRES_ENABLE_DB_FUNCTIONS`` stays off), so commit order equals notification order and followers never
miss an event; its insert is the library's, sent as one pipeline with a single sync (one round trip).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic, retry, strtobool
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from esledger.core.append_only import postgres_append_only, sqlite_append_only
from esledger.core.database import is_postgres, persistence_env
from esledger.core.record import LedgerRecord
from esledger.core.tables import PostgresTables, SQLiteTables, ddl
from esledger.ledger.case import Case, case_uuid
from esledger.ledger.values import (
    WRITES,
    CaseValues,
    ConfidentialValues,
    StoredValue,
    postgres_statements,
    sqlite_statements,
)


class _Creatable(Protocol):
    def create_table(self) -> None: ...


T = TypeVar("T", bound=_Creatable)

EVENTS_TABLE = "ledger_events"
"""The library names the events table after the application (``LedgerStore.name``); on PostgreSQL every
insert transaction also sends NOTIFY on a channel of this name."""

ENTRY_TOPICS = (get_topic(Case.Opened), get_topic(Case.Entry))
SQLITE_IDS_PER_QUERY = 500
"""Ids per ``IN (…)`` list on SQLite, well under its limit on bound parameters."""


class LedgerSQLiteRecorder(ConfidentialValues, SQLiteTables, SQLiteApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self.datastore = datastore  # the library builds its CREATE statements in __init__, so bind first
        self._bind(sqlite_statements())
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *sqlite_append_only(self.events_table_name),
            *self._create_statements(),
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        self._write(c, kwargs.get(WRITES))
        return returning

    def select_stream(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's stored events in version order, each with its notification id."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} WHERE originator_id=? ORDER BY originator_version",
                (originator_id.hex,),
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=UUID(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def select_streams(self, originator_ids: Collection[UUID]) -> list[StoredEvent]:
        """The stored events of every one of these aggregates, by aggregate and version."""
        ids = [i.hex for i in originator_ids]
        out: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for at in range(0, len(ids), SQLITE_IDS_PER_QUERY):
                chunk = ids[at : at + SQLITE_IDS_PER_QUERY]
                c.execute(
                    f"SELECT * FROM {self.events_table_name} WHERE originator_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                out += [
                    StoredEvent(
                        originator_id=self.convert_originator_id(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in c.fetchall()
                ]
        return out


class LedgerPostgresRecorder(ConfidentialValues, PostgresTables, PostgresApplicationRecorder):
    """The library's recorder, append-only in the database, and able to run as a role that may only INSERT
    and SELECT (and DELETE the confidential values an erasure records): the library's ``LOCK TABLE … IN
    EXCLUSIVE MODE`` needs UPDATE privilege, so the lock is taken by a SECURITY DEFINER function owned by the
    table's owner instead — the same lock, in the same transaction, so commit order still equals notification
    order."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        table = SQL("{}.{}").format(Identifier(schema), Identifier(self.events_table_name)).as_string()
        self.lock_function = (
            SQL("{}.{}").format(Identifier(schema), Identifier(f"esledger_lock_{self.events_table_name}")).as_string()
        )
        self.sql_create_statements.extend(
            ddl(s)
            for s in [
                *postgres_append_only(schema, self.events_table_name),
                f"CREATE OR REPLACE FUNCTION {self.lock_function}() RETURNS void LANGUAGE sql SECURITY DEFINER "
                f"SET search_path = pg_catalog AS $$ LOCK TABLE {table} IN EXCLUSIVE MODE $$",
            ]
        )
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            ddl(f"SELECT {self.lock_function}()"),
        ]
        self._bind(postgres_statements(schema, lambda name: self.table(datastore, name)))
        self.select_streams_statement = SQL(
            "SELECT * FROM {}.{} WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(schema), Identifier(self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert — the same statements in the same order, the table lock included — in one round
        trip. The library wraps a psycopg ``transaction()`` in a pipeline, and psycopg nests a pipeline inside
        such a transaction: every nesting level syncs on its own, seven round trips an append. Here BEGIN, the
        statements and COMMIT are queued in one pipeline, whose exit is the one sync; a statement that fails
        (a unique key: a concurrent writer) aborts the rest, and the transaction is rolled back."""
        with self.datastore.get_connection() as conn:
            try:
                with conn.cursor() as curs, conn.cursor() as inserting:
                    with conn.pipeline():
                        curs.execute(b"BEGIN")
                        self._insert_events(curs, stored_events, **kwargs)
                        self._insert_stored_events(inserting, stored_events, **kwargs)
                        curs.execute(b"COMMIT")
                    return self._fetch_ids_after_insert_events(inserting, stored_events, **kwargs)
            finally:
                if conn.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):
                        conn.rollback()

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """Runs in the insert's transaction, before the entries themselves (the library's order)."""
        super()._insert_events(curs, stored_events, **kwargs)
        self._write(curs, kwargs.get(WRITES))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_streams(self, originator_ids: Collection[UUID]) -> list[StoredEvent]:
        """The stored events of every one of these aggregates, by aggregate and version, in one round trip (in
        a pipeline, psycopg prepares the statement in the same round trip instead of one of its own)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            with conn.pipeline():
                curs.execute(self.select_streams_statement, (list(originator_ids),), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_stream(self, originator_id: UUID) -> list[Notification]:
        """One aggregate's stored events in version order, each with its notification id."""
        statement = SQL("SELECT * FROM {}.{} WHERE originator_id = %s ORDER BY originator_version").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (originator_id,), prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


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

    def aggregate(self, aggregate_id: UUID) -> Aggregate | None:
        """Any other aggregate the ledger keeps beside its cases (e.g. the principals' directory)."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def aggregates(self, ids: Collection[UUID]) -> dict[UUID, Aggregate]:
        """Those of these aggregates that exist, as stored now, read in one query (the write path's look-up of
        a group's idempotency keys and the cases it holds no state of)."""
        streams: dict[UUID, list[Any]] = {}
        for stored in self.recorder.select_streams(ids) if ids else ():  # type: ignore[attr-defined]
            streams.setdefault(stored.originator_id, []).append(self.mapper.to_domain_event(stored))
        found: dict[UUID, Aggregate] = {}
        for i, events in streams.items():
            aggregate: Aggregate | None = project_aggregate(None, events)
            if aggregate is not None:
                found[i] = aggregate
        return found

    def confidential(self, case_id: str) -> CaseValues:
        """The case's confidential values (and which were erased), kept apart from its sealed events."""
        return self.recorder.case_values(case_id)  # type: ignore[attr-defined]

    def every_value(self) -> list[StoredValue]:
        return self.recorder.every_value()  # type: ignore[attr-defined]

    def timeline(self, case_id: str) -> list[LedgerRecord]:
        return [self._to_record(n) for n in self.recorder.select_stream(case_uuid(case_id))]  # type: ignore[attr-defined]

    def feed(self, after: int, limit: int) -> list[LedgerRecord]:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=ENTRY_TOPICS, inclusive_of_start=False
        )
        return [self._to_record(n) for n in notifications]

    def tracking_recorder(self, recorder_class: Callable[..., T], table_name: str) -> T:
        """A recorder of another part (the read model, the Merkle log) on this store's own datastore, so a
        process holds one connection pool; its tables are created unless the URL says create_tables=false."""
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        if isinstance(self.recorder, PostgresApplicationRecorder):
            recorder = recorder_class(datastore, tracking_table_name=table_name)
        else:
            recorder = recorder_class(datastore)
        if strtobool(self.env.get("CREATE_TABLE") or "yes"):
            recorder.create_table()
        return recorder

    @property
    def notify_channel(self) -> str | None:
        """The PostgreSQL NOTIFY channel every insert signals (None on SQLite)."""
        return getattr(self.recorder, "channel_name", None)

    def records(self, page: int = 1000) -> Iterator[LedgerRecord]:
        """Every case entry in commit order, read a page at a time (exports and audits)."""
        after = 0
        while batch := self.feed(after, page):
            yield from batch
            after = batch[-1].position

    def head(self) -> int:
        """The highest position stored (0 for an empty ledger). The appender saves each transaction's
        idempotency keys before its case entries, so the highest notification is always a case entry."""
        return self.recorder.max_notification_id() or 0

    def _to_record(self, n: Notification) -> LedgerRecord:
        entry = self.mapper.to_domain_event(n)
        assert isinstance(entry, Case.Entry)
        return entry_record(entry, n.id)


def entry_record(e: Case.Entry, position: int) -> LedgerRecord:
    """A stored case entry as the record reads return, with the position the database gave it."""
    return LedgerRecord(
        case_id=e.case_id,
        case_kind=e.case_kind,
        case_version=e.originator_version,
        position=position,
        recorded_at=e.timestamp,
        recorded_by=e.recorded_by,
        prev_hash=e.prev_hash,
        hash=e.hash,
        event=e.cloudevent,
        record_format=e.record_format,
    )


def open_store(database_url: str) -> LedgerStore:
    """The ledger's event store at the URL, creating its tables unless the URL says create_tables=false."""
    recorder = LedgerPostgresRecorder if is_postgres(database_url) else LedgerSQLiteRecorder
    return LedgerStore(persistence_env(database_url) | {"APPLICATION_RECORDER_TOPIC": get_topic(recorder)})
