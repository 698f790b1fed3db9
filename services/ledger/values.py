"""The confidential values the sealed events commit to, stored apart from them: ``confidential_values`` (case,
version, pointer, salt, the value as JCS text) and ``confidential_erasures`` (which value was erased, by which
version of its case).

Both are written by the ledger's recorders inside the very transaction that inserts the case entries (the
library hands ``save``'s keyword arguments down to ``_insert_events``): a value commits with the entry that
seals it, an erasure with the act that records it, or neither does. In the database, a value can never be
updated, and deleted only once its erasure is recorded; erasures are append-only like the events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from esledger.core.append_only import postgres_append_only, sqlite_append_only
from esledger.core.tables import Tables
from esledger.ledger.sealing import SealedValue

VALUES = "confidential_values"
ERASURES = "confidential_erasures"
ERASURE_ONLY = "confidential values are never updated, and deleted only by a recorded erasure"
WRITES = "confidential"
"""The keyword argument of ``LedgerStore.save`` (and so of the recorders' ``_insert_events``)."""


@dataclass(frozen=True)
class ValueRef:
    """Which value: the case, the version that sealed it, and its pointer in that version's event."""

    case_id: str
    case_version: int
    pointer: str


@dataclass(frozen=True)
class StoredValue:
    ref: ValueRef
    sealed: SealedValue


@dataclass(frozen=True)
class Erasure:
    ref: ValueRef
    erased_by: int
    """The case version of the ``case.confidential_erased`` act that recorded it."""


@dataclass(frozen=True)
class Writes:
    """What one save adds to the values table and erases from it."""

    values: Sequence[StoredValue] = ()
    erasures: Sequence[Erasure] = ()


@dataclass(frozen=True)
class CaseValues:
    """A case's confidential values and erasures, by (version, pointer)."""

    values: dict[tuple[int, str], SealedValue]
    erased: dict[tuple[int, str], int]
    """The version of the ``case.confidential_erased`` act that erased each."""

    def salts(self, version: int) -> dict[str, bytes]:
        return {pointer: v.salt for (at, pointer), v in self.values.items() if at == version}


def _queries(values: str, erasures: str, mark: str) -> dict[str, str]:
    where = f"case_id = {mark} AND case_version = {mark} AND pointer = {mark}"
    return {
        "insert_value": f"INSERT INTO {values} VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
        "insert_erasure": f"INSERT INTO {erasures} VALUES ({mark}, {mark}, {mark}, {mark})",
        "delete_value": f"DELETE FROM {values} WHERE {where}",
        "case_values": f"SELECT case_version, pointer, salt, value FROM {values} WHERE case_id = {mark}",
        "case_erasures": f"SELECT case_version, pointer, erased_by FROM {erasures} WHERE case_id = {mark}",
        "every_value": f"SELECT case_id, case_version, pointer, salt, value FROM {values} "
        "ORDER BY case_id, case_version, pointer",
    }


def _tables(values: str, erasures: str, blob: str) -> dict[str, str]:
    key = "PRIMARY KEY (case_id, case_version, pointer)"
    return {
        "create_values": f"CREATE TABLE IF NOT EXISTS {values} (case_id TEXT NOT NULL, case_version INTEGER NOT "
        f"NULL, pointer TEXT NOT NULL, salt {blob} NOT NULL, value TEXT NOT NULL, {key})",
        "create_erasures": f"CREATE TABLE IF NOT EXISTS {erasures} (case_id TEXT NOT NULL, case_version INTEGER "
        f"NOT NULL, pointer TEXT NOT NULL, erased_by INTEGER NOT NULL, {key})",
    }


def sqlite_statements() -> dict[str, str]:
    erased = (
        f"SELECT 1 FROM {ERASURES} e WHERE e.case_id = OLD.case_id AND e.case_version = OLD.case_version "
        "AND e.pointer = OLD.pointer"
    )
    triggers = [
        f"CREATE TRIGGER IF NOT EXISTS {VALUES}_no_update BEFORE UPDATE ON {VALUES} "
        f"BEGIN SELECT RAISE(ABORT, '{ERASURE_ONLY}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {VALUES}_erasure_only BEFORE DELETE ON {VALUES} WHEN NOT EXISTS ({erased}) "
        f"BEGIN SELECT RAISE(ABORT, '{ERASURE_ONLY}'); END",
        *sqlite_append_only(ERASURES),
    ]
    return (
        _tables(VALUES, ERASURES, "BLOB")
        | {f"create_trigger_{i}": t for i, t in enumerate(triggers)}
        | _queries(VALUES, ERASURES, "?")
    )


def postgres_statements(schema: str, table: Callable[[str], str]) -> dict[str, str]:
    """``table(name)``: the name qualified by the schema."""
    values, erasures = table(VALUES), table(ERASURES)
    function = table("esledger_erasure_only")
    refuse = table("esledger_refuse_change")
    triggers = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {erasures} e WHERE e.case_id = OLD.case_id "
        "AND e.case_version = OLD.case_version AND e.pointer = OLD.pointer) THEN RETURN OLD; END IF; "
        f"RAISE EXCEPTION '%: % on %', '{ERASURE_ONLY}', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        f"CREATE OR REPLACE TRIGGER {VALUES}_erasure_only BEFORE UPDATE OR DELETE ON {values} FOR EACH ROW "
        f"EXECUTE FUNCTION {function}()",
        f"CREATE OR REPLACE TRIGGER {VALUES}_no_truncate BEFORE TRUNCATE ON {values} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {refuse}()",
        *postgres_append_only(schema, ERASURES),
    ]
    return (
        _tables(values, erasures, "BYTEA")
        | {f"create_trigger_{i}": t for i, t in enumerate(triggers)}
        | _queries(values, erasures, "%s")
    )


def _key(ref: ValueRef) -> tuple[str, int, str]:
    return (ref.case_id, ref.case_version, ref.pointer)


class ConfidentialValues(Tables):
    """The two tables' reads and writes, mixed into the ledger's recorders on either backend; each recorder's
    ``_insert_events`` hands ``_write`` what the save carried."""

    def _write(self, cursor: Any, writes: Writes | None) -> None:
        if writes is None:
            return
        if writes.values:
            rows = [(*_key(v.ref), v.sealed.salt, v.sealed.text) for v in writes.values]
            self._execute_many(cursor, "insert_value", rows)
        if writes.erasures:
            # The erasure first: the database lets a value go only once its erasure is recorded.
            self._execute_many(cursor, "insert_erasure", [(*_key(e.ref), e.erased_by) for e in writes.erasures])
            self._execute_many(cursor, "delete_value", [_key(e.ref) for e in writes.erasures])

    def case_values(self, case_id: str) -> CaseValues:
        with self._transaction(commit=False) as cursor:
            values = self._execute(cursor, "case_values", (case_id,))
            erasures = self._execute(cursor, "case_erasures", (case_id,))
        return CaseValues(
            {(v, p): SealedValue(p, bytes(salt), text) for v, p, salt, text in values},
            {(v, p): by for v, p, by in erasures},
        )

    def every_value(self) -> list[StoredValue]:
        """The whole values table, for the audit."""
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "every_value")
        return [StoredValue(ValueRef(c, v, p), SealedValue(p, bytes(salt), text)) for c, v, p, salt, text in rows]
