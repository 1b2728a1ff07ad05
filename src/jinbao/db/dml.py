"""Statements both engines write the same way, where SQLAlchemy's generic insert cannot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_unless_taken(conn: Connection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite alike: a row whose unique key
    is taken is skipped and the transaction goes on — no savepoint, no look-up first, and a
    writer that raced another waits for its commit and then skips. Add ``.returning(…)`` to
    tell which happened: SQLAlchemy reports no rowcount for an INSERT on psycopg."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
