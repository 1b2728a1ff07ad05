"""Statements both engines write the same way, where SQLAlchemy's generic insert cannot."""

from __future__ import annotations

import functools

from sqlalchemy import Column, Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from jinbao.db.driver import DriverWrite


def insert_unless_taken(conn: Connection, table: Table, *returning: Column[object]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite alike: a row whose unique key
    is taken is skipped and the transaction goes on — no savepoint, no look-up first, and a
    writer that raced another waits for its commit and then skips. Name ``returning`` columns
    to tell which happened (SQLAlchemy reports no rowcount for an INSERT on psycopg): no row
    back means the key was taken.

    Execute it with the row as parameters. It is built once per engine kind, table and
    returned columns: it runs on every journal posted and every document received."""
    return _unless_taken(conn.dialect.name == "postgresql", table, returning)


@functools.cache
def _unless_taken(postgres: bool, table: Table, returning: tuple[Column[object], ...]) -> Insert:
    statement: Insert = (postgresql if postgres else sqlite).insert(table).on_conflict_do_nothing()
    return statement.returning(*returning) if returning else statement


def driver_insert_unless_taken(
    conn: Connection, table: Table, *returning: Column[object]
) -> DriverWrite:
    """:func:`insert_unless_taken`, run on the driver's cursor (:mod:`jinbao.db.driver`): for
    the most frequent, every journal posted. ``.first(conn, row)`` is None when the key was
    taken."""
    return _unless_taken_on_driver(conn.dialect.name == "postgresql", table, returning)


@functools.cache
def _unless_taken_on_driver(
    postgres: bool, table: Table, returning: tuple[Column[object], ...]
) -> DriverWrite:
    return DriverWrite(_unless_taken(postgres, table, returning))
