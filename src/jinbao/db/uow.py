"""The unit of work: one use case, one transaction, one commit.

    with uow_factory() as uow:
        registry_service.add_person(uow, command)
        uow.commit()

Leaving the block without ``commit()`` (or with an exception) rolls everything back, so a use
case that fails half-way writes nothing. Repositories and helpers never commit.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine

from jinbao.db.engine import EACH_STATEMENT, WRITE, reader
from jinbao.db.writers import WriterQueue, writer_queue
from jinbao.kernel.clock import Clock, SystemClock


class UnitOfWork:
    """``write=False`` for a unit that only reads, each statement seeing the database as of its
    start: on PostgreSQL on a read-only session in autocommit (:func:`jinbao.db.engine.reader`:
    a write fails loudly, and there is no BEGIN or COMMIT to wait for); on SQLite without
    queueing for the write lock, and (since session 34) with no BEGIN or COMMIT either (see
    :func:`jinbao.db.engine._sqlite_begin`).
    ``snapshot=True`` (with ``write=False``) for a read that compares several statements (the
    ledger check): on PostgreSQL they run in one REPEATABLE READ transaction, so they all see
    the same state, whatever commits meanwhile; a SQLite read transaction is one already.

    Read-only units end in COMMIT rather than ROLLBACK — the same for a transaction that wrote
    nothing, but psycopg forgets every prepared statement of the connection on a rollback
    (``DEALLOCATE ALL``), so each request's queries were planned anew: a person's record took
    2.2 ms instead of 0.7 ms for its main query.

    A unit that writes on SQLite first waits for its turn in the writer queue
    (:mod:`jinbao.db.writers`; SQLite's busy handler would sleep up to 100 ms between tries)
    and leaves the queue when its transaction ends: at ``commit()``, or on leaving the block.

    ``memo`` is what the use case's helpers note for the unit's own life, keyed by a name the
    noting module owns (say, the documents :func:`jinbao.exchange.service.send` put in this
    node's inbox, which the pump applies next without reading the inbox again); it is emptied
    when the unit ends. ``transaction_memo(name)`` is such a note for the current transaction
    only: a unit may commit and go on, and what held in one transaction (a lock taken, a row
    read) need not hold in the next."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock | None = None,
        actor: str = "system",
        *,
        write: bool = True,
        snapshot: bool = False,
    ) -> None:
        if write and snapshot:
            raise ValueError("snapshot=True is for units that only read (write=False)")
        self.engine = engine
        self.write = write
        self.snapshot = snapshot
        self.clock: Clock = clock or SystemClock()
        self._conn: Connection | None = None
        self._queue: WriterQueue | None = None  # while it holds SQLite's write turn
        self.actor = actor  # who acts, for the audit log
        self.memo: dict[str, Any] = {}

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in a 'with' block")
        return self._conn

    def __enter__(self) -> UnitOfWork:
        if not self.write:
            self._conn = reader(self.engine).connect()
            if self.snapshot and self._conn.dialect.name == "postgresql":
                # Back to autocommit when the connection returns to its pool.
                self._conn.execution_options(isolation_level="REPEATABLE READ")
            elif self._conn.dialect.name == "sqlite":  # see jinbao.db.engine._sqlite_begin
                self._conn.info[EACH_STATEMENT] = not self.snapshot
            self._conn.begin()
            return self
        queue = writer_queue(self.engine)
        if queue is not None:
            queue.enter()  # DatabaseBusy when the turn does not come
            self._queue = queue
        try:
            self._conn = self.engine.connect()
            self._conn.info[WRITE] = True
            self._conn.begin()
        except BaseException:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._leave_queue()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if conn.in_transaction():
                if exc_type is None and not self.write:
                    conn.commit()  # read only: nothing to undo (see the class docstring)
                else:
                    conn.rollback()
        finally:
            conn.close()
            self._conn = None
            self.memo.clear()
            self._leave_queue()

    def transaction_memo(self, name: str) -> dict[Any, Any]:
        """A dict noted under ``name`` for the current transaction, empty again in the next."""
        transaction = self.conn.get_transaction()
        held: tuple[Any, dict[Any, Any]] | None = self.memo.get(name)
        if held is None or held[0] is not transaction:
            held = self.memo[name] = (transaction, {})
        return held[1]

    def commit(self) -> None:
        self.conn.commit()
        # Written: the next writer may begin (what this block still does reads, or writes in a
        # transaction SQLite locks for itself).
        self._leave_queue()

    def _leave_queue(self) -> None:
        queue, self._queue = self._queue, None
        if queue is not None:
            queue.leave()
