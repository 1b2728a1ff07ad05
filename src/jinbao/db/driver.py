"""Fixed statements run on the driver's own cursor, for the few every request or document runs.

Running a statement through SQLAlchemy's ``Connection.execute`` costs some 50–100 µs of Python
on top of the driver (an execution context, each parameter's processing, a result and its
metadata), even for a statement compiled once and cached. For a person's record that was a
quarter of its statement's time in the server (0.44 ms against 0.33 ms on the driver's
cursor, in process; session 26). :class:`DriverRead` and :class:`DriverWrite` compile their
statement once per dialect, as SQLAlchemy would, and run it on the DBAPI cursor of the unit of
work's connection, in that connection's transaction: the same SQL text, so psycopg still
prepares it and keeps its placeholder conversion (:mod:`jinbao.db.engine`); on PostgreSQL the
cursor is kept with the connection for its next statement. The parameters and
result columns go through the types' own processors (say, SQLite's 0/1 for a boolean, a JSON
column's serializer), the connection's ``before_cursor_execute`` and ``after_cursor_execute``
listeners see the statement as they see any other, and a driver's error is raised as
SQLAlchemy's own (an ``IntegrityError`` stays one).

On PostgreSQL a statement inside a transaction (or in autocommit) skips psycopg's cursor: it
is prepared once per connection under a name of its own and executed by libpq's
``PQexecPrepared`` (:mod:`psycopg.pq`), its values dumped and its rows loaded by psycopg's own
adapters (:class:`psycopg.adapt.Transformer`, in C), with psycopg's error classes for a
failure. The cursor's Python (its query conversion, prepared-statement bookkeeping and
generators) cost some 15 µs a statement of 40, and a transfer runs fifty (session 35). The
first statement of a transaction still goes through the cursor, which sends psycopg's own
``BEGIN`` (with the connection's isolation level) before it.

Only for a statement built once at import with its parameters bound by name, and no expanding
IN list (SQLAlchemy renders those placeholders at each execution: refused). An IN list of a
fixed number of named parameters, ``code.in_([bindparam("a"), bindparam("b")])``, is fine.
A write whose table fills a column from a Python-side default is refused too: SQLAlchemy
computes those at each execution, so the caller gives the value. Anything built per call goes
through ``conn.execute`` as usual.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Delete, Dialect, Insert, Select, Update, bindparam
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import Compiled

MANY_VALUES = 100  # rows in one multi-row VALUES statement of DriverWrite.run_many


class _Plan(NamedTuple):
    sql: str
    names: tuple[str, ...] | None  # positional parameters in order (SQLite), or None (psycopg)
    defaults: dict[str, Any]  # the statement's own literal parameters
    binds: dict[str, Any]  # name -> the type's bind processor, for those that have one
    results: tuple[Any, ...]  # per column, the type's result processor or None
    row: type[tuple[Any, ...]]
    numbered: bytes | None  # PostgreSQL: the SQL with $1, $2… placeholders, in ``order``
    order: tuple[str, ...]  # PostgreSQL: the parameters' names in the order of their numbers
    lean: Any  # PostgreSQL: jinbao.db._libpq, the path past psycopg's cursor; else None


# SQLAlchemy's psycopg dialect renders a parameter as %(name)s and a literal % as %%.
_PYFORMAT = re.compile(r"%\(([^)]+)\)s|%%")


def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` with its named placeholders numbered as PostgreSQL's protocol takes them (the
    same name the same number), and the names in order."""
    order: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        name = found.group(1)
        if name is None:
            return "%"
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PYFORMAT.sub(number, sql).encode(), tuple(order)


def _plan_of(compiled: Compiled, dialect: Dialect, columns: Sequence[Any]) -> _Plan:
    binds_of = compiled.binds  # type: ignore[attr-defined]
    if any(b.expanding for b in binds_of.values()):
        # SQLAlchemy renders an IN list's placeholders at each execution.
        raise TypeError("a driver statement takes no IN list (an expanding parameter)")
    defaults = dict(compiled.params)
    binds = {}
    for name in defaults:
        processor = binds_of[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            binds[name] = processor
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    positional = compiled.positiontup if compiled.positional else None  # type: ignore[attr-defined]
    names = tuple(positional or ()) if positional is not None else None
    row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]
    sql = str(compiled)
    if dialect.name != "postgresql":
        return _Plan(sql, names, defaults, binds, results, row, None, (), None)
    # Imported here, once a statement is planned for PostgreSQL: a server on SQLite does not
    # load psycopg (8 MB a process).
    from jinbao.db import _libpq

    numbered, order = _numbered(sql)
    return _Plan(sql, names, defaults, binds, results, row, numbered, order, _libpq)


def _refuse_python_defaults(compiled: Compiled) -> None:
    """SQLAlchemy computes a column's Python-side default at each execution: not done here."""
    prefetch = [
        *getattr(compiled, "insert_prefetch", ()),
        *getattr(compiled, "update_prefetch", ()),
    ]
    if prefetch:
        names = ", ".join(c.key for c in prefetch)
        raise TypeError(f"give the column(s) with a Python-side default: {names}")


def _parameters(plan: _Plan, params: dict[str, Any]) -> Any:
    values = {**plan.defaults, **params}
    for name, processor in plan.binds.items():
        values[name] = processor(values[name])
    return values if plan.names is None else tuple(values[n] for n in plan.names)


def _run(conn: Connection, plan: _Plan, params: Any, fetch: str) -> Any:
    """Execute on the connection's DBAPI cursor; ``fetch`` is ``one``, ``all``, ``count`` (the
    rows the statement changed) or ``many`` (``params`` a list of rows, for executemany)."""
    many = fetch == "many"
    parameters: Any = [_parameters(plan, p) for p in params] if many else _parameters(plan, params)
    dbapi = conn.connection.dbapi_connection
    cursor = _cursor(conn, dbapi)
    try:
        conn.dispatch.before_cursor_execute(conn, cursor, plan.sql, parameters, None, many)
        lean_state = (
            plan.lean.state(conn, dbapi)
            if plan.lean is not None and not many and plan.lean.in_transaction(dbapi)
            else None
        )
        if lean_state is not None:
            lean = plan.lean.run(dbapi, lean_state, plan, parameters, fetch)
            conn.dispatch.after_cursor_execute(conn, cursor, plan.sql, parameters, None, many)
            return lean
        if many:
            cursor.executemany(plan.sql, parameters)
        else:
            cursor.execute(plan.sql, parameters)
        if fetch == "all":
            out: Any = cursor.fetchall()
        elif fetch == "one":
            one = cursor.fetchone()
            out = [] if one is None else [one]
        else:
            out = cursor.rowcount
        conn.dispatch.after_cursor_execute(conn, cursor, plan.sql, parameters, None, many)
    except conn.dialect.loaded_dbapi.Error as error:
        closed = bool(getattr(dbapi, "closed", False))
        if closed:  # the server went away: not back to the pool
            conn.invalidate()
        raise DBAPIError.instance(
            plan.sql, parameters, error, conn.dialect.loaded_dbapi.Error,
            connection_invalidated=closed, dialect=conn.dialect, ismulti=many,
        ) from error  # fmt: skip
    finally:
        if conn.dialect.name not in _KEPT:
            cursor.close()
    return out


# Dialects whose cursor is kept with its connection and used again (psycopg: a new cursor per
# statement cost 5 % of a transfer's CPU, session 28). Not SQLite: a sqlite3 cursor that read
# one row of several keeps its statement open until it is reset or closed, and with it a read
# snapshot of the database.
_KEPT = frozenset({"postgresql"})
# The kept cursor, in the pooled connection's info, which SQLAlchemy empties whenever the pool
# gives the connection a new DBAPI connection (after an invalidation, a recycle).
_CURSOR = "jinbao.driver_cursor"


def _cursor(conn: Connection, dbapi: Any) -> Any:
    if conn.dialect.name not in _KEPT:
        return dbapi.cursor()
    info = conn.connection.info
    kept = info.get(_CURSOR)
    if kept is None:
        kept = info[_CURSOR] = dbapi.cursor()
    return kept


def _row(plan: _Plan, raw: Any) -> Any:
    return plan.row(*(v if p is None else p(v) for p, v in zip(plan.results, raw, strict=True)))


class DriverRead:
    """``DriverRead(select(…)).first(conn, {"name": value})``: the first row (a named tuple, its
    fields the statement's column keys) or None; ``.all(conn, {…})``: every row."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        found = self._plans.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            columns = list(self.statement.selected_columns)
            found = self._plans[dialect.name] = _plan_of(compiled, dialect, columns)
        return found

    def first(self, conn: Connection, params: dict[str, Any]) -> Any | None:
        plan = self._plan(conn.dialect)
        rows = _run(conn, plan, params, "one")
        return _row(plan, rows[0]) if rows else None

    def all(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        """Every row, as named tuples."""
        plan = self._plan(conn.dialect)
        return [_row(plan, raw) for raw in _run(conn, plan, params, "all")]


class DriverWrite:
    """``DriverWrite(insert(table)).run(conn, {"column": value, …})``: one row written (or, for an
    update or delete, the rows its bound parameters select), the number of rows changed back;
    ``.first(conn, {…})``: the row of its RETURNING clause (a named tuple) or None.

    As with ``conn.execute(insert(table), row)``, the columns written are the parameters given:
    the statement is compiled once per dialect and set of parameter names."""

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...], bool], _Plan] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...], rows_back: bool) -> _Plan:
        """Compiled for these parameter names; without ``rows_back`` as for executemany, which
        leaves out the RETURNING of the new row's key PostgreSQL's dialect adds otherwise."""
        found = self._plans.get((dialect.name, keys, rows_back))
        if found is None:
            compiled = self.statement.compile(
                dialect=dialect, column_keys=list(keys), for_executemany=not rows_back
            )
            _refuse_python_defaults(compiled)
            returning = getattr(compiled, "returning", None) or ()
            plan = _plan_of(compiled, dialect, returning if rows_back else ())
            found = self._plans[(dialect.name, keys, rows_back)] = plan
        return found

    def run(self, conn: Connection, params: dict[str, Any]) -> int:
        """The number of rows changed, as the driver reports it."""
        plan = self._plan(conn.dialect, tuple(params), rows_back=False)
        return int(_run(conn, plan, params, "count"))

    def first(self, conn: Connection, params: dict[str, Any]) -> Any | None:
        plan = self._plan(conn.dialect, tuple(params), rows_back=True)
        rows = _run(conn, plan, params, "one")
        return _row(plan, rows[0]) if rows else None

    def run_many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Several rows, each with the same parameter names as the first. An insert on
        PostgreSQL goes as one statement with a VALUES list (up to ``MANY_VALUES`` rows each):
        psycopg's executemany runs a pipeline of one statement a row, which cost 89 µs of
        client CPU for a journal's five postings against 44 µs this way (session 27).
        Otherwise the driver's executemany (SQLite's costs 20 µs)."""
        if not rows:
            return
        keys = tuple(rows[0])
        if any(tuple(row) != keys for row in rows):
            raise TypeError("every row of run_many must have the same parameter names")
        if not (isinstance(self.statement, Insert) and conn.dialect.name == "postgresql"):
            _run(conn, self._plan(conn.dialect, keys, rows_back=False), rows, "many")
            return
        for start in range(0, len(rows), MANY_VALUES):
            chunk = rows[start : start + MANY_VALUES]
            flat = {f"{k}__{i}": v for i, row in enumerate(chunk) for k, v in row.items()}
            _run(conn, self._values_plan(conn.dialect, keys, len(chunk)), flat, "count")

    def _values_plan(self, dialect: Dialect, keys: tuple[str, ...], count: int) -> _Plan:
        """The insert with a VALUES list of ``count`` rows, its parameters ``key__row``."""
        found = self._plans.get((dialect.name, (*keys, f"__{count}"), False))
        if found is None:
            assert isinstance(self.statement, Insert)
            table = self.statement.table
            values = [
                {k: bindparam(f"{k}__{i}", type_=table.c[k].type) for k in keys}
                for i in range(count)
            ]
            statement = self.statement.values(values)
            compiled = statement.compile(dialect=dialect, for_executemany=True)
            _refuse_python_defaults(compiled)
            found = _plan_of(compiled, dialect, ())
            self._plans[(dialect.name, (*keys, f"__{count}"), False)] = found
        return found
