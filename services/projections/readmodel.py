"""The read model: the projection's copy of every case record and, per case, its view as computed at an
instant, with the next instant at which the view can change by the clock alone; beside it, the rows lists,
scopes and statistics select, order and sum by (deadlines, findings, units, tallies), each carrying the
interval its view is valid over. A case's rows are replaced together, in the same transaction as the
records and the tracking position they reflect, so a restart resumes exactly and a replayed position
changes nothing.

Every write first locks the tracking row and checks that the read model is still at the position its
rows were computed from (``expected``); if another writer moved it, nothing is written and the caller
computes again. A rebuild writes into tables of their own (``NEXT``) and swaps them for the live ones in
one transaction (``swap``): the live tables serve until then, and the old ones are dropped, not emptied.

Instants are stored as microseconds since the epoch (``micros``); ``NEVER`` stands for no next change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from esledger.core.tables import PostgresTables, SQLiteTables, Tables, ddl

APPLICATION = "Ledger"
"""The read model's key in the tracking table: the position it has applied up to."""
TABLE = "projections_tracking"
"""The tracking table on PostgreSQL; the read model's tables share its prefix."""
FORMAT = 2
"""The read model's layout. A read model of another layout (1: records only) is emptied at start and
caught up again from position 0."""

NEVER = 2**62
"""``next_change`` of a view no clock can change; sorts after every instant."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(instant: datetime) -> int:
    """An aware instant as whole microseconds since the epoch."""
    return (instant - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Names:
    """One set of the read model's tables: the live ones, or those a rebuild fills (``NEXT``)."""

    prefix: str
    suffix: str
    application: str

    def table(self, part: str) -> str:
        return f"{self.prefix}_{part}{self.suffix}"


LIVE_SUFFIX, NEXT_SUFFIX = "", "_next"
PARTS = ("records", "views", "deadlines", "findings", "units", "scope", "tallies", "links")


@dataclass(frozen=True)
class CaseRows:
    """Everything the read model keeps for one case's view (see ``projection.case_rows``)."""

    case_id: str
    case_kind: str
    version: int
    last_position: int
    computed_at: int
    next_change: int
    view: bytes | None
    """The view's JSON; None for a case of a hidden kind, or one with no record known at ``computed_at``."""
    status: str | None
    warning: str | None
    has_breach: int | None
    deadlines: list[tuple[Any, ...]]
    """(seq, due_key, rule_id, trigger_version, status, level, responsible, unit_code, unit_name)"""
    findings: list[tuple[Any, ...]]
    """(seq, finding_id, article, status, unit_code, unit_name)"""
    units: list[tuple[str, str]]
    """(code, name) of the units the view lists."""
    tallies: list[tuple[Any, ...]]
    """(unit_code, month, item, n, name, data) of its statistics tally."""
    links: list[tuple[str, str]] | None
    """(number, role) of the certificates it feeds to the register or looks up; None: unchanged."""


class ReadModel(Tables):
    """What both backends' read models do."""

    prefix: str
    postgres: bool

    # -- layout ---------------------------------------------------------------------------------------------
    @property
    def views(self) -> str:
        return self._table(self.names(), "views")

    @property
    def deadlines(self) -> str:
        return self._table(self.names(), "deadlines")

    @property
    def findings(self) -> str:
        return self._table(self.names(), "findings")

    @property
    def units(self) -> str:
        return self._table(self.names(), "units")

    @property
    def scope(self) -> str:
        return self._table(self.names(), "scope")

    @property
    def tallies(self) -> str:
        return self._table(self.names(), "tallies")

    def names(self, suffix: str = LIVE_SUFFIX) -> Names:
        return Names(self.prefix, suffix, APPLICATION if suffix == LIVE_SUFFIX else f"{APPLICATION}{suffix}")

    def _table(self, names: Names, part: str) -> str:
        return self.table(self.datastore, names.table(part))  # type: ignore[attr-defined]

    def _tables(self, names: Names, *, indexes: bool = True) -> list[str]:
        """CREATE statements of one set of tables (``indexes``: and their secondary indexes)."""
        t = {part: self._table(names, part) for part in PARTS}
        key = ' COLLATE "C"' if self.postgres else ""
        valid = "computed_at BIGINT NOT NULL, next_change BIGINT NOT NULL"
        out = [
            f"CREATE TABLE IF NOT EXISTS {t['records']} (case_id TEXT{key} NOT NULL, case_version INTEGER NOT NULL, "
            "position BIGINT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (case_id, case_version))",
            f"CREATE TABLE IF NOT EXISTS {t['views']} (case_id TEXT{key} PRIMARY KEY, case_kind TEXT NOT NULL, "
            f"version INTEGER NOT NULL, last_position BIGINT NOT NULL, {valid}, "
            "view TEXT, status TEXT, warning TEXT, has_breach INTEGER)",
            f"CREATE TABLE IF NOT EXISTS {t['deadlines']} (case_id TEXT{key} NOT NULL, seq INTEGER NOT NULL, "
            f"due_key BIGINT NOT NULL, rule_id TEXT{key} NOT NULL, trigger_version INTEGER NOT NULL, "
            "status TEXT NOT NULL, level TEXT NOT NULL, responsible TEXT, unit_code TEXT, unit_name TEXT, "
            f"{valid}, PRIMARY KEY (case_id, seq))",
            f"CREATE TABLE IF NOT EXISTS {t['findings']} (case_id TEXT{key} NOT NULL, seq INTEGER NOT NULL, "
            f"finding_id TEXT{key} NOT NULL, article TEXT NOT NULL, status TEXT NOT NULL, unit_code TEXT, "
            f"unit_name TEXT, {valid}, PRIMARY KEY (case_id, seq))",
            f"CREATE TABLE IF NOT EXISTS {t['units']} (case_id TEXT{key} NOT NULL, code TEXT NOT NULL, "
            "name TEXT NOT NULL, PRIMARY KEY (case_id, code))",
            f"CREATE TABLE IF NOT EXISTS {t['scope']} (case_id TEXT{key} NOT NULL, unit_code TEXT NOT NULL, "
            "PRIMARY KEY (case_id, unit_code))",
            f"CREATE TABLE IF NOT EXISTS {t['tallies']} (case_id TEXT{key} NOT NULL, unit_code TEXT NOT NULL, "
            f"month TEXT NOT NULL, item TEXT NOT NULL, n INTEGER NOT NULL, name TEXT NOT NULL, data TEXT, {valid}, "
            "PRIMARY KEY (case_id, unit_code, month, item))",
            f"CREATE TABLE IF NOT EXISTS {t['links']} (number TEXT NOT NULL, role TEXT NOT NULL, "
            f"case_id TEXT{key} NOT NULL, PRIMARY KEY (number, role, case_id))",
        ]
        indexed = [f"CREATE INDEX IF NOT EXISTS {i[0]} ON {i[1]} ({i[2]})" for i in self._indexes(names)]
        return out + (indexed if indexes else [])

    def _indexes(self, names: Names) -> list[tuple[str, str, str]]:
        """(name, table, columns) of one set's secondary indexes."""
        return [
            (f"{self.prefix}_{part}_{name}{names.suffix}", self._table(names, part), columns)
            for part, name, columns in (
                ("views", "next_change", "next_change"),
                ("views", "computed_at", "computed_at"),
                ("deadlines", "order", "due_key, case_id, rule_id, trigger_version, seq"),
                ("findings", "order", "finding_id, case_id, seq"),
                ("units", "code", "code"),
                ("units", "name", "name"),
                ("scope", "unit", "unit_code"),
                ("tallies", "month", "month"),
                ("links", "case", "case_id"),
            )
        ]

    def _create_indexes(self, c: Any, names: Names) -> None:
        for name, table, columns in self._indexes(names):
            self._run(c, f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")

    def _migrate(self) -> None:
        """Adopt the current layout: an older read model is dropped and followed again from position 0."""
        live = self.names()
        marker = (f"{APPLICATION}.format", FORMAT)
        with self._transaction(commit=True) as c:
            self._ensure_position(c, live.application)
            self._lock(c, live.application)
            found = self._run(
                c, f"SELECT notification_id FROM {self._tracking} WHERE application_name = {self.mark}", (marker[0],)
            )
            if found and found[0][0] == FORMAT:
                return
            self._run(c, f"DROP TABLE IF EXISTS {self.table(self.datastore, f'{self.prefix}_cases')}")  # type: ignore[attr-defined]
            for part in PARTS:
                self._run(c, f"DELETE FROM {self._table(live, part)}")
            self._set_position(c, live.application, 0)
            self._ensure_position(c, marker[0])
            self._set_position(c, marker[0], FORMAT)

    # -- running statements ---------------------------------------------------------------------------------
    @property
    def _tracking(self) -> str:
        raise NotImplementedError

    def _run(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _insert(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert new rows, in as few round trips as the driver allows."""
        raise NotImplementedError

    def _insert_missing(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert the rows whose primary key is not there yet."""
        raise NotImplementedError

    def any_of(self, column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values`` (none: never), as SQL and its parameters."""
        raise NotImplementedError

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A read-only transaction: every query of one answer sees one state of the read model."""
        with self._transaction(commit=False) as cursor:
            yield cursor

    def query(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(cursor, sql, params)

    # -- the position ---------------------------------------------------------------------------------------
    def position(self) -> int:
        return self.max_tracking_id(APPLICATION) or 0  # type: ignore[attr-defined]

    def _ensure_position(self, cursor: Any, application: str) -> None:
        self._insert_missing(cursor, self._tracking, "application_name, notification_id", [(application, 0)])

    def _lock(self, cursor: Any, application: str) -> int:
        """Lock the tracking row (every writer takes it first) and read the position."""
        rows = self._run(
            cursor,
            f"UPDATE {self._tracking} SET notification_id = notification_id WHERE application_name = {self.mark} "
            "RETURNING notification_id",
            (application,),
        )
        return int(rows[0][0]) if rows else 0

    def _set_position(self, cursor: Any, application: str, position: int) -> None:
        self._run(
            cursor,
            f"UPDATE {self._tracking} SET notification_id = {self.mark} WHERE application_name = {self.mark}",
            (position, application),
        )

    # -- writing --------------------------------------------------------------------------------------------
    def write(
        self,
        names: Names,
        expected: int,
        position: int | None,
        records: Sequence[dict[str, Any]],
        cases: Sequence[CaseRows],
        scope: Iterable[tuple[str, str]] = (),
    ) -> bool:
        """Store new records and the rows of recomputed cases, and advance to ``position`` (None: stay), in
        one transaction; False, writing nothing, when the read model is no longer at ``expected``."""
        with self._transaction(commit=True) as c:
            if self._lock(c, names.application) != expected:
                return False
            self.write_rows(c, names, records, cases, scope)
            if position is not None:
                self._set_position(c, names.application, position)
        return True

    def write_rows(
        self,
        c: Any,
        names: Names,
        records: Sequence[dict[str, Any]],
        cases: Sequence[CaseRows],
        scope: Iterable[tuple[str, str]],
    ) -> None:
        t = {part: self._table(names, part) for part in PARTS}
        self._insert(
            c,
            t["records"],
            "case_id, case_version, position, record",
            [(r["case_id"], r["case_version"], r["position"], orjson.dumps(r).decode()) for r in records],
        )
        self._insert_missing(c, t["scope"], "case_id, unit_code", sorted(set(scope)))
        ids = [case.case_id for case in cases]
        for part in ("views", "deadlines", "findings", "units", "tallies"):
            self._delete(c, t[part], ids)
        linked = [case for case in cases if case.links is not None]
        self._delete(c, t["links"], [case.case_id for case in linked])
        self._insert(
            c,
            t["links"],
            "number, role, case_id",
            [(number, role, case.case_id) for case in linked for number, role in case.links or ()],
        )
        self._insert(
            c,
            t["views"],
            "case_id, case_kind, version, last_position, computed_at, next_change, view, status, warning, has_breach",
            [
                (
                    case.case_id,
                    case.case_kind,
                    case.version,
                    case.last_position,
                    case.computed_at,
                    case.next_change,
                    case.view.decode() if case.view is not None else None,
                    case.status,
                    case.warning,
                    case.has_breach,
                )
                for case in cases
            ],
        )
        self._insert(
            c,
            t["deadlines"],
            "case_id, seq, due_key, rule_id, trigger_version, status, level, responsible, unit_code, unit_name, "
            "computed_at, next_change",
            [(case.case_id, *row, case.computed_at, case.next_change) for case in cases for row in case.deadlines],
        )
        self._insert(
            c,
            t["findings"],
            "case_id, seq, finding_id, article, status, unit_code, unit_name, computed_at, next_change",
            [(case.case_id, *row, case.computed_at, case.next_change) for case in cases for row in case.findings],
        )
        self._insert(
            c,
            t["units"],
            "case_id, code, name",
            [(case.case_id, code, name) for case in cases for code, name in case.units],
        )
        self._insert(
            c,
            t["tallies"],
            "case_id, unit_code, month, item, n, name, data, computed_at, next_change",
            [(case.case_id, *row, case.computed_at, case.next_change) for case in cases for row in case.tallies],
        )

    def _delete(self, c: Any, table: str, case_ids: Sequence[str]) -> None:
        for chunk in _chunks(case_ids):
            where, params = self.any_of("case_id", chunk)
            self._run(c, f"DELETE FROM {table} WHERE {where}", params)

    # -- reading what the projection needs --------------------------------------------------------------------
    def records_of(self, case_ids: Iterable[str], names: Names | None = None) -> dict[str, list[dict[str, Any]]]:
        """The records of these cases, in version order."""
        table = self._table(names or self.names(), "records")
        out: dict[str, list[dict[str, Any]]] = {}
        with self.reading() as c:
            for chunk in _chunks(sorted(set(case_ids))):
                where, params = self.any_of("case_id", chunk)
                for (text,) in self._run(
                    c, f"SELECT record FROM {table} WHERE {where} ORDER BY case_id, case_version", params
                ):
                    record = orjson.loads(text)
                    out.setdefault(record["case_id"], []).append(record)
        return out

    def all_records(self) -> dict[str, list[dict[str, Any]]]:
        """Every case's records, in version order (answers at an instant other than now)."""
        out: dict[str, list[dict[str, Any]]] = {}
        with self.reading() as c:
            for (text,) in self._run(
                c, f"SELECT record FROM {self._table(self.names(), 'records')} ORDER BY case_id, case_version"
            ):
                record = orjson.loads(text)
                out.setdefault(record["case_id"], []).append(record)
        return out

    def linked(self, numbers: Iterable[str], role: str, names: Names | None = None) -> set[str]:
        """The cases that feed (``key``) or look up (``lookup``) any of these certificate numbers."""
        table = self._table(names or self.names(), "links")
        found: set[str] = set()
        with self.reading() as c:
            for chunk in _chunks(sorted(set(numbers))):
                where, params = self.any_of("number", chunk)
                rows = self._run(
                    c, f"SELECT case_id FROM {table} WHERE role = {self.mark} AND {where}", [role, *params]
                )
                found |= {case_id for (case_id,) in rows}
        return found

    def due(self, now: int, limit: int, names: Names | None = None) -> list[str]:
        """Up to ``limit`` cases whose view may not hold at ``now``: its next change has come (soonest first),
        or it was computed after ``now`` (a clock set back).

        Two queries, each read along its own index: with the two conditions OR-ed, PostgreSQL walked the whole
        ``next_change`` index filtering on ``computed_at`` — 127 ms at 100,000 cases, on every answer "now"."""
        table, m = self._table(names or self.names(), "views"), self.mark
        with self.reading() as c:
            come = self._run(
                c,
                f"SELECT case_id, next_change FROM {table} WHERE next_change <= {m} "
                f"ORDER BY next_change, case_id LIMIT {m}",
                (now, limit),
            )
            ahead = self._run(
                c,
                f"SELECT case_id, next_change FROM {table} WHERE computed_at > {m} ORDER BY computed_at LIMIT {m}",
                (now, limit),
            )
        due = dict(come) | dict(ahead)
        return sorted(due, key=lambda case_id: (due[case_id], case_id))[:limit]

    # -- rebuilding -----------------------------------------------------------------------------------------
    def start_rebuild(self) -> Names:
        """Fresh, empty tables for a rebuild (any left by an interrupted one are dropped), at position 0."""
        names = self.names(NEXT_SUFFIX)
        with self._transaction(commit=True) as c:
            for part in PARTS:
                self._run(c, f"DROP TABLE IF EXISTS {self._table(names, part)}")
            for statement in self._tables(names, indexes=False):
                self._run(c, statement)
            self._ensure_position(c, names.application)
            self._set_position(c, names.application, 0)
        return names

    def index(self, names: Names) -> None:
        """Build the rebuilt tables' secondary indexes before the swap, where the backend can rename them then
        (PostgreSQL); SQLite builds them in the swap."""
        if self.postgres:
            with self._transaction(commit=True) as c:
                self._create_indexes(c, names)

    def swap(self, names: Names) -> int:
        """Make the rebuilt tables the live ones, at the rebuilt position, in one transaction that first locks
        the live position (no follower writes meanwhile); the old tables are dropped, not emptied. What the
        ledger gained since the rebuilt position the follower applies next. Returns the live position."""
        live = self.names()
        with self._transaction(commit=True) as c:
            self._lock(c, live.application)
            position = self._lock(c, names.application)
            granted = self._grants(c, live)
            for part in PARTS:
                self._run(c, f"DROP TABLE IF EXISTS {self._table(live, part)}")
                self._run(c, f"ALTER TABLE {self._table(names, part)} RENAME TO {live.table(part)}")
            if self.postgres:
                schema = self.datastore.schema  # type: ignore[attr-defined]
                renamed = [(f"{names.table(part)}_pkey", f"{live.table(part)}_pkey") for part in PARTS]
                renamed += [
                    (new, old)
                    for (new, _, _), (old, _, _) in zip(self._indexes(names), self._indexes(live), strict=True)
                ]
                for new, old in renamed:
                    self._run(c, f'ALTER INDEX "{schema}".{new} RENAME TO {old}')
            else:
                self._create_indexes(c, live)
            for part, grantee, privilege in granted:
                self._run(c, f'GRANT {privilege} ON {self._table(live, part)} TO "{grantee}"')
            self._set_position(c, live.application, position)
            self._run(c, f"DELETE FROM {self._tracking} WHERE application_name = {self.mark}", (names.application,))
        return position

    def _grants(self, cursor: Any, live: Names) -> list[tuple[str, str, str]]:
        """(part, grantee, privilege) of what other roles may do on the live tables (the service's role of
        ``esledger db grant``): the rebuilt tables are given the same before the old ones are dropped."""
        if not self.postgres:
            return []
        tables = {live.table(part): part for part in PARTS}
        rows = self._run(
            cursor,
            "SELECT table_name, grantee, privilege_type FROM information_schema.table_privileges "
            "WHERE table_schema = %s AND table_name = ANY(%s) AND grantee <> current_user",
            (self.datastore.schema, list(tables)),  # type: ignore[attr-defined]
        )
        return [(tables[table], grantee, privilege) for table, grantee, privilege in rows]

    def close(self) -> None:
        """Nothing to release: the datastore is the ledger store's, which closes it."""


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SQLiteReadModel(ReadModel, SQLiteTables, SQLiteTrackingRecorder):
    postgres = False
    prefix = "projection"

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self.datastore = datastore  # the library builds its CREATE statements in __init__, so bind first
        self._bind({f"create_{i}": s for i, s in enumerate(self._tables(self.names()))})
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._create_statements()]

    def create_table(self) -> None:
        super().create_table()
        self._migrate()

    @property
    def _tracking(self) -> str:
        return "tracking"

    def _run(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor.execute(sql, tuple(params))
        return [tuple(row) for row in cursor.fetchall()]

    def _insert(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def _insert_missing(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            cursor.executemany(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({marks})", rows)

    def any_of(self, column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
        listed = list(values)
        return (f"{column} IN ({', '.join('?' * len(listed))})", listed) if listed else ("1 = 0", [])


class PostgresReadModel(ReadModel, PostgresTables, PostgresTrackingRecorder):
    postgres = True

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.prefix = self.tracking_table_name.removesuffix("_tracking")
        self._bind({f"create_{i}": s for i, s in enumerate(self._tables(self.names()))})

    def create_table(self) -> None:
        super().create_table()
        self._migrate()

    @property
    def _tracking(self) -> str:
        return self.table(self.datastore, self.tracking_table_name)

    def _run(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor.execute(ddl(sql), tuple(params))
        return [tuple(row.values()) for row in cursor.fetchall()] if cursor.description else []

    def _insert(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            with cursor.copy(ddl(f"COPY {table} ({columns}) FROM STDIN")) as copy:
                for row in rows:
                    copy.write_row(row)

    def _insert_missing(self, cursor: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            cursor.executemany(ddl(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"), rows)

    def any_of(self, column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY({self.mark})", [list(values)]
