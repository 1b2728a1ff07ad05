"""JSON built by the database, on both engines: a whole document in one statement.

A read that returns a document (a person's record) can have the database write it: each list
a JSON array gathered from its rows, each object built from columns, all of it one value that
the API sends as it comes, with no round trip per list and no parsing and re-encoding in Python.

    rows = json_rows(select(t.c.a, t.c.b).where(...), "a")   # '[{"a":…,"b":…},…]', ordered by a
    doc = json_object("items", rows, "count", select(func.count())…scalar_subquery())
    select(as_text(doc))                                      # the document as text

PostgreSQL spells these ``json_build_object``, ``json_agg``, ``json_object_agg``; SQLite
``json_object``, ``json_group_array``, ``json_group_object``. Two differences are handled here:

- **Order.** PostgreSQL orders an array by ``json_agg(… ORDER BY …)``. SQLite before 3.44 has
  no ORDER BY inside an aggregate; it aggregates the rows in the order its subquery yields them,
  so the subquery is ordered as well. (Its query flattener does not merge a subquery that has an
  ORDER BY into an aggregate query, which would lose that order; the record's tests check the
  order of several rows on both engines.)
- **Nesting.** A JSON value that comes out of a subquery is plain text to SQLite, which would
  put it into an object as a string; :func:`json_object` wraps such values in ``json(…)``.

Values are JSON's: numbers (sums of integers too), strings (dates as ISO text on both engines),
null.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, Text, cast, literal, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.types import JSON

_KEY = re.compile(r"[a-z_]+")


class _Json(FunctionElement[Any]):
    """A JSON function spelled per dialect: ``templates`` by dialect name, ``default`` for
    SQLite; ``{}`` stands for the arguments, ``{order}`` for the ORDER BY of an aggregate."""

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
    """The aggregate of its first argument into an array, ``[]`` for no rows, ordered by the
    others (on PostgreSQL; on SQLite by the subquery it reads)."""

    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "coalesce(json_agg({}{order}), '[]'::json)",
        "default": "json_group_array({})",
    }


class _JsonObjectAgg(_Json):
    """The aggregate of (key, value) pairs into an object, ``{}`` for no rows."""

    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "coalesce(json_object_agg({}), '{{}}'::json)",
        "default": "json_group_object({})",
    }


class _AsJson(_Json):
    """A JSON value from a subquery (or JSON text) taken as JSON again: SQLite's ``json(…)``."""

    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "CAST({} AS JSON)",
        "default": "json({})",
    }


class _JsonBool(_Json):
    """A boolean as JSON's ``true``/``false``: SQLite's booleans are the numbers 0 and 1."""

    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": "to_json({})",
        "default": "json(CASE WHEN {} THEN 'true' ELSE 'false' END)",
    }


class _YearMonthText(FunctionElement[str]):
    """An integer month YYYYMM as the text ``YYYY-MM`` (how the API shows a period)."""

    type = Text()
    inherit_cache = True
    templates: ClassVar[dict[str, str]] = {
        "postgresql": (
            "lpad((({0}) / 100)::text, 4, '0') || '-' || lpad(mod({0}, 100)::text, 2, '0')"
        ),
        "default": "printf('%04d-%02d', ({0}) / 100, ({0}) % 100)",  # sqlite3: no % escapes
    }


class _TextAt(FunctionElement[str]):
    """The text at a path of keys in a JSON document stored as text (NULL where there is none).
    Its second argument is the keys joined by dots, as a literal; each dialect spells the path
    its own way."""

    type = Text()
    inherit_cache = True


@compiles(_JsonObject)
@compiles(_JsonObjectAgg)
@compiles(_AsJson)
@compiles(_JsonBool)
@compiles(_YearMonthText)
def _render(element: _Json | _YearMonthText, compiler: SQLCompiler, **kw: Any) -> str:
    template = element.templates.get(compiler.dialect.name, element.templates["default"])
    return template.format(compiler.process(element.clauses, **kw))


@compiles(_TextAt)
def _render_text_at(element: _TextAt, compiler: SQLCompiler, **kw: Any) -> str:
    document, dotted = element.clauses.clauses
    keys = dotted.name.strip("'")  # a literal_column of checked keys (text_at)
    text = compiler.process(document, **kw)
    if compiler.dialect.name == "postgresql":
        return f"(CAST({text} AS JSON) #>> '{{{keys.replace('.', ',')}}}')"  # '{a,b}'
    return f"json_extract({text}, '$.{keys}')"


@compiles(_JsonArray)
def _render_array(element: _JsonArray, compiler: SQLCompiler, **kw: Any) -> str:
    value, *order = element.clauses.clauses
    template = element.templates.get(compiler.dialect.name, element.templates["default"])
    by = ", ".join(compiler.process(c, **kw) for c in order)
    return template.format(compiler.process(value, **kw), order=f" ORDER BY {by}" if by else "")


def json_object(*pairs: Any) -> ColumnElement[Any]:
    """An object of ``key, value, key, value, …`` (keys are Python strings; a value that is a
    subquery yielding JSON is taken as JSON on SQLite too)."""
    args: list[Any] = []
    for key, value in zip(pairs[::2], pairs[1::2], strict=True):  # strict: an odd count fails
        if not (isinstance(key, str) and _KEY.fullmatch(key)):  # written into the SQL as text
            raise ValueError(f"a JSON key must be lower-case ASCII letters and '_': {key!r}")
        args += [literal_column(f"'{key}'"), _nested(value)]
    return _JsonObject(*args)


def _nested(value: Any) -> Any:
    """A JSON value read from a subquery (a scalar subquery, or a subquery's column) is taken as
    JSON again; one built at this level of the statement already is."""
    json_typed = isinstance(getattr(value, "type", None), JSON)
    return as_json(value) if json_typed and not isinstance(value, _Json) else value


def as_json(value: Any) -> ColumnElement[Any]:
    """``value`` (JSON from a subquery, or JSON text such as ``'[]'``) as a JSON value."""
    return _AsJson(literal(value) if isinstance(value, str) else value)


def json_rows(stmt: Select[Any], *order_by: str, hidden: tuple[str, ...] = ()) -> ScalarSelect[Any]:
    """The rows of ``stmt`` as one JSON array of objects keyed by the columns' names, ordered by
    the named columns, as a scalar subquery to place in another statement. The ``hidden``
    columns are read (to order by) but not shown."""
    rows = stmt.subquery()
    if order_by:  # SQLite's order (see the module docstring); names are resolved on the rows
        rows = select(rows).order_by(*(rows.c[name] for name in order_by)).subquery()
    pairs: list[Any] = []
    for column in rows.c:
        if column.key not in hidden:
            pairs += [column.key, column]
    array = _JsonArray(json_object(*pairs), *(rows.c[name] for name in order_by))
    return select(array).select_from(rows).scalar_subquery()


def json_values(stmt: Select[Any]) -> ScalarSelect[Any]:
    """The one column of ``stmt`` as a JSON array of its values, ordered by that column."""
    values = stmt.subquery()
    (column,) = values.c
    rows = select(values).order_by(column).subquery()
    (column,) = rows.c
    return select(_JsonArray(column, column)).select_from(rows).scalar_subquery()


def json_object_agg(key: ColumnElement[Any], value: Any) -> ColumnElement[Any]:
    """The rows' ``key: value`` pairs as one object (an aggregate)."""
    return _JsonObjectAgg(key, _nested(value))


def as_text(document: ColumnElement[Any]) -> ColumnElement[str]:
    """The document as text: psycopg would otherwise parse PostgreSQL's ``json`` into Python
    objects, which is the work this module saves."""
    return cast(document, Text)


def json_bool(value: ColumnElement[bool]) -> ColumnElement[Any]:
    """A boolean column or condition as JSON ``true`` or ``false`` on both engines."""
    return _JsonBool(value)


def year_month_text(period: ColumnElement[int]) -> ColumnElement[str]:
    """An integer month ``YYYYMM`` as ``YYYY-MM`` text, as :class:`YearMonth` prints it."""
    return _YearMonthText(period)


def text_at(document: ColumnElement[str], *keys: str) -> ColumnElement[str]:
    """The string at ``keys`` (say ``"envelope", "issued_at"``) in ``document``, JSON stored as
    text, read by the database: a caller that needs one field neither fetches nor parses the
    whole document (PostgreSQL ``#>>``, SQLite ``json_extract``)."""
    if not keys or not all(_KEY.fullmatch(k) for k in keys):  # written into the SQL as text
        raise ValueError(f"JSON keys must be lower-case ASCII letters and '_': {keys!r}")
    return _TextAt(document, literal_column("'" + ".".join(keys) + "'"))
