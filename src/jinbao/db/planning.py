"""A bound value the planner does not look at, so that PostgreSQL plans a statement once.

psycopg prepares a statement on its fifth run on a connection; PostgreSQL then plans its first
five executions for their values (custom plans) and after that compares a plan made for any
value (generic) with them, keeping the generic one only if it is estimated no dearer. For a
key that is new at every call (a case id, a declaration's batch) the custom plans are
estimated from statistics that have never seen the value, one row or none, against the generic
plan's honest average (a case id has two rows, one a side); for a list of keys the generic plan
assumes ten, where a declaration's file names one employer. Either way the generic plan looks
dearer, and the statement is planned anew at every execution, for good. Under the mixed load
(session 33) a transfer's case view read its sides, their events and its documents, each
planned at every call (0.2–0.3 ms of planning for a few µs of execution), and a declaration
five of its statements: some 13 % of the database's statement time in all.

``generic(bindparam("case_id", type_=String))`` is that parameter as ``(SELECT $1)`` on
PostgreSQL: an initplan, evaluated once at execution, whose value no plan can see. The custom
and the generic plans are the same, the generic is kept, and the index is used as before
(``Index Cond: case_id = $0``). The case's sides: 191 → 57 µs a read, in one process (session
33). On SQLite, which has no such plan cache, the parameter is rendered as it is.

Only for a key that selects a few rows by an index, where the average is the right estimate.
A range, or a value whose rows vary widely (a region, a year), is better planned for its value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType


class _Generic(ColumnElement[Any]):
    inherit_cache = True

    def __init__(self, value: BindParameter[Any]) -> None:
        self.value = value
        self.type = value.type

    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own declaration: what its cache key sees
        ("value", InternalTraversal.dp_clauseelement),
    ]


def generic(value: BindParameter[Any]) -> ColumnElement[Any]:
    """``value``, hidden from PostgreSQL's planner (see the module's docstring). Give it its
    type: compared with a column, a bare parameter takes the column's, but hidden here it would
    be sent untyped."""
    if isinstance(value.type, NullType):
        raise TypeError(f"give the parameter {value.key!r} its type (bindparam(…, type_=…))")
    return _Generic(value)


def is_generic(element: object) -> bool:
    """Whether ``element`` is a value :func:`generic` hid (for constructs that render it)."""
    return isinstance(element, _Generic)


@compiles(_Generic)
def _generic_default(element: _Generic, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.value, **kw)


@compiles(_Generic, "postgresql")
def _generic_postgresql(element: _Generic, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(SELECT {compiler.process(element.value, **kw)})"
