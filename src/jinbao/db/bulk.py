"""Bulk inserts at the engine's own speed: COPY on PostgreSQL, the driver's executemany on SQLite.

For the hot paths (declarations, interest) where SQLAlchemy's per-row parameter processing would
cost as much as the database itself. Runs on the unit of work's connection, so the rows commit
or roll back with everything else. Values are plain Python (int, str, bool, date, datetime).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
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
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import AddConstraint, CreateIndex
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from jinbao.db import planning
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


def new_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """``n`` ids for new rows of ``table`` (its ``id`` column), for rows written by
    :func:`insert_rows` that others refer to before they are written (a run's journals, which
    its payments and entries name). PostgreSQL: from the column's own sequence, in one
    statement; ids another writer takes meanwhile are its own. SQLite: those after the largest
    id, which no one else can take: a writing unit holds the database's write lock from its
    BEGIN (:mod:`jinbao.db.engine`)."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":  # one array, not a row an id
        ids = conn.execute(
            text(
                "SELECT array_agg(nextval(pg_get_serial_sequence(:t, 'id')))"
                " FROM generate_series(1, :n)"
            ),
            {"t": table.name, "n": n},
        ).scalar_one()
        return [int(i) for i in ids]
    last = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return list(range(last + 1, last + 1 + n))


def is_integrity_error(conn: Connection, error: BaseException) -> bool:
    """Whether ``error`` is a broken unique or foreign key, raised through SQLAlchemy or, by
    :func:`insert_rows`, by the driver itself (which SQLAlchemy does not wrap)."""
    driver_error = getattr(conn.dialect.loaded_dbapi, "IntegrityError", IntegrityError)
    return isinstance(error, IntegrityError | driver_error)


def _pg_type(conn: Connection, table: Table, column: str) -> str:
    """The PostgreSQL type of a column by name, as binary COPY needs it ("bigint", "varchar",
    "timestamp with time zone"). Binary, because text COPY cost the client twice the CPU to
    format and the server a third more to parse (500 000 contribution rows: 1.8 → 0.9 s and
    1.3 → 0.9 s)."""
    return _compiled_type(table, column, conn.dialect)


# Compiling a column's type at each COPY was 4 % of a small declaration's CPU. Bounded: each
# key_table is a Table of its own.
@functools.lru_cache(maxsize=512)
def _compiled_type(table: Table, column: str, dialect: Dialect) -> str:
    return str(table.c[column].type.compile(dialect=dialect)).split("(")[0].lower()


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


class KeyList(TypeDecorator[list[Any]]):
    """A list of keys bound as one parameter: a PostgreSQL array, a JSON array on SQLite (for
    :func:`keys_in`)."""

    impl = String
    cache_ok = True

    def __init__(self, element: type[Integer] | type[String]) -> None:
        super().__init__()
        self.element = element

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.element()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        keys = list(value)
        return keys if dialect.name == "postgresql" else json.dumps(keys)


class _KeysIn(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" after it on SQLite

    def __init__(self, column: ColumnElement[Any], keys: ColumnElement[Any]) -> None:
        self.column = column
        self.keys = keys

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own declaration: what its cache key sees
        ("column", InternalTraversal.dp_clauseelement),
        ("keys", InternalTraversal.dp_clauseelement),
    ]


@compiles(_KeysIn)
def _keys_in_default(element: _KeysIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, keys = compiler.process(element.column, **kw), compiler.process(element.keys, **kw)
    return f"{column} IN (SELECT value FROM json_each({keys}))"


@compiles(_KeysIn, "postgresql")
def _keys_in_postgresql(element: _KeysIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, keys = compiler.process(element.column, **kw), compiler.process(element.keys, **kw)
    if planning.is_generic(element.keys):
        # Cast, or ANY((SELECT …)) would compare with each row of a subquery: one array.
        array = compiler.dialect.type_compiler_instance.process(element.keys.type)
        keys = f"CAST({keys} AS {array})"
    return f"{column} = ANY({keys})"


def keys_in(
    column: ColumnElement[Any],
    name: str,
    key_type: type[Integer] | type[String],
    *,
    generic: bool = False,
) -> Any:
    """``column`` is one of the keys bound as the one parameter ``name`` (a list): ``= ANY(…)``
    of an array on PostgreSQL, ``IN`` the values of a JSON array on SQLite. Unlike an
    expanding IN list, whose text changes with the number of keys, the statement's text is
    one: it can be built once, run on the driver's cursor, and prepared by psycopg (planning
    each new IN list was 0.1–0.15 ms of the database's CPU for a declaration's look-ups).

    ``generic``: the list hidden from PostgreSQL's planner (:mod:`jinbao.db.planning`), for a
    statement whose lists are mostly shorter than the ten keys a plan for any list assumes,
    which it would otherwise plan anew at every run."""
    keys = bindparam(name, type_=KeyList(key_type))
    return _KeysIn(column, planning.generic(keys) if generic else keys)


# Told each index or key after a load before it is built or checked (then ANALYZE, if rows were
# written), as (name, how many came before it, how many in all), and (``""``, all, all) at the
# end: they can take minutes each at a million persons, and a caller shows which one is running.
OnStep = Callable[[str, int, int], None]
# Called by a loader inside the block before it writes its first row: the keys and indexes go
# off then, not before, so a block that finds nothing left to write (a rerun of a finished load)
# drops nothing and has nothing to build again.
Writing = Callable[[], None]
# The last step after a block that wrote: the planner's statistics, for the whole database.
ANALYZE = "ANALYZE"


@contextlib.contextmanager
def load_mode(
    engine: Engine,
    *,
    keys_of: Sequence[Table] = (),
    indexes: Sequence[Index | UniqueConstraint] = (),
    on_step: OnStep | None = None,
) -> Iterator[Writing]:
    """A bulk load's mode on PostgreSQL, as ``pg_restore`` loads a dump: the foreign keys of
    ``keys_of`` and the ``indexes`` (indexes or unique constraints, none that the load itself
    reads by) are dropped when the block calls the :data:`Writing` it is given, and after the
    block each index is built by one sort of its table and each key checked in one pass (a
    join), instead of row by row. Measured on the synthetic nation, the keys' triggers were two
    thirds of COPY's time into the contributions, and checking the same keys afterwards took a
    tenth of that; the person-ordered covering index of the contributions cost 6.8 s kept up
    row by row and 1.9 s built afterwards (20 000 persons × 10 years).

    After a block that wrote or built anything, the whole database is analyzed (``ANALYZE``;
    PostgreSQL's "Populating a Database": run ANALYZE afterwards). Rows loaded faster than
    autovacuum's one-minute round left the planner with no statistics at all: the ledger check
    right after a 5 000-person ten-year nation took 1.35–1.85 s, and 0.41–0.47 s once analyzed.

    For loaders that own the database while they run (``jinbao sim generate``): the keys are
    not enforced for anyone while they are off. Leaving the block, also on an error, adds back
    every one it dropped and every one missing before it (a killed load's); one the rows break
    is reported (``db.unique``, else ``db.foreign_key``) and stays off, which ``jinbao db
    check`` shows until the rows are mended and the load run again. A block that never called
    its :data:`Writing` builds only what was missing. SQLite: nothing changes."""
    keys = sorted(
        (key for table in keys_of for key in table.foreign_key_constraints),
        key=lambda key: str(key.name),
    )
    built = sorted(indexes, key=lambda item: str(item.name))
    # Indexes, then keys, as the two blocks this replaced ran; a key's check does not use them.
    items = [
        *(_index_off(i) if isinstance(i, Index) else _constraint_off(i) for i in built),
        *(_constraint_off(key) for key in keys),
    ]
    if engine.dialect.name != "postgresql":
        yield _nothing
        return
    dropped = False

    def writing() -> None:
        nonlocal dropped
        if not dropped:
            with engine.begin() as conn:
                for drop, _, _ in items:
                    conn.execute(text(drop))
            dropped = True

    try:
        yield writing
    finally:
        todo = items if dropped else _absent(engine, items)
        # And the statistics, after rows were written or a killed load's leftovers were built.
        analyze = dropped or bool(todo)
        steps = len(todo) + (1 if analyze else 0)
        broken: list[str] = []
        for n, (_, add, name) in enumerate(todo):
            if on_step is not None:
                on_step(name, n, steps)
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{AFTER_LOAD_MEMORY}'"))
                    conn.execute(add)  # builds or checks over every row, in one statement
            except IntegrityError:
                broken.append(name)
        if analyze:
            if on_step is not None:
                on_step(ANALYZE, len(todo), steps)
            with engine.begin() as conn:
                conn.execute(text(ANALYZE))
        if steps and on_step is not None:
            on_step("", steps, steps)
        key_names = {str(key.name) for key in keys}
        _refuse_broken(
            [n for n in broken if n not in key_names], [n for n in broken if n in key_names]
        )


def _refuse_broken(unique: list[str], foreign: list[str]) -> None:
    """What the loaded rows broke, named: ``db.unique`` if a unique constraint is among them."""
    zh, en = [], []
    if unique:
        names = ", ".join(unique)
        zh.append(f"批量写入的数据违反唯一约束 {names}，这些约束未恢复")
        en.append(
            f"Rows written in bulk break the unique constraints {names}, which were not added back"
        )
    if foreign:
        names = ", ".join(foreign)
        zh.append(f"批量写入的数据违反外键 {names}，这些外键未恢复")
        en.append(f"Rows written in bulk break the foreign keys {names}, which were not added back")
    if zh:
        raise Conflict(
            "db.unique" if unique else "db.foreign_key",
            "；".join(zh) + "；请修正数据后重新添加（jinbao db check 会列出它们）。",
            ". ".join(en) + "; mend the rows and add them (jinbao db check lists them).",
        )


def _nothing() -> None:
    """SQLite's :data:`Writing`: its keys and indexes stay on."""


def index_named(table: Table, name: str) -> Index | UniqueConstraint:
    """``table``'s index or unique constraint of that name, for :func:`load_mode`."""
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


# Those of the names that the current schema has, as a constraint or as an index (a unique
# constraint is both).
_PRESENT = text(
    "SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE n.nspname = current_schema() AND c.conname = ANY(:names) "
    "UNION SELECT i.relname FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace "
    "WHERE n.nspname = current_schema() AND i.relkind = 'i' AND i.relname = ANY(:names)"
)


def _absent(engine: Engine, items: Sequence[tuple[str, Any, str]]) -> list[tuple[str, Any, str]]:
    with engine.connect() as conn:
        present = set(conn.execute(_PRESENT, {"names": [name for *_, name in items]}).scalars())
    return [item for item in items if item[2] not in present]


# Memory for each index built after a load (maintenance_work_mem, 64 MB by default): a larger
# sort runs in fewer passes over its temporary files. A key's check is a join, under work_mem.
AFTER_LOAD_MEMORY = "512MB"
