"""The PostgreSQL role the services run as: INSERT and SELECT on the ledger's tables (append-only even
for it), DELETE besides on the confidential values (an erasure deletes one, and the database lets it only once
the erasure is recorded), full rights only on the rebuildable read model. Run once by the tables' owner
(``esledger db grant``) after the tables exist; the triggers refuse UPDATE, DELETE and TRUNCATE to everyone,
the owner too.
"""

from __future__ import annotations

from psycopg import sql

from esledger.bootstrap import Storage
from esledger.core.database import connect, is_postgres, schema_of
from esledger.core.errors import InvalidArgument
from esledger.projections.readmodel import PARTS

LEDGER_TABLES = (
    "ledger_events",
    "merkle_leaves",
    "merkle_nodes",
    "merkle_checkpoints",
    "merkle_cosignatures",
    "confidential_erasures",
)
ERASABLE_TABLES = ("confidential_values",)
WORKING_TABLES = (*(f"projections_{part}" for part in PARTS), "projections_tracking", "merklelog_tracking")


def grant_app_role(storage: Storage, role: str, password: str | None = None) -> list[str]:
    """Create the tables (as their owner), then the role and its grants; the statements run, for the record."""
    if not is_postgres(storage.database_url):
        raise InvalidArgument("database roles exist on PostgreSQL only; SQLite has no users to grant to")
    with storage.availability.guard():
        for handle in (storage.store, storage.read_model, storage.merkle):
            handle.get()
    schema = schema_of(storage.database_url)
    ident = sql.Identifier
    q = [sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(role))]
    q += [
        sql.SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(ident(schema), ident(t), ident(role))
        for t in LEDGER_TABLES
    ]
    q += [
        sql.SQL("GRANT SELECT, INSERT, DELETE ON {}.{} TO {}").format(ident(schema), ident(t), ident(role))
        for t in ERASABLE_TABLES
    ]
    q += [
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}.{} TO {}").format(ident(schema), ident(t), ident(role))
        for t in WORKING_TABLES
    ]
    q += [
        sql.SQL("GRANT USAGE ON SEQUENCE {}.{} TO {}").format(
            ident(schema), ident("ledger_events_notification_id_seq"), ident(role)
        ),
        sql.SQL("GRANT EXECUTE ON FUNCTION {}.{}() TO {}").format(
            ident(schema), ident("esledger_lock_ledger_events"), ident(role)
        ),
    ]
    with connect(storage.database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        create = sql.SQL("ALTER ROLE {} LOGIN" if exists else "CREATE ROLE {} LOGIN").format(ident(role))
        if password:
            create += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        done = []
        for statement in [create, *q]:
            conn.execute(statement)
            done.append(statement.as_string(conn))
    return done
