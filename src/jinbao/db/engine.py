"""Engines for the two supported databases: embedded SQLite (default) and PostgreSQL."""

from __future__ import annotations

import pathlib
import select
import time
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from jinbao.db.writers import BUSY_SECONDS


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
    _cache_long_statements()
    return _checked_on_checkout(create_engine(url, echo=echo, **POOL))


# Each PostgreSQL pool keeps up to 10 connections open between requests and opens 5 more under
# a burst (SQLAlchemy's default keeps 5 and opens 10 more). A connection opened for a burst is
# closed when it is handed back, and the next burst opens another: a new server process each
# time, whose catalog caches are cold and whose statements are not yet prepared (psycopg
# prepares a statement on its fifth run on a connection; until then PostgreSQL plans it each
# time, 10 ms for a person's record on a new connection against 1 on a warm one). Under the
# mixed load (8 clients, 2 workers, 15 s) the default pools opened 128 server processes.
# The most recently used connection is taken first (LIFO), so the warmest ones do the work.
POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 5, "pool_use_lifo": True}

_READERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reader(engine: Engine) -> Engine:
    """The engine that units which only read connect with (``UnitOfWork(…, write=False)``).

    SQLite: ``engine`` itself (its read transactions already skip the write lock). PostgreSQL:
    a second pool on the same database whose sessions are read only
    (``default_transaction_read_only``, so a write fails loudly) and in autocommit, so that a
    read is its statements alone: no BEGIN and COMMIT round trips. Each statement sees the
    database as of its own start, as it did in the READ COMMITTED transactions this replaced;
    a read that must see one state across statements asks ``UnitOfWork(…, snapshot=True)``.
    Measured on a person's record (one statement), best of 8 × 1 000 in process: 0.59 ms in a
    transaction, 0.50 ms without (session 9).

    Disposing ``engine`` disposes its reader. Event listeners on ``engine`` do not see the
    reader's statements."""
    if engine.dialect.name != "postgresql":
        return engine
    found = _READERS.get(engine)
    if found is None:
        found = _checked_on_checkout(
            create_engine(
                engine.url,
                echo=engine.echo,
                **POOL,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c default_transaction_read_only=on"},
            )
        )
        _READERS[engine] = found
        event.listen(engine, "engine_disposed", lambda _engine: found.dispose())
    return found


# A pooled PostgreSQL connection idle this long is pinged (a round trip) before it is used again.
IDLE_PING_SECONDS = 10.0
_RETURNED = "jinbao_returned_at"  # the pool record's info key: when the connection came back


def _checked_on_checkout(engine: Engine) -> Engine:
    """Make sure a connection taken from the pool still has its server process, without a round
    trip when it was in use moments ago.

    SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout, one round trip per
    unit of work: a request that reads a person's record paid two round trips for one statement
    (a sixth of a worker's time under the record benchmark, session 26). A server process that
    ends (a restart, ``pg_terminate_backend``, a crash) says so on its socket: a FATAL message or
    the end of the stream, which an idle connection never otherwise receives. So a connection
    back in the pool for less than ``IDLE_PING_SECONDS`` is checked by asking the kernel whether
    its socket has anything to read (no round trip); one idle longer, where a network in between
    could have dropped it silently, is pinged as before. Either way a dead one is replaced by a
    new connection before the unit of work sees it (the pool retries on ``DisconnectionError``).
    What neither catches is a server that goes away between the check and the statement; as
    with the ping, that unit fails with the database's error and writes nothing."""
    dialect = engine.dialect

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        back = record.info.get(_RETURNED)
        if back is None:
            return  # opened for this checkout
        if time.monotonic() - back >= IDLE_PING_SECONDS:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise DisconnectionError("the database did not answer a ping") from error
        elif _server_spoke(dbapi_connection):
            raise DisconnectionError("the database ended this connection")

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)
    return engine


def _server_spoke(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection is closed or has something waiting on its socket: its
    server process ended it (an idle connection is sent nothing otherwise: no LISTEN here)."""
    if dbapi_connection.closed:
        return True
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)


# The longest statement whose placeholder conversion psycopg keeps (see below); a person's record
# (jinbao.records.service) is some 8 300 characters.
LONGEST_CACHED_STATEMENT = 32_768


def _cache_long_statements() -> None:
    """psycopg turns a statement's ``%(name)s`` placeholders into ``$1…`` by a regular-expression
    pass over its whole text before each execution, and keeps the result only for statements of
    up to 4 096 characters (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``, which keeps ORMs'
    one-off giant statements out of its cache of 128; those also have more than 50 parameters,
    the other limit, which stays). A person's record is one 8 300-character statement run on
    every request: the pass cost 0.2–0.3 ms of a 1 ms read (profiled, session 9). Our long
    statements are a few fixed texts built at import, so they are worth keeping. The limit is a
    module constant read at each call; ``tests/integration/records`` checks that it still works.
    """
    import psycopg._queries as queries  # only where PostgreSQL is used

    if getattr(queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < LONGEST_CACHED_STATEMENT:
        queries.MAX_CACHED_STATEMENT_LENGTH = LONGEST_CACHED_STATEMENT


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Our own writers queue before this applies (jinbao.db.writers); it is for any other.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()
    # Transactions are begun by SQLAlchemy (_sqlite_begin), not by the driver's implicit BEGIN
    # before the first write, so that a writer can take the write lock up front.
    dbapi_connection.isolation_level = None


WRITE = "jinbao_write"  # connection info key: the next transaction will write
# Connection info key: the next transaction only reads, each statement on its own (autocommit).
EACH_STATEMENT = "jinbao_each_statement"


def _sqlite_begin(conn: Any) -> None:
    """A unit of work that writes begins IMMEDIATE: it waits (busy timeout) for the write lock
    before reading anything. Begun DEFERRED, it would read a snapshot and then fail at its first
    write with "database is locked" whenever another writer committed in between — SQLite
    cannot upgrade a stale snapshot, and waiting does not help (SQLITE_BUSY_SNAPSHOT).

    A unit that only reads, and needs no one state across its statements, begins nothing
    (``EACH_STATEMENT``): each statement reads what was committed when it began, as on
    PostgreSQL's reader (:func:`reader`), and the driver's commit at its end has nothing to
    do. The BEGIN and COMMIT were some 30 µs of a person's record's 0.32 ms in process
    (session 34)."""
    write = conn.info.pop(WRITE, False)
    each_statement = conn.info.pop(EACH_STATEMENT, False)
    if write:  # whatever else was noted: a writer always takes the write lock up front
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif not each_statement:
        conn.exec_driver_sql("BEGIN")


def describe(engine: Engine) -> dict[str, str]:
    """What /healthz and ``jinbao db check`` say about the database, password hidden."""
    return {
        "dialect": engine.dialect.name,
        "url": engine.url.render_as_string(hide_password=True),
    }
