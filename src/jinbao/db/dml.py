"""Statements both engines write the same way, where SQLAlchemy's generic insert cannot."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Insert,
    Integer,
    Table,
    bindparam,
    column,
    insert,
    select,
    true,
    values,
)
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


class ParentWithChildren:
    """One statement that writes a parent row and its children (see
    :func:`parent_with_children`)."""

    def __init__(self, statement: DriverWrite, columns: tuple[str, ...]) -> None:
        self._statement = statement
        self._columns = columns

    def write(
        self, conn: Connection, parent: dict[str, Any], children: Sequence[dict[str, Any]]
    ) -> int | None:
        """Write ``parent`` (its columns by name) and ``children`` (each a dict holding at least
        the children's columns): the parent's new id, or None when it was skipped."""
        bound = {f"{c}__{n}": child[c] for n, child in enumerate(children) for c in self._columns}
        written = self._statement.first(conn, parent | bound)
        return None if written is None else int(written[0])


@functools.cache
def parent_with_children(
    parent: Table,
    keys: tuple[str, ...],
    child: Table,
    link: str,
    columns: tuple[str, ...],
    count: int,
    *,
    unless_taken: bool = False,
) -> ParentWithChildren:
    """PostgreSQL: a row of ``parent`` (its columns ``keys``) and ``count`` rows of ``child``
    that point to it by ``link`` (their ``columns``), written by one statement, one round trip
    instead of two: the parent's insert is a common table expression returning its new id,
    which the children's insert reads, in the order given. With ``unless_taken`` a parent whose
    unique key is taken is skipped, and so are its children. The children's foreign key is
    checked at the statement's end, when the parent is there. Built once per shape; SQLite, in
    process, gains nothing from it, and its callers write the two statements there."""
    row = {k: bindparam(k, type_=parent.c[k].type) for k in keys}
    inserted: Insert = (
        postgresql.insert(parent).values(row).on_conflict_do_nothing()
        if unless_taken
        else insert(parent).values(row)
    )
    written = inserted.returning(*parent.primary_key.columns).cte("parent")
    (parent_id,) = written.c
    rows = values(
        column("n", Integer), *(column(c, child.c[c].type) for c in columns), name="rows"
    ).data([
        (n, *(bindparam(f"{c}__{n}", type_=child.c[c].type) for c in columns))
        for n in range(count)
    ])  # fmt: skip
    children = (
        select(parent_id, *(rows.c[c] for c in columns))
        .select_from(written)
        .join(rows, true())
        .order_by(rows.c.n)  # ids drawn in the order given
    )
    statement = DriverWrite(
        insert(child)
        .from_select([link, *columns], children)
        .add_cte(written)
        .returning(child.c[link])
    )
    return ParentWithChildren(statement, columns)
