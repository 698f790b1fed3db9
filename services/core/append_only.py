"""Append-only tables: triggers that refuse UPDATE, DELETE and TRUNCATE to everyone, the owner included.

The ledger's events table and the Merkle log's tables use them; a database administrator who bypasses them
is caught by the hash chains and the signed checkpoints instead.
"""

from __future__ import annotations

from psycopg.sql import SQL, Identifier

APPEND_ONLY = "append-only ledger table: UPDATE, DELETE and TRUNCATE are refused"


def sqlite_append_only(table: str) -> list[str]:
    """Triggers that make an SQLite table append-only (SQLite has no TRUNCATE: an unqualified DELETE fires
    the DELETE trigger, which also disables its truncate optimisation)."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        for verb in ("UPDATE", "DELETE")
    ]


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
