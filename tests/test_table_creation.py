"""Opening storage beside a running writer (PostgreSQL): the schema already in place is not created again.

A CI run deadlocked when a test opened the read model while a follower wrote to it: the opener's
``CREATE INDEX IF NOT EXISTS`` statements take a SHARE lock on each table before finding the index, one
transaction holding some while the follower held others. Now an opener whose statements have already run
takes no table lock at all, so it cannot wait on (or deadlock with) a writer.
"""

from __future__ import annotations

import threading

import psycopg
from psycopg import sql

from esledger.bootstrap import Storage
from esledger.core.database import schema_of
from esledger.settings import Settings
from tests.helpers import postgres_only

WAIT_SECONDS = 10


def _open_all(url: str) -> None:
    storage = Storage(Settings(database_url=url))
    try:
        storage.store.get()
        storage.read_model.get()
        storage.merkle.get()
    finally:
        storage.close()


@postgres_only
def test_opening_storage_beside_an_open_write_takes_no_table_lock(database_url: str) -> None:
    _open_all(database_url)  # the first opener creates the tables
    base, schema = database_url.split("?")[0], schema_of(database_url)
    with psycopg.connect(base) as writer:
        # A follower's transaction, left open: it holds ROW EXCLUSIVE on the tables it wrote to.
        for table in ("projections_views", "projections_records", "merkle_leaves", "ledger_events"):
            writer.execute(
                sql.SQL("LOCK TABLE {}.{} IN ROW EXCLUSIVE MODE").format(sql.Identifier(schema), sql.Identifier(table))
            )
        opened = threading.Event()
        failed: list[BaseException] = []

        def second_opener() -> None:
            try:
                _open_all(database_url)
                opened.set()
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                failed.append(error)

        thread = threading.Thread(target=second_opener, daemon=True)
        thread.start()
        assert opened.wait(WAIT_SECONDS) or failed, "opening storage waited on another transaction's table locks"
        writer.rollback()
        thread.join(WAIT_SECONDS)
    assert not failed, failed
