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
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # Transactions are begun by SQLAlchemy (_sqlite_begin), not by the driver's implicit BEGIN
    # before the first write, so that a writer can take the write lock up front.
    dbapi_connection.isolation_level = None


WRITE = "jinbao_write"  # connection info key: the next transaction will write


def _sqlite_begin(conn: Any) -> None:
    """A unit of work that writes begins IMMEDIATE: it waits (busy timeout) for the write lock
    before reading anything. Begun DEFERRED, it would read a snapshot and then fail at its first
    write with "database is locked" whenever another writer committed in between — SQLite
    cannot upgrade a stale snapshot, and waiting does not help (SQLITE_BUSY_SNAPSHOT)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop(WRITE, False) else "BEGIN")


def describe(engine: Engine) -> dict[str, str]:
    """What /healthz and ``jinbao db check`` say about the database, password hidden."""
    return {
        "dialect": engine.dialect.name,
        "url": engine.url.render_as_string(hide_password=True),
    }
