"""Named SQL statements run through an eventsourcing recorder's own datastore, on either backend.

The read model and the Merkle log keep tables of their own beside the library's, written in the same
transactions as the library's tracking records; these mixins give them one way to run a statement.
Statements are written with ``{mark}`` placeholders and table names already qualified.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from psycopg.sql import SQL, Composed, Identifier


class Tables(ABC):
    statements: dict[str, str]
    mark: str
    _transaction: Callable[..., AbstractContextManager[Any]]

    @abstractmethod
    def _bind(self, statements: dict[str, str]) -> None:
        """Adopt the statements (and have the library create their tables with its own)."""

    @staticmethod
    @abstractmethod
    def table(datastore: Any, name: str) -> str:
        """A table name as statements write it (schema-qualified where the backend has schemas)."""

    @abstractmethod
    def _execute(self, cursor: Any, name: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run the named statement; its rows as tuples."""

    @abstractmethod
    def _execute_many(self, cursor: Any, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Run the named statement once per row, in one round trip where the driver can."""

    if TYPE_CHECKING:

        def create_table(self) -> None:
            """The library's recorder creates the tables (ours among them)."""

    def _create_statements(self) -> list[str]:
        return [s for name, s in self.statements.items() if name.startswith("create")]


class SQLiteTables(Tables):
    mark = "?"

    def _bind(self, statements: dict[str, str]) -> None:
        self.statements = statements
        self._transaction = self.datastore.transaction  # type: ignore[attr-defined]

    @staticmethod
    def table(_: Any, name: str) -> str:
        return name

    def _execute(self, cursor: Any, name: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor.execute(self.statements[name], params)
        return [tuple(row) for row in cursor.fetchall()]

    def _execute_many(self, cursor: Any, name: str, rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(self.statements[name], rows)


DDL_LOCK = 0x65736C6564676572  # "esledger"
"""The advisory lock every process holds while it creates tables, types, functions and triggers."""


def ddl(statement: str) -> Composed:
    """A DDL statement built at run time (table names qualified by schema) as the library's statement lists
    hold them."""
    return Composed([SQL(statement)])


CREATED = "esledger_created"
"""The table naming (by digest) every set of creation statements already run in a schema."""


class SerializedCreation:
    """PostgreSQL's CREATE TYPE and CREATE OR REPLACE FUNCTION/TRIGGER are not safe against a concurrent
    creator (deadlocks, "tuple concurrently updated"), so processes starting together would fail; each creates
    its tables under one session advisory lock instead, one after the other.

    Statements already run are not run again: even ``CREATE INDEX IF NOT EXISTS`` takes a SHARE lock on its
    table before it finds the index, and a set of them in one transaction deadlocks with a running writer
    (a process starting beside a follower). The digest of the statements, recorded once they have run, says
    the schema is in place; a changed statement has a new digest and runs."""

    datastore: Any
    sql_create_statements: list[Composed]

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK,))
            try:
                created = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(CREATED))
                conn.execute(SQL("CREATE TABLE IF NOT EXISTS {} (digest text PRIMARY KEY)").format(created))
                text = "\n".join(s.as_string(conn) for s in self.sql_create_statements)
                digest = hashlib.sha256(f"{type(self).__qualname__}\n{text}".encode()).hexdigest()
                if conn.execute(SQL("SELECT 1 FROM {} WHERE digest = %s").format(created), (digest,)).fetchone():
                    return
                super().create_table()  # type: ignore[misc]
                conn.execute(SQL("INSERT INTO {} VALUES (%s) ON CONFLICT DO NOTHING").format(created), (digest,))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK,))


class PostgresTables(SerializedCreation, Tables):
    mark = "%s"

    def _bind(self, statements: dict[str, str]) -> None:
        self.statements = statements
        self._transaction = self.datastore.transaction
        self.sql_create_statements += [ddl(s) for s in self._create_statements()]

    @staticmethod
    def table(datastore: Any, name: str) -> str:
        return SQL("{}.{}").format(Identifier(datastore.schema), Identifier(name)).as_string()

    def _execute(self, cursor: Any, name: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor.execute(ddl(self.statements[name]), params)
        return [tuple(row.values()) for row in cursor.fetchall()] if cursor.description else []

    def _execute_many(self, cursor: Any, name: str, rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(ddl(self.statements[name]), rows)
