"""Bulk inserts at the engine's own speed: COPY on PostgreSQL, the driver's executemany on SQLite.

For the hot paths (declarations, interest) where SQLAlchemy's per-row parameter processing would
cost as much as the database itself. Runs on the unit of work's connection, so the rows commit
or roll back with everything else. Values are plain Python (int, str, bool, date, datetime).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import AddConstraint, CreateIndex

from jinbao.kernel.errors import Conflict

CHUNK = 5000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 1000) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` items: for ``IN (…)`` lists and batched writes."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)  # e.g. "on"
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types([_pg_type(conn, table, c) for c in columns])
            for row in rows:
                copy.write_row(row)
        return
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    stamps: dict[Any, Any] = {}
    # The columns that hold dates, by the table's own types: only they are converted per row.
    dated = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date | DateTime)]
    # The driver's own cursor, on the unit of work's connection and transaction: SQLAlchemy's
    # executemany would only re-check every row's parameters.
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    batch: list[Sequence[Any]] = []
    for row in rows:
        if dated:
            row = list(row)
            for i in dated:
                row[i] = _sqlite(row[i], stamps)
        batch.append(row)
        if len(batch) == CHUNK:
            cursor.executemany(statement, batch)
            batch = []
    if batch:
        cursor.executemany(statement, batch)
    cursor.close()


def _pg_type(conn: Connection, table: Table, column: str) -> str:
    """The PostgreSQL type of a column by name, as binary COPY needs it ("bigint", "varchar",
    "timestamp with time zone"). Binary, because text COPY cost the client twice the CPU to
    format and the server a third more to parse (500 000 contribution rows: 1.8 → 0.9 s and
    1.3 → 0.9 s)."""
    return str(table.c[column].type.compile(dialect=conn.dialect)).split("(")[0].lower()


def _sqlite(value: Any, cache: dict[Any, Any]) -> Any:
    """Dates and times stored as SQLAlchemy's SQLite types store them (ISO text, no zone)."""
    if isinstance(value, dt.date):
        found = cache.get(value)
        if found is None:
            found = (
                value.strftime("%Y-%m-%d %H:%M:%S.%f")
                if isinstance(value, dt.datetime)
                else value.isoformat()
            )
            cache[value] = found
        return found
    return value


@contextlib.contextmanager
def key_table(
    conn: Connection, keys: Iterable[Any], key_type: type[Integer] | type[String]
) -> Iterator[Table]:
    """A temporary table holding ``keys`` (deduplicated), to join a large set of keys in one
    query instead of thousands of ``IN (…)`` lists. Dropped on leaving the block."""
    table = Table(
        f"bulk_keys_{next(_SEQUENCE)}",
        MetaData(),
        Column("k", key_type(), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    table.create(conn)
    try:
        insert_rows(conn, table, ["k"], ([k] for k in set(keys)))
        yield table
    finally:
        table.drop(conn)


_SEQUENCE = itertools.count()

# Up to this many keys a query takes them as an IN list; above, from a temporary table (whose
# creation costs a few milliseconds of catalog work on PostgreSQL: most of a small request).
IN_LIST_MAX = 500


@contextlib.contextmanager
def key_filter(
    conn: Connection, keys: Iterable[Any], key_type: type[Integer] | type[String]
) -> Iterator[Callable[[ColumnElement[Any]], ColumnElement[bool]]]:
    """A condition factory restricting a column to ``keys``: ``where(matches(persons.c.id))``.
    An IN list for a few keys, a semi-join on a :func:`key_table` for many; valid inside the
    block."""
    wanted = sorted(set(keys))
    if len(wanted) <= IN_LIST_MAX:
        yield lambda column: column.in_(wanted)
        return
    with key_table(conn, wanted, key_type) as table:
        yield lambda column: column.in_(select(table.c.k))


# Told the name of each index or key before it is built or checked after a load (they can take
# minutes each at a million persons: a caller shows which one is running).
OnStep = Callable[[str], None]


@contextlib.contextmanager
def foreign_keys_checked_after(
    engine: Engine, tables: Sequence[Table], on_step: OnStep | None = None
) -> Iterator[None]:
    """A bulk load's mode on PostgreSQL, as ``pg_restore`` loads a dump: the foreign keys of
    ``tables`` are dropped for the block and added back after it, where PostgreSQL checks each
    in one pass over its table (a join) instead of by a trigger per row written. Measured on
    the synthetic nation, those triggers were two thirds of COPY's time into the contributions,
    and checking the same keys afterwards took about a tenth of the time they had cost.

    For loaders that own the database while they run (``jinbao sim generate``): the keys are
    not enforced for anyone while the block runs. Leaving the block, also on an error, adds
    them back; a row that breaks one is reported (``db.foreign_key``) and that key stays off,
    which ``jinbao db check`` shows as drift until the row is mended and the key added. A
    process killed inside the block leaves them off the same way: the loader's rerun drops
    what is still there and adds them all back when it ends. ``on_step`` is told each key's
    name before it is checked. SQLite: nothing changes."""
    keys = sorted(
        (key for table in tables for key in table.foreign_key_constraints),
        key=lambda key: str(key.name),
    )
    with _off_during(
        engine,
        [_constraint_off(key) for key in keys],
        "db.foreign_key",
        "批量写入的数据违反外键 {}，这些外键未恢复；请修正数据后重新添加"
        "（jinbao db check 会列出它们）。",
        "Rows written in bulk break the foreign keys {}, which were not added back; mend the "
        "rows and add them (jinbao db check lists them).",
        on_step,
    ):
        yield


@contextlib.contextmanager
def indexes_built_after(
    engine: Engine, indexes: Sequence[Index | UniqueConstraint], on_step: OnStep | None = None
) -> Iterator[None]:
    """The other half of a bulk load's mode on PostgreSQL: ``indexes`` (indexes or unique
    constraints, none that the load itself reads by) are dropped for the block and built
    after it by one sort of the table each, instead of one insertion into the tree per row
    written. Measured on a 20 000-person ten-year nation, the person-ordered covering index
    of the contributions cost 6.8 s kept up row by row and 1.9 s built afterwards; at a
    million persons such an index is larger than the buffers and every month of a chunk
    touches all its pages.

    Same terms as :func:`foreign_keys_checked_after`, which a loader uses with it: for a
    loader that owns the database; a unique constraint the rows break is reported
    (``db.unique``) and stays off; a killed load leaves them off until its rerun, and
    ``jinbao db check`` shows them missing; ``on_step`` is told each name before its build.
    SQLite: nothing changes."""
    items = sorted(indexes, key=lambda item: str(item.name))
    with _off_during(
        engine,
        [_index_off(i) if isinstance(i, Index) else _constraint_off(i) for i in items],
        "db.unique",
        "批量写入的数据违反唯一约束 {}，这些约束未恢复；请修正数据后重新添加"
        "（jinbao db check 会列出它们）。",
        "Rows written in bulk break the unique constraints {}, which were not added back; mend "
        "the rows and add them (jinbao db check lists them).",
        on_step,
    ):
        yield


def index_named(table: Table, name: str) -> Index | UniqueConstraint:
    """``table``'s index or unique constraint of that name, for :func:`indexes_built_after`."""
    for item in (*table.indexes, *table.constraints):
        if isinstance(item, Index | UniqueConstraint) and item.name == name:
            return item
    raise KeyError(f"{table.name} has no index {name}")


def _constraint_off(constraint: ForeignKeyConstraint | UniqueConstraint) -> tuple[str, Any, str]:
    name = str(constraint.name)
    table = constraint.table.name
    return f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}", AddConstraint(constraint), name


def _index_off(index: Index) -> tuple[str, Any, str]:
    return f"DROP INDEX IF EXISTS {index.name}", CreateIndex(index), str(index.name)


# Memory for each index built after a load (maintenance_work_mem, 64 MB by default): a larger
# sort runs in fewer passes over its temporary files. A key's check is a join, under work_mem.
AFTER_LOAD_MEMORY = "512MB"


@contextlib.contextmanager
def _off_during(
    engine: Engine,
    items: Sequence[tuple[str, Any, str]],
    code: str,
    zh: str,
    en: str,
    on_step: OnStep | None,
) -> Iterator[None]:
    """Drop each of ``items`` (drop statement, DDL adding it back, name) for the block, add
    them back after it, each in its own transaction so that one the rows break does not keep
    the others off; report those by ``code``, their names in the ``zh``/``en`` templates."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.begin() as conn:
        for drop, _, _ in items:
            conn.execute(text(drop))
    try:
        yield
    finally:
        broken: list[str] = []
        for _, add, name in items:
            if on_step is not None:
                on_step(name)
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{AFTER_LOAD_MEMORY}'"))
                    conn.execute(add)  # builds or checks over every row, in one statement
            except IntegrityError:
                broken.append(name)
        if broken:
            names = ", ".join(broken)
            raise Conflict(code, zh.format(names), en.format(names))
