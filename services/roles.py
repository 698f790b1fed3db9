"""The PostgreSQL role the services run as: INSERT and SELECT on the ledger's tables (append-only even
for it), full rights only on the rebuildable read model. Run once by the tables' owner (``esledger db
grant``) after the tables exist; the triggers refuse UPDATE, DELETE and TRUNCATE to everyone, the owner too.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.ledger.store import open_store, persistence_env
from services.projections.follower import open_view
from services.transparency.service import open_log

LEDGER_TABLES = ("ledger_events", "merkle_leaves", "merkle_nodes", "merkle_checkpoints")
WORKING_TABLES = ("projections_records", "projections_cases", "projections_tracking", "merklelog_tracking")


def grant_app_role(database_url: str, role: str, password: str | None = None) -> list[str]:
    """Create the tables (as their owner), then the role and its grants; the statements run, for the record."""
    for opened in (open_store(database_url), open_view(database_url), open_log(database_url)):
        opened.close()
    env = persistence_env(database_url)
    schema = env["POSTGRES_SCHEMA"] or "public"
    ident = sql.Identifier
    q = [sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(role))]
    q += [sql.SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(ident(schema), ident(t), ident(role))
          for t in LEDGER_TABLES]
    q += [sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}.{} TO {}").format(ident(schema), ident(t), ident(role))
          for t in WORKING_TABLES]
    q += [sql.SQL("GRANT USAGE ON SEQUENCE {}.{} TO {}").format(ident(schema), ident("ledger_events_notification_id_seq"),
                                                               ident(role)),
          sql.SQL("GRANT EXECUTE ON FUNCTION {}.{}() TO {}").format(ident(schema), ident("esledger_lock_ledger_events"),
                                                                  ident(role))]
    with psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                         user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"], autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        create = sql.SQL("ALTER ROLE {} LOGIN" if exists else "CREATE ROLE {} LOGIN").format(ident(role))
        if password:
            create += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        done = []
        for statement in [create, *q]:
            conn.execute(statement)
            done.append(statement.as_string(conn))
    return done
