"""Engines for the two supported databases: embedded SQLite (default) and PostgreSQL."""

from __future__ import annotations

import pathlib
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``; for SQLite also create the file's folder.

    SQLite is set up for a server with several threads: WAL journal, a busy timeout, and
    foreign keys enforced (SQLite leaves them off unless asked, per connection).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            pathlib.Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def describe(engine: Engine) -> dict[str, str]:
    """What /healthz and ``jinbao db check`` say about the database, password hidden."""
    return {
        "dialect": engine.dialect.name,
        "url": engine.url.render_as_string(hide_password=True),
    }
