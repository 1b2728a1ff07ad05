"""Rows gathered into JSON by the database, on both engines: one round trip for a list.

A read that needs several small lists (a person's record) can ask for each as a JSON array in
one statement instead of one query per list; on PostgreSQL each query is a network round trip
and a driver call, which cost more than the database's work for a person's few rows.

    rows = json_rows(select(t.c.a, t.c.b).where(...))   # a scalar subquery: '[{"a":…,"b":…},…]'
    select(rows.label("items"))                          # … a column of one statement
    loads(value)                                         # → list of dicts (text or parsed)

The order of the array is not guaranteed (SQLite before 3.44 has no ORDER BY inside an
aggregate): callers sort the parsed list. Values are JSON's: numbers, strings (dates as ISO
text on both engines), null.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import JSON


class _Json(FunctionElement[Any]):
    """A JSON function spelled per dialect: ``templates`` by dialect name, ``default`` for
    SQLite; ``{}`` stands for the arguments."""

    type = JSON()
    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {}


class _JsonObject(_Json):
    inherit_cache = True  # each subclass must say so, or SQLAlchemy compiles it every time
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "json_build_object({})",
        "default": "json_object({})",
    }


class _JsonArray(_Json):
    """The aggregate of JSON values into an array, ``[]`` for no rows."""

    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "coalesce(json_agg({}), '[]'::json)",
        "default": "json_group_array({})",
    }


@compiles(_JsonObject)
@compiles(_JsonArray)
def _render(element: _Json, compiler: SQLCompiler, **kw: Any) -> str:
    template = element.templates.get(compiler.dialect.name, element.templates["default"])
    return template.format(compiler.process(element.clauses, **kw))


def json_rows(stmt: Select[Any]) -> ColumnElement[Any]:
    """The rows of ``stmt`` as one JSON array of objects keyed by the columns' names, as a
    scalar subquery to place in another statement's columns."""
    rows = stmt.subquery()
    pairs: list[ColumnElement[Any]] = []
    for column in rows.c:
        assert column.key.isidentifier(), column.key  # written into the SQL as a literal key
        pairs += [literal_column(f"'{column.key}'"), column]
    return select(_JsonArray(_JsonObject(*pairs))).select_from(rows).scalar_subquery()


def loads(value: Any) -> list[dict[str, Any]]:
    """A :func:`json_rows` column's value as a list: SQLite returns the text, psycopg parses
    PostgreSQL's ``json`` itself."""
    found = json.loads(value) if isinstance(value, str | bytes) else value
    return list(found or [])
