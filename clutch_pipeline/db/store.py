"""Queries about the schema itself: what tables exist and how many rows they hold."""

from __future__ import annotations

import psycopg
from psycopg import sql

_TABLES = """
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations'
ORDER BY c.relname
"""


def table_names(conn: psycopg.Connection) -> list[str]:
    """Every application table in the public schema (the migration ledger excluded)."""
    return [name for (name,) in conn.execute(_TABLES).fetchall()]


def exact_row_counts(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    """Exact row counts of the named tables, in one round trip."""
    if not tables:
        return {}
    parts = [
        sql.SQL("SELECT {name}, count(*) FROM {table}").format(name=sql.Literal(t), table=sql.Identifier(t))
        for t in tables
    ]
    query = sql.SQL(" UNION ALL ").join(parts)
    return {name: count for name, count in conn.execute(query).fetchall()}
