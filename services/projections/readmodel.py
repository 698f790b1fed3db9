"""The read model: the projection's own copy of every case record, keyed by case and version, plus one row
per case. Each change is committed in the same transaction as the tracking position it reflects, so a
restart resumes exactly and a replayed position changes nothing (the library's single-row tracking refuses
a position that is not beyond the current one).

Derived answers (status, deadlines, findings) are not stored: they depend on the clock, so they are computed
at question time from these records by the pure domain core — the same code for live answers and replays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from esledger.core.tables import PostgresTables, SQLiteTables, Tables

APPLICATION = "Ledger"
"""The read model's key in the tracking table: the position it has applied up to."""
TABLE = "projections_tracking"
"""The tracking table on PostgreSQL; the records and cases tables share its prefix."""


def _statements(records: str, cases: str, tracking: str, mark: str) -> dict[str, str]:
    return {
        "create_records": f"CREATE TABLE IF NOT EXISTS {records} (case_id TEXT NOT NULL, case_version INTEGER "
        f"NOT NULL, position BIGINT NOT NULL, record TEXT NOT NULL, "
        f"PRIMARY KEY (case_id, case_version))",
        "create_cases": f"CREATE TABLE IF NOT EXISTS {cases} (case_id TEXT PRIMARY KEY, case_kind TEXT NOT NULL, "
        f"version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
        "insert_record": f"INSERT INTO {records} VALUES ({mark}, {mark}, {mark}, {mark})",
        "upsert_case": f"INSERT INTO {cases} VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (case_id) DO "
        f"UPDATE SET version = excluded.version, last_position = excluded.last_position",
        "case_records": f"SELECT record FROM {records} WHERE case_id = {mark} ORDER BY case_version",
        "all_records": f"SELECT record FROM {records} ORDER BY case_id, case_version",
        "clear_records": f"DELETE FROM {records}",
        "clear_cases": f"DELETE FROM {cases}",
        "clear_tracking": f"DELETE FROM {tracking} WHERE application_name = {mark}",
    }


class ReadModel(Tables):
    """What both backends' read models do."""

    _insert_tracking: Callable[[Any, Tracking], None]

    def apply(self, record: Mapping[str, Any], tracking: Tracking) -> bool:
        """Store one record and advance the position, atomically. False when the position was applied before."""
        try:
            with self._transaction(commit=True) as cursor:
                self._insert_tracking(cursor, tracking)
                self._execute(
                    cursor,
                    "insert_record",
                    (record["case_id"], record["case_version"], record["position"], orjson.dumps(record).decode()),
                )
                self._execute(
                    cursor,
                    "upsert_case",
                    (record["case_id"], record["case_kind"], record["case_version"], record["position"]),
                )
        except IntegrityError:
            return False
        return True

    def records(self, case_id: str) -> list[dict[str, Any]]:
        with self._transaction(commit=False) as cursor:
            return [orjson.loads(row[0]) for row in self._execute(cursor, "case_records", (case_id,))]

    def all_records(self) -> dict[str, list[dict[str, Any]]]:
        by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with self._transaction(commit=False) as cursor:
            rows = self._execute(cursor, "all_records")
        for row in rows:
            record = orjson.loads(row[0])
            by_case[record["case_id"]].append(record)
        return dict(by_case)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION) or 0  # type: ignore[attr-defined]

    def clear(self) -> None:
        """Empty the read model and its position (a rebuild starts from 0)."""
        with self._transaction(commit=True) as cursor:
            self._execute(cursor, "clear_records")
            self._execute(cursor, "clear_cases")
            self._execute(cursor, "clear_tracking", (APPLICATION,))

    def close(self) -> None:
        """Nothing to release: the datastore is the ledger store's, which closes it."""


class SQLiteReadModel(ReadModel, SQLiteTables, SQLiteTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self.datastore = datastore  # the library builds its CREATE statements in __init__, so bind first
        self._bind(_statements("projection_records", "projection_cases", "tracking", self.mark))
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._create_statements()]


class PostgresReadModel(ReadModel, PostgresTables, PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        prefix = self.tracking_table_name.removesuffix("_tracking")
        self._bind(
            _statements(
                self.table(datastore, f"{prefix}_records"),
                self.table(datastore, f"{prefix}_cases"),
                self.table(datastore, self.tracking_table_name),
                self.mark,
            )
        )
