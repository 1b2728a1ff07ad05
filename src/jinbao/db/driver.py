"""A fixed read run on the driver's own cursor, for the few statements every request runs.

Running a statement through SQLAlchemy's ``Connection.execute`` costs some 50–100 µs of Python
on top of the driver (an execution context, each parameter's processing, a result and its
metadata), even for a statement compiled once and cached. For a person's record that was a
quarter of its statement's time in the server (0.44 ms against 0.33 ms on the driver's
cursor, in process; session 26). :class:`DriverRead` compiles its statement once per dialect,
as SQLAlchemy would, and runs it on the DBAPI cursor of the unit of work's connection, in that
connection's transaction: the same SQL text, so psycopg still prepares it and keeps its
placeholder conversion (:mod:`jinbao.db.engine`). The parameters and result columns go through
the types' own processors (say, SQLite's 0/1 for a boolean), and the connection's
``before_cursor_execute`` and ``after_cursor_execute`` listeners see the statement as they see
any other.

Only for a statement built once at import with its parameters bound by name, and no expanding
IN list (SQLAlchemy renders those placeholders at each execution: refused). An IN list of a
fixed number of named parameters, ``code.in_([bindparam("a"), bindparam("b")])``, is fine.
Anything built per call, or written, goes through ``conn.execute`` as usual.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Select


class _Plan(NamedTuple):
    sql: str
    names: tuple[str, ...] | None  # positional parameters in order (SQLite), or None (psycopg)
    defaults: dict[str, Any]  # the statement's own literal parameters
    binds: dict[str, Any]  # name -> the type's bind processor, for those that have one
    results: tuple[Any, ...]  # per column, the type's result processor or None
    row: type[tuple[Any, ...]]


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
            if any(b.expanding for b in compiled.binds.values()):
                # SQLAlchemy renders an IN list's placeholders at each execution.
                raise TypeError("DriverRead takes no IN list (an expanding parameter)")
            defaults = dict(compiled.params)
            binds = {}
            for name in defaults:
                processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    binds[name] = processor
            columns = list(self.statement.selected_columns)
            results = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            )
            names = tuple(compiled.positiontup or ()) if compiled.positional else None
            row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]
            found = self._plans[dialect.name] = _Plan(
                str(compiled), names, defaults, binds, results, row
            )
        return found

    def first(self, conn: Connection, params: dict[str, Any]) -> Any | None:
        plan = self._plan(conn.dialect)
        rows = self._run(conn, plan, params, many=False)
        return self._row(plan, rows[0]) if rows else None

    def all(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        """Every row, as named tuples."""
        plan = self._plan(conn.dialect)
        return [self._row(plan, raw) for raw in self._run(conn, plan, params, many=True)]

    @staticmethod
    def _run(conn: Connection, plan: _Plan, params: dict[str, Any], many: bool) -> list[Any]:
        values = {**plan.defaults, **params}
        for name, processor in plan.binds.items():
            values[name] = processor(values[name])
        parameters: Any = values if plan.names is None else tuple(values[n] for n in plan.names)
        dbapi = conn.connection.dbapi_connection
        cursor = dbapi.cursor()  # type: ignore[union-attr]
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, plan.sql, parameters, None, False)
            cursor.execute(plan.sql, parameters)
            if many:
                raw = cursor.fetchall()
            else:
                one = cursor.fetchone()
                raw = [] if one is None else [one]
            conn.dispatch.after_cursor_execute(conn, cursor, plan.sql, parameters, None, False)
        except Exception:
            if getattr(dbapi, "closed", False):  # the server went away: not back to the pool
                conn.invalidate()
            raise
        finally:
            cursor.close()
        return list(raw)

    @staticmethod
    def _row(plan: _Plan, raw: Any) -> Any:
        return plan.row(*(v if p is None else p(v) for p, v in zip(plan.results, raw, strict=True)))
